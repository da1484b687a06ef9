/**
 * Paired metrics against hand-computed values: PSNR of a uniform offset (20 dB for 0.1), L1, SSIM of
 * identical images (1), of two constant images (closed form), and of a textured 13×13 pair against an
 * independent NumPy/SciPy implementation of Wang et al.'s reference (2-D 11×11 Gaussian window σ 1.5,
 * 'valid' convolution); 3-channel SSIM as the mean over channels; the gray-input baseline replicated.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { gaussianTaps, meanImage, pairedScores, PSNR_CAP, repeatImage, ssimPlane } from './paired.ts';

const close = (a: number, b: number, tol: number, what: string) => assert.ok(Math.abs(a - b) < tol, `${what}: ${a} vs ${b}`);
/** [0, 1] values to the data range [−1, 1]. */
const toData = (x: ArrayLike<number>) => Float32Array.from(x, (v) => 2 * v - 1);

test('PSNR (per image and pooled) and L1 of uniform offsets on [0, 1]; an exact match is capped', () => {
  const t = new Float32Array(2 * 12 * 12).fill(0.5);
  const o = t.map((v) => v + 0.1);
  const s = pairedScores(toData(o), toData(t), 2, [12, 12, 1]);
  close(s.psnr, 20, 1e-4, 'psnr');
  close(s.l1, 0.1, 1e-6, 'l1');
  close(s.psnrPooled, 20, 1e-4, 'pooled psnr');
  // Two images with MSE 0.01 and 0.0001: per-image mean (20 + 40) / 2 = 30 dB, pooled 10·log10(1 / 0.00505).
  const two = Float32Array.from({ length: 2 * 144 }, (_, i) => (i < 144 ? 0.6 : 0.51));
  const s2 = pairedScores(toData(two), toData(t), 2, [12, 12, 1]);
  close(s2.psnr, 30, 1e-3, 'mean per-image psnr');
  close(s2.psnrPooled, 10 * Math.log10(1 / 0.00505), 1e-3, 'pooled psnr');
  const same = pairedScores(toData(t), toData(t), 2, [12, 12, 1]);
  assert.equal(same.psnr, PSNR_CAP);
  close(same.ssim, 1, 1e-12, 'ssim of identical images');
});

test('SSIM of two constant images: (2·μa·μb + C1) / (μa² + μb² + C1)', () => {
  const a = new Float64Array(11 * 11).fill(0.5);
  const b = new Float64Array(11 * 11).fill(0.6);
  const c1 = 0.01 ** 2;
  close(ssimPlane(a, b, 11, 11), (2 * 0.5 * 0.6 + c1) / (0.25 + 0.36 + c1), 1e-12, 'constant SSIM');
  assert.throws(() => ssimPlane(a, b, 10, 12), /at least 11×11/);
  const g = gaussianTaps();
  close(g.reduce((x, y) => x + y, 0), 1, 1e-12, 'taps sum');
  close(g[5]! / g[4]!, Math.exp(1 / (2 * 1.5 * 1.5)), 1e-12, 'σ 1.5');
});

test('SSIM, PSNR and L1 of a textured 13×13 pair match an independent NumPy/SciPy reference', () => {
  const a = Float64Array.from({ length: 169 }, (_, i) => ((i * 37) % 101) / 100);
  const b = a.map((v, i) => Math.min(1, Math.max(0, 0.8 * v + 0.1 + 0.05 * Math.sin(i))));
  // scipy.signal.convolve2d(x, outer(g, g), 'valid'), C1 = 0.01², C2 = 0.03²: mean of the 3×3 SSIM map.
  close(ssimPlane(a, b, 13, 13), 0.9648724873084671, 1e-9, 'ssim');
  const s = pairedScores(toData(b), toData(a), 1, [13, 13, 1]);
  close(s.ssim, 0.9648724873084671, 1e-5, 'ssim through float32');
  close(s.psnr, 23.219281092725783, 1e-3, 'psnr');
  close(s.l1, 0.05738658839163401, 1e-6, 'l1');
  // Three channels: the mean over channels; a 1-channel output against them is replicated.
  const rgbA = new Float32Array(169 * 3);
  const rgbB = new Float32Array(169 * 3);
  for (let p = 0; p < 169; p++) {
    rgbA[3 * p] = rgbA[3 * p + 1] = rgbA[3 * p + 2] = a[p]!;
    rgbB[3 * p] = rgbB[3 * p + 1] = b[p]!;
    rgbB[3 * p + 2] = a[p]!;
  }
  const rgb = pairedScores(toData(rgbB), toData(rgbA), 1, [13, 13, 3]);
  close(rgb.ssim, (2 * 0.9648724873084671 + 1) / 3, 1e-5, 'rgb ssim');
  const gray = pairedScores(toData(b), toData(rgbA), 1, [13, 13, 3], 1);
  close(gray.ssim, 0.9648724873084671, 1e-5, 'replicated gray');
  close(gray.psnr, 23.219281092725783, 1e-3, 'replicated gray psnr');
});

test('mean image baseline helpers', () => {
  const x = Float32Array.from([0, 1, 2, 3, 4, 5]);
  assert.deepEqual(Array.from(meanImage(x, 2, 3)), [1.5, 2.5, 3.5]);
  assert.deepEqual(Array.from(repeatImage(Float32Array.from([1, 2]), 2)), [1, 2, 1, 2]);
  assert.throws(() => pairedScores(new Float32Array(3), new Float32Array(3), 2, [12, 12, 1]), /need/);
});
