/** Types and calls for the studio's JSON API (src/serve/server.ts). */

export interface RunStatus {
  name?: string;
  preset?: string;
  state?: string;
  step?: number;
  totalSteps?: number;
  startedAt?: string;
  updatedAt?: string;
  error?: string;
  dataset?: string;
  conditional?: boolean;
  numClasses?: number;
}

export type MetricLine = Record<string, unknown> & { step?: number; kind?: string };

export interface RunSummary {
  name: string;
  status: RunStatus | null;
  statusError?: string;
  lastMetrics: MetricLine | null;
  lastEval: MetricLine | null;
  hasExport: boolean;
  latestSample: string | null;
}

export interface SampleEntry {
  file: string;
  step: number | null;
}

export interface RunDetail extends RunSummary {
  config: string | null;
  metrics: MetricLine[];
  metricsTotal: number;
  samples: SampleEntry[];
}

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
  exportUrl: (name: string, file: string) => `runs/${enc(name)}/export/${enc(file)}`,
};
