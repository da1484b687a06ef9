/**
 * Test images for the studio's Translate and Inpaint pages: the first n images of a translation run's test
 * split, read through the data registry from the run's own `config.yaml` (pix2pix: inputs and their
 * ground-truth targets; CycleGAN: domain A and domain B; inpaint: the whole images, as both a and b). Bytes go out base64-encoded; loads are cached by run folder,
 * config text and n, so clicking around does not reload a dataset.
 */
import path from 'node:path';
import { parse as parseYaml } from 'yaml';
import type { ImageSet } from '../data/dataset.ts';
import type { ImageBatch, TestImages } from './api_types.ts';
import { familyOf, HttpError, readSmallFile } from './run_store.ts';

export const DEFAULT_TEST_IMAGES = 8;
/** Most test images one request may ask for (they are sent as JSON). */
export const MAX_TEST_IMAGES = 32;
/** Loaded sets kept (a few runs' worth); the oldest is dropped first. */
const CACHE_ENTRIES = 8;

type Split = 'train' | 'test';

/** Dataset configs whose loaders take `limit`, so only the first n images are kept. */
const STORED = new Set(['mnist', 'fashion-mnist', 'cifar10', 'folder', 'paired']);
/** Generated 2-D point sets: CycleGAN translates them too, but there are no images to show. */
const POINTS = new Set(['ring8', 'grid25']);

function limited(cfg: Record<string, unknown>, n: number): Record<string, unknown> {
  const cap = (v: unknown) => Math.min(typeof v === 'number' ? v : n, n);
  if (STORED.has(String(cfg.name))) return { ...cfg, limit: cap(cfg.limit) };
  if (cfg.name === 'stacked-mnist') return { ...cfg, evalCount: cap(cfg.evalCount) };
  return cfg;
}

function batchOf(set: ImageSet, n: number): ImageBatch {
  const count = Math.min(n, set.count);
  const per = set.shape[0] * set.shape[1] * set.shape[2];
  const bytes = set.pixels.subarray(0, count * per);
  return { count, shape: set.shape, pixels: Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length).toString('base64') };
}

/** Loads the two sides from the test split, else (an image folder without one) the train split. */
async function loadSides(family: TestImages['family'], data: Record<string, unknown>, n: number): Promise<Omit<TestImages, 'family'>> {
  const registry = await import('../data/registry.ts');
  const load = async (split: Split): Promise<Omit<TestImages, 'family'>> => {
    if (family === 'pix2pix') {
      const cfg = data.name === 'paired-task' ? { ...data, from: limited(data.from as Record<string, unknown>, n) } : limited(data, n);
      const set = await registry.loadPairedEvalSet(cfg as never, split);
      return { split, paired: true, a: batchOf(set.input, n), b: batchOf(set.target, n) };
    }
    if (family === 'inpaint') {
      // The whole images (the page paints the holes): `a` and `b` are the same batch.
      const batch = batchOf(await registry.loadEvalSet({ ...data, from: limited(data.from as Record<string, unknown>, n) } as never, split), n);
      return { split, paired: false, a: batch, b: batch };
    }
    if (data.name !== 'unpaired') throw new Error(`a cyclegan run needs unpaired data, this one has '${String(data.name)}'`);
    const names = [data.a, data.b].map((d) => String((d as { name?: unknown } | undefined)?.name));
    if (names.some((d) => POINTS.has(d))) throw new HttpError(404, `this run translates 2-D points (${names.join(' → ')}), not images: there are no test images to show`);
    const side = (d: unknown) => registry.loadEvalSet(limited(d as Record<string, unknown>, n) as never, split);
    return { split, paired: false, a: batchOf(await side(data.a), n), b: batchOf(await side(data.b), n) };
  };
  try {
    return await load('test');
  } catch (testErr) {
    if (testErr instanceof HttpError) throw testErr;
    try {
      return { ...(await load('train')), note: `no test split (${(testErr as Error).message}): these are training images` };
    } catch (trainErr) {
      const [a, b] = [(testErr as Error).message, (trainErr as Error).message];
      throw new Error(a === b ? a : `${a}; the training split: ${b}`, { cause: trainErr });
    }
  }
}

export class TestImageCache {
  private readonly entries = new Map<string, Promise<TestImages>>();

  /** The first n test images of the run in `dir` (named `name` in messages). */
  async get(dir: string, name: string, n: number): Promise<TestImages> {
    const read = await readSmallFile(path.join(dir, 'config.yaml'));
    if ('error' in read) throw new HttpError(read.missing ? 404 : 403, `run ${name} has no readable config.yaml (${read.error}), so its test data is unknown`);
    const family = familyOf(read.text);
    if (family === null) throw new HttpError(422, `run ${name}: config.yaml does not parse as a run config, so its test data is unknown`);
    if (family !== 'pix2pix' && family !== 'cyclegan' && family !== 'inpaint') throw new HttpError(404, `run ${name} is a ${family} run: test images are for translation and inpainting runs (pix2pix, cyclegan, inpaint)`);
    const data = (parseYaml(read.text) as { data?: unknown }).data;
    if (typeof data !== 'object' || data === null) throw new HttpError(422, `run ${name}: config.yaml has no data section`);
    const key = JSON.stringify([dir, read.text, n]);
    let entry = this.entries.get(key);
    if (!entry) {
      entry = loadSides(family, data as Record<string, unknown>, n).then((sides) => ({ family, ...sides }));
      this.entries.set(key, entry);
      // A failed load is not kept: the data may be installed or mounted later.
      entry.catch(() => this.entries.delete(key));
      while (this.entries.size > CACHE_ENTRIES) this.entries.delete(this.entries.keys().next().value!);
    }
    try {
      return await entry;
    } catch (e) {
      if (e instanceof HttpError) throw e;
      // A 4xx like every other answer about a run folder's content: the server itself is fine.
      throw new HttpError(404, `test images of run ${name} are unavailable: ${(e as Error).message}`);
    }
  }
}

/** Parses the `n` query parameter: 1..MAX_TEST_IMAGES, default DEFAULT_TEST_IMAGES. */
export function parseTestImageCount(value: string | undefined): number {
  if (value === undefined || value === '') return DEFAULT_TEST_IMAGES;
  const n = /^\d{1,3}$/.test(value) ? Number(value) : NaN;
  if (!(n >= 1 && n <= MAX_TEST_IMAGES)) throw new HttpError(400, `n: expected an integer in 1..${MAX_TEST_IMAGES}, got ${JSON.stringify(value.slice(0, 40))}`);
  return n;
}
