/**
 * MATLAB-style bicubic against a direct, non-separable evaluation of its definition (the Keys kernel,
 * widened by 1/scale when shrinking, mirrored borders, weights normalized per output pixel), and its
 * closed-form properties: constants stay constant, the cubic reproduces a linear ramp away from the
 * borders, ×1 is the identity, bytes are rounded and clamped.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { cubicKernel, resizeBicubic, resizeBicubicBytes } from './bicubic.ts';

function mirror(i: number, n: number): number {
  while (i < 0 || i >= n) i = i < 0 ? -i - 1 : 2 * n - i - 1;
  return i;
}

/** out(y, x) = Σ_i Σ_j w_y(i) w_x(j) src(mirror i, mirror j), each axis's weights normalized. */
function direct(src: number[], h: number, w: number, c: number, oh: number, ow: number): number[] {
  const weights = (o: number, inLen: number, outLen: number) => {
    const s = outLen / inLen;
    const k = s < 1 ? (d: number) => s * cubicKernel(s * d) : cubicKernel;
    const centre = (o + 0.5) / s - 0.5;
    const list: [number, number][] = [];
    for (let i = Math.floor(centre) - 40; i <= Math.ceil(centre) + 40; i++) if (k(centre - i) !== 0) list.push([mirror(i, inLen), k(centre - i)]);
    const sum = list.reduce((a, [, v]) => a + v, 0);
    return list.map(([i, v]) => [i, v / sum] as [number, number]);
  };
  const out: number[] = [];
  for (let y = 0; y < oh; y++) for (let x = 0; x < ow; x++) for (let ch = 0; ch < c; ch++) {
    let acc = 0;
    for (const [i, wy] of weights(y, h, oh)) for (const [j, wx] of weights(x, w, ow)) acc += wy * wx * src[(i * w + j) * c + ch]!;
    out.push(acc);
  }
  return out;
}

test('bicubic resize equals the direct evaluation of its definition (shrink ×2, ×3, ×4 and enlarge ×2, ×4)', () => {
  fc.assert(
    fc.property(fc.integer({ min: 0, max: 4 }), fc.integer({ min: 1, max: 3 }), fc.integer({ min: 0, max: 1e6 }), (pick, c, seed) => {
      const [h, w, oh, ow] = ([[8, 8, 4, 4], [9, 12, 3, 4], [16, 8, 4, 2], [5, 3, 10, 6], [3, 4, 12, 16]] as const)[pick]!;
      let s = seed;
      const src = Array.from({ length: h * w * c }, () => ((s = (s * 1103515245 + 12345) % 2 ** 31), (s % 256)));
      const got = resizeBicubic(src, h, w, c, oh, ow);
      const want = direct(src, h, w, c, oh, ow);
      for (let i = 0; i < want.length; i++) assert.ok(Math.abs(got[i]! - want[i]!) < 1e-3, `value ${i}: ${got[i]} vs ${want[i]}`);
    }),
    { numRuns: 30 },
  );
});

test('constants stay constant, ×1 is the identity, linear ramps are reproduced away from the borders', () => {
  const flat = resizeBicubic(new Array(6 * 6).fill(77), 6, 6, 1, 24, 24);
  assert.ok(flat.every((v) => Math.abs(v - 77) < 1e-4));
  const img = Array.from({ length: 5 * 7 * 3 }, (_, i) => (i * 37) % 251);
  assert.deepEqual(Array.from(resizeBicubic(img, 5, 7, 3, 5, 7)), img);
  // f(x) = 3x + 5 along the width: the enlarged image samples f at (o + 0.5)/s − 0.5.
  const w = 16;
  const ramp = Array.from({ length: 4 * w }, (_, i) => 3 * (i % w) + 5);
  const up = resizeBicubic(ramp, 4, w, 1, 4, 4 * w);
  for (let o = 8; o < 4 * w - 8; o++) assert.ok(Math.abs(up[o]! - (3 * ((o + 0.5) / 4 - 0.5) + 5)) < 1e-3, `x=${o}: ${up[o]}`);
  const down = resizeBicubic(ramp, 4, w, 1, 4, w / 2);
  for (let o = 2; o < w / 2 - 2; o++) assert.ok(Math.abs(down[o]! - (3 * (2 * o + 0.5) + 5)) < 1e-3, `x=${o}: ${down[o]}`);
});

test('byte resize rounds and clamps the overshoot of sharp edges; bad sizes are refused', () => {
  const edge = new Uint8Array(8 * 8).map((_, i) => (i % 8 < 4 ? 0 : 255));
  const up = resizeBicubicBytes(edge, 8, 8, 1, 16, 16);
  assert.ok(up.includes(0) && up.includes(255), 'the overshoot past 0 and 255 is clamped');
  assert.ok(resizeBicubic(edge, 8, 8, 1, 16, 16).some((v) => v < 0 || v > 255), 'the float resize keeps the overshoot');
  assert.throws(() => resizeBicubic([1, 2], 2, 2, 1, 4, 4), /needs 4 values/);
  assert.throws(() => resizeBicubic([1, 2, 3, 4], 2, 2, 1, 0, 4), /at least 1×1/);
});
