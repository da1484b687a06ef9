import { test } from 'node:test';
import assert from 'node:assert/strict';
import zlib from 'node:zlib';
import { PNG } from 'pngjs';
import { encodeImageGrid, encodeScatter } from './images.ts';

test('encodeImageGrid tiles images with a 2-pixel white gap and maps the data range onto 0..255', () => {
  // Two 2×2 grey images in [-1, 1]: all -1 (black) and all +1 (white), scaled 2×, side by side.
  const x = new Float32Array([-1, -1, -1, -1, 1, 1, 1, 1]);
  const png = PNG.sync.read(encodeImageGrid(x, 2, [2, 2, 1], [-1, 1], 2, 2));
  assert.equal(png.width, 2 * (4 + 2) + 2);
  assert.equal(png.height, 4 + 2 + 2);
  const at = (px: number, py: number) => Array.from(png.data.subarray((py * png.width + px) * 4, (py * png.width + px) * 4 + 4));
  assert.deepEqual(at(0, 0), [255, 255, 255, 255]); // gap
  assert.deepEqual(at(2, 2), [0, 0, 0, 255]); // first image
  assert.deepEqual(at(5, 5), [0, 0, 0, 255]);
  assert.deepEqual(at(8, 2), [255, 255, 255, 255]); // second image
});

test('encoding PNGs opens no zlib stream (an unclosed one kept every grid alive: a slow leak in long runs)', (t) => {
  // pngjs's PNG constructor creates a deflate stream that the sync encoder never uses or closes; a run
  // writing a grid every few hundred steps leaked 0.85 MB per grid that way. The encoder must not open one.
  const created = t.mock.method(zlib, 'createDeflate');
  encodeImageGrid(new Float32Array(4 * 28 * 28), 4, [28, 28, 1], [-1, 1], 2, 2);
  encodeScatter(new Float32Array([0, 0]), [[1, 1]], [-2, 2]);
  assert.equal(created.mock.callCount(), 0);
  // The spy does see pngjs's stream when a PNG object is constructed.
  new PNG({ width: 1, height: 1 });
  assert.equal(created.mock.callCount(), 1);
});
