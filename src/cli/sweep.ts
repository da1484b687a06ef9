/** `gantry sweep`, `gantry worker` and `gantry sweep-report`: thin wrappers over src/sweep/. */
import fs from 'node:fs';
import path from 'node:path';

/** Ctrl-C / SIGTERM once: stop cleanly (jobs checkpoint); twice: exit at once. */
function onStopSignals(stop: () => void): () => void {
  let count = 0;
  const handler = (sig: NodeJS.Signals) => {
    count++;
    if (count > 1) process.exit(sig === 'SIGINT' ? 130 : 143);
    process.stderr.write(`gantry: ${sig}: stopping; running jobs save a checkpoint (again to exit at once)\n`);
    stop();
  };
  process.on('SIGINT', handler);
  process.on('SIGTERM', handler);
  return () => {
    process.off('SIGINT', handler);
    process.off('SIGTERM', handler);
  };
}

export async function sweepCommand(file: string, o: { out?: string; workers?: number; redis?: string; queue?: string; threads?: number; backend?: string }): Promise<Record<string, unknown>> {
  const { runSweep } = await import('../sweep/sweep.ts');
  const { reportMarkdown } = await import('../sweep/report.ts');
  const ac = new AbortController();
  const off = onStopSignals(() => ac.abort());
  try {
    const res = await runSweep(file, { out: o.out, workers: o.workers, redis: o.redis, queue: o.queue, threads: o.threads, backend: o.backend === 'auto' ? undefined : o.backend, signal: ac.signal });
    process.stderr.write(`\n${reportMarkdown(res.report)}\n`);
    if (res.state.state === 'interrupted') process.stderr.write(`gantry: sweep interrupted; run the same command again to continue (finished jobs are skipped)\n`);
    return { sweep: res.report.sweep, out: res.out, state: res.state.state, jobs: res.report.jobs, done: res.report.done, failed: res.report.failed, report: path.join(res.out, 'report.md') };
  } finally {
    off();
  }
}

export async function workerCommand(o: { redis: string; queue?: string; concurrency: number; runs: string; threads?: number; backend?: string; lockMs?: number }): Promise<void> {
  const { startWorker } = await import('../sweep/executors.ts');
  const w = await startWorker({ url: o.redis, queue: o.queue, concurrency: o.concurrency, runsDir: path.resolve(o.runs), threads: o.threads, backend: o.backend === 'auto' ? undefined : o.backend, lockMs: o.lockMs });
  const off = onStopSignals(() => void w.close());
  try {
    await w.closed;
  } finally {
    off();
  }
}

/** RESULTS is a sweep folder or its results.jsonl; the report goes beside it (or to --out). */
export async function sweepReportCommand(results: string, o: { out?: string }): Promise<string> {
  const { readResults, writeReport } = await import('../sweep/sweep.ts');
  const { reportMarkdown } = await import('../sweep/report.ts');
  const abs = path.resolve(results);
  if (!fs.existsSync(abs)) throw new Error(`sweep-report: ${abs} does not exist`);
  const file = fs.statSync(abs).isDirectory() ? path.join(abs, 'results.jsonl') : abs;
  if (!fs.existsSync(file)) throw new Error(`sweep-report: no results.jsonl in ${abs}`);
  const rows = readResults(file);
  if (!rows.length) throw new Error(`sweep-report: ${file} holds no results yet`);
  const out = path.resolve(o.out ?? path.dirname(file));
  fs.mkdirSync(out, { recursive: true });
  const { report, files } = await writeReport(out, rows);
  process.stderr.write(`gantry: wrote ${files.map((f) => path.relative(process.cwd(), f)).join(', ')}\n`);
  return reportMarkdown(report);
}
