/**
 * One entry point from a dataset config to a training stream (openDataSource, train split) or an
 * in-memory evaluation split (loadEvalSet). Image datasets are resized (centre crop, area/bilinear)
 * and channel-converted when the config asks for a size or channel count other than their own.
 */
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { loadCifar10 } from './cifar.ts';
import { arraySource, type Batch, type DataSource, type ImageSet } from './dataset.ts';
import { loadImageFolder } from './image_folder.ts';
import { loadFashionMnist, loadMnist, loadMnistRaw, type Split } from './mnist.ts';
import { adaptImages, adaptImageSet, type ImageAdapt } from './resize.ts';
import { stackedMnistSet, stackedMnistSource } from './stacked_mnist.ts';
import { isToyName, toySource } from './toy.ts';

export type DatasetName = 'ring8' | 'grid25' | 'mnist' | 'fashion-mnist' | 'cifar10' | 'stacked-mnist' | 'folder';

export const DATASET_NAMES: readonly DatasetName[] = ['ring8', 'grid25', 'mnist', 'fashion-mnist', 'cifar10', 'stacked-mnist', 'folder'];

export interface DatasetConfig {
  name: DatasetName;
  /** Data folder: required for cifar10 and folder; optional for mnist, stacked-mnist (an MNIST IDX folder) and fashion-mnist. */
  dir?: string;
  /** Output height = width for image datasets; default: the dataset's own (folder: 64). Ignored by toy data. */
  imageSize?: number;
  /** 1 or 3 for image datasets; default: the dataset's own (folder: 3). Ignored by toy data. */
  channels?: number;
  /** folder only: one sub-folder per class. */
  labeled?: boolean;
  /** Keep only the first `limit` examples of a stored dataset (quick runs, tests). */
  limit?: number;
  /** stacked-mnist only: samples in an eval set; default 10,000. */
  evalCount?: number;
}

export const DEFAULT_FOLDER_IMAGE_SIZE = 64;
export const DEFAULT_STACKED_EVAL_COUNT = 10_000;
/** Fixed seeds so that a Stacked MNIST eval set is the same in every run. */
const STACKED_EVAL_SEEDS: Record<Split, number> = { train: 0x57ac4ed, test: 0x7e57 };

function checkName(name: string): asserts name is DatasetName {
  if (!(DATASET_NAMES as readonly string[]).includes(name)) {
    throw new Error(`unknown dataset '${name}', expected one of ${DATASET_NAMES.join(', ')}`);
  }
}

function requireDir(cfg: DatasetConfig): string {
  if (!cfg.dir) throw new Error(`dataset '${cfg.name}' needs 'dir' (the folder holding its files)`);
  return cfg.dir;
}

function adaptOf(cfg: DatasetConfig): ImageAdapt {
  return { imageSize: cfg.imageSize, channels: cfg.channels };
}

function isDir(path: string): boolean {
  return existsSync(path) && statSync(path).isDirectory();
}

/** An image folder with train/ and test/ sub-folders splits by them; otherwise the whole folder is the train split. */
function folderForSplit(dir: string, split: Split): string {
  const hasSplits = isDir(join(dir, 'train')) && isDir(join(dir, 'test'));
  if (hasSplits) return join(dir, split);
  if (split === 'test') throw new Error(`image folder ${dir} has no test split: add train/ and test/ sub-folders`);
  return dir;
}

function loadStoredSet(cfg: DatasetConfig, split: Split): ImageSet {
  const limit = cfg.limit;
  switch (cfg.name) {
    case 'mnist':
      return adaptImageSet(loadMnist(split, { dir: cfg.dir, limit }), adaptOf(cfg));
    case 'fashion-mnist':
      return adaptImageSet(loadFashionMnist(split, cfg.dir, { limit }), adaptOf(cfg));
    case 'cifar10':
      return adaptImageSet(loadCifar10(split, requireDir(cfg), { limit }), adaptOf(cfg));
    case 'folder':
      return loadImageFolder(folderForSplit(requireDir(cfg), split), {
        imageSize: cfg.imageSize ?? DEFAULT_FOLDER_IMAGE_SIZE,
        channels: cfg.channels ?? 3,
        labeled: cfg.labeled ?? false,
        limit,
      });
    default:
      throw new Error(`dataset '${cfg.name}' is not a stored image dataset`);
  }
}

/** A source whose image batches are resized / channel-converted on the way out. */
function adaptSource(source: DataSource, adapt: ImageAdapt): DataSource {
  const shape = source.shape as [number, number, number];
  const probe = adaptImages(new Float32Array(shape[0] * shape[1] * shape[2]), 1, shape, adapt);
  if (probe.shape.every((d, i) => d === shape[i])) return source;
  return {
    name: source.name,
    shape: probe.shape,
    numClasses: source.numClasses,
    range: source.range,
    size: source.size,
    nextBatch(batchSize: number): Batch {
      const batch = source.nextBatch(batchSize);
      return { ...batch, x: adaptImages(batch.x, batchSize, shape, adapt).x };
    },
    getState: () => source.getState(),
    setState: (state: unknown) => source.setState(state),
  };
}

/** The training stream (train split) for a dataset config. */
export async function openDataSource(cfg: DatasetConfig, seed: number): Promise<DataSource> {
  checkName(cfg.name);
  if (isToyName(cfg.name)) return toySource(cfg.name, seed);
  if (cfg.name === 'stacked-mnist') {
    const digits = cfg.dir ? loadMnistRaw('train', cfg.dir) : undefined;
    return adaptSource(stackedMnistSource(seed, { digits }), adaptOf(cfg));
  }
  return arraySource(cfg.name, loadStoredSet(cfg, 'train'), seed);
}

/**
 * A whole split in memory, for metrics. Stacked MNIST gives `evalCount` triples drawn with a fixed
 * seed from the MNIST split of that name. Toy mixtures have no stored split: sample them with
 * sampleToy (toy.ts) instead.
 */
export async function loadEvalSet(cfg: DatasetConfig, split: Split): Promise<ImageSet> {
  checkName(cfg.name);
  if (split !== 'train' && split !== 'test') throw new Error(`split must be 'train' or 'test', got '${String(split)}'`);
  if (isToyName(cfg.name)) {
    throw new Error(`dataset '${cfg.name}' is a generated 2-D mixture with no stored split: use sampleToy(TOY_MIXTURES.${cfg.name}, n, rng) for reference samples`);
  }
  if (cfg.name === 'stacked-mnist') {
    const n = cfg.evalCount ?? cfg.limit ?? DEFAULT_STACKED_EVAL_COUNT;
    const digits = cfg.dir ? loadMnistRaw(split, cfg.dir) : undefined;
    return adaptImageSet(stackedMnistSet(n, STACKED_EVAL_SEEDS[split], { split, digits }), adaptOf(cfg));
  }
  return loadStoredSet(cfg, split);
}
