/**
 * One sweep job in its own process (forked by job_runner.ts): trains the job's config in its run folder
 * (resuming from the folder's checkpoint when there is one), evaluates it, writes `result.json` there and
 * sends the result to the parent. A fresh process per job keeps TF.js's global engine and memory from
 * leaking between jobs. When the parent dies (the IPC channel closes) the job checkpoints and stops, so
 * whoever retries it resumes instead of starting over.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { JobRequest, JobMessage } from './job_runner.ts';
import type { JobResult } from './report.ts';

let finished = false;

function send(msg: JobMessage): Promise<void> {
  return new Promise((resolve) => {
    if (!process.connected) return resolve();
    process.send!(msg, () => resolve());
  });
}

function numericMetrics(obj: Record<string, unknown> | undefined): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [k, v] of Object.entries(obj ?? {})) if (typeof v === 'number' && Number.isFinite(v)) out[k] = v;
  return out;
}

/**
 * A retried job may start while the previous attempt's process (its worker just died) is still saving its
 * checkpoint and holds the run's lock: wait for it (up to a minute) instead of failing the attempt.
 */
async function trainWhenUnlocked<T>(train: () => Promise<T>): Promise<T> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    try {
      return await train();
    } catch (e) {
      if ((e as Error).name !== 'RunLockedError' || Date.now() > deadline) throw e;
      await new Promise((r) => setTimeout(r, 500));
    }
  }
}

async function runJob(req: JobRequest): Promise<JobResult> {
  const { job, runDir } = req;
  const started = performance.now();
  const base = { id: job.id, sweep: job.sweep, label: job.label, configHash: job.configHash, seed: job.seed, runDir, host: os.hostname() };
  const resultFile = path.join(runDir, 'result.json');
  // A job whose run folder already holds its result is done (an earlier attempt finished but its report was lost).
  if (fs.existsSync(resultFile)) {
    const prev = JSON.parse(fs.readFileSync(resultFile, 'utf8')) as JobResult;
    if (prev.id === job.id && prev.status === 'done') return prev;
  }
  const { initEngine } = await import('../backend/engine.ts');
  const backend = await initEngine((req.backend ?? 'auto') as never, { threads: req.threads, quiet: true });
  const { trainRun, TrainingDivergedError } = await import('../train/run.ts');
  const { findCheckpoint } = await import('../train/checkpoint.ts');
  const { validateConfig } = await import('../families/config.ts');
  const { runEvaluator } = await import('../metrics/run_eval.ts');
  const { writeFileAtomic } = await import('../core/fs_safe.ts');
  const config = validateConfig(job.config, `job ${job.id}`);
  const resume = () => !!findCheckpoint(path.join(runDir, 'checkpoints', 'latest'));
  let lastSent = 0;
  const progress = {
    start: () => undefined,
    stop: () => undefined,
    update: (step: number) => {
      const now = Date.now();
      if (now - lastSent < 1000 && step < config.train.steps) return;
      lastSent = now;
      void send({ type: 'progress', step, total: config.train.steps });
    },
  };
  let result: JobResult;
  try {
    await (await import('../metrics/content_net.ts')).loadContentNetworks(config);
    const res = await trainWhenUnlocked(() => trainRun({ config, preset: job.base, outDir: runDir, resume: resume(), progress, backend, evaluator: runEvaluator(config), handleSignals: true }));
    const metrics = numericMetrics(res.finalEval);
    if (job.metrics.length) {
      const { evaluateRun } = await import('../metrics/run_eval.ts');
      const extra = await evaluateRun(runDir, { metrics: job.metrics, n: job.evalN, seed: 0, ref: 'test' });
      Object.assign(metrics, numericMetrics(extra));
      delete metrics.step;
    }
    result = { ...base, status: 'done', metrics, step: res.status.step };
  } catch (e) {
    // A diverged run diverges again from the same seed: a result, not something to retry.
    if (!(e instanceof TrainingDivergedError)) throw e;
    result = { ...base, status: 'failed', metrics: {}, error: (e as Error).message };
  }
  result.wallSeconds = Math.round((performance.now() - started) / 100) / 10;
  result.finishedAt = new Date().toISOString();
  writeFileAtomic(resultFile, JSON.stringify(result, null, 2) + '\n');
  return result;
}

process.on('disconnect', () => {
  // The parent is gone: stop as Ctrl-C would (trainRun saves a checkpoint at the current step).
  if (!finished) process.kill(process.pid, 'SIGTERM');
});

process.once('message', (req: JobRequest) => {
  runJob(req).then(
    async (result) => {
      finished = true;
      await send({ type: 'result', result });
      process.exit(0);
    },
    async (e: Error) => {
      finished = true;
      process.stderr.write(`${e.stack ?? e.message}\n`);
      await send({ type: 'error', name: e.name, message: e.message });
      process.exit(1);
    },
  );
});
