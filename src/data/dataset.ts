/**
 * The data contract every trainer and metric reads through: a DataSource hands out seeded,
 * resumable batches; an ImageSet is a whole split held in memory (pixels in [-1, 1], NHWC).
 */
import { Rng, type RngState } from '../core/rng.ts';

export interface Batch {
  /** [batch, ...shape] row-major; NHWC for images. */
  x: Float32Array;
  labels?: Int32Array;
}

export interface DataSource {
  readonly name: string;
  /** One sample: [2], [28, 28, 1], [32, 32, 3], ... */
  readonly shape: number[];
  /** 0 when unlabeled. */
  readonly numClasses: number;
  /** Value range of samples: [-1, 1] for images, the plotting box for toy data. */
  readonly range: [number, number];
  /** Number of examples; Infinity for generated data. */
  readonly size: number;
  /** Seeded and deterministic. */
  nextBatch(batchSize: number): Batch;
  /** JSON-serializable; setState(getState()) on a fresh source built the same way continues the exact stream. */
  getState(): unknown;
  setState(state: unknown): void;
}

/** An in-memory split: pixels in [-1, 1], NHWC. */
export interface ImageSet {
  x: Float32Array;
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

/** Scales 8-bit pixels 0..255 to [-1, 1] (0 → -1, 255 → 1). */
export function bytesToUnit(bytes: Uint8Array, out: Float32Array = new Float32Array(bytes.length), offset = 0): Float32Array {
  for (let i = 0; i < bytes.length; i++) out[offset + i] = bytes[i]! / 127.5 - 1;
  return out;
}

export function checkBatchSize(name: string, batchSize: number): void {
  if (!Number.isInteger(batchSize) || batchSize < 1) {
    throw new Error(`${name}: batch size must be a positive integer, got ${batchSize}`);
  }
}

/** Checks that an ImageSet's arrays agree with its count and shape. */
export function validateImageSet(name: string, set: ImageSet): void {
  const per = sampleSize(set.shape);
  if (set.x.length !== set.count * per) {
    throw new Error(`${name}: x has ${set.x.length} values, expected count ${set.count} × ${set.shape.join('×')} = ${set.count * per}`);
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

interface ArraySourceState {
  kind: 'array';
  name: string;
  size: number;
  epoch: number;
  cursor: number;
  /** Rng state at the start of the current epoch, before its permutation was drawn. */
  rng: RngState;
}

/**
 * Epoch-wise shuffled batches from an in-memory set. Each epoch draws a fresh permutation from the
 * source's Rng (forked from `seed` with the label 'data', so a trainer reusing the same seed for its
 * latents gets an independent stream). A batch that crosses an epoch boundary takes the rest of the
 * old epoch, then continues in the new one, so every consecutive `size` samples from a fresh source
 * cover each example exactly once. Samples are copied batch by batch; the set is never copied whole.
 */
export function arraySource(name: string, set: ImageSet, seed: number): DataSource {
  validateImageSet(name, set);
  if (set.count < 1) throw new Error(`${name}: cannot make a data source from an empty set`);
  const per = sampleSize(set.shape);
  const rng = new Rng(seed).fork('data');
  let epoch = 0;
  let cursor = 0;
  let epochStart: RngState = rng.getState();
  let order = rng.permutation(set.count);

  function startEpoch(): void {
    epoch += 1;
    cursor = 0;
    epochStart = rng.getState();
    order = rng.permutation(set.count);
  }

  return {
    name,
    shape: [...set.shape],
    numClasses: set.numClasses,
    range: [-1, 1],
    size: set.count,
    nextBatch(batchSize: number): Batch {
      checkBatchSize(name, batchSize);
      const x = new Float32Array(batchSize * per);
      const labels = set.labels ? new Int32Array(batchSize) : undefined;
      for (let i = 0; i < batchSize; i++) {
        if (cursor >= set.count) startEpoch();
        const j = order[cursor++]!;
        x.set(set.x.subarray(j * per, (j + 1) * per), i * per);
        if (labels) labels[i] = set.labels![j]!;
      }
      return labels ? { x, labels } : { x };
    },
    getState(): ArraySourceState {
      return { kind: 'array', name, size: set.count, epoch, cursor, rng: epochStart };
    },
    setState(state: unknown): void {
      const s = state as Partial<ArraySourceState> | null;
      if (typeof s !== 'object' || s === null || s.kind !== 'array') throw stateError(name, "expected kind 'array'", state);
      if (s.size !== set.count) throw stateError(name, `it is for a set of ${s.size} examples, this one has ${set.count}`, state);
      if (!Number.isInteger(s.epoch) || s.epoch! < 0) throw stateError(name, 'epoch must be a non-negative integer', state);
      if (!Number.isInteger(s.cursor) || s.cursor! < 0 || s.cursor! > set.count) {
        throw stateError(name, `cursor must be an integer in [0, ${set.count}]`, state);
      }
      if (!isRngState(s.rng)) throw stateError(name, 'rng must be four uint32 words', state);
      rng.setState(s.rng);
      epochStart = rng.getState();
      order = rng.permutation(set.count);
      epoch = s.epoch!;
      cursor = s.cursor!;
    },
  };
}
