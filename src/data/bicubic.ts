/**
 * Bicubic resampling as MATLAB's `imresize` does it, the protocol every super-resolution paper makes its
 * low-resolution inputs with (and the baseline they report): the Keys cubic kernel (a = −0.5), widened by
 * 1/scale when shrinking (antialiasing), pixel centres aligned ((o + 0.5)/scale − 0.5), and borders
 * mirrored with the edge pixel repeated. Separable, on HWC float images; values are not clamped.
 * No Node imports: the browser entry may use it.
 */

/** The Keys cubic convolution kernel with a = −0.5 (MATLAB's 'bicubic'). */
export function cubicKernel(x: number): number {
  const t = Math.abs(x);
  if (t <= 1) return 1.5 * t ** 3 - 2.5 * t ** 2 + 1;
  if (t < 2) return -0.5 * t ** 3 + 2.5 * t ** 2 - 4 * t + 2;
  return 0;
}

interface Taps {
  /** taps[o] = [[source index, weight], …], weights summing to 1. */
  taps: [number, number][][];
}

/** Symmetric index with the edge repeated: −1 → 0, −2 → 1, len → len − 1. */
function mirror(i: number, len: number): number {
  const period = 2 * len;
  let m = ((i % period) + period) % period;
  if (m >= len) m = period - 1 - m;
  return m;
}

function axisTaps(inLen: number, outLen: number, antialias: boolean): Taps {
  const scale = outLen / inLen;
  const shrink = antialias && scale < 1;
  const width = shrink ? 4 / scale : 4;
  const taps: [number, number][][] = [];
  for (let o = 0; o < outLen; o++) {
    const centre = (o + 0.5) / scale - 0.5;
    const first = Math.floor(centre - width / 2);
    const last = Math.ceil(centre + width / 2);
    const row = new Map<number, number>();
    let sum = 0;
    for (let s = first; s <= last; s++) {
      const wgt = shrink ? scale * cubicKernel(scale * (centre - s)) : cubicKernel(centre - s);
      if (wgt === 0) continue;
      const idx = mirror(s, inLen);
      row.set(idx, (row.get(idx) ?? 0) + wgt);
      sum += wgt;
    }
    taps.push([...row.entries()].map(([i, w]) => [i, w / sum]));
  }
  return { taps };
}

/**
 * Resizes an [h, w, c] image (row-major HWC) to [outH, outW, c] with bicubic interpolation; shrinking is
 * antialiased unless `antialias` is false.
 */
export function resizeBicubic(src: ArrayLike<number>, h: number, w: number, c: number, outH: number, outW: number, antialias = true): Float32Array {
  if (src.length < h * w * c) throw new Error(`resizeBicubic: [${h}, ${w}, ${c}] needs ${h * w * c} values, got ${src.length}`);
  if (!(outH >= 1 && outW >= 1)) throw new Error(`resizeBicubic: output size ${outH}×${outW} must be at least 1×1`);
  const cols = axisTaps(w, outW, antialias).taps;
  const rows = axisTaps(h, outH, antialias).taps;
  // Horizontal pass first: [h, outW, c].
  const mid = new Float64Array(h * outW * c);
  for (let y = 0; y < h; y++) {
    for (let xo = 0; xo < outW; xo++) {
      const o = (y * outW + xo) * c;
      for (const [xi, wgt] of cols[xo]!) {
        const s = (y * w + xi) * c;
        for (let k = 0; k < c; k++) mid[o + k]! += wgt * src[s + k]!;
      }
    }
  }
  const out = new Float32Array(outH * outW * c);
  for (let yo = 0; yo < outH; yo++) {
    for (const [yi, wgt] of rows[yo]!) {
      const s = yi * outW * c;
      const o = yo * outW * c;
      for (let j = 0; j < outW * c; j++) out[o + j]! += wgt * mid[s + j]!;
    }
  }
  return out;
}

/** Bicubic resize of 8-bit pixels, rounded and clamped back to bytes (how a saved LR image is made). */
export function resizeBicubicBytes(src: Uint8Array, h: number, w: number, c: number, outH: number, outW: number, out = new Uint8Array(outH * outW * c), offset = 0): Uint8Array {
  const f = resizeBicubic(src, h, w, c, outH, outW);
  for (let i = 0; i < f.length; i++) out[offset + i] = Math.max(0, Math.min(255, Math.round(f[i]!)));
  return out;
}
