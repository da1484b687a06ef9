/**
 * The shapes of what a run folder holds that other layers read (the studio server, the browser): the
 * status record and the exported generator's model.json. No Node imports, so the web app shares them.
 * Layout and fields: docs/RUN_FORMAT.md.
 */
import type * as tf from '@tensorflow/tfjs-core';
import type { SamplerInput } from '../families/family.ts';
import type { GraphSpec } from '../models/network.ts';

export type { SamplerInput };

/** `status.json`, written atomically and last-good-first by train/run.ts. */
export interface RunStatus {
  name: string;
  preset: string;
  state: 'running' | 'done' | 'failed' | 'interrupted';
  step: number;
  totalSteps: number;
  startedAt: string;
  updatedAt: string;
  dataset: string;
  conditional: boolean;
  numClasses: number;
  backend?: string;
  error?: string;
}

export const EXPORT_FORMAT = 'gantry-generator/2';
/** The single-latent sequential format written before families existed; loaders still read it. */
export const EXPORT_FORMAT_V1 = 'gantry-generator/1';

/** The folder a two-way translator's reverse generator is exported to, inside `export/`. */
export const REVERSE_EXPORT_DIR = 'reverse';
/** What `ExportedModel.reverse` may be: one sub-folder name and a '/' (never a path that leaves `export/`). */
export const REVERSE_DIR_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_-]{0,63}\/$/;

/** `export/model.json`: the sampler graph, how to fill its inputs, and the weights manifest. */
export interface ExportedModel {
  format: string;
  family?: string;
  network: GraphSpec;
  inputs: Record<string, SamplerInput>;
  output: string;
  /** Size of the latent input (0 when the graph takes none). */
  latentDim: number;
  numClasses: number;
  /** Pseudo-classes (k-means clusters, data.clusters): each one's share of the data, to draw labels by. */
  classShares?: number[];
  /** Shape of one output sample. */
  dataShape: number[];
  range: [number, number];
  dataset?: string;
  preset?: string;
  step?: number;
  ema?: boolean;
  /**
   * Two-way translation (CycleGAN): the folder, relative to this model.json's and ending with '/', of the
   * reverse generator (B → A) exported in this same format (`reverse/`). Absent for one-way models.
   */
  reverse?: string;
  /** Weights by network-relative name (`G/…`); image inputs' example values as `examples/<input>`. */
  weightsManifest: tf.io.WeightsManifestConfig;
}
