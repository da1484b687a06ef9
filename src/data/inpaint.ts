/**
 * Inpainting data: hole masks (1 where a pixel is missing) and a source whose batches carry the real image
 * `x` and a `mask` [B, H, W, 1] drawn per example from the source's own seeded, checkpointed stream.
 * Mask kinds:
 *  - 'center': one square of side `holeSize` (default H/2, rounded) in the middle, the same every time;
 *  - 'boxes': 1–3 axis-aligned rectangles, each side uniform in [H/4, H/2] px, anywhere in the image;
 *  - 'strokes': 1–4 free-form brush strokes (polylines of 3–6 segments, each up to H/3 long, at a random
 *    angle, brush radius H/32–H/12 px), as the "free-form" masks of Yu et al. 2019;
 *  - 'mixed': each example picks one of the three with probability 1/3 (training on all three).
 * Evaluation masks come from a fixed seed per split and kind (EVAL_MASK_SEEDS), so every run and every
 * baseline is scored on the same holes.
 */
import { Rng, type RngState } from '../core/rng.ts';
import { isRngState, stateError, type Batch, type DataSource } from './dataset.ts';
import type { Split } from './mnist.ts';

export const MASK_KINDS = ['center', 'boxes', 'strokes', 'mixed'] as const;
export type MaskKind = (typeof MASK_KINDS)[number];

export interface MaskOptions {
  /** 'center': side of the square hole in px (default round(H/2)). */
  holeSize?: number;
}

const EVAL_MASK_SEEDS: Record<Split, number> = { train: 0x1a9a17, test: 0x1a9a18 };

function fillRect(m: Float32Array, w: number, y0: number, x0: number, hh: number, ww: number): void {
  for (let y = y0; y < y0 + hh; y++) for (let x = x0; x < x0 + ww; x++) m[y * w + x] = 1;
}

/** Fills a disc of radius r centred at (cy, cx), clipped to the image. */
function fillDisc(m: Float32Array, h: number, w: number, cy: number, cx: number, r: number): void {
  for (let y = Math.max(0, Math.floor(cy - r)); y <= Math.min(h - 1, Math.ceil(cy + r)); y++) {
    for (let x = Math.max(0, Math.floor(cx - r)); x <= Math.min(w - 1, Math.ceil(cx + r)); x++) {
      if ((y - cy) ** 2 + (x - cx) ** 2 <= r * r) m[y * w + x] = 1;
    }
  }
}

function checkSize(h: number, w: number, opts: MaskOptions): void {
  if (!Number.isInteger(h) || !Number.isInteger(w) || h < 4 || w < 4) throw new Error(`inpaint masks need images of at least 4×4 px, got ${w}×${h}`);
  const s = opts.holeSize;
  if (s !== undefined && (!Number.isInteger(s) || s < 1 || s > Math.min(h, w))) throw new Error(`inpaint: holeSize must be an integer in [1, ${Math.min(h, w)}], got ${s}`);
}

/** One [h, w] mask of a kind (1 = missing); 'center' draws nothing from `rng`. */
export function drawMask(kind: MaskKind, h: number, w: number, rng: Rng, opts: MaskOptions = {}): Float32Array {
  const m = new Float32Array(h * w);
  const side = Math.min(h, w);
  switch (kind) {
    case 'center': {
      const s = opts.holeSize ?? Math.round(side / 2);
      fillRect(m, w, Math.floor((h - s) / 2), Math.floor((w - s) / 2), s, s);
      return m;
    }
    case 'boxes': {
      const lo = Math.max(1, Math.round(side / 4));
      const hi = Math.max(lo, Math.round(side / 2));
      const n = 1 + rng.int(3);
      for (let b = 0; b < n; b++) {
        const bh = lo + rng.int(hi - lo + 1);
        const bw = lo + rng.int(hi - lo + 1);
        fillRect(m, w, rng.int(h - bh + 1), rng.int(w - bw + 1), bh, bw);
      }
      return m;
    }
    case 'strokes': {
      const strokes = 1 + rng.int(4);
      for (let s = 0; s < strokes; s++) {
        let y = rng.uniform() * h;
        let x = rng.uniform() * w;
        const r = side / 32 + rng.uniform() * (side / 12 - side / 32);
        const segments = 3 + rng.int(4);
        let angle = rng.uniform() * 2 * Math.PI;
        for (let k = 0; k < segments; k++) {
          angle += (rng.uniform() - 0.5) * Math.PI;
          const len = rng.uniform() * (side / 3);
          const ny = Math.min(h - 1, Math.max(0, y + len * Math.sin(angle)));
          const nx = Math.min(w - 1, Math.max(0, x + len * Math.cos(angle)));
          const steps = Math.max(1, Math.ceil(Math.hypot(ny - y, nx - x) / Math.max(0.5, r / 2)));
          for (let t = 0; t <= steps; t++) fillDisc(m, h, w, y + ((ny - y) * t) / steps, x + ((nx - x) * t) / steps, Math.max(0.75, r));
          y = ny;
          x = nx;
        }
      }
      return m;
    }
    case 'mixed':
      return drawMask((['center', 'boxes', 'strokes'] as const)[rng.int(3)]!, h, w, rng, opts);
    default:
      throw new Error(`unknown mask kind '${String(kind)}'; expected one of ${MASK_KINDS.join(', ')}`);
  }
}

/** `count` masks [count, h, w, 1] drawn in order from `rng`. */
export function drawMasks(kind: MaskKind, count: number, h: number, w: number, rng: Rng, opts: MaskOptions = {}): Float32Array {
  checkSize(h, w, opts);
  const out = new Float32Array(count * h * w);
  for (let i = 0; i < count; i++) out.set(drawMask(kind, h, w, rng, opts), i * h * w);
  return out;
}

/** The evaluation masks of a split: the same for every run and baseline (a fixed seed per split and kind). */
export function evalMasks(kind: MaskKind, split: Split, count: number, h: number, w: number, opts: MaskOptions = {}): Float32Array {
  return drawMasks(kind, count, h, w, new Rng(EVAL_MASK_SEEDS[split]).fork(kind), opts);
}

/** x·(1 − m) + fill·m for images [n, H, W, C] and masks [n, H, W, 1] (fill: one value, or images like x). */
export function composite(x: Float32Array, mask: Float32Array, fill: Float32Array | number, c: number): Float32Array {
  if (mask.length * c !== x.length) throw new Error(`composite: ${x.length} image values and ${mask.length} mask values do not match with ${c} channel(s)`);
  const out = new Float32Array(x.length);
  for (let p = 0; p < mask.length; p++) {
    const m = mask[p]!;
    for (let k = 0; k < c; k++) {
      const i = p * c + k;
      const f = typeof fill === 'number' ? fill : fill[i]!;
      out[i] = m === 0 ? x[i]! : m === 1 ? f : x[i]! * (1 - m) + f * m;
    }
  }
  return out;
}

interface InpaintState {
  kind: 'inpaint';
  rng: RngState;
  inner: unknown;
}

/** The inner source's batches with a `mask` per example from a stream forked from `seed` ('masks'). */
export function inpaintSource(inner: DataSource, kind: MaskKind, seed: number, opts: MaskOptions = {}): DataSource {
  const shape = inner.shape;
  if (shape.length !== 3) throw new Error(`inpaint data needs images [H, W, C]; ${inner.name} has samples of shape [${shape}]`);
  const [h, w] = shape as [number, number, number];
  checkSize(h, w, opts);
  const rng = new Rng(seed).fork('masks');
  const name = `inpaint-${kind}(${inner.name})`;
  return {
    ...inner,
    name,
    fields: { ...inner.fields, mask: { shape: [h, w, 1], dtype: 'float32' } },
    nextBatch(batchSize: number): Batch {
      const batch = inner.nextBatch(batchSize);
      return { ...batch, mask: drawMasks(kind, batchSize, h, w, rng, opts) };
    },
    getState(): InpaintState {
      return { kind: 'inpaint', rng: rng.getState(), inner: inner.getState() };
    },
    setState(state: unknown): void {
      const s = state as Partial<InpaintState> | null;
      if (typeof s !== 'object' || s === null || s.kind !== 'inpaint') throw stateError(name, "expected kind 'inpaint'", state);
      if (!isRngState(s.rng)) throw stateError(name, 'rng must be four uint32 words', state);
      inner.setState(s.inner);
      rng.setState(s.rng);
    },
  };
}
