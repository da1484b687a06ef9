/**
 * A sweep's results folder (default runs/sweeps/<name>): the sweep file as given, `sweep.json` (live
 * state: jobs, counts, running), `results.jsonl` (one line per finished job; a re-run skips the ids done
 * there), the local pool's run folders under `runs/`, and at the end the report (report.json, .csv, .md,
 * plots/<metric>.png).
 */
import fs from 'node:fs';
import path from 'node:path';
import { appendFileChecked, writeFileAtomic } from '../core/fs_safe.ts';
import { acquireRunLock } from '../train/run_lock.ts';
import { defaultWorkers, runLocalPool, runOnRedis, type SweepEvents } from './executors.ts';
import { boxPlotSvg, latestResults, reportCsv, reportMarkdown, summarize, varyingMetrics, type JobResult, type SweepReport, type SweepState } from './report.ts';

export type { SweepState };
import { loadSweep, type SweepJob } from './sweep_config.ts';

export interface RunSweepOptions {
  out?: string;
  workers?: number;
  redis?: string;
  /** BullMQ queue name with `redis` (default gantry-sweep). */
  queue?: string;
  threads?: number;
  backend?: string;
  log?: (line: string) => void;
  signal?: AbortSignal;
  /** Poll interval for the Redis executor (tests shorten it). */
  pollMs?: number;
}

/** results.jsonl, skipping a torn last line (a driver killed mid-append). */
export function readResults(file: string): JobResult[] {
  if (!fs.existsSync(file)) return [];
  const out: JobResult[] = [];
  for (const line of fs.readFileSync(file, 'utf8').split('\n')) {
    if (!line.trim()) continue;
    try {
      out.push(JSON.parse(line) as JobResult);
    } catch {
      // torn line: its job simply runs again
    }
  }
  return out;
}

/** Writes report.json, report.csv, report.md and plots/<metric>.png into `dir`; returns the report. */
export async function writeReport(dir: string, results: JobResult[], sweep?: string): Promise<{ report: SweepReport; files: string[] }> {
  const report = summarize(results, sweep);
  const files: string[] = [];
  const put = (name: string, data: string | Buffer) => {
    const file = path.join(dir, name);
    writeFileAtomic(file, data);
    files.push(file);
  };
  put('report.json', JSON.stringify(report, null, 2) + '\n');
  put('report.csv', reportCsv(report));
  put('report.md', reportMarkdown(report));
  const metrics = varyingMetrics(report);
  if (metrics.length) {
    const { svgToPng } = await import('./plot_png.ts');
    fs.mkdirSync(path.join(dir, 'plots'), { recursive: true });
    for (const m of metrics) put(path.join('plots', `${m}.png`), await svgToPng(boxPlotSvg(report, m), 2));
  }
  return { report, files };
}

function formatEta(s: number | null): string {
  if (s === null) return '–';
  const m = Math.floor(s / 60);
  return m ? `${m}m${String(Math.round(s % 60)).padStart(2, '0')}s` : `${Math.round(s)}s`;
}

export async function runSweep(file: string, opts: RunSweepOptions = {}): Promise<{ out: string; report: SweepReport; results: JobResult[]; state: SweepState }> {
  const sweep = loadSweep(file);
  const log = opts.log ?? ((l: string) => process.stderr.write(`gantry sweep: ${l}\n`));
  const out = path.resolve(opts.out ?? (sweep.spec.out ? path.resolve(sweep.dir, sweep.spec.out) : path.join('runs', 'sweeps', sweep.name)));
  const lock = acquireRunLock(out);
  try {
    fs.copyFileSync(path.resolve(file), path.join(out, 'sweep.yaml'));
    const resultsFile = path.join(out, 'results.jsonl');
    const prior = latestResults(readResults(resultsFile)).filter((r) => r.status === 'done');
    const wanted = new Set(sweep.jobs.map((j) => j.id));
    const results = new Map<string, JobResult>(prior.filter((r) => wanted.has(r.id)).map((r) => [r.id, r]));
    const pending = sweep.jobs.filter((j) => !results.has(j.id));
    const workers = opts.workers ?? defaultWorkers();
    const state: SweepState = {
      name: sweep.name,
      file: path.resolve(file),
      base: sweep.spec.base,
      executor: opts.redis ? 'redis' : 'local',
      workers,
      state: 'running',
      startedAt: new Date().toISOString(),
      updatedAt: new Date().toISOString(),
      jobs: sweep.jobs.map((j) => ({ id: j.id, label: j.label, seed: j.seed })),
      done: results.size,
      failed: 0,
      running: [],
      etaSeconds: null,
    };
    const stateFile = path.join(out, 'sweep.json');
    const t0 = Date.now();
    let finishedNow = 0;
    const save = () => {
      state.updatedAt = new Date().toISOString();
      const left = sweep.jobs.length - state.done - state.failed;
      state.etaSeconds = finishedNow ? ((Date.now() - t0) / 1000 / finishedNow) * left : null;
      writeFileAtomic(stateFile, JSON.stringify(state, null, 2) + '\n');
    };
    const line = () => `${state.done}/${sweep.jobs.length} done, ${state.running.length} running, ${state.failed} failed · ETA ${formatEta(state.etaSeconds)}`;
    if (results.size) log(`${results.size} of ${sweep.jobs.length} jobs already done in ${resultsFile}: skipped`);
    log(`${pending.length} job(s) to run ${opts.redis ? `on BullMQ at ${opts.redis}` : `on ${Math.min(workers, Math.max(1, pending.length))} local worker(s)`} → ${out}`);
    save();
    const events: SweepEvents = {
      started(job: SweepJob, attempt: number) {
        state.running = state.running.filter((r) => r.id !== job.id);
        state.running.push({ id: job.id, step: 0, total: job.config.train.steps, attempt });
        save();
        if (attempt > 1) log(`${job.id} (${job.label}, seed ${job.seed}): attempt ${attempt}`);
      },
      progress(job: SweepJob, step: number, total: number) {
        const r = state.running.find((x) => x.id === job.id);
        if (r) {
          r.step = step;
          r.total = total;
        }
      },
      finished(result: JobResult) {
        if (!wanted.has(result.id)) return;
        state.running = state.running.filter((r) => r.id !== result.id);
        appendFileChecked(resultsFile, JSON.stringify(result) + '\n');
        results.set(result.id, result);
        // The pace counts only jobs that finished while this driver ran (not ones found done in the queue).
        if (!result.finishedAt || Date.parse(result.finishedAt) >= t0) finishedNow++;
        if (result.status === 'done') state.done++;
        else state.failed++;
        save();
        log(`${result.id} (${result.label}, seed ${result.seed}) ${result.status}${result.error ? `: ${result.error.split('\n')[0]}` : ''} — ${line()}`);
      },
    };
    // A progress line every 30 s while jobs run (the finish lines alone can be far apart).
    const ticker = setInterval(() => {
      const steps = state.running.map((r) => `${r.id.split('.').pop()} ${r.step}/${r.total}`).join(', ');
      save();
      log(`${line()}${steps ? ` (${steps})` : ''}`);
    }, 30_000);
    ticker.unref();
    try {
      if (pending.length) {
        if (opts.redis) {
          await runOnRedis(pending, { url: opts.redis, queue: opts.queue, pollMs: opts.pollMs, signal: opts.signal, onWorkers: (n) => (state.workers = n) }, events);
        } else {
          await runLocalPool(pending, { workers, runDir: (j) => path.join(out, 'runs', j.id), threads: opts.threads, backend: opts.backend, signal: opts.signal }, events);
        }
      }
      state.state = opts.signal?.aborted ? 'interrupted' : 'done';
    } catch (e) {
      state.state = 'failed';
      state.error = (e as Error).message;
      throw e;
    } finally {
      clearInterval(ticker);
      state.running = [];
      save();
    }
    const ordered = sweep.jobs.map((j) => results.get(j.id)).filter((r): r is JobResult => !!r);
    const { report } = await writeReport(out, ordered, sweep.name);
    return { out, report, results: ordered, state };
  } finally {
    lock.release();
  }
}
