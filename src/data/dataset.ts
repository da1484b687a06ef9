/**
 * The data contract every trainer and metric reads through: a DataSource hands out seeded,
 * resumable batches of named fields; an ImageSet is a whole split held in memory as 8-bit pixels
 * (NHWC), turned into [-1, 1] floats only batch by batch (bytesToUnit) or on request (imageSetToUnit).
 */
import { Rng, type RngState } from '../core/rng.ts';
import type { Tokenizer } from './tokenizer.ts';

export interface Batch {
  /** The primary sample: [batch, ...shape] row-major; NHWC for images. Paired data: the target; unpaired: domain a. */
  x: Float32Array;
  /** [batch] class ids, when the source is labeled. */
  labels?: Int32Array;
  /** Paired data (pix2pix): the conditioning image, NHWC, aligned with `target`. */
  input?: Float32Array;
  /** Paired data: the image to produce from `input`, NHWC. */
  target?: Float32Array;
  /** Unpaired two-domain data (CycleGAN): samples of domain a and of domain b, drawn independently. */
  a?: Float32Array;
  b?: Float32Array;
  /** Captioned data: [batch, T] token ids, padded with 0 (see tokenizer.ts). */
  tokens?: Int32Array;
  /** Inpainting: [batch, H, W, 1], 1 where a pixel is missing. */
  mask?: Float32Array;
}

export type BatchField = keyof Batch;

/** One field of a source's batches: the shape of one sample (batch axis excluded; [] for a scalar) and its type. */
export interface FieldSpec {
  shape: number[];
  dtype: 'float32' | 'int32';
}

export interface DataSource {
  readonly name: string;
  /** Shape of one `x` sample: [2], [28, 28, 1], [32, 32, 3], ... */
  readonly shape: number[];
  /** Every field its batches carry (always `x`; `labels` when labeled). */
  readonly fields: Record<string, FieldSpec>;
  /** 0 when unlabeled. */
  readonly numClasses: number;
  /** Value range of samples: [-1, 1] for images, the plotting box for toy data. */
  readonly range: [number, number];
  /** Number of examples; Infinity for generated data. */
  readonly size: number;
  /** Pseudo-labeled sources (`clusters`): each class's share of the data, which samplers draw labels by. */
  readonly classShares?: readonly number[];
  /** Captioned sources: the tokenizer that made `tokens` (its vocabulary comes from the training captions). */
  readonly tokenizer?: Tokenizer;
  /** Seeded and deterministic. */
  nextBatch(batchSize: number): Batch;
  /** JSON-serializable; setState(getState()) on a fresh source built the same way continues the exact stream. */
  getState(): unknown;
  setState(state: unknown): void;
}

/**
 * An in-memory split as 8-bit pixels, NHWC: 1 byte a value, so a 50,000-image 64×64×3 folder is
 * ~600 MB rather than 2.4 GB of floats. Readers convert with bytesToUnit / imageSetToUnit.
 */
export interface ImageSet {
  /** count × height × width × channels bytes, 0..255. */
  pixels: Uint8Array;
  labels: Int32Array | null;
  count: number;
  /** [height, width, channels] */
  shape: [number, number, number];
  numClasses: number;
  classNames?: string[];
}

/** Elements in one sample of the given shape. */
export function sampleSize(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

/** Scales 8-bit pixels 0..255 to [-1, 1] (0 → -1, 255 → 1), writing at `offset` of `out`. */
export function bytesToUnit(bytes: Uint8Array, out: Float32Array = new Float32Array(bytes.length), offset = 0): Float32Array {
  for (let i = 0; i < bytes.length; i++) out[offset + i] = bytes[i]! / 127.5 - 1;
  return out;
}

/** Images start .. start + count - 1 of a set as floats in [-1, 1] (for metrics; a copy, 4 bytes a value). */
export function imageSetToUnit(set: ImageSet, start = 0, count = set.count - start): Float32Array {
  const per = sampleSize(set.shape);
  if (!Number.isInteger(start) || !Number.isInteger(count) || start < 0 || count < 0 || start + count > set.count) {
    throw new Error(`imageSetToUnit: images ${start}..${start + count - 1} are outside the set's 0..${set.count - 1}`);
  }
  return bytesToUnit(set.pixels.subarray(start * per, (start + count) * per));
}

/** Fields of an image (or vector) source: `x` of the sample shape, `labels` when labeled. */
export function sampleFields(shape: readonly number[], labeled: boolean): Record<string, FieldSpec> {
  const fields: Record<string, FieldSpec> = { x: { shape: [...shape], dtype: 'float32' } };
  if (labeled) fields.labels = { shape: [], dtype: 'int32' };
  return fields;
}

export function checkBatchSize(name: string, batchSize: number): void {
  if (!Number.isInteger(batchSize) || batchSize < 1) {
    throw new Error(`${name}: batch size must be a positive integer, got ${batchSize}`);
  }
}

/** Checks that an ImageSet's arrays agree with its count and shape. */
export function validateImageSet(name: string, set: ImageSet): void {
  const per = sampleSize(set.shape);
  if (!(set.pixels instanceof Uint8Array)) throw new Error(`${name}: pixels must be a Uint8Array of 8-bit values`);
  if (set.pixels.length !== set.count * per) {
    throw new Error(`${name}: pixels has ${set.pixels.length} values, expected count ${set.count} × ${set.shape.join('×')} = ${set.count * per}`);
  }
  if (set.labels && set.labels.length !== set.count) {
    throw new Error(`${name}: ${set.labels.length} labels for ${set.count} images`);
  }
}

export function isRngState(v: unknown): v is RngState {
  return Array.isArray(v) && v.length === 4 && v.every((w) => Number.isInteger(w) && w >= 0 && w <= 0xffffffff);
}

export function stateError(name: string, problem: string, state: unknown): Error {
  const shown = JSON.stringify(state);
  return new Error(`${name}: invalid data-source state (${problem}): ${shown === undefined ? String(state) : shown.slice(0, 200)}`);
}

/** Gathers samples `indices` of a byte array (`per` values each) as [-1, 1] floats. */
export function gatherUnit(bytes: Uint8Array, per: number, indices: ArrayLike<number>): Float32Array {
  const out = new Float32Array(indices.length * per);
  for (let i = 0; i < indices.length; i++) {
    const j = indices[i]!;
    bytesToUnit(bytes.subarray(j * per, (j + 1) * per), out, i * per);
  }
  return out;
}

interface ArraySourceState {
  kind: 'array';
  name: string;
  size: number;
  epoch: number;
  cursor: number;
  /** Rng state at the start of the current epoch, before its permutation was drawn. */
  rng: RngState;
}

/** What shuffledSource needs to know about a finite set of examples. */
export interface ShuffledSpec {
  name: string;
  count: number;
  shape: number[];
  fields: Record<string, FieldSpec>;
  numClasses: number;
  tokenizer?: Tokenizer;
  /** The batch made of examples `indices`, in that order. */
  gather(indices: Uint32Array): Batch;
}

export interface EpochOptions {
  /** Label of the permutation stream forked from the seed (default 'data'). */
  stream?: string;
  /** Batches never cross an epoch: the rest of an epoch smaller than a batch is skipped (classifier recipes). */
  dropLast?: boolean;
}

/**
 * Epoch-wise shuffled batches from a finite set of examples. Each epoch draws a fresh permutation from
 * the source's Rng (forked from `seed` with the label 'data', so a trainer reusing the same seed for its
 * latents gets an independent stream). A batch that crosses an epoch boundary takes the rest of the
 * old epoch, then continues in the new one, so every consecutive `count` samples from a fresh source
 * cover each example exactly once.
 */
export function shuffledSource(spec: ShuffledSpec, seed: number, opts: EpochOptions = {}): DataSource {
  const { name, count } = spec;
  if (count < 1) throw new Error(`${name}: cannot make a data source from an empty set`);
  const rng = new Rng(seed).fork(opts.stream ?? 'data');
  let epoch = 0;
  let cursor = 0;
  let epochStart: RngState = rng.getState();
  let order = rng.permutation(count);

  function startEpoch(): void {
    epoch += 1;
    cursor = 0;
    epochStart = rng.getState();
    order = rng.permutation(count);
  }

  return {
    name,
    shape: [...spec.shape],
    fields: spec.fields,
    numClasses: spec.numClasses,
    range: [-1, 1],
    size: count,
    ...(spec.tokenizer ? { tokenizer: spec.tokenizer } : {}),
    nextBatch(batchSize: number): Batch {
      checkBatchSize(name, batchSize);
      if (opts.dropLast && cursor + batchSize > count) {
        if (batchSize > count) throw new Error(`${name}: batch size ${batchSize} is larger than the ${count} examples (dropLast)`);
        startEpoch();
      }
      const indices = new Uint32Array(batchSize);
      for (let i = 0; i < batchSize; i++) {
        if (cursor >= count) startEpoch();
        indices[i] = order[cursor++]!;
      }
      return spec.gather(indices);
    },
    getState(): ArraySourceState {
      return { kind: 'array', name, size: count, epoch, cursor, rng: epochStart };
    },
    setState(state: unknown): void {
      const s = state as Partial<ArraySourceState> | null;
      if (typeof s !== 'object' || s === null || s.kind !== 'array') throw stateError(name, "expected kind 'array'", state);
      if (s.size !== count) throw stateError(name, `it is for a set of ${s.size} examples, this one has ${count}`, state);
      if (!Number.isInteger(s.epoch) || s.epoch! < 0) throw stateError(name, 'epoch must be a non-negative integer', state);
      if (!Number.isInteger(s.cursor) || s.cursor! < 0 || s.cursor! > count) {
        throw stateError(name, `cursor must be an integer in [0, ${count}]`, state);
      }
      if (!isRngState(s.rng)) throw stateError(name, 'rng must be four uint32 words', state);
      rng.setState(s.rng);
      epochStart = rng.getState();
      order = rng.permutation(count);
      epoch = s.epoch!;
      cursor = s.cursor!;
    },
  };
}

/**
 * Shuffled batches from an in-memory ImageSet: `x` in [-1, 1] converted from the bytes batch by batch
 * (the set is never converted or copied whole), `labels` when the set has them.
 */
export function arraySource(name: string, set: ImageSet, seed: number, opts: EpochOptions = {}): DataSource {
  validateImageSet(name, set);
  const per = sampleSize(set.shape);
  const labels = set.labels;
  return shuffledSource(
    {
      name,
      count: set.count,
      shape: set.shape,
      fields: sampleFields(set.shape, labels !== null),
      numClasses: set.numClasses,
      gather(indices: Uint32Array): Batch {
        const x = gatherUnit(set.pixels, per, indices);
        if (!labels) return { x };
        return { x, labels: Int32Array.from(indices, (j) => labels[j]!) };
      },
    },
    seed,
    opts,
  );
}
