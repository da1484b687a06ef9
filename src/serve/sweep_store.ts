/**
 * Sweeps for the studio: the folders under `<runs>/sweeps/` that hold a `sweep.json` (see
 * src/sweep/sweep.ts). Each read goes through a RunStore rooted there, so the same name checks and
 * symlink refusals apply; the report is computed from `results.jsonl` on every request, so the page is
 * live while the sweep runs.
 */
import path from 'node:path';
import { boxPlotSvg, summarize, varyingMetrics, type JobResult } from '../sweep/report.ts';
import type { SweepDetail, SweepSummary } from './api_types.ts';
import { HttpError, MAX_METRICS_BYTES, openRegular, readSmallFile, RunStore, withTimeout, FILE_READ_TIMEOUT_MS } from './run_store.ts';

async function readResultsText(file: string): Promise<string> {
  const opened = await openRegular(file);
  if ('error' in opened) {
    if (opened.missing) return '';
    throw new HttpError(500, opened.error);
  }
  const { handle, size } = opened;
  try {
    const buf = Buffer.alloc(Math.min(size, MAX_METRICS_BYTES));
    const { bytesRead } = await withTimeout(handle.read(buf, 0, buf.length, 0), FILE_READ_TIMEOUT_MS, 'results.jsonl');
    return buf.subarray(0, bytesRead).toString('utf8');
  } finally {
    await handle.close();
  }
}

function parseResults(text: string): JobResult[] {
  const out: JobResult[] = [];
  for (const line of text.split('\n')) {
    if (!line.trim()) continue;
    try {
      const v = JSON.parse(line) as JobResult;
      if (v && typeof v === 'object' && typeof v.id === 'string' && typeof v.configHash === 'string') out.push(v);
    } catch {
      // a line being written
    }
  }
  return out;
}

export class SweepStore {
  private readonly store: RunStore;

  constructor(runsDir: string) {
    this.store = new RunStore(path.join(runsDir, 'sweeps'));
  }

  private async state(name: string): Promise<SweepSummary & { missing?: true }> {
    const dir = await this.store.resolve(name);
    const r = await readSmallFile(path.join(dir, 'sweep.json'));
    if ('error' in r) return { name, status: null, statusError: r.error, ...(r.missing ? { missing: true as const } : {}) };
    try {
      return { name, status: JSON.parse(r.text) as SweepSummary['status'] };
    } catch (e) {
      return { name, status: null, statusError: `sweep.json: ${(e as Error).message}` };
    }
  }

  async list(): Promise<SweepSummary[]> {
    const names = await this.store.listRunNames();
    const all = await Promise.all(names.map((n) => this.state(n).catch((e: Error): SweepSummary & { missing?: true } => ({ name: n, status: null, statusError: e.message }))));
    // Folders without a sweep.json are not sweeps.
    return all.filter((s) => !s.missing).map(({ missing: _, ...s }) => s).sort((a, b) => (b.status?.updatedAt ?? '').localeCompare(a.status?.updatedAt ?? ''));
  }

  async detail(name: string): Promise<SweepDetail> {
    const { missing, ...summary } = await this.state(name);
    if (missing) throw new HttpError(404, `no such sweep: ${name}`);
    const report = summarize(parseResults(await readResultsText(await this.resultsFile(name))), name);
    return { ...summary, report, plots: varyingMetrics(report) };
  }

  async plot(name: string, metric: string): Promise<string> {
    const { report, plots } = await this.detail(name);
    if (!plots.includes(metric)) throw new HttpError(404, `sweep ${name} has no plot of '${metric}'`);
    return boxPlotSvg(report, metric);
  }

  private async resultsFile(name: string): Promise<string> {
    return path.join(await this.store.resolve(name), 'results.jsonl');
  }
}
