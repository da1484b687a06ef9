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
  /** `model.family` of config.yaml (null when it cannot be read); the studio links pix2pix and cyclegan runs to Translate, inpaint runs to Inpaint. */
  family: string | null;
  metrics: MetricLine[];
  /** Metric lines in the file (before thinning). */
  metricsTotal: number;
  samples: SampleEntry[];
}

/** Images as bytes: count × shape, 0..255, base64-encoded. */
export interface ImageBatch {
  count: number;
  /** [height, width, channels] */
  shape: [number, number, number];
  pixels: string;
}

/** `GET /api/runs/:name/test-images?n=`: the first n images of a translation run's test split. */
export interface TestImages {
  family: 'pix2pix' | 'cyclegan' | 'inpaint';
  split: 'train' | 'test';
  /** pix2pix: `b[i]` is the ground-truth target of `a[i]`; CycleGAN: two independent domains. */
  paired: boolean;
  /** pix2pix: the inputs; CycleGAN: domain A (G_AB's inputs); inpaint: the whole images (b is the same batch). */
  a: ImageBatch;
  /** pix2pix: the targets; CycleGAN: domain B (the reverse generator's inputs). */
  b: ImageBatch;
  /** Set when the data has no test split and these come from the training split. */
  note?: string;
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
