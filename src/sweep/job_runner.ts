/**
 * Runs one sweep job in a child process (job_process.ts) and resolves with its result. Both executors —
 * the local pool and a BullMQ worker — go through here, so a job trains the same way wherever it runs.
 */
import { fork } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { JobResult } from './report.ts';
import type { SweepJob } from './sweep_config.ts';

export interface JobRequest {
  job: SweepJob;
  runDir: string;
  threads?: number;
  backend?: string;
}

export type JobMessage =
  | { type: 'progress'; step: number; total: number }
  | { type: 'result'; result: JobResult }
  | { type: 'error'; name: string; message: string };

/** The job process stopped without a result (a crash, a kill, an error); worth another attempt. */
export class JobCrashError extends Error {
  override name = 'JobCrashError';
}

const here = fileURLToPath(import.meta.url);
/** A checkout runs the TypeScript sources through tsx; an installed package runs dist/. */
const fromSource = here.endsWith('.ts');
const entry = path.join(path.dirname(here), fromSource ? 'job_process.ts' : 'job_process.js');

export interface RunJobOptions {
  onProgress?: (step: number, total: number) => void;
  /** Aborting sends SIGTERM: the job checkpoints and stops. */
  signal?: AbortSignal;
}

/** Trains and evaluates `req.job` in `req.runDir`; the child's stderr goes to `<runDir>/job.log`. */
export function runJobProcess(req: JobRequest, opts: RunJobOptions = {}): Promise<JobResult> {
  fs.mkdirSync(req.runDir, { recursive: true });
  const log = fs.createWriteStream(path.join(req.runDir, 'job.log'), { flags: 'a' });
  const execArgv = fromSource ? ['--import', import.meta.resolve('tsx')] : [];
  const child = fork(entry, [], { execArgv, stdio: ['ignore', 'ignore', 'pipe', 'ipc'], serialization: 'advanced' });
  let tail = '';
  child.stderr!.on('data', (d: Buffer) => {
    log.write(d);
    tail = (tail + d.toString()).slice(-2000);
  });
  return new Promise((resolve, reject) => {
    let result: JobResult | null = null;
    let error: { name: string; message: string } | null = null;
    const onAbort = () => child.kill('SIGTERM');
    opts.signal?.addEventListener('abort', onAbort, { once: true });
    child.on('message', (m: JobMessage) => {
      if (m.type === 'progress') opts.onProgress?.(m.step, m.total);
      else if (m.type === 'result') result = m.result;
      else error = { name: m.name, message: m.message };
    });
    child.on('error', (e) => {
      log.end();
      reject(new JobCrashError(`job ${req.job.id}: could not start its process: ${e.message}`));
    });
    child.on('exit', (code, sig) => {
      opts.signal?.removeEventListener('abort', onAbort);
      log.end();
      if (result) return resolve(result);
      const why = error ? `${error.name}: ${error.message}` : `exited with ${sig ?? `code ${code}`}${tail ? `; last output: ${tail.trim().split('\n').slice(-3).join(' | ')}` : ''}`;
      reject(new JobCrashError(`job ${req.job.id} failed: ${why} (log: ${path.join(req.runDir, 'job.log')})`));
    });
    child.send(req);
  });
}
