/**
 * Inpainting metrics and baselines on closed-form cases: perfect completions score the PSNR cap and SSIM 1,
 * an error only in the hole leaves the known pixels' share of the whole-image score alone, mean fill is the
 * mean of the known pixels, diffusion fill recovers a linear ramp (harmonic) and a constant, and neither
 * baseline touches known pixels.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Rng } from '../core/rng.ts';
import { drawMasks } from '../data/inpaint.ts';
import { diffusionFill, inpaintScores, meanFill } from './inpaint.ts';
import { PSNR_CAP } from './paired.ts';

const H = 16;
const W = 16;

function centreMask(count: number, lo = 4, hi = 12): Float32Array {
  const m = new Float32Array(count * H * W);
  for (let i = 0; i < count; i++) for (let y = lo; y < hi; y++) for (let x = lo; x < hi; x++) m[i * H * W + y * W + x] = 1;
  return m;
}

test('perfect completions: PSNR cap and SSIM 1 in the hole and on the whole image', () => {
  const x = new Rng(1).uniformArray(2 * H * W * 3, -1, 1);
  const s = inpaintScores(x, x, centreMask(2), 2, [H, W, 3]);
  assert.equal(s.psnrHole, PSNR_CAP);
  assert.equal(s.psnrFull, PSNR_CAP);
  assert.ok(Math.abs(s.ssimHole - 1) < 1e-9 && Math.abs(s.ssimFull - 1) < 1e-9);
  assert.equal(s.l1Hole, 0);
  assert.equal(s.ssimHoleImages, 2);
});

test('a constant error d in the hole: hole PSNR 10·log10(1/d²), whole-image PSNR from the hole share', () => {
  const x = new Float32Array(H * W).fill(0);
  const m = centreMask(1);
  // +0.2 in [−1, 1] is +0.1 on [0, 1].
  const y = Float32Array.from(x, (v, i) => (m[i] ? v + 0.2 : v));
  const s = inpaintScores(y, x, m, 1, [H, W, 1]);
  assert.ok(Math.abs(s.psnrHole - 20) < 1e-4, `hole PSNR ${s.psnrHole}`);
  // 64 of 256 pixels wrong by 0.1: MSE 0.0025 → 26.02 dB.
  assert.ok(Math.abs(s.psnrFull - 10 * Math.log10(1 / (0.01 * 64 / 256))) < 1e-4, `full PSNR ${s.psnrFull}`);
  assert.ok(Math.abs(s.l1Hole - 0.1) < 1e-6);
  assert.ok(s.ssimFull < 1 && s.ssimHole <= s.ssimFull + 1e-12, 'the SSIM windows centred in the hole see the error most');
  assert.throws(() => inpaintScores(y, x, m, 2, [H, W, 1]), /need 512 values/);
});

test('mean fill is each channel\'s mean of the known pixels; known pixels are untouched', () => {
  const rng = new Rng(2);
  const x = rng.uniformArray(H * W * 3, -1, 1);
  const m = centreMask(1);
  const y = meanFill(x, m, 1, [H, W, 3]);
  const sums = [0, 0, 0];
  let known = 0;
  for (let p = 0; p < H * W; p++) {
    if (m[p]) continue;
    known++;
    for (let k = 0; k < 3; k++) sums[k]! += x[p * 3 + k]!;
  }
  for (let p = 0; p < H * W; p++) {
    for (let k = 0; k < 3; k++) {
      if (m[p]) assert.ok(Math.abs(y[p * 3 + k]! - sums[k]! / known) < 1e-6);
      else assert.equal(y[p * 3 + k], x[p * 3 + k]);
    }
  }
});

test('diffusion fill recovers a linear ramp and a constant (harmonic functions) and keeps known pixels', () => {
  const ramp = Float32Array.from({ length: H * W }, (_, p) => -0.9 + 0.1 * Math.floor(p / W) + 0.012 * (p % W));
  const m = centreMask(1, 3, 13);
  const y = diffusionFill(ramp, m, 1, [H, W, 1], { tol: 1e-8 });
  let worst = 0;
  for (let p = 0; p < H * W; p++) worst = Math.max(worst, Math.abs(y[p]! - ramp[p]!));
  assert.ok(worst < 1e-4, `ramp error ${worst}`);
  // A hole touching the border (Neumann there): a constant image stays constant.
  const flat = new Float32Array(H * W * 3).fill(0.3);
  const border = drawMasks('boxes', 1, H, W, new Rng(3));
  const f = diffusionFill(flat, border, 1, [H, W, 3]);
  assert.ok(f.every((v) => Math.abs(v - 0.3) < 1e-5));
  // It beats mean fill on the ramp by far.
  const meanS = inpaintScores(meanFill(ramp, m, 1, [H, W, 1]), ramp, m, 1, [H, W, 1]);
  const diffS = inpaintScores(y, ramp, m, 1, [H, W, 1]);
  assert.ok(diffS.psnrHole > meanS.psnrHole + 20, `diffusion ${diffS.psnrHole} vs mean ${meanS.psnrHole}`);
  assert.throws(() => diffusionFill(ramp, m, 1, [H, W, 1], { omega: 2 }), /omega must be in \(0, 2\)/);
});
