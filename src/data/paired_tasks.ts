/**
 * Built-in paired tasks made from a stored image dataset, no download: the target is the real image and
 * the input is computed from it, once, at load (stored as bytes like every set):
 *  - 'edges': Sobel gradient magnitude of the luma (on 0..1 values, borders replicated) thresholded to a
 *    binary edge map, white edges on black, 1 channel (edges2shoes-style sketches);
 *  - 'gray': BT.601 luma, 1 channel (grayscale → colour);
 *  - 'blur': each image blurred with its own seeded kernel, half Gaussian (σ uniform in [1, 2]) and half
 *    linear motion blur (length 5–9 px at a random angle), borders replicated (deblurring, as DeblurGAN).
 * The blur kernels come from a fixed seed per split, so every run sees the same blurred test set.
 */
import { Rng } from '../core/rng.ts';
import { sampleSize, type ImageSet } from './dataset.ts';
import type { PairedSet } from './paired.ts';
import type { Split } from './mnist.ts';

export const PAIRED_TASKS = ['edges', 'gray', 'blur'] as const;
export type PairedTask = (typeof PAIRED_TASKS)[number];

/** Default Sobel-magnitude threshold (on 0..1 luma; the magnitude of a full 0 → 1 step edge is 4). */
export const DEFAULT_EDGE_THRESHOLD = 0.8;
const BLUR_SEEDS: Record<Split, number> = { train: 0xb1e4, test: 0xb1e5 };

export interface PairedTaskOptions {
  edgeThreshold?: number;
}

/** Luma of image i of a set, 0..1, [H·W]. */
function luma(set: ImageSet, i: number): Float32Array {
  const [h, w, c] = set.shape;
  const per = sampleSize(set.shape);
  const px = set.pixels.subarray(i * per, (i + 1) * per);
  const out = new Float32Array(h * w);
  for (let p = 0; p < h * w; p++) out[p] = (c === 1 ? px[p]! : 0.299 * px[3 * p]! + 0.587 * px[3 * p + 1]! + 0.114 * px[3 * p + 2]!) / 255;
  return out;
}

/** Sobel gradient magnitude of an [h, w] image, borders replicated. */
export function sobelMagnitude(img: Float32Array, h: number, w: number): Float32Array {
  const at = (y: number, x: number) => img[Math.min(h - 1, Math.max(0, y)) * w + Math.min(w - 1, Math.max(0, x))]!;
  const out = new Float32Array(h * w);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const gx = at(y - 1, x + 1) + 2 * at(y, x + 1) + at(y + 1, x + 1) - at(y - 1, x - 1) - 2 * at(y, x - 1) - at(y + 1, x - 1);
      const gy = at(y + 1, x - 1) + 2 * at(y + 1, x) + at(y + 1, x + 1) - at(y - 1, x - 1) - 2 * at(y - 1, x) - at(y - 1, x + 1);
      out[y * w + x] = Math.hypot(gx, gy);
    }
  }
  return out;
}

function oneChannel(set: ImageSet, pixels: Uint8Array): ImageSet {
  return { pixels, labels: set.labels, count: set.count, shape: [set.shape[0], set.shape[1], 1], numClasses: set.numClasses, classNames: set.classNames };
}

export function edgesOf(set: ImageSet, threshold = DEFAULT_EDGE_THRESHOLD): ImageSet {
  if (!(threshold > 0)) throw new Error(`edges: threshold must be > 0, got ${threshold}`);
  const [h, w] = set.shape;
  const out = new Uint8Array(set.count * h * w);
  for (let i = 0; i < set.count; i++) {
    const m = sobelMagnitude(luma(set, i), h, w);
    for (let p = 0; p < h * w; p++) out[i * h * w + p] = m[p]! > threshold ? 255 : 0;
  }
  return oneChannel(set, out);
}

export function grayOf(set: ImageSet): ImageSet {
  const [h, w] = set.shape;
  const out = new Uint8Array(set.count * h * w);
  for (let i = 0; i < set.count; i++) {
    const l = luma(set, i);
    for (let p = 0; p < h * w; p++) out[i * h * w + p] = Math.round(l[p]! * 255);
  }
  return oneChannel(set, out);
}

/** A normalized blur kernel, (2r+1)², row-major: Gaussian of σ, or a motion line of `length` px at `angle`. */
export function blurKernel(kind: 'gaussian' | 'motion', param: number, angle = 0): { k: Float32Array; r: number } {
  if (kind === 'gaussian') {
    const r = Math.ceil(3 * param);
    const k = new Float32Array((2 * r + 1) ** 2);
    for (let y = -r; y <= r; y++) for (let x = -r; x <= r; x++) k[(y + r) * (2 * r + 1) + x + r] = Math.exp(-(x * x + y * y) / (2 * param * param));
    return { k: normalize(k), r };
  }
  const r = Math.floor(param / 2);
  const k = new Float32Array((2 * r + 1) ** 2);
  // Points along the segment, each splatted bilinearly onto the grid.
  const samples = 8 * param;
  for (let s = 0; s < samples; s++) {
    const t = (s / (samples - 1) - 0.5) * (param - 1);
    const fx = t * Math.cos(angle) + r;
    const fy = t * Math.sin(angle) + r;
    const x0 = Math.floor(fx);
    const y0 = Math.floor(fy);
    for (const [dy, dx] of [[0, 0], [0, 1], [1, 0], [1, 1]] as const) {
      const x = x0 + dx;
      const y = y0 + dy;
      if (x < 0 || y < 0 || x > 2 * r || y > 2 * r) continue;
      k[y * (2 * r + 1) + x]! += (1 - Math.abs(fx - x)) * (1 - Math.abs(fy - y));
    }
  }
  return { k: normalize(k), r };
}

function normalize(k: Float32Array): Float32Array {
  const s = k.reduce((a, b) => a + b, 0);
  return k.map((v) => v / s);
}

/** Convolves one HWC byte image with a kernel (borders replicated), writing rounded bytes. */
function convolveInto(src: Uint8Array, h: number, w: number, c: number, { k, r }: { k: Float32Array; r: number }, out: Uint8Array): void {
  const side = 2 * r + 1;
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      for (let ch = 0; ch < c; ch++) {
        let acc = 0;
        for (let dy = -r; dy <= r; dy++) {
          const yy = Math.min(h - 1, Math.max(0, y + dy));
          for (let dx = -r; dx <= r; dx++) {
            const xx = Math.min(w - 1, Math.max(0, x + dx));
            acc += k[(dy + r) * side + dx + r]! * src[(yy * w + xx) * c + ch]!;
          }
        }
        out[(y * w + x) * c + ch] = Math.max(0, Math.min(255, Math.round(acc)));
      }
    }
  }
}

export function blurOf(set: ImageSet, seed: number): ImageSet {
  const [h, w, c] = set.shape;
  const per = sampleSize(set.shape);
  const out = new Uint8Array(set.pixels.length);
  const rng = new Rng(seed).fork('blur');
  for (let i = 0; i < set.count; i++) {
    const gaussian = rng.uniform() < 0.5;
    const kernel = gaussian ? blurKernel('gaussian', 1 + rng.uniform()) : blurKernel('motion', 5 + 2 * rng.int(3), rng.uniform() * Math.PI);
    convolveInto(set.pixels.subarray(i * per, (i + 1) * per), h, w, c, kernel, out.subarray(i * per, (i + 1) * per));
  }
  return { ...set, pixels: out };
}

/** The paired set of a task for one split: inputs computed from the targets (`set`). */
export function pairedTaskSet(task: PairedTask, set: ImageSet, split: Split, opts: PairedTaskOptions = {}): PairedSet {
  const files = Array.from({ length: set.count }, (_, i) => `${split}/${i}`);
  switch (task) {
    case 'edges':
      return { input: edgesOf(set, opts.edgeThreshold), target: set, files };
    case 'gray':
      if (set.shape[2] !== 3) throw new Error(`paired task 'gray' needs colour images to learn colour from; the dataset's images have ${set.shape[2]} channel(s)`);
      return { input: grayOf(set), target: set, files };
    case 'blur':
      return { input: blurOf(set, BLUR_SEEDS[split]), target: set, files };
    default:
      throw new Error(`unknown paired task '${String(task)}'; expected one of ${PAIRED_TASKS.join(', ')}`);
  }
}
