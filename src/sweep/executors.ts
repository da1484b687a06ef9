/**
 * Where sweep jobs run: a local pool of job processes (the default), or BullMQ on Redis — the sweep
 * enqueues, any number of `gantry worker`s on any machines train. Both hand each job to runJobProcess.
 */
import os from 'node:os';
import path from 'node:path';
import { runJobProcess } from './job_runner.ts';
import type { JobResult } from './report.ts';
import type { SweepJob } from './sweep_config.ts';

/** What an executor tells the sweep while it works. */
export interface SweepEvents {
  started(job: SweepJob, attempt: number): void;
  progress(job: SweepJob, step: number, total: number): void;
  finished(result: JobResult): void;
}

export const QUEUE_NAME = 'gantry-sweep';

/** A job's run folder below a runs root: `<runs>/sweeps/<sweep>/runs/<job id>` (the local pool's layout too). */
export function jobRunDir(runsRoot: string, job: SweepJob): string {
  return path.join(runsRoot, 'sweeps', job.sweep, 'runs', job.id);
}

/** The default pool size: one job per 2 cores, so each trains on 2 threads. */
export function defaultWorkers(): number {
  return Math.max(1, Math.floor(os.availableParallelism() / 2));
}

function failedResult(job: SweepJob, error: string, attempts: number): JobResult {
  return { id: job.id, sweep: job.sweep, label: job.label, configHash: job.configHash, seed: job.seed, status: 'failed', metrics: {}, error, attempts, finishedAt: new Date().toISOString() };
}

/**
 * Runs jobs on `workers` local processes at a time, in order. A job that crashes is tried again up to
 * its `retries` (resuming from its checkpoint); `signal` stops the pool (running jobs checkpoint).
 */
export async function runLocalPool(
  jobs: SweepJob[],
  opts: { workers: number; runDir: (job: SweepJob) => string; threads?: number; backend?: string; signal?: AbortSignal },
  events: SweepEvents,
): Promise<void> {
  const threads = opts.threads ?? Math.max(1, Math.floor(os.availableParallelism() / opts.workers));
  let next = 0;
  const slot = async () => {
    while (next < jobs.length && !opts.signal?.aborted) {
      const job = jobs[next++]!;
      for (let attempt = 1; ; attempt++) {
        events.started(job, attempt);
        try {
          const result = await runJobProcess(
            { job, runDir: opts.runDir(job), threads, backend: opts.backend },
            { onProgress: (s, t) => events.progress(job, s, t), signal: opts.signal },
          );
          events.finished({ ...result, attempts: attempt });
          break;
        } catch (e) {
          if (opts.signal?.aborted) return;
          if (attempt > job.retries) {
            events.finished(failedResult(job, (e as Error).message, attempt));
            break;
          }
        }
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(opts.workers, jobs.length) }, slot));
}

/** An ioredis connection from a redis:// URL; BullMQ's blocking commands need maxRetriesPerRequest null. */
export async function redisConnection(url: string) {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new Error(`--redis ${url}: not a URL; expected redis://host:port`);
  }
  if (parsed.protocol !== 'redis:' && parsed.protocol !== 'rediss:') throw new Error(`--redis ${url}: expected a redis:// or rediss:// URL`);
  const { Redis } = await import('ioredis');
  const conn = new Redis(url, { maxRetriesPerRequest: null, lazyConnect: true, connectTimeout: 5000, retryStrategy: (n) => (n > 20 ? null : Math.min(1000, 100 * n)) });
  try {
    await conn.connect();
  } catch (e) {
    conn.disconnect();
    throw new Error(`cannot reach Redis at ${url}: ${(e as Error).message}`, { cause: e });
  }
  return conn;
}

interface QueuedJobData {
  job: SweepJob;
}

/**
 * Enqueues jobs on BullMQ (job id = sweep job id, so a job already queued or finished is not added
 * again; a failed one is retried) and waits until every one is completed or failed for good.
 */
export async function runOnRedis(jobs: SweepJob[], opts: { url: string; queue?: string; pollMs?: number; signal?: AbortSignal; onWorkers?: (n: number) => void }, events: SweepEvents): Promise<void> {
  const { Queue } = await import('bullmq');
  const connection = await redisConnection(opts.url);
  const queue = new Queue<QueuedJobData, JobResult>(opts.queue ?? QUEUE_NAME, { connection });
  try {
    const pending = new Map<string, SweepJob>();
    for (const job of jobs) {
      const existing = await queue.getJob(job.id);
      const state = existing ? await existing.getState() : null;
      if (existing && state === 'completed' && existing.returnvalue) {
        events.finished({ ...existing.returnvalue, attempts: existing.attemptsStarted });
        continue;
      }
      if (existing && state === 'failed') await existing.retry('failed');
      else if (!existing || state === 'unknown') {
        await queue.add('train', { job }, { jobId: job.id, attempts: job.retries + 1, backoff: { type: 'fixed', delay: 2000 }, removeOnComplete: false, removeOnFail: false });
      }
      pending.set(job.id, job);
    }
    const seenActive = new Map<string, number>();
    while (pending.size && !opts.signal?.aborted) {
      await new Promise((r) => setTimeout(r, opts.pollMs ?? 1000));
      opts.onWorkers?.(await queue.getWorkersCount());
      for (const [id, job] of pending) {
        const q = await queue.getJob(id);
        if (!q) {
          events.finished(failedResult(job, 'the job vanished from the queue (was it removed or the queue obliterated?)', 0));
          pending.delete(id);
          continue;
        }
        const state = await q.getState();
        if (state === 'completed') {
          // The job may have completed between reading it and reading its state: then its return value
          // is not in `q` yet, and the next poll reads it.
          if (!q.returnvalue || q.returnvalue.id !== id) continue;
          events.finished({ ...q.returnvalue, attempts: q.attemptsStarted });
          pending.delete(id);
        } else if (state === 'failed') {
          events.finished(failedResult(job, q.failedReason || 'failed', q.attemptsStarted));
          pending.delete(id);
        } else if (state === 'active') {
          if (seenActive.get(id) !== q.attemptsStarted) {
            seenActive.set(id, q.attemptsStarted);
            events.started(job, q.attemptsStarted);
          }
          const p = q.progress as { step?: number; total?: number } | number;
          if (typeof p === 'object' && p && typeof p.step === 'number') events.progress(job, p.step, p.total ?? job.config.train.steps);
        }
      }
    }
  } finally {
    await queue.close();
    connection.disconnect();
  }
}

export interface WorkerOptions {
  url: string;
  /** BullMQ queue name (default gantry-sweep): separate queues keep separate groups of workers apart. */
  queue?: string;
  concurrency: number;
  /** Runs root: a job trains in `<runs>/sweeps/<sweep>/runs/<id>`; share it between machines to resume there. */
  runsDir: string;
  threads?: number;
  backend?: string;
  /**
   * How long a job's lock lasts without renewal. The worker renews it every half of this (the heartbeat);
   * a dead worker's job is taken back ("stalled") within about twice this and retried.
   */
  lockMs?: number;
  /** Times a job may stall (its worker died) before it fails for good. */
  maxStalled?: number;
  log?: (line: string) => void;
}

/** Starts a BullMQ worker that trains sweep jobs; `close()` interrupts running jobs (they checkpoint) and stops. */
export async function startWorker(opts: WorkerOptions): Promise<{ close(): Promise<void>; closed: Promise<void> }> {
  const { Worker } = await import('bullmq');
  const connection = await redisConnection(opts.url);
  const log = opts.log ?? ((l: string) => process.stderr.write(`gantry worker: ${l}\n`));
  const stop = new AbortController();
  const lockMs = opts.lockMs ?? 30_000;
  const threads = opts.threads ?? Math.max(1, Math.floor(os.availableParallelism() / opts.concurrency));
  const queueName = opts.queue ?? QUEUE_NAME;
  const worker = new Worker<QueuedJobData, JobResult>(
    queueName,
    async (qjob) => {
      const job = qjob.data.job;
      const runDir = jobRunDir(opts.runsDir, job);
      log(`${job.id} (${job.label}, seed ${job.seed}) started, attempt ${qjob.attemptsStarted} → ${runDir}`);
      const result = await runJobProcess(
        { job, runDir, threads, backend: opts.backend },
        { onProgress: (step, total) => void qjob.updateProgress({ step, total }).catch(() => undefined), signal: stop.signal },
      );
      log(`${job.id} ${result.status}${result.error ? `: ${result.error}` : ''}`);
      return result;
    },
    { connection, concurrency: opts.concurrency, lockDuration: lockMs, stalledInterval: lockMs, maxStalledCount: opts.maxStalled ?? 3, autorun: true },
  );
  worker.on('failed', (j, e) => log(`${j?.id ?? '?'} failed (attempt ${j?.attemptsStarted ?? '?'}): ${e.message}`));
  worker.on('error', (e) => log(`error: ${e.message}`));
  let closing: Promise<void> | null = null;
  let resolveClosed!: () => void;
  const closed = new Promise<void>((r) => (resolveClosed = r));
  const close = () => {
    closing ??= (async () => {
      stop.abort();
      await worker.close();
      connection.disconnect();
      resolveClosed();
    })();
    return closing;
  };
  await worker.waitUntilReady();
  log(`waiting for jobs on ${opts.url} (queue ${queueName}, concurrency ${opts.concurrency}, ${threads} thread(s) each, runs in ${opts.runsDir})`);
  return { close, closed };
}
