/**
 * Inpainting data: each mask kind covers what it claims (the centre square exactly; 1–3 boxes of H/4–H/2;
 * strokes thin and connected-ish, never everything), masks are seeded (same seed → same masks, another →
 * others), evaluation masks are the same in every call and differ between splits, composite keeps known
 * pixels exactly, and the 'inpaint' dataset carries x and a mask per example and resumes its mask stream.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Rng } from '../core/rng.ts';
import { composite, drawMask, drawMasks, evalMasks } from './inpaint.ts';
import { loadEvalSet, openDataSource } from './registry.ts';

const frac = (m: Float32Array) => m.reduce((a, b) => a + b, 0) / m.length;

test('centre: the middle square of side H/2 (or holeSize), nothing else', () => {
  const m = drawMask('center', 32, 32, new Rng(0));
  for (let y = 0; y < 32; y++) for (let x = 0; x < 32; x++) assert.equal(m[y * 32 + x], y >= 8 && y < 24 && x >= 8 && x < 24 ? 1 : 0);
  const s = drawMask('center', 28, 28, new Rng(0), { holeSize: 10 });
  assert.equal(frac(s) * 28 * 28, 100);
  assert.equal(s[9 * 28 + 9], 1);
  assert.equal(s[8 * 28 + 9], 0);
  assert.throws(() => drawMasks('center', 1, 28, 28, new Rng(0), { holeSize: 40 }), /holeSize must be an integer in \[1, 28\]/);
});

test('boxes and strokes are 0/1, seeded, cover a plausible share; mixed draws all three kinds', () => {
  for (const kind of ['boxes', 'strokes', 'mixed'] as const) {
    const a = drawMasks(kind, 200, 32, 32, new Rng(7));
    assert.deepEqual(a, drawMasks(kind, 200, 32, 32, new Rng(7)), `${kind} is deterministic given the seed`);
    assert.notDeepEqual(a, drawMasks(kind, 200, 32, 32, new Rng(8)));
    assert.ok(a.every((v) => v === 0 || v === 1));
    for (let i = 0; i < 200; i++) {
      const f = frac(a.subarray(i * 1024, (i + 1) * 1024));
      assert.ok(f > 0 && f < 0.9, `${kind} mask ${i} covers ${f}`);
    }
  }
  // A box mask is a union of 1–3 rectangles with sides 8–16 px at 32 px: its bounding rows hold ≥ 8 px.
  const boxes = drawMasks('boxes', 100, 32, 32, new Rng(1));
  for (let i = 0; i < 100; i++) {
    const f = frac(boxes.subarray(i * 1024, (i + 1) * 1024)) * 1024;
    assert.ok(f >= 64 && f <= 3 * 256, `box area ${f}`);
  }
  const mixed = drawMasks('mixed', 60, 32, 32, new Rng(2));
  const centre = drawMask('center', 32, 32, new Rng(0));
  const centres = Array.from({ length: 60 }, (_, i) => mixed.subarray(i * 1024, (i + 1) * 1024)).filter((m) => m.every((v, p) => v === centre[p])).length;
  assert.ok(centres > 8 && centres < 35, `${centres} of 60 mixed masks are the centre square`);
});

test('evaluation masks: fixed per split and kind', () => {
  assert.deepEqual(evalMasks('boxes', 'test', 10, 32, 32), evalMasks('boxes', 'test', 10, 32, 32));
  assert.notDeepEqual(evalMasks('boxes', 'test', 10, 32, 32), evalMasks('boxes', 'train', 10, 32, 32));
  assert.deepEqual(evalMasks('boxes', 'test', 4, 32, 32), evalMasks('boxes', 'test', 10, 32, 32).subarray(0, 4 * 1024), 'the first masks do not depend on how many are asked for');
});

test('composite keeps known pixels exactly and puts the fill in the hole', () => {
  const x = new Rng(3).uniformArray(2 * 8 * 8 * 3, -1, 1);
  const m = drawMasks('boxes', 2, 8, 8, new Rng(4));
  const fill = new Rng(5).uniformArray(x.length, -1, 1);
  const y = composite(x, m, fill, 3);
  for (let i = 0; i < x.length; i++) assert.equal(y[i], m[Math.floor(i / 3)] ? fill[i] : x[i]);
  assert.ok(composite(x, m, 0, 3).every((v, i) => (m[Math.floor(i / 3)] ? v === 0 : v === x[i])));
  assert.throws(() => composite(x, m, 0, 1), /do not match/);
});

test("the 'inpaint' dataset: x and a mask per example; the mask stream resumes; the eval split is the images", async () => {
  const cfg = { name: 'inpaint', from: { name: 'mnist', limit: 50 }, masks: 'boxes' } as const;
  const src = await openDataSource(cfg, 1);
  assert.deepEqual(src.fields.mask, { shape: [28, 28, 1], dtype: 'float32' });
  assert.deepEqual(src.fields.x!.shape, [28, 28, 1]);
  src.nextBatch(3);
  const state = JSON.parse(JSON.stringify(src.getState())) as unknown;
  const a = src.nextBatch(4);
  const again = await openDataSource(cfg, 1);
  again.setState(state);
  const b = again.nextBatch(4);
  assert.deepEqual(b.x, a.x);
  assert.deepEqual(b.mask, a.mask);
  assert.equal(a.mask!.length, 4 * 28 * 28);
  assert.throws(() => again.setState({ kind: 'array' }), /expected kind 'inpaint'/);
  const other = (await openDataSource(cfg, 2)).nextBatch(4);
  assert.notDeepEqual(other.mask, a.mask, 'another seed draws other masks');
  const test2 = await loadEvalSet(cfg, 'test');
  assert.deepEqual(test2.shape, [28, 28, 1]);
});
