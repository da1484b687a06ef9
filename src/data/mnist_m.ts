/**
 * An MNIST-M-like domain made on the fly (Ganin & Lempitsky 2015 blend MNIST digits into patches of
 * BSDS500 photographs): each digit d (0..255, white on black) over a colour patch p becomes |p − d| per
 * channel, so the strokes invert the patch's colours and the background stays the patch. Patches are
 * random 28×28 crops (and mirror flips) of CIFAR-10 images of the same split, or, without CIFAR, seeded
 * procedural colour textures (a base colour plus three coloured plane waves and per-pixel noise), so the
 * domain also exists on a machine with no data at all. Labels are the digits'. The crops come from a
 * fixed seed per split: every run sees the same images, and a test image never borrows a training patch.
 */
import { Rng } from '../core/rng.ts';
import type { ImageSet } from './dataset.ts';
import type { Split } from './mnist.ts';

export const MNIST_M_SEEDS: Record<Split, number> = { train: 0x3a157, test: 0x3a158 };

const SIDE = 28;
const PIXELS = SIDE * SIDE;

/** One 28×28 RGB crop of a background image at (ox, oy), mirrored when `flip`. */
function cropPatch(bg: ImageSet, index: number, ox: number, oy: number, flip: boolean, out: Float32Array): void {
  const [, w] = bg.shape;
  const base = index * bg.shape[0] * w * 3;
  for (let y = 0; y < SIDE; y++) {
    for (let x = 0; x < SIDE; x++) {
      const sx = ox + (flip ? SIDE - 1 - x : x);
      const src = base + ((oy + y) * w + sx) * 3;
      for (let c = 0; c < 3; c++) out[(y * SIDE + x) * 3 + c] = bg.pixels[src + c]!;
    }
  }
}

/** A procedural colour texture: base colour + three plane waves of random direction, frequency and colour + noise. */
export function texturePatch(rng: Rng, out: Float32Array): void {
  const base = [0, 1, 2].map(() => 40 + 175 * rng.uniform());
  const waves = [0, 1, 2].map(() => {
    const angle = rng.uniform() * 2 * Math.PI;
    const freq = 0.15 + 0.6 * rng.uniform();
    return { kx: freq * Math.cos(angle), ky: freq * Math.sin(angle), phase: rng.uniform() * 2 * Math.PI, colour: [0, 1, 2].map(() => 80 * (rng.uniform() - 0.5)) };
  });
  for (let y = 0; y < SIDE; y++) {
    for (let x = 0; x < SIDE; x++) {
      const s = waves.map((wv) => Math.sin(wv.kx * x + wv.ky * y + wv.phase));
      for (let c = 0; c < 3; c++) {
        let v = base[c]! + 30 * (rng.uniform() - 0.5);
        for (let k = 0; k < 3; k++) v += waves[k]!.colour[c]! * s[k]!;
        out[(y * SIDE + x) * 3 + c] = Math.max(0, Math.min(255, v));
      }
    }
  }
}

/**
 * The MNIST-M-like set of a split: `digits` (MNIST, [N, 28, 28, 1]) blended over patches of `backgrounds`
 * (CIFAR-10 of the same split, [M, 32, 32, 3]; null: procedural textures), drawn with `seed`.
 */
export function mnistMSet(digits: ImageSet, backgrounds: ImageSet | null, seed: number): ImageSet {
  const [h, w, c] = digits.shape;
  if (h !== SIDE || w !== SIDE || c !== 1) throw new Error(`mnist-m: the digits must be MNIST's [28, 28, 1] images, got [${digits.shape}]`);
  if (backgrounds) {
    const [bh, bw, bc] = backgrounds.shape;
    if (bh < SIDE || bw < SIDE || bc !== 3) throw new Error(`mnist-m: background images must be colour and at least 28×28, got [${backgrounds.shape}]`);
    if (backgrounds.count < 1) throw new Error('mnist-m: the background set is empty');
  }
  const rng = new Rng(seed).fork('mnist-m');
  const out = new Uint8Array(digits.count * PIXELS * 3);
  const patch = new Float32Array(PIXELS * 3);
  for (let i = 0; i < digits.count; i++) {
    if (backgrounds) {
      const [bh, bw] = backgrounds.shape;
      cropPatch(backgrounds, rng.int(backgrounds.count), rng.int(bw - SIDE + 1), rng.int(bh - SIDE + 1), rng.uniform() < 0.5, patch);
    } else {
      texturePatch(rng, patch);
    }
    for (let p = 0; p < PIXELS; p++) {
      const d = digits.pixels[i * PIXELS + p]!;
      for (let ch = 0; ch < 3; ch++) out[(i * PIXELS + p) * 3 + ch] = Math.round(Math.abs(patch[p * 3 + ch]! - d));
    }
  }
  return { pixels: out, labels: digits.labels, count: digits.count, shape: [SIDE, SIDE, 3], numClasses: digits.numClasses, classNames: digits.classNames };
}
