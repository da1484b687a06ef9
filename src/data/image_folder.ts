/**
 * A folder of PNG/JPEG images as an ImageSet. Each image is centre-cropped to a square, resized to
 * imageSize × imageSize (area averaging when shrinking, bilinear when enlarging; see resize.ts) and
 * converted to 1 (BT.601 luma) or 3 channels. Transparent pixels are composited over black.
 * Unlabeled: every image under the folder, recursively, in sorted path order. Labeled: one
 * sub-folder per class, class names sorted (by code point), images under each recursively.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { extname, join } from 'node:path';
import jpeg from 'jpeg-js';
import { PNG } from 'pngjs';
import type { ImageSet } from './dataset.ts';
import { applyPlan, centreCropPlan, convertChannels } from './resize.ts';

export interface ImageFolderOptions {
  /** Output height and width. */
  imageSize: number;
  /** 1 (grey) or 3 (RGB). */
  channels: number;
  /** One sub-folder per class. */
  labeled?: boolean;
  /** Keep only the first `limit` images (in listing order). */
  limit?: number;
}

export interface DecodedImage {
  width: number;
  height: number;
  /** RGBA, 8 bits per channel. */
  rgba: Uint8Array;
}

const IMAGE_EXTENSIONS = new Set(['.png', '.jpg', '.jpeg']);

function byCodePoint(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function isImageName(name: string): boolean {
  return !name.startsWith('.') && IMAGE_EXTENSIONS.has(extname(name).toLowerCase());
}

/** Image files under `dir`, recursively, sorted by path (hidden files and folders skipped). */
export function listImageFiles(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const entry of readdirSync(d, { withFileTypes: true }).sort((a, b) => byCodePoint(a.name, b.name))) {
      if (entry.name.startsWith('.')) continue;
      const path = join(d, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (isImageName(entry.name)) out.push(path);
    }
  };
  walk(dir);
  return out;
}

/** Decodes a PNG or JPEG (recognised by content, not name) to RGBA; errors name the file. */
export function decodeImageFile(path: string): DecodedImage {
  const buf = readFileSync(path);
  const isPng = buf.length >= 8 && buf.readUInt32BE(0) === 0x89504e47;
  const isJpeg = buf.length >= 3 && buf[0] === 0xff && buf[1] === 0xd8 && buf[2] === 0xff;
  try {
    if (isPng) {
      const png = PNG.sync.read(buf);
      return { width: png.width, height: png.height, rgba: new Uint8Array(png.data.buffer, png.data.byteOffset, png.data.length) };
    }
    if (isJpeg) {
      const img = jpeg.decode(buf, { useTArray: true, formatAsRGBA: true, tolerantDecoding: false });
      if (img.data.length !== img.width * img.height * 4) throw new Error('decoded size does not match its dimensions');
      return { width: img.width, height: img.height, rgba: img.data };
    }
  } catch (err) {
    throw new Error(`${path}: cannot decode ${isPng ? 'PNG' : 'JPEG'} image (${err instanceof Error ? err.message : String(err)})`, { cause: err });
  }
  throw new Error(`${path}: cannot decode image: not a PNG or JPEG file (unrecognised header)`);
}

/** Decodes, crops, resizes and converts one image, writing size × size × channels values in [-1, 1] at `offset`. */
export function loadImageInto(path: string, size: number, channels: number, out: Float32Array, offset: number): void {
  const { width, height, rgba } = decodeImageFile(path);
  if (width < 1 || height < 1) throw new Error(`${path}: image has no pixels (${width}×${height})`);
  const pixels = width * height;
  const rgb = new Float32Array(pixels * 3);
  for (let p = 0; p < pixels; p++) {
    const alpha = rgba[p * 4 + 3]! / 255;
    for (let ch = 0; ch < 3; ch++) rgb[p * 3 + ch] = rgba[p * 4 + ch]! * alpha;
  }
  const resized = new Float32Array(size * size * 3);
  applyPlan(centreCropPlan(height, width, size), rgb, width, 3, resized);
  for (let i = 0; i < resized.length; i++) resized[i] = resized[i]! / 127.5 - 1;
  out.set(convertChannels(resized, size * size, 3, channels), offset);
}

function checkOptions(dir: string, opts: ImageFolderOptions): void {
  if (!Number.isInteger(opts.imageSize) || opts.imageSize < 1) throw new Error(`image folder ${dir}: imageSize must be a positive integer, got ${opts.imageSize}`);
  if (opts.channels !== 1 && opts.channels !== 3) throw new Error(`image folder ${dir}: channels must be 1 or 3, got ${opts.channels}`);
  if (opts.limit !== undefined && (!Number.isInteger(opts.limit) || opts.limit < 1)) {
    throw new Error(`image folder ${dir}: limit must be a positive integer, got ${opts.limit}`);
  }
  if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new Error(`image folder ${dir} not found`);
}

/** Loads an image folder as an ImageSet with pixels in [-1, 1]. */
export function loadImageFolder(dir: string, opts: ImageFolderOptions): ImageSet {
  checkOptions(dir, opts);
  let files: string[];
  let labelOf: number[] | null = null;
  let classNames: string[] | undefined;
  if (opts.labeled) {
    classNames = readdirSync(dir, { withFileTypes: true })
      .filter((e) => e.isDirectory() && !e.name.startsWith('.'))
      .map((e) => e.name)
      .sort(byCodePoint);
    if (classNames.length === 0) throw new Error(`image folder ${dir}: labeled mode needs one sub-folder per class, found none`);
    files = [];
    labelOf = [];
    for (const [k, name] of classNames.entries()) {
      const classFiles = listImageFiles(join(dir, name));
      if (classFiles.length === 0) throw new Error(`image folder ${dir}: class folder '${name}' has no PNG/JPEG images`);
      files.push(...classFiles);
      labelOf.push(...classFiles.map(() => k));
    }
  } else {
    files = listImageFiles(dir);
  }
  if (files.length === 0) throw new Error(`image folder ${dir} is empty: no PNG/JPEG images (.png, .jpg, .jpeg) found`);
  const count = Math.min(files.length, opts.limit ?? Infinity);
  const per = opts.imageSize * opts.imageSize * opts.channels;
  const x = new Float32Array(count * per);
  for (let i = 0; i < count; i++) loadImageInto(files[i]!, opts.imageSize, opts.channels, x, i * per);
  return {
    x,
    labels: labelOf ? Int32Array.from(labelOf.slice(0, count)) : null,
    count,
    shape: [opts.imageSize, opts.imageSize, opts.channels],
    numClasses: classNames ? classNames.length : 0,
    ...(classNames ? { classNames } : {}),
  };
}

