/**
 * The family contract. A model family (GAN, VAE, classifier, CycleGAN, …) builds its networks, declares
 * its optimizer groups, EMA copies and training phases, and owns any extra state (image pools, growth
 * phase, running averages); the generic trainer (src/train/trainer.ts) runs the phases, updates the
 * optimizers and EMA copies, and checkpoints everything the family declares. A family never writes a
 * training loop, and the trainer never names a family's networks.
 */
import type * as tf from '@tensorflow/tfjs-core';
import type { z } from 'zod';
import type { OptimizerConfig } from '../core/config_schema.ts';
import type { Rng } from '../core/rng.ts';
import type { Batch, DataSource } from '../data/dataset.ts';
import type { TokenizerJSON } from '../data/tokenizer.ts';
import type { Network, NetworkSpec } from '../models/network.ts';
import type { ApplyOptions } from '../models/layer_api.ts';

export type Scalars = Record<string, tf.Scalar>;

/** What one phase's loss function returns: the total to minimize and its named parts (for the log). */
export interface LossTerms {
  total: tf.Scalar;
  parts?: Scalars;
}

/** What a phase sees while it runs. */
export interface StepContext {
  /** Completed training iterations before this one (0-based). */
  readonly step: number;
  readonly batchSize: number;
  /** The next real batch from the data stream. */
  nextBatch(n?: number): Batch;
  /** Options for network calls in this phase: training mode and the checkpointed noise stream. */
  readonly applyOptions: ApplyOptions;
}

/**
 * One training phase: which optimizer group it updates, how often, and its loss. A step runs every due
 * phase in declaration order; `repeat` runs a phase k times per step (k D-steps per G-step), `every`
 * runs it on steps where step % every === 0 (lazy regularization: scale the loss by `every` yourself, as
 * stylegan2-ada's gain does), `from`/`until` bound it to a stretch of the run (pre-training phases).
 */
export interface Phase<P = unknown> {
  readonly name: string;
  /** Optimizer group whose variables this phase differentiates and updates. */
  readonly group: string;
  readonly repeat?: number;
  readonly every?: number;
  /** First step (inclusive) and last step (exclusive) the phase runs on. */
  readonly from?: number;
  readonly until?: number;
  /** The log key of the phase's total loss (default `${name}_loss`). */
  readonly reportAs?: string;
  /** Work outside the gradient tape: real batches, forward passes of networks this phase does not train. */
  prepare?(ctx: StepContext): P;
  /** The loss, computed inside the gradient tape over the group's trainable variables. */
  loss(ctx: StepContext, prepared: P): LossTerms;
  /** After the update (weight clipping, pool updates). */
  after?(ctx: StepContext, prepared: P): void;
}

export interface OptimizerGroup {
  readonly name: string;
  /** Networks whose trainable variables this group updates. */
  readonly networks: string[];
  readonly optimizer: OptimizerConfig;
}

/** An exponential-moving-average copy: target ← decay·target + (1 − decay)·source after each run of `after`. */
export interface EmaCopy {
  readonly target: string;
  readonly source: string;
  readonly decay: number;
  /** Phase after which the copy is updated. */
  readonly after: string;
}

/** How the exported sampler's inputs are filled in (by `gantry sample`, the studio, the browser entry). */
export type SamplerInput =
  | { kind: 'latent'; shape: number[] }
  | { kind: 'label'; numClasses: number }
  | { kind: 'image'; shape: number[] }
  /** Token ids [maxLength] of a caption, encoded with this tokenizer (text-to-image). */
  | { kind: 'text'; tokenizer: TokenizerJSON };

/** The network that makes samples (EMA copy when there is one) and how to feed it. */
export interface SamplerSpec {
  network: string;
  inputs: Record<string, SamplerInput>;
  /** Output name of the network that holds the samples (default: its primary output). */
  output?: string;
  /** Two-way translation (CycleGAN's G_BA): the opposite direction's sampler, exported beside this one. */
  reverse?: Omit<SamplerSpec, 'reverse'>;
}

export interface SampleOptions {
  labels?: Int32Array;
  inputs?: Record<string, Float32Array>;
  /** Inputs for `sampler.reverse` (the other domain's images) instead of the sampler's. */
  reverse?: boolean;
}

/** Extra state a family keeps besides networks and optimizers (JSON + named tensors). */
export interface FamilyState {
  json?: unknown;
  tensors?: Record<string, tf.Tensor>;
}

export interface FamilyBuildContext<C> {
  /** The whole validated run config (its `model` is this family's). */
  readonly config: C;
  readonly data: DataSource;
  /** Seeded stream for initial weights. */
  readonly initRng: Rng;
  /** A seeded, checkpointed stream for the family's own draws (latents, labels, pools). */
  stream(name: string): Rng;
  /**
   * A network whose variables live in this trainer's scope, initialized from `initRng` or from the given
   * stream (a family may give each network its own, so one network's size never shifts another's init).
   */
  network(name: string, spec: NetworkSpec, rng?: Rng): Network;
  /** The family's saved state when resuming (read before networks are built), else undefined. */
  readonly saved?: FamilyState;
}

export interface FamilyInstance {
  readonly networks: Record<string, Network>;
  readonly groups: OptimizerGroup[];
  readonly ema?: EmaCopy[];
  readonly phases: Phase<never>[];
  /** The network samples, grids and exports come from; none for families that do not generate (classifiers). */
  readonly sampler?: SamplerSpec;
  /** Classes the sampler is conditioned on (0 when unconditional). */
  readonly numClasses: number;
  /**
   * The sampler's inputs for n samples: latents from `rng`, the given labels or random ones, the given
   * images (`inputs`, by input name, [n, ...shape] row-major) or the family's own preview images.
   */
  sampleInputs(n: number, rng: Rng, opts?: SampleOptions): Record<string, tf.Tensor>;
  getState?(): FamilyState;
  setState?(state: FamilyState): void;
  dispose?(): void;
}

export interface FamilyDefinition<S extends z.ZodType = z.ZodType> {
  readonly name: string;
  readonly description: string;
  /** Schema of the config's `model` section (with `family: <name>`). */
  readonly modelSchema: S;
  build(ctx: FamilyBuildContext<{ model: z.infer<S> } & Record<string, unknown>>): FamilyInstance;
}

const FAMILIES = new Map<string, FamilyDefinition>();

/** Adds a family (also from user code); its name must be new. */
export function registerFamily<S extends z.ZodType>(def: FamilyDefinition<S>): void {
  if (FAMILIES.has(def.name)) throw new Error(`family '${def.name}' is already registered`);
  FAMILIES.set(def.name, def as unknown as FamilyDefinition);
}

/** Defines and registers a family whose build reads its validated `model` section and the build context. */
export function defineFamily<S extends z.ZodType>(
  name: string,
  description: string,
  modelSchema: S,
  build: (model: z.infer<S>, ctx: FamilyBuildContext<{ seed: number } & Record<string, unknown>>) => FamilyInstance,
): FamilyDefinition<S> {
  const def: FamilyDefinition<S> = { name, description, modelSchema, build: (ctx) => build(ctx.config.model, ctx as never) };
  registerFamily(def);
  return def;
}

export function getFamily(name: string): FamilyDefinition {
  const def = FAMILIES.get(name);
  if (!def) throw new Error(`unknown model family '${name}'; known: ${familyNames().join(', ')}`);
  return def;
}

export function familyNames(): string[] {
  return [...FAMILIES.keys()].sort();
}
