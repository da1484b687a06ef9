/**
 * PNG output: sample grids for images and scatter plots for 2-D data (pngjs, pure JS, no native deps).
 */
import { PNG } from 'pngjs';

/** An RGBA pixel buffer with the fields pngjs's sync encoder reads. */
interface RgbaImage {
  width: number;
  height: number;
  data: Buffer;
}

/**
 * A white RGBA image. Not `new PNG(...)`: its constructor opens a zlib deflate stream that is never
 * closed when only the sync encoder is used, which keeps every instance and its pixel buffer alive
 * (measured: 0.85 MB leaked per MNIST sample grid, a slow RSS creep over long runs).
 */
function whiteImage(width: number, height: number): RgbaImage {
  return { width, height, data: Buffer.alloc(4 * width * height, 255) };
}

function encodePng(img: RgbaImage): Buffer {
  return PNG.sync.write(img as unknown as PNG);
}

function toByte(v: number, lo: number, hi: number): number {
  const t = (v - lo) / (hi - lo);
  return Math.max(0, Math.min(255, Math.round(t * 255)));
}

/** Tiles n images [n, H, W, C] (C = 1 or 3, values in range) into a grid PNG with a 2-pixel gap. */
export function encodeImageGrid(x: Float32Array, n: number, shape: number[], range: [number, number], cols?: number, scale = 1): Buffer {
  const [h, w, c] = shape as [number, number, number];
  const ncol = cols ?? Math.ceil(Math.sqrt(n));
  const nrow = Math.ceil(n / ncol);
  const gap = 2;
  const W = (ncol * (w * scale + gap) + gap);
  const H = (nrow * (h * scale + gap) + gap);
  const png = whiteImage(W, H);
  for (let i = 0; i < n; i++) {
    const ox = gap + (i % ncol) * (w * scale + gap);
    const oy = gap + Math.floor(i / ncol) * (h * scale + gap);
    for (let y = 0; y < h * scale; y++) {
      for (let xx = 0; xx < w * scale; xx++) {
        const src = ((i * h + Math.floor(y / scale)) * w + Math.floor(xx / scale)) * c;
        const dst = ((oy + y) * W + ox + xx) * 4;
        for (let k = 0; k < 3; k++) png.data[dst + k] = toByte(x[src + (c === 1 ? 0 : k)]!, range[0], range[1]);
        png.data[dst + 3] = 255;
      }
    }
  }
  return encodePng(png);
}

/** Image `index` of x [n, H, W, C] as a PNG of exactly W × H pixels (no grid border). */
export function encodeImageExact(x: Float32Array, index: number, shape: number[], range: [number, number]): Buffer {
  const [h, w, c] = shape as [number, number, number];
  const png = whiteImage(w, h);
  const base = index * h * w * c;
  for (let p = 0; p < h * w; p++) {
    for (let k = 0; k < 3; k++) png.data[4 * p + k] = toByte(x[base + p * c + (c === 1 ? 0 : k)]!, range[0], range[1]);
    png.data[4 * p + 3] = 255;
  }
  return encodePng(png);
}

/** One PNG per image (with the grid's 2-pixel border). */
export function encodeImage(x: Float32Array, index: number, shape: number[], range: [number, number]): Buffer {
  const per = shape.reduce((a, b) => a * b, 1);
  return encodeImageGrid(x.subarray(index * per, (index + 1) * per), 1, shape, range, 1);
}

/** Scatter plot of 2-D points: real modes (red crosses) under generated points (blue). */
export function encodeScatter(points: Float32Array, modes: number[][], bounds: [number, number], size = 400): Buffer {
  const png = whiteImage(size, size);
  const [lo, hi] = bounds;
  const px = (v: number) => Math.round(((v - lo) / (hi - lo)) * (size - 1));
  const put = (x: number, y: number, rgb: [number, number, number]) => {
    if (x < 0 || y < 0 || x >= size || y >= size) return;
    const o = (y * size + x) * 4;
    png.data[o] = rgb[0];
    png.data[o + 1] = rgb[1];
    png.data[o + 2] = rgb[2];
    png.data[o + 3] = 255;
  };
  for (let i = 0; i + 1 < points.length; i += 2) {
    const x = px(points[i]!);
    const y = size - 1 - px(points[i + 1]!);
    put(x, y, [40, 90, 200]);
    put(x + 1, y, [40, 90, 200]);
    put(x, y + 1, [40, 90, 200]);
    put(x + 1, y + 1, [40, 90, 200]);
  }
  for (const m of modes) {
    const x = px(m[0]!);
    const y = size - 1 - px(m[1]!);
    for (let d = -4; d <= 4; d++) {
      put(x + d, y, [220, 40, 40]);
      put(x, y + d, [220, 40, 40]);
    }
  }
  return encodePng(png);
}
