/**
 * Y-channel PSNR/SSIM against closed forms: identical images hit the cap and SSIM 1; a uniform +10 byte
 * error on R, G and B moves Y by 10·219/255 and gives PSNR = 20·log10(255 / (10·219/255)); errors inside
 * the cropped border do not count; outputs are quantized to bytes first; bicubic upscaling of a flat
 * image is exact.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { bicubicUpscale, lumaY, srScores } from './super_resolution.ts';
import { PSNR_CAP } from './paired.ts';

const unit = (b: number) => b / 127.5 - 1;
const shape = [16, 16, 3];
const target = Float32Array.from({ length: 16 * 16 * 3 }, (_, i) => unit(40 + ((i * 13) % 150)));

test('identical images: PSNR at the cap, SSIM 1; sub-byte differences vanish in the 8-bit quantization', () => {
  const s = srScores(target, target, 1, shape, 2);
  assert.equal(s.psnrY, PSNR_CAP);
  assert.ok(Math.abs(s.ssimY - 1) < 1e-12);
  const nudged = target.map((v) => v + 0.001);
  assert.equal(srScores(nudged, target, 1, shape, 2).psnrY, PSNR_CAP);
});

test('a uniform +10 on every channel gives the closed-form Y-PSNR', () => {
  const out = target.map((v) => unit(Math.round((v + 1) * 127.5) + 10));
  const dy = (10 * (65.481 + 128.553 + 24.966)) / 255;
  const want = 20 * Math.log10(255 / dy);
  const got = srScores(out, target, 1, shape, 4).psnrY;
  assert.ok(Math.abs(got - want) < 1e-9, `${got} vs ${want}`);
  assert.ok(Math.abs(lumaY(Float32Array.of(1, 1, 1), 1, 1, 3, 0)[0]! - 235) < 1e-9, 'white is Y = 235');
  assert.ok(Math.abs(lumaY(Float32Array.of(-1, -1, -1), 1, 1, 3, 0)[0]! - 16) < 1e-9, 'black is Y = 16');
});

test('the border is cropped: errors only within `scale` pixels of the edge do not count', () => {
  const out = Float32Array.from(target);
  for (let y = 0; y < 16; y++) for (let x = 0; x < 16; x++) if (y < 3 || x < 3 || y > 12 || x > 12) for (let k = 0; k < 3; k++) out[(y * 16 + x) * 3 + k] = -1;
  assert.equal(srScores(out, target, 1, shape, 3).psnrY, PSNR_CAP);
  assert.ok(srScores(out, target, 1, shape, 2).psnrY < 40);
  assert.throws(() => srScores(out, target, 1, shape, 8), /leaves nothing/);
});

test('bicubic upscaling of a flat image is exact and clipped to [−1, 1]', () => {
  const flat = new Float32Array(4 * 4 * 3).fill(0.25);
  const up = bicubicUpscale(flat, 1, [4, 4, 3], 4);
  assert.equal(up.length, 16 * 16 * 3);
  assert.ok(up.every((v) => Math.abs(v - 0.25) < 1e-6));
  const edge = Float32Array.from({ length: 4 * 4 }, (_, i) => (i % 4 < 2 ? -1 : 1));
  assert.ok(bicubicUpscale(edge, 1, [4, 4, 1], 2).every((v) => v >= -1 && v <= 1));
});
