/**
 * Super-resolution pairs: the target is a high-resolution (HR) image and the input the same image shrunk
 * by `scale` with MATLAB-style bicubic (bicubic.ts), rounded to bytes as a saved LR image is — the
 * standard protocol of SRCNN, SRGAN, EDSR and ESRGAN. Two sources of HR images:
 *  - a stored dataset at its own size (CIFAR-10: 32×32 HR, 8×8 LR at 4×): every image is a pair;
 *  - a folder of photographs at their native resolution: training batches are random `crop`×`crop` HR
 *    crops (position and photo drawn from the source's seeded, checkpointed stream, each crop shrunk as it
 *    is drawn); the test split is fixed crops — `evalCrop`×`evalCrop`, centred in each quarter of every
 *    held-out photo — so every run and baseline is scored on the same pixels. Photos are split by name:
 *    `train/` and `test/` sub-folders, or the last `holdout` files (in sorted order) are the test split.
 */
import { Rng } from '../core/rng.ts';
import { resizeBicubicBytes } from './bicubic.ts';
import { checkBatchSize, isRngState, sampleFields, sampleSize, stateError, type Batch, type DataSource, type ImageSet } from './dataset.ts';
import { decodeNonEmpty, folderForSplit, isDir, listImageFiles } from './image_folder.ts';
import type { Split } from './mnist.ts';
import type { PairedSet } from './paired.ts';

export const SR_SCALES = [2, 3, 4, 8] as const;
export type SrScale = (typeof SR_SCALES)[number];
export const DEFAULT_SR_CROP = 96;
export const DEFAULT_SR_EVAL_CROP = 256;

function checkScale(scale: number): void {
  if (!(SR_SCALES as readonly number[]).includes(scale)) throw new Error(`super-resolution scale must be one of ${SR_SCALES.join(', ')}, got ${scale}`);
}

/** Every image of a set as an HR target with its bicubic LR input; sides must be multiples of `scale`. */
export function downscalePairs(set: ImageSet, scale: number, files?: string[]): PairedSet {
  checkScale(scale);
  const [h, w, c] = set.shape;
  if (h % scale !== 0 || w % scale !== 0) throw new Error(`super-resolution ×${scale}: ${w}×${h} images are not a multiple of ${scale} on each side`);
  const lrShape: [number, number, number] = [h / scale, w / scale, c];
  const per = sampleSize(set.shape);
  const lrPer = sampleSize(lrShape);
  const pixels = new Uint8Array(set.count * lrPer);
  for (let i = 0; i < set.count; i++) resizeBicubicBytes(set.pixels.subarray(i * per, (i + 1) * per), h, w, c, lrShape[0], lrShape[1], pixels, i * lrPer);
  const input: ImageSet = { ...set, pixels, shape: lrShape };
  return { input, target: set, files: files ?? Array.from({ length: set.count }, (_, i) => String(i)) };
}

/** A photograph at its own resolution, RGB bytes. */
export interface Photo {
  file: string;
  height: number;
  width: number;
  pixels: Uint8Array;
}

export interface PhotoFolderOptions {
  /** Files held out (last in sorted order) as the test split, when the folder has no train/ and test/. */
  holdout?: number;
  limit?: number;
}

/** The photo files of one split. */
export function photoFiles(dir: string, split: Split, opts: PhotoFolderOptions = {}): string[] {
  if (!isDir(dir)) throw new Error(`photo folder ${dir} not found`);
  const hasSplits = folderForSplit(dir, 'train') !== dir;
  let files: string[];
  if (hasSplits) {
    if (opts.holdout) throw new Error(`photo folder ${dir} has train/ and test/ sub-folders: drop 'holdout' (the split is given by the folders)`);
    files = listImageFiles(folderForSplit(dir, split, 'photo folder'));
  } else {
    const all = listImageFiles(dir);
    const holdout = opts.holdout ?? 0;
    if (holdout >= all.length) throw new Error(`photo folder ${dir}: holdout ${holdout} leaves no training photos (${all.length} found)`);
    if (split === 'test' && holdout === 0) {
      throw new Error(`photo folder ${dir} has no test split: give data.holdout N (the last N photos by name are held out) or use train/ and test/ sub-folders`);
    }
    files = split === 'train' ? all.slice(0, all.length - holdout) : all.slice(all.length - holdout);
  }
  files = files.slice(0, opts.limit ?? Infinity);
  if (files.length === 0) throw new Error(`photo folder ${dir}: no PNG/JPEG images for the ${split} split`);
  return files;
}

/**
 * Decodes photos to RGB bytes (alpha composited over black). With `maxSide`, a photo whose longer side is
 * larger is first shrunk (bicubic, antialiased) to it: many photo files (wallpapers) are oversampled, so
 * at native size a ×2 bicubic round trip is already near-lossless and there is little detail to restore.
 */
export function loadPhotos(files: string[], minSide: number, maxSide?: number): Photo[] {
  return files.map((file) => {
    const img = decodeNonEmpty(file);
    let pixels: Uint8Array = new Uint8Array(img.width * img.height * 3);
    for (let p = 0; p < img.width * img.height; p++) {
      const a = img.rgba[4 * p + 3]! / 255;
      for (let k = 0; k < 3; k++) pixels[3 * p + k] = Math.round(img.rgba[4 * p + k]! * a);
    }
    let [height, width] = [img.height, img.width];
    if (maxSide !== undefined && Math.max(width, height) > maxSide) {
      const f = maxSide / Math.max(width, height);
      const [h, w] = [Math.max(1, Math.round(height * f)), Math.max(1, Math.round(width * f))];
      pixels = resizeBicubicBytes(pixels, height, width, 3, h, w);
      [height, width] = [h, w];
    }
    if (width < minSide || height < minSide) throw new Error(`${file}: ${width}×${height}${maxSide ? ` (after shrinking to maxSide ${maxSide})` : ''} is smaller than the ${minSide}-px crops taken from it`);
    return { file, height, width, pixels };
  });
}

function cropInto(photo: Photo, top: number, left: number, size: number, out: Uint8Array, offset: number): void {
  for (let y = 0; y < size; y++) {
    const src = ((top + y) * photo.width + left) * 3;
    out.set(photo.pixels.subarray(src, src + size * 3), offset + y * size * 3);
  }
}

/** The fixed test crops: one `size` crop centred in each quarter of every photo (clamped inside it). */
export function photoEvalPairs(photos: Photo[], size: number, scale: number): PairedSet {
  checkScale(scale);
  if (size % scale !== 0) throw new Error(`super-resolution: evalCrop ${size} is not a multiple of the scale ${scale}`);
  const shape: [number, number, number] = [size, size, 3];
  const per = sampleSize(shape);
  const count = photos.length * 4;
  const pixels = new Uint8Array(count * per);
  const files: string[] = [];
  photos.forEach((p, i) => {
    for (let q = 0; q < 4; q++) {
      const cy = Math.round(((q >> 1) + 0.5) * (p.height / 2));
      const cx = Math.round(((q & 1) + 0.5) * (p.width / 2));
      const top = Math.max(0, Math.min(p.height - size, cy - size / 2));
      const left = Math.max(0, Math.min(p.width - size, cx - size / 2));
      cropInto(p, top, left, size, pixels, (4 * i + q) * per);
      files.push(`${p.file}#${left},${top}`);
    }
  });
  const set: ImageSet = { pixels, labels: null, count, shape, numClasses: 0 };
  return downscalePairs(set, scale, files);
}

interface PhotoCropState {
  kind: 'photo-crops';
  photos: number;
  rng: [number, number, number, number];
}

/** Random HR crops from photos, each with its bicubic LR input, drawn from a seeded, resumable stream. */
export function photoCropSource(name: string, photos: Photo[], crop: number, scale: number, seed: number): DataSource {
  checkScale(scale);
  if (crop % scale !== 0) throw new Error(`super-resolution: crop ${crop} is not a multiple of the scale ${scale}`);
  if (photos.length === 0) throw new Error(`${name}: no photos`);
  const rng = new Rng(seed).fork('data');
  const hr: [number, number, number] = [crop, crop, 3];
  const lr: [number, number, number] = [crop / scale, crop / scale, 3];
  const per = sampleSize(hr);
  const lrPer = sampleSize(lr);
  // Photos are drawn by area, so every HR pixel is about as likely to be in a crop.
  const areas = photos.map((p) => (p.height - crop + 1) * (p.width - crop + 1));
  const total = areas.reduce((a, b) => a + b, 0);
  const cumulative = areas.map(((s) => (a: number) => (s += a / total))(0));
  return {
    name,
    shape: [...hr],
    fields: { ...sampleFields(hr, false), input: { shape: [...lr], dtype: 'float32' }, target: { shape: [...hr], dtype: 'float32' } },
    numClasses: 0,
    range: [-1, 1],
    size: Infinity,
    nextBatch(batchSize: number): Batch {
      checkBatchSize(name, batchSize);
      const hrBytes = new Uint8Array(batchSize * per);
      const lrBytes = new Uint8Array(batchSize * lrPer);
      for (let i = 0; i < batchSize; i++) {
        const u = rng.uniform();
        const p = photos[Math.max(0, cumulative.findIndex((c) => u < c))] ?? photos[photos.length - 1]!;
        const top = rng.int(p.height - crop + 1);
        const left = rng.int(p.width - crop + 1);
        cropInto(p, top, left, crop, hrBytes, i * per);
        resizeBicubicBytes(hrBytes.subarray(i * per, (i + 1) * per), crop, crop, 3, lr[0], lr[1], lrBytes, i * lrPer);
      }
      const target = Float32Array.from(hrBytes, (v) => v / 127.5 - 1);
      return { x: target, target, input: Float32Array.from(lrBytes, (v) => v / 127.5 - 1) };
    },
    getState(): PhotoCropState {
      return { kind: 'photo-crops', photos: photos.length, rng: rng.getState() };
    },
    setState(state: unknown): void {
      const s = state as Partial<PhotoCropState> | null;
      if (typeof s !== 'object' || s === null || s.kind !== 'photo-crops') throw stateError(name, "expected kind 'photo-crops'", state);
      if (s.photos !== photos.length) throw stateError(name, `it is for ${s.photos} photos, this folder has ${photos.length}`, state);
      if (!isRngState(s.rng)) throw stateError(name, 'rng must be four uint32 words', state);
      rng.setState(s.rng);
    },
  };
}
