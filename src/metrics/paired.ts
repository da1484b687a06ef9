/**
 * Paired translation metrics (pix2pix): outputs against their ground truth, image by image, on [0, 1]
 * values (data in [−1, 1] is mapped by (v + 1) / 2 first):
 *  - L1: mean absolute error;
 *  - PSNR: 10·log10(1 / MSE) per image, averaged over images (an exact match counts as PSNR_CAP dB); also
 *    pooled, 10·log10(1 / MSE over all pixels of all images), which a few near-exact images cannot dominate;
 *  - SSIM (Wang et al. 2004): 11×11 Gaussian window, σ = 1.5, K1 = 0.01, K2 = 0.03, dynamic range 1,
 *    on the 'valid' windows (as the reference MATLAB ssim_index), per channel, averaged over the map,
 *    the channels and the images.
 * Also the two trivial baselines a translator must beat: the input itself (a 1-channel input against a
 * 3-channel target is replicated to 3 channels) and the mean training target image.
 */

export const PSNR_CAP = 100;
const SSIM_K1 = 0.01;
const SSIM_K2 = 0.03;
export const SSIM_WINDOW = 11;
export const SSIM_SIGMA = 1.5;

export interface PairedScores {
  l1: number;
  /** Mean over images of each image's PSNR. */
  psnr: number;
  /** PSNR of the pooled MSE over every pixel of every image (images with tiny errors weigh no more than others). */
  psnrPooled: number;
  ssim: number;
}

function toUnit(v: number): number {
  return (v + 1) / 2;
}

function checkPair(a: Float32Array, b: Float32Array, count: number, shape: number[]): number {
  const per = shape.reduce((x, y) => x * y, 1);
  if (shape.length !== 3) throw new Error(`paired metrics need images [H, W, C], got [${shape}]`);
  if (a.length < count * per || b.length < count * per) throw new Error(`paired metrics: ${count} images of [${shape}] need ${count * per} values, got ${a.length} and ${b.length}`);
  return per;
}

/** Normalized 1-D Gaussian taps (the 2-D window is their outer product). */
export function gaussianTaps(size = SSIM_WINDOW, sigma = SSIM_SIGMA): Float64Array {
  const r = (size - 1) / 2;
  const g = Float64Array.from({ length: size }, (_, i) => Math.exp(-((i - r) ** 2) / (2 * sigma * sigma)));
  const s = g.reduce((x, y) => x + y, 0);
  return g.map((v) => v / s);
}

/** Separable 'valid' filtering of an [h, w] plane: [h − size + 1, w − size + 1]. */
function filterValid(x: Float64Array, h: number, w: number, taps: Float64Array): Float64Array {
  const k = taps.length;
  const oh = h - k + 1;
  const ow = w - k + 1;
  const rows = new Float64Array(h * ow);
  for (let y = 0; y < h; y++) for (let xo = 0; xo < ow; xo++) {
    let s = 0;
    for (let j = 0; j < k; j++) s += taps[j]! * x[y * w + xo + j]!;
    rows[y * ow + xo] = s;
  }
  const out = new Float64Array(oh * ow);
  for (let yo = 0; yo < oh; yo++) for (let xo = 0; xo < ow; xo++) {
    let s = 0;
    for (let j = 0; j < k; j++) s += taps[j]! * rows[(yo + j) * ow + xo]!;
    out[yo * ow + xo] = s;
  }
  return out;
}

/** SSIM of two [h, w] planes of [0, 1] values: the mean of the SSIM map over the valid windows. */
export function ssimPlane(a: Float64Array, b: Float64Array, h: number, w: number, taps = gaussianTaps()): number {
  const map = ssimMap(a, b, h, w, taps);
  return map.reduce((x, y) => x + y, 0) / map.length;
}

/** The SSIM map of two [h, w] planes: [h − k + 1, w − k + 1], entry (y, x) for the window centred at (y + (k − 1)/2, x + (k − 1)/2). */
export function ssimMap(a: Float64Array, b: Float64Array, h: number, w: number, taps = gaussianTaps()): Float64Array {
  if (h < taps.length || w < taps.length) throw new Error(`SSIM needs images of at least ${taps.length}×${taps.length} px, got ${h}×${w}`);
  const c1 = SSIM_K1 ** 2;
  const c2 = SSIM_K2 ** 2;
  const mul = (p: Float64Array, q: Float64Array) => p.map((v, i) => v * q[i]!);
  const muA = filterValid(a, h, w, taps);
  const muB = filterValid(b, h, w, taps);
  const aa = filterValid(mul(a, a), h, w, taps);
  const bb = filterValid(mul(b, b), h, w, taps);
  const ab = filterValid(mul(a, b), h, w, taps);
  const out = new Float64Array(muA.length);
  for (let i = 0; i < muA.length; i++) {
    const ma = muA[i]!;
    const mb = muB[i]!;
    const va = aa[i]! - ma * ma;
    const vb = bb[i]! - mb * mb;
    const cov = ab[i]! - ma * mb;
    out[i] = ((2 * ma * mb + c1) * (2 * cov + c2)) / ((ma * ma + mb * mb + c1) * (va + vb + c2));
  }
  return out;
}

/**
 * L1, PSNR and SSIM of `count` outputs against their targets, both [count, H, W, C] in [−1, 1].
 * `outputs` may have 1 channel against a C-channel target (replicated): the gray-input baseline.
 */
export function pairedScores(outputs: Float32Array, targets: Float32Array, count: number, shape: number[], outChannels = shape[2]!): PairedScores {
  const per = checkPair(targets, targets, count, shape);
  const [h, w, c] = shape as [number, number, number];
  if (outChannels !== c && outChannels !== 1) throw new Error(`paired metrics: outputs have ${outChannels} channels, targets ${c}`);
  const perOut = h * w * outChannels;
  if (outputs.length < count * perOut) throw new Error(`paired metrics: ${count} outputs of [${h}, ${w}, ${outChannels}] need ${count * perOut} values, got ${outputs.length}`);
  const taps = gaussianTaps();
  let l1 = 0;
  let psnr = 0;
  let ssim = 0;
  let seAll = 0;
  const pa = new Float64Array(h * w);
  const pb = new Float64Array(h * w);
  for (let i = 0; i < count; i++) {
    let se = 0;
    for (let ch = 0; ch < c; ch++) {
      for (let p = 0; p < h * w; p++) {
        const o = toUnit(outputs[i * perOut + p * outChannels + (outChannels === 1 ? 0 : ch)]!);
        const t = toUnit(targets[i * per + p * c + ch]!);
        pa[p] = o;
        pb[p] = t;
        l1 += Math.abs(o - t);
        se += (o - t) ** 2;
      }
      ssim += ssimPlane(pa, pb, h, w, taps) / c;
    }
    seAll += se;
    const mse = se / per;
    psnr += mse === 0 ? PSNR_CAP : Math.min(PSNR_CAP, 10 * Math.log10(1 / mse));
  }
  const mseAll = seAll / (count * per);
  return { l1: l1 / (count * per), psnr: psnr / count, psnrPooled: mseAll === 0 ? PSNR_CAP : Math.min(PSNR_CAP, 10 * Math.log10(1 / mseAll)), ssim: ssim / count };
}

/** The per-pixel mean of `count` images [count, ...shape] (the mean-target baseline), as one image. */
export function meanImage(x: Float32Array, count: number, per: number): Float32Array {
  const sum = new Float64Array(per);
  for (let i = 0; i < count; i++) for (let p = 0; p < per; p++) sum[p]! += x[i * per + p]!;
  return Float32Array.from(sum, (v) => v / count);
}

/** One image repeated `count` times. */
export function repeatImage(img: Float32Array, count: number): Float32Array {
  const out = new Float32Array(img.length * count);
  for (let i = 0; i < count; i++) out.set(img, i * img.length);
  return out;
}
