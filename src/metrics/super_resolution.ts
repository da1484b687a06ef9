/**
 * Super-resolution metrics as EDSR, ESRGAN and most SR papers report them: outputs are first quantized
 * to 8 bits (as a saved PNG would be), then PSNR and SSIM are computed on the luma Y of ITU-R BT.601
 * (MATLAB's rgb2ycbcr: Y = 16 + 65.481·R + 128.553·G + 24.966·B for R, G, B in [0, 1], so Y ∈ [16, 235])
 * with `border` pixels cropped on every side (the scale factor: the convention of the EDSR/ESRGAN code).
 * PSNR uses the 8-bit peak 255 and is averaged over images; SSIM is the Gaussian-window SSIM of paired.ts
 * on Y/255. Also the bicubic baseline (bicubic.ts, the same kernel the LR inputs were made with).
 */
import { resizeBicubic } from '../data/bicubic.ts';
import { gaussianTaps, PSNR_CAP, ssimPlane } from './paired.ts';

export interface SrScores {
  psnrY: number;
  ssimY: number;
}

function toByte(v: number): number {
  return Math.max(0, Math.min(255, Math.round((v + 1) * 127.5)));
}

/** Y of one [h, w, c] image in [−1, 1] (quantized to bytes first), cropped by `border`: [(h − 2b)·(w − 2b)]. */
export function lumaY(img: Float32Array, h: number, w: number, c: number, border: number): Float64Array {
  const oh = h - 2 * border;
  const ow = w - 2 * border;
  const out = new Float64Array(oh * ow);
  for (let y = 0; y < oh; y++) {
    for (let x = 0; x < ow; x++) {
      const p = ((y + border) * w + x + border) * c;
      out[y * ow + x] = c === 1 ? toByte(img[p]!) : 16 + (65.481 * toByte(img[p]!) + 128.553 * toByte(img[p + 1]!) + 24.966 * toByte(img[p + 2]!)) / 255;
    }
  }
  return out;
}

/** Mean Y-PSNR and Y-SSIM of `count` outputs against their HR targets, both [count, ...hrShape] in [−1, 1]. */
export function srScores(outputs: Float32Array, targets: Float32Array, count: number, hrShape: readonly number[], border: number): SrScores {
  const [h, w, c] = hrShape as [number, number, number];
  const per = h * w * c;
  if (outputs.length < count * per || targets.length < count * per) throw new Error(`SR metrics: ${count} images of [${hrShape}] need ${count * per} values, got ${outputs.length} and ${targets.length}`);
  if (h - 2 * border < 1 || w - 2 * border < 1) throw new Error(`SR metrics: a ${border}-px border leaves nothing of ${w}×${h} images`);
  const oh = h - 2 * border;
  const ow = w - 2 * border;
  const taps = gaussianTaps();
  const withSsim = oh >= taps.length && ow >= taps.length;
  let psnr = 0;
  let ssim = 0;
  for (let i = 0; i < count; i++) {
    const a = lumaY(outputs.subarray(i * per, (i + 1) * per), h, w, c, border);
    const b = lumaY(targets.subarray(i * per, (i + 1) * per), h, w, c, border);
    let se = 0;
    for (let p = 0; p < a.length; p++) se += (a[p]! - b[p]!) ** 2;
    const mse = se / a.length;
    psnr += mse === 0 ? PSNR_CAP : Math.min(PSNR_CAP, 10 * Math.log10((255 * 255) / mse));
    if (withSsim) ssim += ssimPlane(a.map((v) => v / 255), b.map((v) => v / 255), oh, ow, taps);
  }
  return { psnrY: psnr / count, ssimY: withSsim ? ssim / count : NaN };
}

/** Bicubic upscaling of `count` LR images [count, ...lrShape] in [−1, 1] by `scale` (the baseline). */
export function bicubicUpscale(lr: Float32Array, count: number, lrShape: readonly number[], scale: number): Float32Array {
  const [h, w, c] = lrShape as [number, number, number];
  const per = h * w * c;
  const hrPer = per * scale * scale;
  const out = new Float32Array(count * hrPer);
  for (let i = 0; i < count; i++) {
    const up = resizeBicubic(lr.subarray(i * per, (i + 1) * per), h, w, c, h * scale, w * scale);
    for (let p = 0; p < hrPer; p++) out[i * hrPer + p] = Math.max(-1, Math.min(1, up[p]!));
  }
  return out;
}
