/**
 * Seeded per-batch augmentation of image fields: horizontal flip, pad-and-random-crop (translation)
 * and brightness/contrast jitter. The draws come from the wrapper's own Rng (forked from the seed with
 * label 'augment'), separate from the inner source's shuffling, so turning augmentation on leaves the
 * order of examples unchanged; its state is saved with the inner source's, so a resumed run draws the
 * same augmentations. One sample's draws apply to all its image fields alike (paired input and target
 * stay aligned).
 */
import { Rng, type RngState } from '../core/rng.ts';
import { isRngState, stateError, type Batch, type BatchField, type DataSource } from './dataset.ts';

export interface AugmentConfig {
  /** Mirror left-right with probability 1/2. */
  flip?: boolean;
  /** Pad each side by this many pixels (edge pixels repeated) and crop back at a random offset. */
  crop?: number;
  /** Strength s: brightness + U(-s, s), contrast × (1 + U(-s, s)) around the sample's mean; clamped to [-1, 1]. */
  jitter?: number;
}

interface AugmentState {
  kind: 'augmented';
  rng: RngState;
  inner: unknown;
}

/** True when the config asks for any augmentation. */
export function augmentActive(aug: AugmentConfig | undefined): aug is AugmentConfig {
  return !!aug && (aug.flip === true || (aug.crop ?? 0) > 0 || (aug.jitter ?? 0) > 0);
}

function checkAugment(name: string, aug: AugmentConfig): void {
  const crop = aug.crop ?? 0;
  const jitter = aug.jitter ?? 0;
  if (!Number.isInteger(crop) || crop < 0) throw new Error(`${name}: augment.crop must be a non-negative integer, got ${aug.crop}`);
  if (!(jitter >= 0 && jitter <= 1)) throw new Error(`${name}: augment.jitter must be in [0, 1], got ${aug.jitter}`);
}

/** One sample's augmentation, drawn in a fixed order: flip, then crop offsets, then jitter. */
interface Draw {
  flip: boolean;
  dy: number;
  dx: number;
  brightness: number;
  contrast: number;
}

function draw(aug: AugmentConfig, rng: Rng): Draw {
  const crop = aug.crop ?? 0;
  const jitter = aug.jitter ?? 0;
  const flip = aug.flip ? rng.uniform() < 0.5 : false;
  const dy = crop > 0 ? rng.int(2 * crop + 1) - crop : 0;
  const dx = crop > 0 ? rng.int(2 * crop + 1) - crop : 0;
  const brightness = jitter > 0 ? jitter * (2 * rng.uniform() - 1) : 0;
  const contrast = jitter > 0 ? 1 + jitter * (2 * rng.uniform() - 1) : 1;
  return { flip, dy, dx, brightness, contrast };
}

/** Applies one draw to one HWC image in place; `photometric` false leaves values alone (masks). */
function applyDraw(img: Float32Array, h: number, w: number, c: number, d: Draw, photometric: boolean, scratch: Float32Array): void {
  if (d.flip || d.dy !== 0 || d.dx !== 0) {
    scratch.set(img);
    for (let y = 0; y < h; y++) {
      // Output (y, x) reads the padded image at (y + dy, x + dx), i.e. the source clamped to its edges.
      const sy = Math.min(h - 1, Math.max(0, y + d.dy));
      for (let x = 0; x < w; x++) {
        const fx = d.flip ? w - 1 - x : x;
        const sx = Math.min(w - 1, Math.max(0, fx + d.dx));
        for (let ch = 0; ch < c; ch++) img[(y * w + x) * c + ch] = scratch[(sy * w + sx) * c + ch]!;
      }
    }
  }
  if (photometric && (d.brightness !== 0 || d.contrast !== 1)) {
    let mean = 0;
    for (let i = 0; i < img.length; i++) mean += img[i]!;
    mean /= img.length;
    for (let i = 0; i < img.length; i++) img[i] = Math.min(1, Math.max(-1, (img[i]! - mean) * d.contrast + mean + d.brightness));
  }
}

/**
 * A source whose image fields (every float32 field of rank 3) are augmented per batch; the source
 * itself when `aug` asks for nothing. The inner source must hand out fresh arrays each batch (all
 * of Gantry's do): they are augmented in place.
 */
export function augmentSource(source: DataSource, aug: AugmentConfig | undefined, seed: number): DataSource {
  if (!augmentActive(aug)) return source;
  checkAugment(source.name, aug);
  const imageFields = Object.entries(source.fields).filter(([, f]) => f.dtype === 'float32' && f.shape.length === 3);
  if (imageFields.length === 0) throw new Error(`${source.name}: augment applies to image data, this source has no image fields`);
  const rng = new Rng(seed).fork('augment');
  return {
    ...source,
    nextBatch(batchSize: number): Batch {
      const batch = source.nextBatch(batchSize);
      const draws = Array.from({ length: batchSize }, () => draw(aug, rng));
      // The same array may stand under two names (paired x = target): augment it once.
      const done = new Set<Float32Array>();
      for (const [name, spec] of imageFields) {
        const arr = batch[name as BatchField] as Float32Array | undefined;
        if (!arr || done.has(arr)) continue;
        done.add(arr);
        const [h, w, c] = spec.shape as [number, number, number];
        const per = h * w * c;
        const scratch = new Float32Array(per);
        for (let i = 0; i < batchSize; i++) applyDraw(arr.subarray(i * per, (i + 1) * per), h, w, c, draws[i]!, name !== 'mask', scratch);
      }
      return batch;
    },
    getState(): AugmentState {
      return { kind: 'augmented', rng: rng.getState(), inner: source.getState() };
    },
    setState(state: unknown): void {
      const s = state as Partial<AugmentState> | null;
      if (typeof s !== 'object' || s === null || s.kind !== 'augmented') throw stateError(source.name, "expected kind 'augmented' (this run augments its data)", state);
      if (!isRngState(s.rng)) throw stateError(source.name, 'rng must be four uint32 words', state);
      source.setState(s.inner);
      rng.setState(s.rng);
    },
  };
}
