/**
 * Inpainting metrics and baselines. Scores are on [0, 1] values (data in [−1, 1] mapped by (v + 1) / 2), per
 * image then averaged over images, as paired.ts scores translations:
 *  - PSNR in the hole: 10·log10(1 / MSE over the hole's pixels and channels); on the whole image: over all;
 *  - SSIM on the whole image: paired.ts's (11×11 Gaussian window, 'valid' windows, per channel); in the hole:
 *    the mean of the same SSIM map over the windows whose centre pixel is missing (images whose hole has no
 *    such window, e.g. a thin hole on the border, are left out of that mean; `ssimHoleImages` counts the rest);
 *  - L1 in the hole.
 * Baselines a completion network must beat, on the same masks:
 *  - mean fill: each channel's mean over the image's known pixels;
 *  - diffusion fill: the hole relaxed to the harmonic interpolation of its border (each missing pixel the
 *    average of its 4-neighbours inside the image, iterated from the mean fill by successive over-relaxation
 *    until no pixel moves by more than `tol`): what "iteratively averaging neighbours" converges to.
 */
import { PSNR_CAP, gaussianTaps, ssimMap } from './paired.ts';

export interface InpaintScores {
  psnrHole: number;
  psnrFull: number;
  ssimHole: number;
  ssimFull: number;
  l1Hole: number;
  /** Images that had at least one SSIM window centred in the hole. */
  ssimHoleImages: number;
}

function psnrOf(se: number, n: number): number {
  if (n === 0) return PSNR_CAP;
  const mse = se / n;
  return mse === 0 ? PSNR_CAP : Math.min(PSNR_CAP, 10 * Math.log10(1 / mse));
}

function checkShapes(what: string, x: Float32Array, mask: Float32Array, count: number, shape: number[]): [number, number, number] {
  if (shape.length !== 3) throw new Error(`${what}: images must be [H, W, C], got [${shape}]`);
  const [h, w, c] = shape as [number, number, number];
  if (x.length < count * h * w * c) throw new Error(`${what}: ${count} images of [${shape}] need ${count * h * w * c} values, got ${x.length}`);
  if (mask.length < count * h * w) throw new Error(`${what}: ${count} masks of [${h}, ${w}, 1] need ${count * h * w} values, got ${mask.length}`);
  return [h, w, c];
}

/** Scores of `count` completed images against the originals, with masks [count, H, W, 1] (1 = missing). */
export function inpaintScores(outputs: Float32Array, targets: Float32Array, masks: Float32Array, count: number, shape: number[]): InpaintScores {
  const [h, w, c] = checkShapes('inpaint metrics', targets, masks, count, shape);
  checkShapes('inpaint metrics', outputs, masks, count, shape);
  const taps = gaussianTaps();
  const r = (taps.length - 1) / 2;
  const mw = w - taps.length + 1;
  const pa = new Float64Array(h * w);
  const pb = new Float64Array(h * w);
  let psnrHole = 0;
  let psnrFull = 0;
  let ssimHole = 0;
  let ssimFull = 0;
  let l1Hole = 0;
  let holeImages = 0;
  let ssimImages = 0;
  for (let i = 0; i < count; i++) {
    const m = masks.subarray(i * h * w, (i + 1) * h * w);
    let holePx = 0;
    for (const v of m) holePx += v > 0.5 ? 1 : 0;
    let seHole = 0;
    let seAll = 0;
    let l1 = 0;
    let sHole = 0;
    let sAll = 0;
    let windows = 0;
    for (let ch = 0; ch < c; ch++) {
      for (let p = 0; p < h * w; p++) {
        const o = (outputs[(i * h * w + p) * c + ch]! + 1) / 2;
        const t = (targets[(i * h * w + p) * c + ch]! + 1) / 2;
        pa[p] = o;
        pb[p] = t;
        seAll += (o - t) ** 2;
        if (m[p]! > 0.5) {
          seHole += (o - t) ** 2;
          l1 += Math.abs(o - t);
        }
      }
      const map = ssimMap(pa, pb, h, w, taps);
      let all = 0;
      let hole = 0;
      let nHole = 0;
      for (let k = 0; k < map.length; k++) {
        all += map[k]!;
        const centre = (Math.floor(k / mw) + r) * w + (k % mw) + r;
        if (m[centre]! > 0.5) {
          hole += map[k]!;
          nHole++;
        }
      }
      sAll += all / map.length / c;
      if (nHole > 0) sHole += hole / nHole / c;
      windows = nHole;
    }
    psnrFull += psnrOf(seAll, h * w * c);
    ssimFull += sAll;
    if (holePx > 0) {
      psnrHole += psnrOf(seHole, holePx * c);
      l1Hole += l1 / (holePx * c);
      holeImages++;
    }
    if (windows > 0) {
      ssimHole += sHole;
      ssimImages++;
    }
  }
  const mean = (s: number, n: number) => (n > 0 ? s / n : NaN);
  return { psnrHole: mean(psnrHole, holeImages), psnrFull: psnrFull / count, ssimHole: mean(ssimHole, ssimImages), ssimFull: ssimFull / count, l1Hole: mean(l1Hole, holeImages), ssimHoleImages: ssimImages };
}

/** Each image's hole filled with its channels' means over the known pixels (0 where nothing is known). */
export function meanFill(x: Float32Array, masks: Float32Array, count: number, shape: number[]): Float32Array {
  const [h, w, c] = checkShapes('mean fill', x, masks, count, shape);
  const out = Float32Array.from(x.subarray(0, count * h * w * c));
  for (let i = 0; i < count; i++) {
    const sums = new Float64Array(c);
    let known = 0;
    for (let p = 0; p < h * w; p++) {
      if (masks[i * h * w + p]! > 0.5) continue;
      known++;
      for (let k = 0; k < c; k++) sums[k]! += x[(i * h * w + p) * c + k]!;
    }
    for (let p = 0; p < h * w; p++) {
      if (masks[i * h * w + p]! <= 0.5) continue;
      for (let k = 0; k < c; k++) out[(i * h * w + p) * c + k] = known ? sums[k]! / known : 0;
    }
  }
  return out;
}

export interface DiffusionOptions {
  /** Stop when no value changes by more than this in a sweep (default 1e-5). */
  tol?: number;
  /** Sweeps at most (default 5,000). */
  maxIter?: number;
  /** Over-relaxation factor in (0, 2) (default 1.8; 1 is Gauss–Seidel). */
  omega?: number;
}

/** The harmonic (diffusion) fill of each image's hole, started from the mean fill. */
export function diffusionFill(x: Float32Array, masks: Float32Array, count: number, shape: number[], opts: DiffusionOptions = {}): Float32Array {
  const [h, w, c] = checkShapes('diffusion fill', x, masks, count, shape);
  const tol = opts.tol ?? 1e-5;
  const maxIter = opts.maxIter ?? 5000;
  const omega = opts.omega ?? 1.8;
  if (!(omega > 0 && omega < 2)) throw new Error(`diffusion fill: omega must be in (0, 2), got ${omega}`);
  const out = meanFill(x, masks, count, shape);
  const img = new Float64Array(h * w * c);
  for (let i = 0; i < count; i++) {
    const base = i * h * w;
    const hole: number[] = [];
    for (let p = 0; p < h * w; p++) if (masks[base + p]! > 0.5) hole.push(p);
    if (hole.length === 0 || hole.length === h * w) continue;
    for (let j = 0; j < h * w * c; j++) img[j] = out[base * c + j]!;
    // Each missing pixel's in-image 4-neighbours, fixed for the image.
    const nbrs = hole.map((p) => {
      const y = Math.floor(p / w);
      const xx = p % w;
      const list: number[] = [];
      if (y > 0) list.push(p - w);
      if (y < h - 1) list.push(p + w);
      if (xx > 0) list.push(p - 1);
      if (xx < w - 1) list.push(p + 1);
      return list;
    });
    for (let it = 0; it < maxIter; it++) {
      let moved = 0;
      for (let q = 0; q < hole.length; q++) {
        const p = hole[q]!;
        const list = nbrs[q]!;
        for (let k = 0; k < c; k++) {
          let s = 0;
          for (const n of list) s += img[n * c + k]!;
          const old = img[p * c + k]!;
          const next = old + omega * (s / list.length - old);
          img[p * c + k] = next;
          moved = Math.max(moved, Math.abs(next - old));
        }
      }
      if (moved < tol) break;
    }
    for (const p of hole) for (let k = 0; k < c; k++) out[(base + p) * c + k] = img[p * c + k]!;
  }
  return out;
}
