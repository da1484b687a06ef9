/**
 * The `emoji` dataset: the 64×64 PNG emoji of the npm package `emoji-datasource-google` (Noto Color Emoji,
 * Apache-2.0), read from node_modules. Its emoji.json lists each emoji's name ("RED APPLE"), short names,
 * category and image file; the images have transparent backgrounds, composited here on white. Only the
 * base emoji are used (no skin-tone variants, which repeat a name), images the package ships for Google.
 *
 * Labels are the categories (Smileys & Emotion, Animals & Nature, …); captions are the lower-cased names.
 * Splits: every 10th emoji (in the package's order) is the test split, the rest train.
 */
import { createRequire } from 'node:module';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { sampleSize, type ImageSet } from './dataset.ts';
import { decodeNonEmpty } from './image_folder.ts';
import { imageToBytes } from './resize.ts';

export const EMOJI_PACKAGE = 'emoji-datasource-google';
export const EMOJI_NATIVE_SIZE = 64;
/** One emoji in ten (index % 10 === 0) is held out as the test split. */
export const EMOJI_TEST_EVERY = 10;

interface EmojiEntry {
  name?: string | null;
  short_names?: string[];
  category?: string;
  image?: string;
  has_img_google?: boolean;
}

export interface EmojiSet {
  images: ImageSet;
  /** Lower-cased name of each image ("red apple"), the caption. */
  names: string[];
  categories: string[];
}

/** The installed package's folder; a clear error when it is absent. */
export function emojiPackageDir(): string {
  const require = createRequire(import.meta.url);
  try {
    return dirname(require.resolve(`${EMOJI_PACKAGE}/package.json`));
  } catch {
    throw new Error(`emoji: the npm package '${EMOJI_PACKAGE}' is not installed (npm install ${EMOJI_PACKAGE}); it ships the 64×64 images the emoji dataset reads`);
  }
}

/** The split's emoji at `size` px (any size; 64 is native) with `channels` 3 or 1, on white. */
export function loadEmojiSet(split: 'train' | 'test' | 'all', opts: { size?: number; channels?: number; limit?: number; dir?: string } = {}): EmojiSet {
  const dir = opts.dir ?? emojiPackageDir();
  const listPath = join(dir, 'emoji.json');
  if (!existsSync(listPath)) throw new Error(`emoji: ${listPath} not found (is ${EMOJI_PACKAGE} installed completely?)`);
  const entries = (JSON.parse(readFileSync(listPath, 'utf8')) as EmojiEntry[]).filter((e) => e.has_img_google && e.image && e.name);
  const picked = entries.filter((_, i) => split === 'all' || (i % EMOJI_TEST_EVERY === 0) === (split === 'test')).slice(0, opts.limit ?? Infinity);
  if (picked.length === 0) throw new Error(`emoji: no images in the ${split} split`);
  const categories = [...new Set(entries.map((e) => e.category ?? 'Other'))].sort();
  const size = opts.size ?? EMOJI_NATIVE_SIZE;
  const channels = opts.channels ?? 3;
  const shape: [number, number, number] = [size, size, channels];
  const per = sampleSize(shape);
  const pixels = new Uint8Array(picked.length * per);
  const labels = new Int32Array(picked.length);
  picked.forEach((e, i) => {
    const file = join(dir, 'img', 'google', '64', e.image!);
    if (!existsSync(file)) throw new Error(`emoji: image ${file} is missing from ${EMOJI_PACKAGE}`);
    imageToBytes(decodeNonEmpty(file), size, channels, pixels, i * per, undefined, 255);
    labels[i] = categories.indexOf(e.category ?? 'Other');
  });
  return {
    images: { pixels, labels, count: picked.length, shape, numClasses: categories.length },
    names: picked.map((e) => e.name!.toLowerCase()),
    categories,
  };
}
