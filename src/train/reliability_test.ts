/**
 * Run-folder reliability in process: the lock (live, stale, other host), checked writes (short writes,
 * ENOSPC with the path, temp files cleaned), torn metrics lines, resume flags that would change the saved
 * config, the step budget on resume, and the checkpoint checksum over state.json's metadata.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../backend/backend.ts';
import { cleanTempFiles, setWriteFault, setWriteImpl, writeFileAtomic, writeFileChecked } from '../core/fs_safe.ts';
import { loadCheckpoint, saveCheckpoint, validateMeta } from './checkpoint.ts';
import { faultConfig } from './fault_testing.ts';
import { RunUsageError, trainRun, truncateMetrics } from './run.ts';
import { acquireRunLock } from './run_lock.ts';

await initBackend('cpu', { quiet: true });

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'gantry-rel-'));
after(() => fs.rmSync(tmp, { recursive: true, force: true }));
const quiet = { log: () => {} };

test('run lock: a live holder refuses a second writer; a dead PID or torn lock is stale and taken over; another host is reported', () => {
  const dir = path.join(tmp, 'lock');
  const lock = acquireRunLock(dir);
  // Our own PID is alive: pretend the holder is another live process (the parent of this test).
  fs.writeFileSync(lock.file, JSON.stringify({ pid: process.ppid, host: os.hostname(), startedAt: 'then' }));
  assert.throws(() => acquireRunLock(dir), /is in use by another gantry process \(pid \d+, since then\)/);
  // A PID that cannot be alive (beyond pid_max) is stale.
  fs.writeFileSync(lock.file, JSON.stringify({ pid: 2 ** 30, host: os.hostname(), startedAt: 'then' }));
  const taken = acquireRunLock(dir);
  assert.equal((JSON.parse(fs.readFileSync(taken.file, 'utf8')) as { pid: number }).pid, process.pid);
  taken.release();
  assert.ok(!fs.existsSync(taken.file));
  fs.writeFileSync(path.join(dir, '.lock'), '{"pid": 12');
  acquireRunLock(dir).release();
  fs.writeFileSync(path.join(dir, '.lock'), JSON.stringify({ pid: 1, host: 'elsewhere', startedAt: 'then' }));
  assert.throws(() => acquireRunLock(dir), /locked by process 1 on host elsewhere .*delete .*\.lock/);
});

test('checked writes: short writes are completed, a write that makes no progress and ENOSPC name the file; atomic writes leave no temp file', () => {
  const file = path.join(tmp, 'short.txt');
  // A writer that writes at most 3 bytes per call, as a pipe or a full disk can.
  setWriteImpl((fd, buf, off, len) => fs.writeSync(fd, buf, off, Math.min(3, len)));
  writeFileChecked(file, 'hello, world');
  assert.equal(fs.readFileSync(file, 'utf8'), 'hello, world');
  setWriteImpl(() => 0);
  try {
    assert.throws(() => writeFileChecked(file, 'x'), (e: Error) => e.name === 'WriteError' && e.message.includes(file) && /short write/.test(e.message));
  } finally {
    setWriteImpl(null);
  }
  setWriteFault(1);
  const target = path.join(tmp, 'atomic.json');
  fs.writeFileSync(target, 'old');
  assert.throws(() => writeFileAtomic(target, 'new'), new RegExp(`cannot write ${target.replace(/[/.]/g, '\\$&')}: no space left on device \\(ENOSPC\\)`));
  assert.equal(fs.readFileSync(target, 'utf8'), 'old');
  assert.deepEqual(fs.readdirSync(tmp).filter((f) => f.includes('.tmp-')), []);
});

test('cleanTempFiles removes .latest.tmp-*, status.json.tmp-*, .export.tmp-* and nothing else', () => {
  const dir = path.join(tmp, 'clean');
  fs.mkdirSync(path.join(dir, 'checkpoints', '.latest.tmp-abc'), { recursive: true });
  fs.mkdirSync(path.join(dir, 'checkpoints', 'latest.old'), { recursive: true });
  fs.mkdirSync(path.join(dir, '.export.tmp-xyz'));
  fs.writeFileSync(path.join(dir, 'status.json.tmp-123'), '{');
  fs.writeFileSync(path.join(dir, 'status.json'), '{}');
  const removed = cleanTempFiles(dir).map((f) => path.relative(dir, f)).sort();
  assert.deepEqual(removed, ['.export.tmp-xyz', 'checkpoints/.latest.tmp-abc', 'status.json.tmp-123']);
  assert.ok(fs.existsSync(path.join(dir, 'checkpoints', 'latest.old')));
});

test('metrics.jsonl: a torn last line is dropped on resume with a notice; a damaged middle line is an error naming file and line', () => {
  const file = path.join(tmp, 'metrics.jsonl');
  fs.writeFileSync(file, '{"step":2}\n{"step":4}\n{"step":6,"d_lo');
  assert.match(truncateMetrics(file, 4) ?? '', /dropped a torn last line \(line 3/);
  assert.equal(fs.readFileSync(file, 'utf8'), '{"step":2}\n{"step":4}\n');
  fs.writeFileSync(file, '{"step":2}\n{"st\n{"step":4}\n');
  assert.throws(() => truncateMetrics(file, 4), /metrics\.jsonl line 2 is not JSON/);
});

test('checkpoint: the checksum covers state.json metadata; null and missing keys give errors naming the file', async () => {
  const dir = path.join(tmp, 'ckpt', 'latest');
  const t = tf.tensor([1, 2, 3, 4], [2, 2]);
  await saveCheckpoint(dir, 7, { a: t }, { note: 'x' });
  t.dispose();
  const state = path.join(dir, 'state.json');
  const good = fs.readFileSync(state, 'utf8');
  const edit = (f: (m: Record<string, unknown>) => unknown) => fs.writeFileSync(state, JSON.stringify(f(JSON.parse(good) as Record<string, unknown>)));
  edit((m) => ({ ...m, step: 8 }));
  assert.throws(() => loadCheckpoint(dir), /corrupt checkpoint .*checksum mismatch over state\.json and tensors\.bin/);
  edit((m) => ({ ...m, extra: { note: 'y' } }));
  assert.throws(() => loadCheckpoint(dir), /checksum mismatch/);
  fs.writeFileSync(state, 'null');
  assert.throws(() => loadCheckpoint(dir), (e: Error) => e.name === 'CheckpointError' && e.message.includes(state) && /expected a JSON object, got null/.test(e.message));
  // Without a usable checksum key the keys are checked one by one (a format-1 file, or sha256 missing).
  edit((m) => ({ ...m, sha256: undefined }));
  assert.throws(() => loadCheckpoint(dir), new RegExp(`${state.replace(/[/.]/g, '\\$&')}: 'sha256' must be a hex sha256 digest`));
  edit((m) => ({ ...m, step: null, sha256: null }));
  assert.throws(() => loadCheckpoint(dir), /'step' must be a non-negative integer, got null/);
  assert.throws(
    () => validateMeta({ ...(JSON.parse(good) as object), tensors: [{ name: 'a', shape: [2, 2], dtype: 'float32', offset: 8, length: 16 }] }, state, 16),
    /bytes 8\.\.24 lie outside tensors\.bin \(16 bytes\)/,
  );
  assert.throws(() => validateMeta({ ...(JSON.parse(good) as object), tensors: undefined }, state, 16), /'tensors' must be an array/);
  fs.writeFileSync(state, good);
  const { tensors } = loadCheckpoint(dir);
  assert.deepEqual(Array.from(tensors.a!.dataSync()), [1, 2, 3, 4]);
  tensors.a!.dispose();
});

test('an ENOSPC during training fails with the path, marks the status failed, keeps the last checkpoint and cleans temp files', async () => {
  const out = path.join(tmp, 'enospc');
  await trainRun({ config: faultConfig(8), preset: 'fault', outDir: out, ...quiet });
  // The resumed run's 9th checked write falls in the step-12 checkpoint (config, metrics, status, appends before it).
  setWriteFault(9);
  await assert.rejects(trainRun({ config: faultConfig(16), preset: 'fault', outDir: out, resume: true, steps: 16, ...quiet }), (e: Error) => e.name === 'WriteError' && /cannot write \/\S+: no space left on device \(ENOSPC\)/.test(e.message));
  setWriteFault(0);
  const status = JSON.parse(fs.readFileSync(path.join(out, 'status.json'), 'utf8')) as { state: string; error: string };
  assert.equal(status.state, 'failed');
  assert.match(status.error, /ENOSPC/);
  const { meta, tensors } = loadCheckpoint(path.join(out, 'checkpoints', 'latest'));
  Object.values(tensors).forEach((x) => x.dispose());
  assert.ok(meta.step >= 8 && meta.step <= 16);
  assert.deepEqual(cleanTempFiles(out), []);
  assert.ok(!fs.existsSync(path.join(out, '.lock')));
  const res = await trainRun({ config: faultConfig(16), preset: 'fault', outDir: out, resume: true, steps: 16, ...quiet });
  assert.equal(res.status.state, 'done');
});

test('--resume keeps the saved config: seed, batch size, data dir and a different config are refused naming the flag; --steps below the checkpoint is refused', async () => {
  const out = path.join(tmp, 'resume');
  await trainRun({ config: faultConfig(8), preset: 'fault', outDir: out, ...quiet });
  const resume = (flags: object, steps?: number, config = faultConfig(8)) => trainRun({ config, preset: 'fault', outDir: out, resume: true, steps, resumeFlags: flags, ...quiet });
  const refused = (re: RegExp) => (e: Error) => e instanceof RunUsageError && re.test(e.message);
  await assert.rejects(resume({ seed: 99 }), refused(/--seed 99 would change it \(saved: 11\)/));
  await assert.rejects(resume({ batchSize: 64 }), refused(/--batch-size 64 would change it \(saved: 16\)/));
  await assert.rejects(resume({ dataDir: '/data' }), refused(/--data-dir \/data would change it/));
  const other = faultConfig(8);
  other.train = { ...other.train, logEvery: 3 };
  await assert.rejects(resume({ preset: 'other.yaml' }, undefined, other), refused(/preset\/config 'other\.yaml' differs from it at train\.logEvery \(3 vs saved 2\)/));
  await assert.rejects(resume({}, 5), refused(/--steps 5 is below the checkpoint's step 8/));
  // The same values are no change: accepted.
  const notes: string[] = [];
  const res = await trainRun({ config: faultConfig(8), preset: 'other', outDir: out, resume: true, steps: 12, resumeFlags: { seed: 11, preset: 'same.yaml' }, log: (m) => notes.push(m) });
  assert.equal(res.status.step, 12);
  assert.equal(res.status.preset, 'fault', 'a resumed run was relabelled with another preset');
  assert.match(notes.join('\n'), /extending the run from 8 to 12 steps \(checkpoint at step 8\); the learning-rate decay keeps its saved length of 8 steps/);
});

test('a longer --steps on resume keeps the learning-rate decay at its saved length instead of re-stretching it', async () => {
  const decaying = (steps: number) => {
    const c = faultConfig(steps);
    c.train = { ...c.train, lrDecayFraction: 0.5, lrFinalFactor: 0.1 };
    return c;
  };
  const notes: string[] = [];
  const ext = path.join(tmp, 'ext');
  await trainRun({ config: decaying(8), preset: 'fault', outDir: ext, ...quiet });
  await trainRun({ config: decaying(8), preset: 'fault', outDir: ext, resume: true, steps: 16, log: (m) => notes.push(m) });
  assert.match(notes.join('\n'), /keeps its saved length of 8 steps \(it is not re-stretched/);
  const meta = JSON.parse(fs.readFileSync(path.join(ext, 'checkpoints', 'latest', 'state.json'), 'utf8')) as { extra: { scheduleSteps: number; totalSteps: number } };
  assert.deepEqual([meta.extra.scheduleSteps, meta.extra.totalSteps], [8, 16]);
  // Reference: 8 steps with the 8-step schedule, then 8 more at the final rate == the extended run;
  // a run whose schedule spans 16 steps differs.
  const stretched = path.join(tmp, 'stretched');
  await trainRun({ config: decaying(16), preset: 'fault', outDir: stretched, ...quiet });
  const bin = (d: string) => fs.readFileSync(path.join(d, 'checkpoints', 'latest', 'tensors.bin'));
  assert.ok(!bin(ext).equals(bin(stretched)), 'the extension re-stretched the decay over 16 steps');
});
