/**
 * DCGAN-MNIST training-step benchmark, the same model and step as the PyTorch peer
 * (/work/shared/peer/dcgan_torch.py): G z(100) → dense 6272 → BN → ReLU → 7×7×128 → convT 64 (4, s2)
 * → BN → ReLU → convT 1 (4, s2) → tanh; D conv 64 (4, s2) → LReLU .2 → conv 128 (4, s2) → BN →
 * LReLU .2 → flatten → dense 1; Adam(2e-4, .5, .999); BCE with logits; one D step on a real and a
 * fake batch, then one G step; batch 64, a fixed random "real" batch (throughput only).
 *
 *   node --import tsx bench/dcgan_step.ts [--engine wasm|native] [--threads N] [--steps N] [--profile]
 *   node --import tsx bench/dcgan_step.ts --compare [--steps N] [--peer path/to/dcgan_torch.py]
 *
 * One run prints one JSON line {engine, threads, images_per_s, ms_per_step}; --profile adds the
 * time per kernel type over one step. --compare runs the PyTorch peer (1 and 2 threads) and Gantry
 * (wasm, native 1 and 2 threads) back to back in child processes and prints a table.
 */
import * as tf from '@tensorflow/tfjs-core';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { initBackend } from '../src/backend/backend.ts';
import { loadNativeKernels, registerNativeKernels } from '../src/backend/native_kernels.ts';
import { Rng } from '../src/core/rng.ts';
import { nonSaturatingDiscriminatorLoss, nonSaturatingGeneratorLoss } from '../src/losses/adversarial.ts';
import { Network, type NetworkSpec } from '../src/models/network.ts';
import { createOptimizer } from '../src/train/optimizers.ts';

const BATCH = 64;
const LATENT = 100;

export const GENERATOR: NetworkSpec = {
  inputShape: [LATENT],
  initStd: 0.02,
  layers: [
    { type: 'dense', units: 7 * 7 * 128 },
    { type: 'batchNorm' },
    { type: 'act', fn: 'relu' },
    { type: 'reshape', shape: [7, 7, 128] },
    { type: 'conv2dTranspose', filters: 64, kernel: 4, stride: 2 },
    { type: 'batchNorm' },
    { type: 'act', fn: 'relu' },
    { type: 'conv2dTranspose', filters: 1, kernel: 4, stride: 2 },
    { type: 'act', fn: 'tanh' },
  ],
};

export const DISCRIMINATOR: NetworkSpec = {
  inputShape: [28, 28, 1],
  initStd: 0.02,
  layers: [
    { type: 'conv2d', filters: 64, kernel: 4, stride: 2, pad: 'same' },
    { type: 'act', fn: 'lrelu', alpha: 0.2 },
    { type: 'conv2d', filters: 128, kernel: 4, stride: 2, pad: 'same' },
    { type: 'batchNorm' },
    { type: 'act', fn: 'lrelu', alpha: 0.2 },
    { type: 'flatten' },
    { type: 'dense', units: 1 },
  ],
};

interface BenchResult {
  engine: string;
  threads: number;
  isa?: string;
  batch: number;
  images_per_s: number;
  ms_per_step: number;
  cpu_ms_per_step: number;
  peak_rss_mb: number;
}

async function runGantry(engine: string, threads: number, steps: number, profile: boolean): Promise<BenchResult> {
  await initBackend('wasm', { quiet: true });
  let isa: string | undefined;
  if (engine === 'native') {
    const load = loadNativeKernels({ threads });
    if (!load.loaded || !registerNativeKernels()) throw new Error(`native engine unavailable: ${load.reason}`);
    isa = load.isa;
  } else if (engine !== 'wasm') {
    throw new Error(`--engine must be wasm or native, got ${engine}`);
  }
  const rng = new Rng(0);
  const G = new Network('G', GENERATOR, rng.fork('G'));
  const D = new Network('D', DISCRIMINATOR, rng.fork('D'));
  const adam = { type: 'adam', lr: 2e-4, beta1: 0.5, beta2: 0.999 } as const;
  const optG = createOptimizer(adam);
  const optD = createOptimizer(adam);
  const real = tf.randomNormal([BATCH, 28, 28, 1]);

  const step = () => {
    const z = tf.randomNormal([BATCH, LATENT]);
    // D step on a real and a fake batch (G's output is a constant here, as with .detach()).
    tf.tidy(() => {
      const fake = G.apply(z, { training: true });
      const { grads } = tf.variableGrads(
        () => nonSaturatingDiscriminatorLoss(D.apply(real, { training: true }), D.apply(fake, { training: true })),
        D.trainable);
      optD.apply(D.trainable, D.trainable.map((v) => grads[v.name]!));
    });
    // G step through the updated D.
    tf.tidy(() => {
      const { grads } = tf.variableGrads(
        () => nonSaturatingGeneratorLoss(D.apply(G.apply(z, { training: true }), { training: true })),
        G.trainable);
      optG.apply(G.trainable, G.trainable.map((v) => grads[v.name]!));
    });
    z.dispose();
  };
  // Reading a value back waits for all queued work (a no-op on wasm, which runs synchronously).
  const sync = () => G.trainable[0]!.dataSync();

  for (let i = 0; i < 3; i++) step();
  sync();
  const start = performance.now();
  const cpuStart = process.cpuUsage();
  for (let i = 0; i < steps; i++) step();
  sync();
  const ms = (performance.now() - start) / steps;
  const cpu = process.cpuUsage(cpuStart);
  // CPU time of all threads: on a busy machine the least noisy measure of the work done.
  const cpuMs = (cpu.user + cpu.system) / 1000 / steps;

  if (profile) await printProfile(step, ms);
  tf.dispose([real, ...G.variables(), ...D.variables()]);
  optG.dispose();
  optD.dispose();
  return {
    engine, threads: engine === 'native' ? threads : 1, ...(isa ? { isa } : {}), batch: BATCH,
    images_per_s: round(BATCH / (ms / 1000)), ms_per_step: round(ms), cpu_ms_per_step: round(cpuMs),
    peak_rss_mb: Math.round(process.resourceUsage().maxRSS / 1024),
  };
}

/** Time per kernel type over one step, and what is left for dispatch and JS. */
async function printProfile(step: () => void, msPerStep: number): Promise<void> {
  const info = await tf.profile(step);
  const byKernel = new Map<string, { ms: number; calls: number }>();
  let kernelMs = 0;
  for (const k of info.kernels) {
    const ms = Number(k.kernelTimeMs);
    const key = process.env.GANTRY_PROFILE_SHAPES ? `${k.name} ${JSON.stringify(k.inputShapes)}` : k.name;
    const entry = byKernel.get(key) ?? { ms: 0, calls: 0 };
    entry.ms += ms;
    entry.calls += 1;
    byKernel.set(key, entry);
    kernelMs += ms;
  }
  const rows = [...byKernel.entries()].sort((a, b) => b[1].ms - a[1].ms);
  process.stderr.write(`profile: ${info.kernels.length} kernel calls, ${kernelMs.toFixed(1)} ms in kernels, ` +
    `step ${msPerStep.toFixed(1)} ms (untimed: dispatch, gradients bookkeeping, JS)\n`);
  for (const [name, { ms, calls }] of rows) {
    process.stderr.write(`  ${name.padEnd(process.env.GANTRY_PROFILE_SHAPES ? 60 : 24)} ${ms.toFixed(2).padStart(8)} ms ${String(calls).padStart(5)} calls\n`);
  }
}

const round = (x: number) => Math.round(x * 10) / 10;

function runChild(command: string, args: string[]): Record<string, unknown> | string {
  const result = spawnSync(command, args, { encoding: 'utf8', env: { ...process.env } });
  const line = result.stdout.trim().split('\n').filter((l) => l.startsWith('{')).pop();
  if (result.status !== 0 || !line) return `failed (${result.status}): ${(result.stderr || '').trim().split('\n').pop()}`;
  return JSON.parse(line) as Record<string, unknown>;
}

function compare(steps: number, peer: string): void {
  const self = fileURLToPath(import.meta.url);
  const gantry = (engine: string, threads: number) =>
    runChild(process.execPath, ['--import', 'tsx', self, '--engine', engine, '--threads', String(threads), '--steps', String(steps)]);
  const runs: Array<[string, () => Record<string, unknown> | string]> = [
    ['pytorch 1 thread', () => runChild('/usr/bin/python3', [peer, '--threads', '1', '--steps', String(steps)])],
    ['gantry wasm', () => gantry('wasm', 1)],
    ['gantry native 1 thread', () => gantry('native', 1)],
    ['pytorch 2 threads', () => runChild('/usr/bin/python3', [peer, '--threads', '2', '--steps', String(steps)])],
    ['gantry native 2 threads', () => gantry('native', 2)],
  ];
  for (const [label, run] of runs) {
    const r = run();
    const cpu = typeof r !== 'string' && r.cpu_ms_per_step !== undefined ? ` ${String(r.cpu_ms_per_step).padStart(8)} cpu ms/step` : '';
    const text = typeof r === 'string' ? r : `${String(r.images_per_s).padStart(7)} img/s ${String(r.ms_per_step).padStart(8)} ms/step${cpu}`;
    console.log(`${label.padEnd(26)} ${text}`);
  }
}

const { values } = parseArgs({
  options: {
    engine: { type: 'string', default: 'native' },
    threads: { type: 'string', default: '1' },
    steps: { type: 'string', default: '20' },
    profile: { type: 'boolean', default: false },
    compare: { type: 'boolean', default: false },
    peer: { type: 'string', default: fileURLToPath(new URL('../../shared/peer/dcgan_torch.py', import.meta.url)) },
  },
});
const steps = Number(values.steps);
const threads = Number(values.threads);
if (!Number.isInteger(steps) || steps < 1) throw new Error(`--steps must be a positive integer, got ${values.steps}`);
if (!Number.isInteger(threads) || threads < 0) throw new Error(`--threads must be a non-negative integer, got ${values.threads}`);
if (values.compare) {
  compare(steps, values.peer!);
} else {
  console.log(JSON.stringify(await runGantry(values.engine!, threads, steps, values.profile!)));
}
