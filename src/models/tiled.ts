/**
 * Running a fully convolutional image-to-image network (a super-resolution generator) on images of any
 * size with bounded memory: the input is cut into overlapping tiles, each tile is run alone, and only
 * its interior (the `overlap` margin dropped, except at the image's own edges) is written to the output,
 * so the seams see the same context as the middle of a tile would. Memory is that of one tile.
 */
import * as tf from '@tensorflow/tfjs-core';

export interface TileOptions {
  /** Tile side in input pixels (default 96). */
  tile?: number;
  /** Context kept on each side of a tile's written interior (default 12 input pixels). */
  overlap?: number;
}

/** Tile origins along one axis: tiles of `tile` px whose interiors (margin `overlap`) cover [0, len). */
export function tileStarts(len: number, tile: number, overlap: number): number[] {
  if (len <= tile) return [0];
  const step = tile - 2 * overlap;
  if (step < 1) throw new Error(`tiles of ${tile} px with ${overlap} px of overlap on each side leave no interior`);
  const starts: number[] = [];
  for (let s = 0; ; s += step) {
    if (s + tile >= len) {
      starts.push(len - tile);
      break;
    }
    starts.push(s);
  }
  return starts;
}

/**
 * `run` maps a [1, th, tw, c] tile to [1, th·scale, tw·scale, c'] (inside a tidy; the result is read and
 * disposed here); the whole [h, w, c] image `x` comes back as [h·scale, w·scale, c'].
 */
export async function runTiled(
  run: (tile: tf.Tensor4D) => tf.Tensor,
  x: Float32Array,
  shape: readonly [number, number, number],
  scale: number,
  outChannels: number,
  opts: TileOptions = {},
): Promise<Float32Array> {
  const [h, w, c] = shape;
  const tile = opts.tile ?? 96;
  const overlap = opts.overlap ?? 12;
  const oh = h * scale;
  const ow = w * scale;
  const out = new Float32Array(oh * ow * outChannels);
  const ys = tileStarts(h, tile, overlap);
  const xs = tileStarts(w, tile, overlap);
  const th = Math.min(tile, h);
  const tw = Math.min(tile, w);
  const buf = new Float32Array(th * tw * c);
  for (const [yi, y0] of ys.entries()) {
    for (const [xi, x0] of xs.entries()) {
      for (let r = 0; r < th; r++) buf.set(x.subarray(((y0 + r) * w + x0) * c, ((y0 + r) * w + x0 + tw) * c), r * tw * c);
      const y = tf.tidy(() => run(tf.tensor4d(buf, [1, th, tw, c])));
      const data = (await y.data()) as Float32Array;
      y.dispose();
      // Interior in input pixels: margins drop `overlap`, except at the image's edges, and stop where the next tile's interior starts.
      const top = yi === 0 ? 0 : Math.max(overlap, (ys[yi - 1]! + th - overlap) - y0);
      const left = xi === 0 ? 0 : Math.max(overlap, (xs[xi - 1]! + tw - overlap) - x0);
      const bottom = yi === ys.length - 1 ? th : th - overlap;
      const right = xi === xs.length - 1 ? tw : tw - overlap;
      const rowLen = (right - left) * scale * outChannels;
      for (let r = top * scale; r < bottom * scale; r++) {
        const src = (r * tw * scale + left * scale) * outChannels;
        const dst = ((y0 * scale + r) * ow + (x0 + left) * scale) * outChannels;
        out.set(data.subarray(src, src + rowLen), dst);
      }
    }
  }
  return out;
}
