/**
 * Captioned images (text-to-image): a folder with `captions.jsonl`, one `{"file": ..., "text": ...}`
 * per line, files relative to the folder. A file may have several captions (several lines): each
 * line is an example, each image is decoded and stored (as bytes) once. Batches carry `x` and
 * `tokens` ([batch, maxLength] ids from the source's tokenizer, built on the training captions).
 */
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { gatherUnit, sampleFields, sampleSize, shuffledSource, type Batch, type DataSource, type ImageSet } from './dataset.ts';
import { checkImageOptions, isDir, loadImageInto } from './image_folder.ts';
import type { Tokenizer } from './tokenizer.ts';

export const CAPTIONS_FILE = 'captions.jsonl';

export interface CaptionedOptions {
  imageSize: number;
  channels: number;
  /** Keep only the first `limit` captions. */
  limit?: number;
}

export interface CaptionedSet {
  /** The distinct images, in order of first mention. */
  images: ImageSet;
  /** Example i shows image imageOf[i] with caption texts[i]. */
  imageOf: Int32Array;
  texts: string[];
}

interface CaptionLine {
  file: string;
  text: string;
  line: number;
}

/** Parses captions.jsonl; errors name the file and line. Blank lines are skipped. */
export function readCaptions(path: string): CaptionLine[] {
  if (!existsSync(path)) throw new Error(`${path}: captions file not found (a captioned folder needs ${CAPTIONS_FILE}, one {"file": ..., "text": ...} per line)`);
  const out: CaptionLine[] = [];
  readFileSync(path, 'utf8').split(/\r?\n/).forEach((raw, i) => {
    const line = i + 1;
    if (raw.trim() === '') return;
    let v: unknown;
    try {
      v = JSON.parse(raw);
    } catch (err) {
      throw new Error(`${path}:${line}: not valid JSON (${(err as Error).message})`, { cause: err });
    }
    if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new Error(`${path}:${line}: expected an object {"file": ..., "text": ...}`);
    const o = v as Record<string, unknown>;
    for (const key of ['file', 'text']) {
      if (!(key in o)) throw new Error(`${path}:${line}: missing field '${key}'`);
      if (typeof o[key] !== 'string') throw new Error(`${path}:${line}: field '${key}' must be a string, got ${JSON.stringify(o[key])}`);
    }
    if ((o.file as string).length === 0) throw new Error(`${path}:${line}: field 'file' is empty`);
    out.push({ file: o.file as string, text: o.text as string, line });
  });
  if (out.length === 0) throw new Error(`${path}: no captions`);
  return out;
}

/** Loads a captioned folder (one split). */
export function loadCaptionedSet(dir: string, opts: CaptionedOptions): CaptionedSet {
  checkImageOptions(`captioned folder ${dir}`, opts);
  if (opts.limit !== undefined && (!Number.isInteger(opts.limit) || opts.limit < 1)) throw new Error(`captioned folder ${dir}: limit must be a positive integer, got ${opts.limit}`);
  if (!isDir(dir)) throw new Error(`captioned folder ${dir} not found`);
  const captionsPath = join(dir, CAPTIONS_FILE);
  const lines = readCaptions(captionsPath).slice(0, opts.limit ?? Infinity);
  const indexOf = new Map<string, number>();
  const files: string[] = [];
  const imageOf = new Int32Array(lines.length);
  lines.forEach(({ file, line }, i) => {
    const path = resolve(dir, file);
    if (!indexOf.has(path)) {
      if (!existsSync(path)) throw new Error(`${captionsPath}:${line}: image file '${file}' not found in ${dir}`);
      indexOf.set(path, files.length);
      files.push(path);
    }
    imageOf[i] = indexOf.get(path)!;
  });
  const shape: [number, number, number] = [opts.imageSize, opts.imageSize, opts.channels];
  const per = sampleSize(shape);
  const pixels = new Uint8Array(files.length * per);
  files.forEach((path, i) => loadImageInto(path, opts.imageSize, opts.channels, pixels, i * per));
  return { images: { pixels, labels: null, count: files.length, shape, numClasses: 0 }, imageOf, texts: lines.map((l) => l.text) };
}

/** Shuffled (image, caption) examples; `tokens` encoded with `tokenizer` once, at construction. */
export function captionedSource(name: string, set: CaptionedSet, tokenizer: Tokenizer, seed: number): DataSource {
  const shape = set.images.shape;
  const per = sampleSize(shape);
  const T = tokenizer.maxLength;
  const encoded = new Int32Array(set.texts.length * T);
  set.texts.forEach((t, i) => tokenizer.encode(t, encoded, i * T));
  return shuffledSource(
    {
      name,
      count: set.texts.length,
      shape,
      fields: { ...sampleFields(shape, false), tokens: { shape: [T], dtype: 'int32' } },
      numClasses: 0,
      tokenizer,
      gather(indices: Uint32Array): Batch {
        const tokens = new Int32Array(indices.length * T);
        indices.forEach((j, i) => tokens.set(encoded.subarray(j * T, (j + 1) * T), i * T));
        return { x: gatherUnit(set.images.pixels, per, Array.from(indices, (j) => set.imageOf[j]!)), tokens };
      },
    },
    seed,
  );
}
