/**
 * CIFAR-10 from a user's folder, in either of two layouts (detected automatically):
 *  - the official binary batches: data_batch_1.bin … data_batch_5.bin and test_batch.bin, each record
 *    1 label byte + 3,072 pixel bytes (1,024 R, then G, then B, row-major 32×32), optionally inside a
 *    cifar-10-batches-bin/ sub-folder, with class names from batches.meta.txt when present;
 *  - PNG batches with labels.json (the convnetjs layout): each PNG 1024 pixels wide, row i holds image
 *    i, pixel p of the row is image pixel (y = ⌊p/32⌋, x = p mod 32).
 * Output is NHWC [N, 32, 32, 3] bytes.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { PNG } from 'pngjs';
import type { ImageSet } from './dataset.ts';
import type { Split } from './mnist.ts';

export const CIFAR10_CLASS_NAMES = ['airplane', 'automobile', 'bird', 'cat', 'deer', 'dog', 'frog', 'horse', 'ship', 'truck'];

const SIDE = 32;
const PIXELS = SIDE * SIDE;
const IMAGE_BYTES = PIXELS * 3;
const RECORD_BYTES = 1 + IMAGE_BYTES;

export const CIFAR10_TRAIN_BATCHES = ['data_batch_1.bin', 'data_batch_2.bin', 'data_batch_3.bin', 'data_batch_4.bin', 'data_batch_5.bin'];
export const CIFAR10_TEST_BATCH = 'test_batch.bin';

export type CifarLayout = { kind: 'binary'; dir: string } | { kind: 'png'; dir: string };

export interface CifarLoadOptions {
  /** Keep only the first `limit` examples of the split (later files are not read). */
  limit?: number;
}

function isDir(path: string): boolean {
  return existsSync(path) && statSync(path).isDirectory();
}

/** Finds which CIFAR-10 layout `dir` holds. */
export function detectCifarLayout(dir: string): CifarLayout {
  if (!isDir(dir)) throw new Error(`CIFAR-10 folder ${dir} not found`);
  for (const candidate of [dir, join(dir, 'cifar-10-batches-bin')]) {
    if ([...CIFAR10_TRAIN_BATCHES, CIFAR10_TEST_BATCH].some((f) => existsSync(join(candidate, f)))) {
      return { kind: 'binary', dir: candidate };
    }
  }
  if (existsSync(join(dir, 'labels.json'))) return { kind: 'png', dir };
  throw new Error(
    `${dir}: no CIFAR-10 data found: expected the official binary batches (data_batch_1.bin … data_batch_5.bin, test_batch.bin) ` +
      'or PNG batches with labels.json',
  );
}

function checkLimit(limit: number | undefined): number {
  if (limit === undefined) return Infinity;
  if (!Number.isInteger(limit) || limit < 1) throw new Error(`limit must be a positive integer, got ${limit}`);
  return limit;
}

function readClassNames(dir: string): string[] {
  const meta = join(dir, 'batches.meta.txt');
  if (!existsSync(meta)) return [...CIFAR10_CLASS_NAMES];
  const names = readFileSync(meta, 'utf8').split(/\r?\n/).map((s) => s.trim()).filter((s) => s.length > 0);
  if (names.length !== 10) throw new Error(`${meta}: expected 10 class names, found ${names.length}`);
  return names;
}

function loadBinary(dir: string, split: Split, limit: number): ImageSet {
  const files = split === 'train' ? CIFAR10_TRAIN_BATCHES : [CIFAR10_TEST_BATCH];
  const chunks: { buf: Buffer; records: number; path: string }[] = [];
  let total = 0;
  for (const name of files) {
    if (total >= limit) break;
    const path = join(dir, name);
    if (!existsSync(path)) throw new Error(`${path}: file not found (CIFAR-10 ${split} split needs ${files.join(', ')})`);
    const buf = readFileSync(path);
    if (buf.length === 0 || buf.length % RECORD_BYTES !== 0) {
      throw new Error(`${path}: size mismatch (truncated?): ${buf.length} bytes is not a whole number of ${RECORD_BYTES}-byte records`);
    }
    const records = Math.min(buf.length / RECORD_BYTES, limit - total);
    chunks.push({ buf, records, path });
    total += records;
  }
  const pixels = new Uint8Array(total * IMAGE_BYTES);
  const labels = new Int32Array(total);
  let n = 0;
  for (const { buf, records, path } of chunks) {
    for (let r = 0; r < records; r++, n++) {
      const rec = r * RECORD_BYTES;
      const label = buf[rec]!;
      if (label > 9) throw new Error(`${path}: record ${r} has label ${label}, expected 0..9`);
      labels[n] = label;
      const out = n * IMAGE_BYTES;
      // Records are CHW (all R, then G, then B); the output is HWC.
      for (let ch = 0; ch < 3; ch++) {
        const plane = rec + 1 + ch * PIXELS;
        for (let p = 0; p < PIXELS; p++) pixels[out + p * 3 + ch] = buf[plane + p]!;
      }
    }
  }
  return { pixels, labels, count: total, shape: [SIDE, SIDE, 3], numClasses: 10, classNames: readClassNames(dir) };
}

interface PngLabels {
  classes: string[];
  train: { files: string[]; labels: number[] };
  test: { files: string[]; labels: number[] };
}

function readPngLabels(path: string): PngLabels {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new Error(`${path}: not valid JSON (${(err as Error).message})`, { cause: err });
  }
  const p = parsed as Partial<PngLabels>;
  if (!Array.isArray(p.classes) || !p.classes.every((c) => typeof c === 'string')) throw new Error(`${path}: 'classes' must be a list of names`);
  for (const split of ['train', 'test'] as const) {
    const s = p[split];
    if (!s || !Array.isArray(s.files) || !Array.isArray(s.labels)) throw new Error(`${path}: '${split}' must have 'files' and 'labels' lists`);
    s.labels.forEach((l, i) => {
      if (!Number.isInteger(l) || l < 0 || l >= p.classes!.length) {
        throw new Error(`${path}: ${split}.labels[${i}] = ${JSON.stringify(l)} is not a class index 0..${p.classes!.length - 1}`);
      }
    });
  }
  return p as PngLabels;
}

function loadPngBatches(dir: string, split: Split, limit: number): ImageSet {
  const labelsPath = join(dir, 'labels.json');
  const meta = readPngLabels(labelsPath);
  const { files, labels: allLabels } = meta[split];
  const total = Math.min(allLabels.length, limit);
  const pixels = new Uint8Array(total * IMAGE_BYTES);
  let n = 0;
  let rowsInFiles = 0;
  for (const name of files) {
    // With a limit, stop once enough images are read; without one, read every file to check the count.
    if (limit !== Infinity && n >= total) break;
    const path = join(dir, name);
    if (!existsSync(path)) throw new Error(`${path}: file not found (listed in ${labelsPath})`);
    let png: PNG;
    try {
      png = PNG.sync.read(readFileSync(path));
    } catch (err) {
      throw new Error(`${path}: cannot decode PNG (${(err as Error).message})`, { cause: err });
    }
    if (png.width !== PIXELS) throw new Error(`${path}: PNG is ${png.width} pixels wide, expected ${PIXELS} (one 32×32 image per row)`);
    rowsInFiles += png.height;
    const rows = Math.min(png.height, total - n);
    // pngjs always decodes to RGBA; pixel p of row i is image i's pixel (p / 32, p % 32), i.e. already HWC order.
    for (let i = 0; i < rows; i++, n++) {
      const src = i * PIXELS * 4;
      const out = n * IMAGE_BYTES;
      for (let p = 0; p < PIXELS; p++) {
        for (let ch = 0; ch < 3; ch++) pixels[out + p * 3 + ch] = png.data[src + p * 4 + ch]!;
      }
    }
  }
  if (n !== total || (limit === Infinity && rowsInFiles !== allLabels.length)) {
    throw new Error(
      `image/label count mismatch: ${labelsPath} lists ${allLabels.length} ${split} labels, ` +
        `the PNG files ${files.join(', ')} hold ${rowsInFiles} images`,
    );
  }
  return { pixels, labels: Int32Array.from(allLabels.slice(0, total)), count: total, shape: [SIDE, SIDE, 3], numClasses: meta.classes.length, classNames: [...meta.classes] };
}

/** CIFAR-10 split from `dir`, official binary or PNG-batch layout, as [N, 32, 32, 3] bytes. */
export function loadCifar10(split: Split, dir: string, opts: CifarLoadOptions = {}): ImageSet {
  if (split !== 'train' && split !== 'test') throw new Error(`split must be 'train' or 'test', got '${String(split)}'`);
  const limit = checkLimit(opts.limit);
  const layout = detectCifarLayout(dir);
  return layout.kind === 'binary' ? loadBinary(layout.dir, split, limit) : loadPngBatches(layout.dir, split, limit);
}
