/**
 * Image resampling for HWC float images: centre crop to a square, then a separable resize that
 * averages by area when shrinking an axis (each output pixel is the area-weighted mean of the source
 * pixels it covers, so no aliasing) and interpolates bilinearly (half-pixel centres, edges clamped)
 * when enlarging it. Also channel conversion (grey ↔ RGB, luma weights of ITU-R BT.601), and fitting a
 * decoded RGBA image to a size and channel count (image folders, `gantry translate`, the studio's uploads).
 * No Node imports: the browser entry uses it.
 */
import { validateImageSet, type ImageSet } from './dataset.ts';

/**
 * For each output index o, the source indices it reads and their weights (summing to 1), stored
 * compactly: taps start[o] .. start[o + 1] - 1 of index/weight.
 */
interface AxisTaps {
  start: Int32Array;
  index: Int32Array;
  weight: Float32Array;
  /** Lowest and highest source index read. */
  first: number;
  last: number;
}

/** Taps mapping `outLen` outputs onto source range [offset, offset + len). */
function axisTaps(offset: number, len: number, outLen: number): AxisTaps {
  const start = [0];
  const index: number[] = [];
  const weight: number[] = [];
  const scale = len / outLen;
  for (let o = 0; o < outLen; o++) {
    if (outLen === len) {
      index.push(offset + o);
      weight.push(1);
    } else if (outLen < len) {
      // Area: output o covers source [o·scale, (o+1)·scale).
      const lo = o * scale;
      const hi = (o + 1) * scale;
      for (let s = Math.floor(lo); s < Math.min(Math.ceil(hi), len); s++) {
        const overlap = Math.min(hi, s + 1) - Math.max(lo, s);
        if (overlap > 1e-9) {
          index.push(offset + s);
          weight.push(overlap / scale);
        }
      }
    } else {
      // Bilinear: source coordinate of the output pixel centre, clamped to the edge pixels.
      const pos = Math.min(Math.max((o + 0.5) * scale - 0.5, 0), len - 1);
      const s0 = Math.floor(pos);
      const frac = pos - s0;
      index.push(offset + s0);
      weight.push(1 - frac);
      if (s0 + 1 < len && frac > 0) {
        index.push(offset + s0 + 1);
        weight.push(frac);
      }
    }
    start.push(index.length);
  }
  return {
    start: Int32Array.from(start),
    index: Int32Array.from(index),
    weight: Float32Array.from(weight),
    first: Math.min(...index),
    last: Math.max(...index),
  };
}

/** Plan for cropping the centre square of an h×w image and resizing it to size×size. */
export interface ResizePlan {
  rows: AxisTaps;
  cols: AxisTaps;
  outH: number;
  outW: number;
}

export function centreCropPlan(h: number, w: number, size: number): ResizePlan {
  if (!Number.isInteger(size) || size < 1) throw new Error(`image size must be a positive integer, got ${size}`);
  const side = Math.min(h, w);
  return {
    rows: axisTaps(Math.floor((h - side) / 2), side, size),
    cols: axisTaps(Math.floor((w - side) / 2), side, size),
    outH: size,
    outW: size,
  };
}

/** Applies a plan to one HWC image (w source columns, c channels), writing into out at outOffset. */
export function applyPlan(
  plan: ResizePlan,
  src: Float32Array | Uint8Array,
  w: number,
  c: number,
  out: Float32Array,
  outOffset = 0,
): void {
  const { rows, cols, outH, outW } = plan;
  const rowLen = outW * c;
  // Horizontal pass over the source rows the vertical taps read.
  const tmp = new Float32Array((rows.last - rows.first + 1) * rowLen);
  for (let r = rows.first; r <= rows.last; r++) {
    const dstRow = (r - rows.first) * rowLen;
    for (let ox = 0; ox < outW; ox++) {
      const dst = dstRow + ox * c;
      for (let t = cols.start[ox]!; t < cols.start[ox + 1]!; t++) {
        const base = (r * w + cols.index[t]!) * c;
        const wt = cols.weight[t]!;
        for (let ch = 0; ch < c; ch++) tmp[dst + ch]! += wt * src[base + ch]!;
      }
    }
  }
  for (let oy = 0; oy < outH; oy++) {
    const dst = outOffset + oy * rowLen;
    out.fill(0, dst, dst + rowLen);
    for (let t = rows.start[oy]!; t < rows.start[oy + 1]!; t++) {
      const srcRow = (rows.index[t]! - rows.first) * rowLen;
      const wt = rows.weight[t]!;
      for (let i = 0; i < rowLen; i++) out[dst + i]! += wt * tmp[srcRow + i]!;
    }
  }
}

/** Converts `pixels` HWC pixels between 1 and 3 channels (grey → RGB replicates; RGB → grey by BT.601 luma). */
export function convertChannels(src: Float32Array, pixels: number, from: number, to: number): Float32Array {
  if (from === to) return src;
  const out = new Float32Array(pixels * to);
  if (from === 1 && to === 3) {
    for (let p = 0; p < pixels; p++) out[3 * p] = out[3 * p + 1] = out[3 * p + 2] = src[p]!;
  } else if (from === 3 && to === 1) {
    for (let p = 0; p < pixels; p++) out[p] = 0.299 * src[3 * p]! + 0.587 * src[3 * p + 1]! + 0.114 * src[3 * p + 2]!;
  } else {
    throw new Error(`cannot convert images from ${from} to ${to} channels (supported: 1 ↔ 3)`);
  }
  return out;
}

export interface ImageAdapt {
  /** Output height = width; default: unchanged (the images must then be square or left as they are). */
  imageSize?: number;
  /** 1 or 3; default: unchanged. */
  channels?: number;
}

function checkChannels(channels: number): void {
  if (channels !== 1 && channels !== 3) throw new Error(`channels must be 1 or 3, got ${channels}`);
}

/**
 * Resizes (centre crop + area/bilinear) and converts the channels of a batch of `count` HWC images;
 * returns the input itself when nothing changes.
 */
export function adaptImages(
  x: Float32Array,
  count: number,
  shape: readonly [number, number, number],
  adapt: ImageAdapt,
): { x: Float32Array; shape: [number, number, number] } {
  const [h, w, c] = shape;
  const size = adapt.imageSize ?? (h === w ? h : Math.min(h, w));
  const channels = adapt.channels ?? c;
  checkChannels(channels);
  if (size === h && size === w && channels === c) return { x, shape: [h, w, c] };
  const plan = size === h && size === w ? null : centreCropPlan(h, w, size);
  const inPer = h * w * c;
  const out = new Float32Array(count * size * size * channels);
  const resized = new Float32Array(size * size * c);
  for (let i = 0; i < count; i++) {
    const img = x.subarray(i * inPer, (i + 1) * inPer);
    let cur: Float32Array = img;
    if (plan) {
      applyPlan(plan, img, w, c, resized);
      cur = resized;
    }
    out.set(convertChannels(cur, size * size, c, channels), i * size * size * channels);
  }
  return { x: out, shape: [size, size, channels] };
}

/** Rounds values on the 0..255 scale to bytes (clamped), writing at `offset` of `out`. */
export function quantizeBytes(src: Float32Array, out: Uint8Array, offset = 0): void {
  for (let i = 0; i < src.length; i++) out[offset + i] = Math.min(255, Math.max(0, Math.round(src[i]!)));
}

/**
 * An ImageSet resized and channel-converted per `adapt` (the same set when nothing changes). The set
 * stays 8-bit: each image is resampled on the 0..255 scale and rounded back to bytes, once, here.
 */
export function adaptImageSet(set: ImageSet, adapt: ImageAdapt): ImageSet {
  validateImageSet('adaptImageSet', set);
  const per = set.shape[0] * set.shape[1] * set.shape[2];
  const probe = adaptImages(new Float32Array(per), 1, set.shape, adapt);
  if (probe.shape.every((d, i) => d === set.shape[i])) return set;
  const outPer = probe.shape[0] * probe.shape[1] * probe.shape[2];
  const pixels = new Uint8Array(set.count * outPer);
  // One image at a time, so the floats never exceed one image.
  const img = new Float32Array(per);
  for (let i = 0; i < set.count; i++) {
    img.set(set.pixels.subarray(i * per, (i + 1) * per));
    quantizeBytes(adaptImages(img, 1, set.shape, adapt).x, pixels, i * outPer);
  }
  return { ...set, pixels, shape: probe.shape };
}

export interface DecodedImage {
  width: number;
  height: number;
  /** RGBA, 8 bits per channel. */
  rgba: Uint8Array | Uint8ClampedArray;
}

/** A vertical strip of an image: columns left .. left + width - 1 (all rows). */
export interface ImageRegion {
  left: number;
  width: number;
}

/**
 * Crops the centre square of `region` (default: the whole image), resizes it to size × size and
 * converts it to `channels`, writing 8-bit values at `offset` of `out`. Resampling runs on the 0..255
 * scale and is rounded back to bytes once, here: sets stay 1 byte a value. Transparent pixels are composited
 * over `background` (0..255 grey; default black).
 */
export function imageToBytes(img: DecodedImage, size: number, channels: number, out: Uint8Array, offset: number, region?: ImageRegion, background = 0): void {
  const { height, rgba } = img;
  const left = region?.left ?? 0;
  const width = region?.width ?? img.width;
  const pixels = width * height;
  const rgb = new Float32Array(pixels * 3);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const src = (y * img.width + left + x) * 4;
      const alpha = rgba[src + 3]! / 255;
      for (let ch = 0; ch < 3; ch++) rgb[(y * width + x) * 3 + ch] = rgba[src + ch]! * alpha + background * (1 - alpha);
    }
  }
  const resized = new Float32Array(size * size * 3);
  applyPlan(centreCropPlan(height, width, size), rgb, width, 3, resized);
  quantizeBytes(convertChannels(resized, size * size, 3, channels), out, offset);
}

/** 8-bit values as floats in `range` (0 → lo, 255 → hi), as image inputs of exported generators take them. */
export function bytesToRange(bytes: ArrayLike<number>, range: readonly [number, number]): Float32Array {
  const [lo, hi] = range;
  const out = new Float32Array(bytes.length);
  for (let i = 0; i < bytes.length; i++) out[i] = lo + (bytes[i]! / 255) * (hi - lo);
  return out;
}

/**
 * A decoded image fitted to a network's image input of `shape` ([size, size, channels]): centre-cropped,
 * resized, converted to its channel count (colour → BT.601 luma for one channel), values in `range`.
 */
export function imageToInput(img: DecodedImage, shape: readonly number[], range: readonly [number, number]): Float32Array {
  const [h, w, c] = shape as [number, number, number];
  if (shape.length !== 3 || h !== w || (c !== 1 && c !== 3)) throw new Error(`imageToInput: expected a square [size, size, 1 | 3] input shape, got [${shape}]`);
  if (img.width < 1 || img.height < 1) throw new Error(`imageToInput: the image has no pixels (${img.width}×${img.height})`);
  const bytes = new Uint8Array(h * w * c);
  imageToBytes(img, h, c, bytes, 0);
  return bytesToRange(bytes, range);
}
