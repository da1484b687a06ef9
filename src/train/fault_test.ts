/**
 * Fault injection on real training processes (src/train/fault_testing.ts, a tiny 2-D run): SIGKILL at random
 * moments and inside checkpoint writes, injected ENOSPC write failures, SIGINT, and two writers on one folder.
 * Every damaged run must resume and end bit-identical to the straight run (checkpoints/latest/tensors.bin).
 * Seeded (GANTRY_FAULT_SEED); prints what it did. Bounded: ~36 short child processes, two at a time.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Rng } from '../core/rng.ts';

const here = path.dirname(fileURLToPath(import.meta.url));
const child = path.join(here, 'fault_testing.ts');
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'gantry-fault-'));
after(() => fs.rmSync(work, { recursive: true, force: true }));

const STEPS = 80;
const seed = Number(process.env.GANTRY_FAULT_SEED ?? 20261201);
const rng = new Rng(seed);
const counts = { runs: 0, killedRandom: 0, killedMidCheckpoint: 0, writeFaults: 0, interrupted: 0, refusedWriters: 0, resumes: 0 };

interface ChildResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stderr: string;
}

/** Runs the training child; `kill` decides when (after its first checkpoint exists) it gets SIGKILL. */
function runChild(out: string, opts: { resume?: boolean; env?: Record<string, string>; killAfterMs?: number; steps?: number } = {}): Promise<ChildResult> {
  counts.runs++;
  const args = ['--import', 'tsx', child, out, String(opts.steps ?? STEPS), ...(opts.resume ? ['--resume'] : [])];
  const p = spawn(process.execPath, args, { env: { ...process.env, ...opts.env }, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  p.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  let timer: NodeJS.Timeout | undefined;
  if (opts.killAfterMs !== undefined) {
    const state = path.join(out, 'checkpoints', 'latest', 'state.json');
    timer = setInterval(() => {
      if (!fs.existsSync(state)) return;
      clearInterval(timer);
      timer = setTimeout(() => p.kill('SIGKILL'), opts.killAfterMs);
    }, 1);
  }
  return new Promise((resolve) =>
    p.once('close', (code, signal) => {
      clearInterval(timer);
      clearTimeout(timer);
      resolve({ code, signal, stderr });
    }),
  );
}

/** Resumes (or, when no checkpoint was ever written, restarts) until the run is done. */
async function finish(out: string): Promise<void> {
  const hasCkpt = fs.existsSync(path.join(out, 'checkpoints', 'latest', 'state.json')) || fs.existsSync(path.join(out, 'checkpoints', 'latest.old', 'state.json'));
  counts.resumes++;
  const r = await runChild(out, { resume: hasCkpt });
  assert.equal(r.code, 0, `resume of ${path.basename(out)} failed: ${r.stderr}`);
  assert.equal(readStatus(out).state, 'done');
  assertNoTempFiles(out);
}

function readStatus(out: string): { state: string; step: number; error?: string } {
  return JSON.parse(fs.readFileSync(path.join(out, 'status.json'), 'utf8')) as { state: string; step: number; error?: string };
}

function tensors(out: string): Buffer {
  return fs.readFileSync(path.join(out, 'checkpoints', 'latest', 'tensors.bin'));
}

function assertNoTempFiles(out: string): void {
  const left: string[] = [];
  const walk = (d: string) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      if (/\.tmp-/.test(e.name)) left.push(path.join(d, e.name));
      if (e.isDirectory()) walk(path.join(d, e.name));
    }
  };
  walk(out);
  assert.deepEqual(left, [], 'temporary files left behind');
}

/** Runs `jobs` two at a time (the CI machine has 2 cores). */
async function pool<T>(jobs: (() => Promise<T>)[], width = 2): Promise<T[]> {
  const results: T[] = [];
  let next = 0;
  await Promise.all(
    Array.from({ length: width }, async () => {
      while (next < jobs.length) {
        const i = next++;
        results[i] = await jobs[i]!();
      }
    }),
  );
  return results;
}

let reference: Buffer;
let trainMs = 0;

test('straight reference run', async () => {
  const out = path.join(work, 'straight');
  // How long the run trains after its first checkpoint: the window random kills are drawn from.
  const state = path.join(out, 'checkpoints', 'latest', 'state.json');
  let firstCkpt = 0;
  const timer = setInterval(() => {
    if (!firstCkpt && fs.existsSync(state)) firstCkpt = Date.now();
  }, 1);
  const r = await runChild(out);
  clearInterval(timer);
  assert.equal(r.code, 0, r.stderr);
  trainMs = Date.now() - firstCkpt;
  reference = tensors(out);
  assert.equal(readStatus(out).step, STEPS);
});

test('SIGKILL at random moments and inside checkpoint writes: every run resumes bit-identical to the straight run', async () => {
  const t0 = Date.now();
  const phases = ['tensors', 'state', 'swap'] as const;
  // Each folder is killed three times: at a random moment after its first checkpoint, then, resumed, twice
  // inside a checkpoint write (after tensors.bin, after state.json, or between the renames); then finished.
  const jobs = Array.from({ length: 8 }, (_, i) => {
    // Within the first half of the training window, so that checkpoints remain for the two later kills.
    const delay = Math.floor(rng.uniform() * 0.5 * trainMs);
    const faults = [0, 1].map((k) => ({ phase: phases[(i + k) % 3]!, u: rng.uniform() }));
    return async () => {
      const out = path.join(work, `kill-${i}`);
      const r = await runChild(out, { killAfterMs: delay });
      if (r.signal === 'SIGKILL') counts.killedRandom++;
      else assert.equal(r.code, 0, r.stderr);
      for (const { phase, u } of faults) {
        const remaining = Math.floor((STEPS - checkpointStep(out)) / 4);
        if (remaining < 1) break;
        // The first of the two kills leaves at least one checkpoint for the second.
        const nth = 1 + Math.floor(u * Math.max(1, Math.floor(remaining / 2)));
        const r2 = await runChild(out, { resume: true, env: { GANTRY_FAULT_KILL_CHECKPOINT: `${phase}:${nth}` } });
        assert.equal(r2.signal, 'SIGKILL', `the ${phase}:${nth} fault point was not reached: ${r2.stderr}`);
        counts.killedMidCheckpoint++;
      }
      await finish(out);
      assert.ok(tensors(out).equals(reference), `kill-${i} (SIGKILL ${delay} ms after the first checkpoint, then ${faults.map((f) => f.phase).join(', ')}) ended differently from the straight run`);
    };
  });
  await pool(jobs);
  assert.ok(counts.killedRandom + counts.killedMidCheckpoint >= 20, `only ${counts.killedRandom + counts.killedMidCheckpoint} runs were killed`);
  process.stdout.write(`# fault: ${counts.killedRandom} runs SIGKILLed at random moments + ${counts.killedMidCheckpoint} inside checkpoint writes, all resumed bit-identical (${((Date.now() - t0) / 1000).toFixed(1)} s)\n`);
});

/** The step of the checkpoint a resume would load (latest, or latest.old after a kill between the renames). */
function checkpointStep(out: string): number {
  for (const d of ['latest', 'latest.old']) {
    const f = path.join(out, 'checkpoints', d, 'state.json');
    if (fs.existsSync(f)) return (JSON.parse(fs.readFileSync(f, 'utf8')) as { step: number }).step;
  }
  return 0;
}

test('an injected ENOSPC fails with the path, leaves the last checkpoint intact and no temp files; resume ends bit-identical', async () => {
  // Write numbers spread over the run: early (status, config), metrics appends, checkpoint files.
  // Write 3 falls before any checkpoint; a random later one, usually in a checkpoint or a metrics append.
  const points = [3, 20 + Math.floor(rng.uniform() * 50)];
  await pool(
    points.map((n) => async () => {
      const out = path.join(work, `enospc-${n}`);
      const r = await runChild(out, { env: { GANTRY_FAULT_WRITE: String(n) } });
      assert.equal(r.code, 1, r.stderr);
      assert.match(r.stderr, /cannot write \/\S+: no space left on device \(ENOSPC\)/);
      counts.writeFaults++;
      assertNoTempFiles(out);
      if (fs.existsSync(path.join(out, 'status.json'))) assert.notEqual(readStatus(out).state, 'running', 'a failed run still says "running"');
      await finish(out);
      assert.ok(tensors(out).equals(reference), `resume after ENOSPC at write ${n} ended differently`);
    }),
  );
});

test('SIGINT saves a checkpoint at the current step, marks the run interrupted and says how to resume; a second writer is refused meanwhile', async () => {
  const out = path.join(work, 'sigint');
  const first = runChildLong(out);
  // The first writer holds the lock (parked at step 9); a second one must be refused, not interleave.
  while (!first.stderr().includes('parked at step 9')) await new Promise((r) => setTimeout(r, 5));
  const second = await runChild(out, { steps: 100000 });
  assert.equal(second.code, 1, second.stderr);
  assert.match(second.stderr, /is in use by another gantry process \(pid \d+/);
  counts.refusedWriters++;
  first.proc.kill('SIGINT');
  const r = await first.done;
  assert.equal(r.code, 130, r.stderr);
  assert.match(r.stderr, /SIGINT received: saving a checkpoint at step \d+/);
  assert.match(r.stderr, /Resume with: gantry train --out \S+ --resume/);
  counts.interrupted++;
  const status = readStatus(out);
  assert.equal(status.state, 'interrupted');
  const meta = JSON.parse(fs.readFileSync(path.join(out, 'checkpoints', 'latest', 'state.json'), 'utf8')) as { step: number };
  assert.equal(meta.step, status.step, 'the checkpoint is not at the step the run stopped');
  assert.ok(!fs.existsSync(path.join(out, '.lock')), 'the lock was not released');
  assert.ok(meta.step === 9, `expected an off-cadence checkpoint at the stop step, got ${meta.step}`);
  const res = await runChild(out, { resume: true });
  assert.equal(res.code, 0, res.stderr);
  assert.ok(tensors(out).equals(reference), 'the run resumed after SIGINT ended differently from the straight run');
});

test('a second SIGINT exits at once without saving, marks the run interrupted; the last checkpoint resumes', async () => {
  const out = path.join(work, 'sigint2');
  const r0 = runChildLong(out, true);
  // At step 9 the child is parked in its evaluator (after the step-8 checkpoint); the first signal only asks it to stop.
  while (!r0.stderr().includes('parked at step 9')) await new Promise((r) => setTimeout(r, 5));
  r0.proc.kill('SIGINT');
  await new Promise((r) => setTimeout(r, 100));
  r0.proc.kill('SIGINT');
  const r = await r0.done;
  assert.equal(r.code, 130, r.stderr);
  assert.match(r.stderr, /SIGINT again: exiting now without saving\. Resume from step 8 with: gantry train --out \S+ --resume/);
  counts.interrupted++;
  assert.equal(readStatus(out).state, 'interrupted');
  await finish(out);
  assert.ok(tensors(out).equals(reference));
  process.stdout.write(
    `# fault: ${counts.runs} training processes, ${counts.killedRandom + counts.killedMidCheckpoint} SIGKILLed, ${counts.writeFaults} ENOSPC injected, ${counts.interrupted} SIGINT, ${counts.refusedWriters} second writer refused\n`,
  );
});

/** The same child, paused after step 8 until signalled (see fault_testing.ts). */
function runChildLong(out: string, hold = false): { proc: import('node:child_process').ChildProcess; done: Promise<ChildResult>; stderr(): string } {
  counts.runs++;
  const proc = spawn(process.execPath, ['--import', 'tsx', child, out, String(STEPS), '--slow', ...(hold ? ['--hold'] : [])], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  proc.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  return { proc, stderr: () => stderr, done: new Promise((resolve) => proc.once('close', (code, signal) => resolve({ code, signal, stderr }))) };
}
