/**
 * Built-in paired tasks: Sobel magnitude against hand-computed values, binary edge maps, BT.601 luma,
 * blur kernels (normalized, the right support, a constant image unchanged), seeded blur that is the same
 * for a split in every run, and the 'paired-task' dataset through the registry (fields, eval split).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ImageSet } from './dataset.ts';
import { blurKernel, blurOf, edgesOf, grayOf, pairedTaskSet, sobelMagnitude } from './paired_tasks.ts';
import { loadPairedEvalSet, openDataSource, parseDatasetConfig } from './registry.ts';

function set(pixels: number[], shape: [number, number, number]): ImageSet {
  const per = shape[0] * shape[1] * shape[2];
  return { pixels: Uint8Array.from(pixels), labels: null, count: pixels.length / per, shape, numClasses: 0 };
}

test('Sobel magnitude of a vertical step edge: 4 at the two columns beside it, 0 elsewhere', () => {
  // 4×4, left half 0, right half 1.
  const img = Float32Array.from([0, 0, 1, 1, 0, 0, 1, 1, 0, 0, 1, 1, 0, 0, 1, 1]);
  const m = sobelMagnitude(img, 4, 4);
  // Column 1: gx = (1 + 2 + 1) − (0 + 0 + 0) = 4; column 2 likewise; columns 0 and 3 see no change (borders replicated).
  assert.deepEqual(Array.from(m), [0, 4, 4, 0, 0, 4, 4, 0, 0, 4, 4, 0, 0, 4, 4, 0]);
  // A diagonal ramp 0.1·(x + y): gx = gy = (1 + 2 + 1)·0.2 inside → magnitude 0.8·√2.
  const ramp = Float32Array.from({ length: 25 }, (_, i) => 0.1 * (Math.floor(i / 5) + (i % 5)));
  assert.ok(Math.abs(sobelMagnitude(ramp, 5, 5)[12]! - 0.8 * Math.SQRT2) < 1e-5);
});

test('edges are a binary 1-channel map; gray is BT.601 luma', () => {
  const s = set([0, 0, 255, 255, 0, 0, 255, 255, 0, 0, 255, 255, 0, 0, 255, 255], [4, 4, 1]);
  assert.deepEqual(Array.from(edgesOf(s, 0.8).pixels), [0, 255, 255, 0, 0, 255, 255, 0, 0, 255, 255, 0, 0, 255, 255, 0]);
  assert.deepEqual(Array.from(edgesOf(s, 4.5).pixels), new Array(16).fill(0), 'a threshold above the step magnitude finds nothing');
  const rgb = set([255, 0, 0, 0, 255, 0, 0, 0, 255, 100, 100, 100], [2, 2, 3]);
  const g = grayOf(rgb);
  assert.deepEqual(g.shape, [2, 2, 1]);
  assert.deepEqual(Array.from(g.pixels), [76, 150, 29, 100]); // round(255·0.299), round(255·0.587), round(255·0.114)
  assert.throws(() => pairedTaskSet('gray', s, 'train'), /needs colour images/);
});

test('blur kernels are normalized with the right support; a constant image stays constant; blur is seeded', () => {
  for (const [kind, p] of [['gaussian', 1.5], ['motion', 7]] as const) {
    const { k, r } = blurKernel(kind, p, 0.7);
    assert.ok(Math.abs(k.reduce((a, b) => a + b, 0) - 1) < 1e-5, `${kind} sums to 1`);
    assert.equal(r, kind === 'gaussian' ? 5 : 3);
  }
  // A horizontal motion line: only the middle row has weight.
  const { k } = blurKernel('motion', 5, 0);
  for (let y = 0; y < 5; y++) for (let x = 0; x < 5; x++) if (y !== 2) assert.ok(k[y * 5 + x]! < 1e-6);
  const flat = set(new Array(2 * 8 * 8 * 3).fill(77), [8, 8, 3]);
  assert.ok(blurOf(flat, 1).pixels.every((v) => v === 77));
  const noisy = set(Array.from({ length: 3 * 10 * 10 }, (_, i) => (i * 37) % 256), [10, 10, 1]);
  assert.deepEqual(blurOf(noisy, 5).pixels, blurOf(noisy, 5).pixels);
  assert.notDeepEqual(blurOf(noisy, 5).pixels, noisy.pixels);
  assert.deepEqual(pairedTaskSet('blur', noisy, 'test').input.pixels, pairedTaskSet('blur', noisy, 'test').input.pixels);
});

test("the 'paired-task' dataset: input/target fields, the test split's pairs, schema errors", async () => {
  const cfg = { name: 'paired-task', task: 'edges', from: { name: 'mnist', limit: 50 } } as const;
  const src = await openDataSource(cfg, 1);
  assert.deepEqual(src.fields.input!.shape, [28, 28, 1]);
  const b = src.nextBatch(4);
  assert.ok(b.input!.every((v) => v === -1 || v === 1), 'edge maps are binary');
  assert.equal(b.x, b.target);
  const t = await loadPairedEvalSet(cfg, 'test');
  assert.equal(t.input.count, 50);
  assert.deepEqual(t.input.pixels, edgesOf(t.target).pixels);
  assert.throws(() => parseDatasetConfig({ name: 'paired-task', task: 'sketch', from: { name: 'mnist' } } as never), /task/);
  assert.throws(() => parseDatasetConfig({ name: 'paired-task', task: 'edges', from: { name: 'ring8' } } as never), /from/);
  await assert.rejects(loadPairedEvalSet({ name: 'mnist' }, 'test'), /not paired/);
});
