/**
 * Test support for the fault-injection suite: a minimal training child (no CLI parsing, no evaluation) on a
 * tiny 2-D config, so that dozens of runs can be killed and resumed within the CI time budget.
 * Usage: node --import tsx src/train/fault_testing.ts <outDir> <steps> [--resume] [--slow] [--hold]
 * --slow: at step 9 (after the step-8 checkpoint) the run waits (yielding, as a slow step would) until it gets SIGINT/SIGTERM, so a
 * test can start a second writer or signal it at a known point; --hold: it keeps waiting after the first
 * signal, so only a second one ends it.
 * Exit codes: 0 done, 1 error (message on stderr), 130/143 interrupted by SIGINT/SIGTERM.
 */
import { initBackend } from '../backend/backend.ts';
import { loadConfig } from '../families/config.ts';
import type { RunConfig } from '../families/config.ts';
import { RunInterruptedError, trainRun, type RunEvaluator } from './run.ts';

/** Tiny enough that a step takes ~1 ms, with a checkpoint every 4 steps so kills often land mid-write. */
export function faultConfig(steps: number): RunConfig {
  return loadConfig('toy-ring', {
    seed: 11,
    // The schedule is pinned here so that edits to the preset do not change what the tests assert.
    train: { steps, batchSize: 16, logEvery: 2, sampleEvery: 100000, checkpointEvery: 4, lrDecayFraction: 0.5, lrFinalFactor: 0.002 },
    model: { latentDim: 2, network: { arch: 'mlp', hidden: 8, depth: 1, pack: 1, latentComponents: 0 } },
    eval: { every: 0 },
  });
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

async function childMain(argv: string[]): Promise<number> {
  const [outDir, steps, ...flags] = argv;
  await initBackend('cpu', { quiet: true });
  const n = Number(steps);
  const slow = flags.includes('--slow');
  let signals = 0;
  if (slow) {
    process.on('SIGINT', () => signals++);
    process.on('SIGTERM', () => signals++);
  }
  const hold = flags.includes('--hold') ? 2 : 1;
  // The evaluator is the one async hook of the loop: it pauses there without touching the trainer's state.
  let parked = false;
  const evaluator: RunEvaluator = async (t) => {
    while (t.step >= 9 && signals < hold) {
      if (!parked) process.stderr.write(`fault_testing: parked at step ${t.step}\n`);
      parked = true;
      await sleep(5);
    }
    return {};
  };
  const cfg = faultConfig(n);
  if (slow) cfg.eval = { ...cfg.eval, every: 1 };
  try {
    await trainRun({ config: cfg, preset: 'fault', outDir: outDir!, resume: flags.includes('--resume'), steps: n, handleSignals: true, ...(slow ? { evaluator } : {}) });
    return 0;
  } catch (e) {
    process.stderr.write(`gantry: error: ${(e as Error).message}\n`);
    if (e instanceof RunInterruptedError) return e.signal === 'SIGTERM' ? 143 : 130;
    return 1;
  }
}

if (process.argv[1] && import.meta.url.endsWith(process.argv[1].split('/').pop()!)) {
  process.exitCode = await childMain(process.argv.slice(2));
}
