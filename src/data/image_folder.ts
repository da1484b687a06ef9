/**
 * A folder of PNG/JPEG images as an 8-bit ImageSet. Each image is centre-cropped to a square, resized to
 * imageSize × imageSize (area averaging when shrinking, bilinear when enlarging; see resize.ts) and
 * converted to 1 (BT.601 luma) or 3 channels, then rounded to bytes (once, at load). Transparent pixels are composited over black.
 * Unlabeled: every image under the folder, recursively, in sorted path order. Labeled: one
 * sub-folder per class, class names sorted (by code point), images under each recursively.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { extname, join } from 'node:path';
import type { Split } from './mnist.ts';
import jpeg from 'jpeg-js';
import { PNG } from 'pngjs';
import type { ImageSet } from './dataset.ts';
import { imageToBytes, type DecodedImage } from './resize.ts';

// Decoded images are fitted to a size in resize.ts (no Node imports there: the browser studio fits uploads too).
export { imageToBytes, type DecodedImage, type ImageRegion } from './resize.ts';

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


const IMAGE_EXTENSIONS = new Set(['.png', '.jpg', '.jpeg']);

export function byCodePoint(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function isImageName(name: string): boolean {
  return !name.startsWith('.') && IMAGE_EXTENSIONS.has(extname(name).toLowerCase());
}

export function isDir(path: string): boolean {
  return existsSync(path) && statSync(path).isDirectory();
}

/** A data folder with train/ and test/ sub-folders splits by them; otherwise the whole folder is the train split. */
export function folderForSplit(dir: string, split: Split, what = 'image folder'): string {
  if (split !== 'train' && split !== 'test') throw new Error(`split must be 'train' or 'test', got '${String(split)}'`);
  const hasSplits = isDir(join(dir, 'train')) && isDir(join(dir, 'test'));
  if (hasSplits) return join(dir, split);
  if (split === 'test') throw new Error(`${what} ${dir} has no test split: add train/ and test/ sub-folders`);
  return dir;
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

/** Decodes a file and checks it has pixels. */
export function decodeNonEmpty(path: string): DecodedImage {
  const img = decodeImageFile(path);
  if (img.width < 1 || img.height < 1) throw new Error(`${path}: image has no pixels (${img.width}×${img.height})`);
  return img;
}

/** Decodes, crops, resizes and converts one image, writing size × size × channels bytes at `offset`. */
export function loadImageInto(path: string, size: number, channels: number, out: Uint8Array, offset: number): void {
  imageToBytes(decodeNonEmpty(path), size, channels, out, offset);
}

/** Checks imageSize and channels, naming what they are for. */
export function checkImageOptions(what: string, opts: { imageSize: number; channels: number }): void {
  if (!Number.isInteger(opts.imageSize) || opts.imageSize < 1) throw new Error(`${what}: imageSize must be a positive integer, got ${opts.imageSize}`);
  if (opts.channels !== 1 && opts.channels !== 3) throw new Error(`${what}: channels must be 1 or 3, got ${opts.channels}`);
}

function checkOptions(dir: string, opts: ImageFolderOptions): void {
  checkImageOptions(`image folder ${dir}`, opts);
  if (opts.limit !== undefined && (!Number.isInteger(opts.limit) || opts.limit < 1)) {
    throw new Error(`image folder ${dir}: limit must be a positive integer, got ${opts.limit}`);
  }
  if (!isDir(dir)) throw new Error(`image folder ${dir} not found`);
}

/** Loads an image folder as an 8-bit ImageSet. */
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
  const pixels = new Uint8Array(count * per);
  for (let i = 0; i < count; i++) loadImageInto(files[i]!, opts.imageSize, opts.channels, pixels, i * per);
  return {
    pixels,
    labels: labelOf ? Int32Array.from(labelOf.slice(0, count)) : null,
    count,
    shape: [opts.imageSize, opts.imageSize, opts.channels],
    numClasses: classNames ? classNames.length : 0,
    ...(classNames ? { classNames } : {}),
  };
}

