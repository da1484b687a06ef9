/** Types and calls for the studio's JSON API (src/serve/server.ts). */

// The server's own types (type-only: nothing from the Node side is bundled).
export type { ImageBatch, MetricLine, RunDetail, RunStatus, RunSummary, SampleEntry, SweepDetail, SweepSummary, TestImages } from '../../src/serve/api_types.ts';
import type { RunDetail, RunSummary, SweepDetail, SweepSummary, TestImages } from '../../src/serve/api_types.ts';

async function getJson<T>(url: string): Promise<T> {
  const res = await fetch(url);
  const body = (await res.json().catch(() => null)) as { error?: string } | null;
  if (!res.ok) throw new Error(`${url}: ${res.status} ${body?.error ?? res.statusText}`);
  return body as T;
}

const enc = encodeURIComponent;

export const api = {
  runs: () => getJson<{ runsDir: string; runs: RunSummary[] }>('api/runs'),
  run: (name: string) => getJson<RunDetail>(`api/runs/${enc(name)}`),
  eventsUrl: (name: string, since: number) => `api/runs/${enc(name)}/events?since=${since}`,
  sampleUrl: (name: string, file: string) => `runs/${enc(name)}/samples/${enc(file)}`,
  /** The run's exported generator folder (ends with '/'), for LoadedGenerator.load. */
  exportBase: (name: string) => `runs/${enc(name)}/export/`,
  testImages: (name: string, n: number) => getJson<TestImages>(`api/runs/${enc(name)}/test-images?n=${n}`),
  sweeps: () => getJson<{ sweepsDir: string; sweeps: SweepSummary[] }>('api/sweeps'),
  sweep: (name: string) => getJson<SweepDetail>(`api/sweeps/${enc(name)}`),
  sweepPlotUrl: (name: string, metric: string) => `sweeps/${enc(name)}/plots/${enc(metric)}.svg`,
};
