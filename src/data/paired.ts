/**
 * Paired image-to-image data (pix2pix): each example is an input image and its target, aligned.
 * Two layouts:
 *  - 'ab': one image per example, input in the left half and target in the right half (the pix2pix
 *    "AB" files); an odd width gives the extra column to the target;
 *  - 'folders': `A/` (inputs) and `B/` (targets), or any two folders `dirA` and `dirB`, matched by
 *    file path with the extension dropped (A/x.jpg pairs with B/x.png).
 * Each half or file is centre-cropped, resized and channel-converted like an image folder, then
 * stored as bytes. Batches carry `input`, `target` and `x` (the same array as `target`).
 */
import { extname, join, relative } from 'node:path';
import { gatherUnit, sampleFields, sampleSize, shuffledSource, type Batch, type DataSource, type ImageSet } from './dataset.ts';
import { checkImageOptions, decodeNonEmpty, folderForSplit, imageToBytes, isDir, listImageFiles, loadImageInto } from './image_folder.ts';
import type { Split } from './mnist.ts';

export type PairedLayout = 'ab' | 'folders';

export interface PairedOptions {
  layout: PairedLayout;
  /** 'ab': the folder of AB images; 'folders': the folder holding A/ and B/. Either may have train/ and test/ sub-folders. */
  dir?: string;
  /** 'folders' only, instead of dir: the input and target folders (a train split only). */
  dirA?: string;
  dirB?: string;
  imageSize: number;
  channels: number;
  limit?: number;
}

/** Inputs and targets of one split: same count and shape, example i of one pairs with example i of the other. */
export interface PairedSet {
  input: ImageSet;
  target: ImageSet;
  /** Where example i came from (the AB file, or the A file). */
  files: string[];
}

const MAX_LISTED = 10;

function listed(names: string[]): string {
  const shown = names.slice(0, MAX_LISTED).join(', ');
  return names.length > MAX_LISTED ? `${shown}, … (${names.length - MAX_LISTED} more)` : shown;
}

/** Files under a folder keyed by their path relative to it with the extension dropped. */
function filesByStem(dir: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const path of listImageFiles(dir)) {
    const rel = relative(dir, path);
    const stem = rel.slice(0, rel.length - extname(rel).length);
    const prev = out.get(stem);
    if (prev) throw new Error(`paired folder ${dir}: ${relative(dir, prev)} and ${rel} have the same name: cannot tell which one pairs`);
    out.set(stem, path);
  }
  return out;
}

/** A/ and B/ files matched by name; every file must have its partner. */
export function matchPairs(dirA: string, dirB: string): [string, string][] {
  for (const d of [dirA, dirB]) if (!isDir(d)) throw new Error(`paired folder ${d} not found`);
  const a = filesByStem(dirA);
  const b = filesByStem(dirB);
  const onlyA = [...a.keys()].filter((k) => !b.has(k));
  const onlyB = [...b.keys()].filter((k) => !a.has(k));
  if (onlyA.length || onlyB.length) {
    const parts: string[] = [];
    if (onlyA.length) parts.push(`${onlyA.length} file(s) in ${dirA} have no match in ${dirB}: ${listed(onlyA.map((k) => relative(dirA, a.get(k)!)))}`);
    if (onlyB.length) parts.push(`${onlyB.length} file(s) in ${dirB} have no match in ${dirA}: ${listed(onlyB.map((k) => relative(dirB, b.get(k)!)))}`);
    throw new Error(`paired folders: files are matched by name; ${parts.join('; ')}`);
  }
  if (a.size === 0) throw new Error(`paired folder ${dirA} is empty: no PNG/JPEG images found`);
  // listImageFiles is sorted, so the pairs are in A's path order.
  return [...a.entries()].map(([k, path]) => [path, b.get(k)!]);
}

function emptySet(count: number, shape: [number, number, number]): ImageSet {
  return { pixels: new Uint8Array(count * sampleSize(shape)), labels: null, count, shape, numClasses: 0 };
}

/** Loads one split of a paired dataset. */
export function loadPairedSet(opts: PairedOptions, split: Split): PairedSet {
  checkImageOptions('paired data', opts);
  if (opts.limit !== undefined && (!Number.isInteger(opts.limit) || opts.limit < 1)) throw new Error(`paired data: limit must be a positive integer, got ${opts.limit}`);
  const { imageSize: size, channels } = opts;
  const shape: [number, number, number] = [size, size, channels];
  const per = sampleSize(shape);
  if (opts.layout === 'ab') {
    if (!opts.dir) throw new Error("paired data with layout 'ab' needs 'dir' (the folder of side-by-side input|target images)");
    const dir = folderForSplit(opts.dir, split, 'paired folder');
    if (!isDir(dir)) throw new Error(`paired folder ${dir} not found`);
    const files = listImageFiles(dir).slice(0, opts.limit ?? Infinity);
    if (files.length === 0) throw new Error(`paired folder ${dir} is empty: no PNG/JPEG images found`);
    const input = emptySet(files.length, shape);
    const target = emptySet(files.length, shape);
    files.forEach((path, i) => {
      const img = decodeNonEmpty(path);
      if (img.width < 2) throw new Error(`${path}: ${img.width} pixel(s) wide: an AB image holds the input and the target side by side`);
      const half = Math.floor(img.width / 2);
      imageToBytes(img, size, channels, input.pixels, i * per, { left: 0, width: half });
      imageToBytes(img, size, channels, target.pixels, i * per, { left: half, width: img.width - half });
    });
    return { input, target, files };
  }
  if (opts.layout !== 'folders') throw new Error(`paired data: layout must be 'ab' or 'folders', got '${String(opts.layout)}'`);
  let dirA: string;
  let dirB: string;
  if (opts.dirA || opts.dirB) {
    if (!opts.dirA || !opts.dirB) throw new Error("paired data: give both 'dirA' and 'dirB'");
    if (opts.dir) throw new Error("paired data: give either 'dir' (holding A/ and B/) or 'dirA' and 'dirB', not both");
    if (split === 'test') throw new Error("paired data from 'dirA' and 'dirB' has no test split: use 'dir' with train/ and test/ sub-folders, each holding A/ and B/");
    [dirA, dirB] = [opts.dirA, opts.dirB];
  } else {
    if (!opts.dir) throw new Error("paired data with layout 'folders' needs 'dir' (holding A/ and B/) or 'dirA' and 'dirB' (on the command line: --data-a INPUTS --data-b TARGETS)");
    const dir = folderForSplit(opts.dir, split, 'paired folder');
    [dirA, dirB] = [join(dir, 'A'), join(dir, 'B')];
  }
  const pairs = matchPairs(dirA, dirB).slice(0, opts.limit ?? Infinity);
  const input = emptySet(pairs.length, shape);
  const target = emptySet(pairs.length, shape);
  pairs.forEach(([a, b], i) => {
    loadImageInto(a, size, channels, input.pixels, i * per);
    loadImageInto(b, size, channels, target.pixels, i * per);
  });
  return { input, target, files: pairs.map(([a]) => a) };
}

/** Shuffled batches of aligned input/target pairs (one permutation for both). */
export function pairedSource(name: string, set: PairedSet, seed: number): DataSource {
  const shape = set.target.shape;
  const per = sampleSize(shape);
  return shuffledSource(
    {
      name,
      count: set.target.count,
      shape,
      fields: { ...sampleFields(shape, false), input: { shape: [...set.input.shape], dtype: 'float32' }, target: { shape: [...shape], dtype: 'float32' } },
      numClasses: 0,
      gather(indices: Uint32Array): Batch {
        const target = gatherUnit(set.target.pixels, per, indices);
        return { x: target, input: gatherUnit(set.input.pixels, sampleSize(set.input.shape), indices), target };
      },
    },
    seed,
  );
}
