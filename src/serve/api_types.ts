/** The studio's JSON API types, shared by the server (Node) and the web app (browser): no Node imports. */

import type { RunStatus as WrittenRunStatus } from '../train/run_format.ts';

/** A run's status.json as read back: any field may be missing or odd (old or hand-edited folders). */
export type RunStatus = Partial<Omit<WrittenRunStatus, 'state'>> & { state?: WrittenRunStatus['state'] | string };

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

export type { SweepReport, SweepState } from '../sweep/report.ts';
import type { SweepReport, SweepState } from '../sweep/report.ts';

export interface SweepSummary {
  name: string;
  status: SweepState | null;
  statusError?: string;
}

export interface SweepDetail extends SweepSummary {
  report: SweepReport;
  /** Metrics with a box plot (those that vary). */
  plots: string[];
}
