/** The studio's JSON API types, shared by the server (Node) and the web app (browser): no Node imports. */

export interface RunStatus {
  name?: string;
  preset?: string;
  state?: 'running' | 'done' | 'failed' | string;
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
  /** Folder name, the run's id in URLs. */
  name: string;
  status: RunStatus | null;
  /** Why status.json could not be read, when it could not. */
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
  /** Metric lines in the file (before thinning). */
  metricsTotal: number;
  samples: SampleEntry[];
}
