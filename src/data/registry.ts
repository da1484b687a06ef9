/**
 * One entry point from a dataset config to a training stream (openDataSource, train split) or an
 * in-memory evaluation split (loadEvalSet), and the config schema itself (datasetConfigSchema): the
 * dataset names are those of its variants, so the run config imports them from here.
 *
 * Stored image sets are 8-bit in memory. A size or channel count other than the dataset's own is
 * applied once at load (area/bilinear resampling, rounded back to bytes; resize.ts), except for the
 * generated Stacked MNIST stream, which is resized batch by batch.
 */
import { z } from 'zod';
import { augmentSource } from './augment.ts';
import { captionedSource, loadCaptionedSet } from './captioned.ts';
import { loadCifar10 } from './cifar.ts';
import { arraySource, sampleFields, type Batch, type DataSource, type ImageSet } from './dataset.ts';
import { folderForSplit, loadImageFolder } from './image_folder.ts';
import { loadFashionMnist, loadMnist, loadMnistRaw, type Split } from './mnist.ts';
import { MNIST_M_SEEDS, mnistMSet } from './mnist_m.ts';
import { loadPairedSet, pairedSource, type PairedOptions, type PairedSet } from './paired.ts';
import { PAIRED_TASKS, pairedTaskSet } from './paired_tasks.ts';
import { inpaintSource, MASK_KINDS } from './inpaint.ts';
import { adaptImages, adaptImageSet, type ImageAdapt } from './resize.ts';
import { makeShapesSet } from './shapes.ts';
import { loadEmojiSet } from './emoji.ts';
import { stackedMnistSet, stackedMnistSource } from './stacked_mnist.ts';
import { DEFAULT_SR_CROP, DEFAULT_SR_EVAL_CROP, downscalePairs, loadPhotos, photoCropSource, photoEvalPairs, photoFiles, SR_SCALES } from './super_resolution.ts';
import { clusteredSource } from './clusters.ts';
import { Tokenizer } from './tokenizer.ts';
import { toySource } from './toy.ts';
import { domainSeeds, unpairedSource } from './unpaired.ts';

export const DEFAULT_FOLDER_IMAGE_SIZE = 64;
export const DEFAULT_STACKED_EVAL_COUNT = 10_000;
export const DEFAULT_MAX_TOKENS = 32;
export const DEFAULT_SHAPES_COUNT = 20_000;
/** Emoji names are short: the longest base-emoji name has 9 words ("woman with bunny ears…" and the flags have fewer). */
export const DEFAULT_EMOJI_TOKENS = 10;
export const DEFAULT_SHAPES_TEST_COUNT = 2_000;
/** The shapes benchmark's images are the same in every run; the run's seed orders the stream. */
export const SHAPES_DATA_SEED = 2016;
/** Seed of the k-means behind `clusters` (fixed: the pseudo-classes are part of the dataset, not of the run). */
export const CLUSTER_SEED = 4099;

const imageSize = z.number().int().positive().max(1024);
const channels = z.union([z.literal(1), z.literal(3)]);
const limit = z.number().int().positive();

/** The fields every dataset config has always accepted (toy data ignores them). */
const common = {
  /** Data folder: required for cifar10 and folder; optional for mnist, stacked-mnist (an MNIST IDX folder) and fashion-mnist. */
  dir: z.string().optional(),
  /** Output height = width for image datasets; default: the dataset's own (folder: 64). */
  imageSize: imageSize.optional(),
  /** 1 or 3 for image datasets; default: the dataset's own (folder: 3). */
  channels: channels.optional(),
  /** folder only: one sub-folder per class. */
  labeled: z.boolean().default(false),
};

export const augmentSchema = z
  .object({
    flip: z.boolean().optional(),
    /** Pad-and-random-crop by this many pixels. */
    crop: z.number().int().min(0).max(256).optional(),
    /** Brightness/contrast jitter strength. */
    jitter: z.number().min(0).max(1).optional(),
  })
  .strict();

/** Stored image datasets: also keep only the first `limit` examples; augment training batches. */
const stored = {
  ...common,
  limit: limit.optional(),
  augment: augmentSchema.optional(),
  /**
   * Replace the labels with k-means cluster ids of the training images (self-conditioning): a
   * conditional model then trains on k pseudo-classes, and its sampler draws them by their shares.
   * No label of the dataset is read.
   */
  clusters: z.number().int().min(2).max(1000).optional(),
};

/** Single-domain datasets: each can also be one side of an unpaired dataset. */
const domainVariants = [
  z.object({ name: z.literal('ring8'), ...common }).strict(),
  z.object({ name: z.literal('grid25'), ...common }).strict(),
  z.object({ name: z.literal('mnist'), ...stored }).strict(),
  z.object({ name: z.literal('fashion-mnist'), ...stored }).strict(),
  z.object({ name: z.literal('cifar10'), ...stored }).strict(),
  /** evalCount: samples in an eval set; default 10,000. */
  z.object({ name: z.literal('stacked-mnist'), ...stored, evalCount: z.number().int().positive().optional() }).strict(),
  z.object({ name: z.literal('folder'), ...stored }).strict(),
  /** MNIST digits blended over colour patches (mnist_m.ts); `dir`: a CIFAR-10 folder for the patches, else procedural textures. */
  z.object({ name: z.literal('mnist-m'), ...stored }).strict(),
  /**
   * The npm package emoji-datasource-google's emoji (emoji.ts) on white, 64 px native (`imageSize` resizes),
   * labelled by category; `captions`: batches carry the lower-cased names as token ids (text-to-image).
   */
  z.object({ name: z.literal('emoji'), ...stored, captions: z.boolean().default(false), maxTokens: z.number().int().positive().max(1024).optional() }).strict(),
] as const;

const domainConfigSchema = z.discriminatedUnion('name', domainVariants);

const pairedSchema = z
  .object({
    name: z.literal('paired'),
    /** Default 'folders' when dirA/dirB are given, else 'ab'. */
    layout: z.enum(['ab', 'folders']).optional(),
    dir: z.string().optional(),
    dirA: z.string().optional(),
    dirB: z.string().optional(),
    imageSize: imageSize.optional(),
    channels: channels.optional(),
    limit: limit.optional(),
    augment: augmentSchema.optional(),
  })
  .strict();

/** Built-in paired tasks (paired_tasks.ts): inputs computed from a stored image dataset's images, the targets. */
const pairedTaskSchema = z
  .object({
    name: z.literal('paired-task'),
    task: z.enum(PAIRED_TASKS),
    /** The images (targets): mnist, fashion-mnist, cifar10 or an image folder. */
    from: z.discriminatedUnion('name', [domainVariants[2], domainVariants[3], domainVariants[4], domainVariants[6]]),
    /** 'edges': Sobel-magnitude threshold on 0..1 luma (default 0.8). */
    edgeThreshold: z.number().positive().optional(),
    augment: augmentSchema.optional(),
  })
  .strict();

/**
 * Super-resolution pairs (super_resolution.ts): HR images and their bicubic LR inputs, from a stored
 * dataset at its own size (`from`) or from a folder of photographs at native resolution (`dir`: random
 * `crop` crops for training, fixed `evalCrop` crops of held-out photos for testing).
 */
const srSchema = z
  .object({
    name: z.literal('sr'),
    scale: z.union(SR_SCALES.map((n) => z.literal(n)) as unknown as [z.ZodLiteral<2>, z.ZodLiteral<3>, z.ZodLiteral<4>, z.ZodLiteral<8>]).default(4),
    from: z.discriminatedUnion('name', [domainVariants[2], domainVariants[3], domainVariants[4], domainVariants[6]]).optional(),
    dir: z.string().optional(),
    /** Photo folders: HR training crop side (default 96, as SRGAN). */
    crop: z.number().int().min(8).max(1024).optional(),
    /** Photo folders: HR test crop side (default 256). */
    evalCrop: z.number().int().min(8).max(4096).optional(),
    /** Photo folders: shrink (bicubic) photos whose longer side exceeds this first (oversampled files carry little detail per pixel). */
    maxSide: z.number().int().min(8).max(16384).optional(),
    /** Photo folders without train/ and test/: the last `holdout` photos by name are the test split. */
    holdout: z.number().int().min(0).optional(),
    limit: limit.optional(),
    /** Left-right flips of LR and HR together (a bicubic shrink commutes with a flip); shifts and jitter would misalign the scales. */
    augment: z.object({ flip: z.boolean().optional() }).strict().optional(),
  })
  .strict();

/** Inpainting (inpaint.ts): a stored image dataset's images with seeded hole masks (1 = missing) per example. */
const inpaintSchema = z
  .object({
    name: z.literal('inpaint'),
    /** The images: mnist, fashion-mnist, cifar10, an image folder or mnist-m (with its own augment, limit, …). */
    from: z.discriminatedUnion('name', [domainVariants[2], domainVariants[3], domainVariants[4], domainVariants[6], domainVariants[7]]),
    /** Training masks (evaluation always scores 'center' and 'boxes' on fixed masks). */
    masks: z.enum(MASK_KINDS).default('mixed'),
    /** 'center' (alone or in 'mixed'): the square hole's side in px; default half the image. */
    holeSize: z.number().int().positive().optional(),
  })
  .strict();

const unpairedSchema = z.object({ name: z.literal('unpaired'), a: domainConfigSchema, b: domainConfigSchema }).strict();

const captionedSchema = z
  .object({
    name: z.literal('captioned'),
    dir: z.string(),
    imageSize: imageSize.optional(),
    channels: channels.optional(),
    /** Tokens per caption (truncated / padded); default 32. */
    maxTokens: z.number().int().positive().max(1024).optional(),
    limit: limit.optional(),
    augment: augmentSchema.optional(),
  })
  .strict();

/** The procedural captioned `shapes` benchmark (shapes.ts): generated, so nothing to download or point at. */
const shapesSchema = z
  .object({
    name: z.literal('shapes'),
    /** Training examples (a fixed set, the same in every run; default 20,000). */
    count: z.number().int().positive().max(1_000_000).optional(),
    maxTokens: z.number().int().positive().max(1024).optional(),
    augment: augmentSchema.optional(),
  })
  .strict();

/** The `data` section of a run config. */
export const datasetConfigSchema = z.discriminatedUnion('name', [...domainVariants, pairedSchema, pairedTaskSchema, srSchema, inpaintSchema, unpairedSchema, captionedSchema, shapesSchema]);

/** A validated dataset config (defaults applied). */
export type DatasetConfig = z.infer<typeof datasetConfigSchema>;
/** What the loaders accept: a config before defaults (a validated one is one too). */
export type DatasetConfigInput = z.input<typeof datasetConfigSchema>;
export type DatasetName = DatasetConfig['name'];
export type DomainConfig = z.infer<typeof domainConfigSchema>;

export const DATASET_NAMES: readonly DatasetName[] = datasetConfigSchema.options.map((o) => o.shape.name.value);

/** Whether batches of this dataset carry class labels (the condition for class-conditional models). */
export function datasetHasLabels(cfg: DatasetConfigInput): boolean {
  switch (cfg.name) {
    case 'mnist':
    case 'fashion-mnist':
    case 'cifar10':
    case 'mnist-m':
    case 'stacked-mnist':
      return true;
    case 'emoji':
      return cfg.captions !== true;
    case 'folder':
      return cfg.labeled === true || cfg.clusters !== undefined;
    default:
      return false;
  }
}

/** Stacked MNIST eval seeds, fixed so that an eval set is the same in every run. */
const STACKED_EVAL_SEEDS: Record<Split, number> = { train: 0x57ac4ed, test: 0x7e57 };

function checkName(name: string): asserts name is DatasetName {
  if (!(DATASET_NAMES as readonly string[]).includes(name)) {
    throw new Error(`unknown dataset '${name}', expected one of ${DATASET_NAMES.join(', ')}`);
  }
}

/** Validates a config (unknown names and misspelt fields are errors) and applies its defaults. */
export function parseDatasetConfig(input: DatasetConfigInput): DatasetConfig {
  checkName(input.name);
  const parsed = datasetConfigSchema.safeParse(input);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`);
    throw new Error(`invalid '${input.name}' dataset config: ${lines.join('; ')}`);
  }
  return parsed.data;
}

function checkSplit(split: Split): void {
  if (split !== 'train' && split !== 'test') throw new Error(`split must be 'train' or 'test', got '${String(split)}'`);
}

function requireDir(cfg: { name: string; dir?: string }): string {
  if (!cfg.dir) throw new Error(`dataset '${cfg.name}' needs 'dir' (the folder holding its files)`);
  return cfg.dir;
}

function adaptOf(cfg: { imageSize?: number; channels?: number }): ImageAdapt {
  return { imageSize: cfg.imageSize, channels: cfg.channels };
}

type StoredConfig = Extract<DatasetConfig, { name: 'mnist' | 'fashion-mnist' | 'cifar10' | 'mnist-m' | 'folder' | 'emoji' }>;

function loadStoredSet(cfg: StoredConfig, split: Split): ImageSet {
  const limit = cfg.limit;
  switch (cfg.name) {
    case 'mnist':
      return adaptImageSet(loadMnist(split, { dir: cfg.dir, limit }), adaptOf(cfg));
    case 'fashion-mnist':
      return adaptImageSet(loadFashionMnist(split, cfg.dir, { limit }), adaptOf(cfg));
    case 'cifar10':
      return adaptImageSet(loadCifar10(split, requireDir(cfg), { limit }), adaptOf(cfg));
    case 'emoji':
      return loadEmojiSet(split, { size: cfg.imageSize, channels: cfg.channels, limit }).images;
    case 'mnist-m':
      return adaptImageSet(mnistMSet(loadMnist(split, { limit }), cfg.dir ? loadCifar10(split, cfg.dir) : null, MNIST_M_SEEDS[split]), adaptOf(cfg));
    case 'folder':
      return loadImageFolder(folderForSplit(requireDir(cfg), split), {
        imageSize: cfg.imageSize ?? DEFAULT_FOLDER_IMAGE_SIZE,
        channels: cfg.channels ?? 3,
        labeled: cfg.labeled,
        limit,
      });
  }
}

/** A generated source whose image batches are resized / channel-converted on the way out. */
function adaptSource(source: DataSource, adapt: ImageAdapt): DataSource {
  const shape = source.shape as [number, number, number];
  const probe = adaptImages(new Float32Array(shape[0] * shape[1] * shape[2]), 1, shape, adapt);
  if (probe.shape.every((d, i) => d === shape[i])) return source;
  return {
    ...source,
    shape: probe.shape,
    fields: sampleFields(probe.shape, source.numClasses > 0),
    nextBatch(batchSize: number): Batch {
      const batch = source.nextBatch(batchSize);
      return { ...batch, x: adaptImages(batch.x, batchSize, shape, adapt).x };
    },
  };
}

function pairedOptions(cfg: Extract<DatasetConfig, { name: 'paired' }>): PairedOptions {
  return {
    layout: cfg.layout ?? (cfg.dirA || cfg.dirB ? 'folders' : 'ab'),
    dir: cfg.dir,
    dirA: cfg.dirA,
    dirB: cfg.dirB,
    imageSize: cfg.imageSize ?? DEFAULT_FOLDER_IMAGE_SIZE,
    channels: cfg.channels ?? 3,
    limit: cfg.limit,
  };
}

/** The dataset whose images a paired task's targets (or an inpainting set's images) are (its feature network scores the outputs), else undefined. */
export function pairedTargetDataset(input: DatasetConfigInput): DatasetConfig | undefined {
  const cfg = parseDatasetConfig(input);
  return cfg.name === 'paired-task' || cfg.name === 'sr' || cfg.name === 'inpaint' ? cfg.from : undefined;
}

type SrConfig = Extract<DatasetConfig, { name: 'sr' }>;

function srPhotoDir(cfg: SrConfig): string {
  if (cfg.from && cfg.dir) throw new Error("super-resolution data: give either 'from' (a stored dataset) or 'dir' (a folder of photos), not both");
  if (!cfg.dir) throw new Error("super-resolution data needs 'from' (a stored dataset, e.g. { name: cifar10, dir: … }) or 'dir', a folder of photos (on the command line: --data-dir DIR)");
  return cfg.dir;
}

function srPairs(cfg: SrConfig, split: Split): PairedSet {
  if (cfg.from && !cfg.dir) return downscalePairs(loadStoredSet(cfg.from, split), cfg.scale);
  const dir = srPhotoDir(cfg);
  const evalCrop = cfg.evalCrop ?? DEFAULT_SR_EVAL_CROP;
  return photoEvalPairs(loadPhotos(photoFiles(dir, split, { holdout: cfg.holdout, limit: cfg.limit }), evalCrop, cfg.maxSide), evalCrop, cfg.scale);
}

/**
 * A whole split of paired data (inputs and targets) in memory, for paired metrics and translation: the
 * folder layouts of 'paired', or a built-in task's inputs computed from the split's images.
 */
export async function loadPairedEvalSet(input: DatasetConfigInput, split: Split): Promise<PairedSet> {
  const cfg = parseDatasetConfig(input);
  checkSplit(split);
  if (cfg.name === 'paired') return loadPairedSet(pairedOptions(cfg), split);
  if (cfg.name === 'paired-task') return pairedTaskSet(cfg.task, loadStoredSet(cfg.from, split), split, { edgeThreshold: cfg.edgeThreshold });
  if (cfg.name === 'sr') return srPairs(cfg, split);
  throw new Error(`dataset '${cfg.name}' is not paired: paired metrics need data { name: paired | paired-task | sr }`);
}

function captionedOptions(cfg: Extract<DatasetConfig, { name: 'captioned' }>) {
  return { imageSize: cfg.imageSize ?? DEFAULT_FOLDER_IMAGE_SIZE, channels: cfg.channels ?? 3, limit: cfg.limit };
}

/** The stream before augmentation. */
function storedSource(cfg: StoredConfig, seed: number): DataSource {
  const set = loadStoredSet(cfg, 'train');
  if (cfg.clusters === undefined) return arraySource(cfg.name, set, seed);
  // The clustering depends on the data and k only, so every run (and every eval of it) gets the same pseudo-classes.
  return clusteredSource(cfg.name, set, cfg.clusters, CLUSTER_SEED, seed);
}

/** Emoji with their names as captions (text-to-image). */
function emojiCaptionSource(cfg: Extract<DatasetConfig, { name: 'emoji' }>, seed: number): DataSource {
  const { images, names } = loadEmojiSet('train', { size: cfg.imageSize, channels: cfg.channels, limit: cfg.limit });
  const set = { images: { ...images, labels: null, numClasses: 0 }, imageOf: Int32Array.from({ length: images.count }, (_, i) => i), texts: names };
  return captionedSource('emoji', set, Tokenizer.fromTexts(names, cfg.maxTokens ?? DEFAULT_EMOJI_TOKENS), seed);
}

async function openUnaugmented(cfg: DatasetConfig, seed: number): Promise<DataSource> {
  switch (cfg.name) {
    case 'ring8':
    case 'grid25':
      return toySource(cfg.name, seed);
    case 'stacked-mnist': {
      const digits = cfg.dir ? loadMnistRaw('train', cfg.dir) : undefined;
      return adaptSource(stackedMnistSource(seed, { digits }), adaptOf(cfg));
    }
    case 'emoji':
      if (cfg.captions) return emojiCaptionSource(cfg, seed);
      return storedSource(cfg, seed);
    case 'mnist':
    case 'fashion-mnist':
    case 'cifar10':
    case 'mnist-m':
    case 'folder':
      return storedSource(cfg, seed);
    case 'paired':
      return pairedSource('paired', loadPairedSet(pairedOptions(cfg), 'train'), seed);
    case 'paired-task':
      return pairedSource(`${cfg.task}(${cfg.from.name})`, pairedTaskSet(cfg.task, loadStoredSet(cfg.from, 'train'), 'train', { edgeThreshold: cfg.edgeThreshold }), seed);
    case 'sr': {
      if (cfg.from && !cfg.dir) return pairedSource(`sr${cfg.scale}(${cfg.from.name})`, downscalePairs(loadStoredSet(cfg.from, 'train'), cfg.scale), seed);
      const crop = cfg.crop ?? DEFAULT_SR_CROP;
      const photos = loadPhotos(photoFiles(srPhotoDir(cfg), 'train', { holdout: cfg.holdout, limit: cfg.limit }), crop, cfg.maxSide);
      return photoCropSource(`sr${cfg.scale}(photos)`, photos, crop, cfg.scale, seed);
    }
    case 'inpaint':
      return inpaintSource(await openDataSource(cfg.from, seed), cfg.masks, seed, { holeSize: cfg.holeSize });
    case 'unpaired': {
      for (const k of ['a', 'b'] as const) {
        if (cfg[k].name === 'folder' && !cfg[k].dir) throw new Error(`unpaired data: domain ${k.toUpperCase()} is an image folder with no 'dir': give --data-a DIR --data-b DIR (or data.${k}.dir in the config)`);
      }
      const seeds = domainSeeds(seed);
      return unpairedSource(await openDataSource(cfg.a, seeds.a), await openDataSource(cfg.b, seeds.b));
    }
    case 'captioned': {
      const set = loadCaptionedSet(folderForSplit(cfg.dir, 'train', 'captioned folder'), captionedOptions(cfg));
      return captionedSource('captioned', set, Tokenizer.fromTexts(set.texts, cfg.maxTokens ?? DEFAULT_MAX_TOKENS), seed);
    }
    case 'shapes': {
      const set = makeShapesSet('train', cfg.count ?? DEFAULT_SHAPES_COUNT, SHAPES_DATA_SEED);
      return captionedSource('shapes', set, Tokenizer.fromTexts(set.texts, cfg.maxTokens ?? DEFAULT_MAX_TOKENS), seed);
    }
  }
}

/** The training stream (train split) for a dataset config, augmented per batch when the config asks. */
export async function openDataSource(input: DatasetConfigInput, seed: number): Promise<DataSource> {
  const cfg = parseDatasetConfig(input);
  const source = await openUnaugmented(cfg, seed);
  return 'augment' in cfg ? augmentSource(source, cfg.augment, seed) : source;
}

/**
 * A whole split in memory (8-bit; imageSetToUnit gives floats), for metrics: the images that are the
 * batches' `x` (paired: the targets; inpaint: the whole images; unpaired: domain a; captioned: the distinct images). Stacked
 * MNIST gives `evalCount` triples drawn with a fixed seed from the MNIST split of that name. Toy
 * mixtures have no stored split: sample them with sampleToy (toy.ts) instead.
 */
export async function loadEvalSet(input: DatasetConfigInput, split: Split): Promise<ImageSet> {
  const cfg = parseDatasetConfig(input);
  checkSplit(split);
  switch (cfg.name) {
    case 'ring8':
    case 'grid25':
      throw new Error(`dataset '${cfg.name}' is a generated 2-D mixture with no stored split: use sampleToy(TOY_MIXTURES.${cfg.name}, n, rng) for reference samples`);
    case 'stacked-mnist': {
      const n = cfg.evalCount ?? cfg.limit ?? DEFAULT_STACKED_EVAL_COUNT;
      const digits = cfg.dir ? loadMnistRaw(split, cfg.dir) : undefined;
      return adaptImageSet(stackedMnistSet(n, STACKED_EVAL_SEEDS[split], { split, digits }), adaptOf(cfg));
    }
    case 'mnist':
    case 'fashion-mnist':
    case 'cifar10':
    case 'mnist-m':
    case 'folder':
    case 'emoji':
      return loadStoredSet(cfg, split);
    case 'paired':
      return loadPairedSet(pairedOptions(cfg), split).target;
    case 'paired-task':
    case 'inpaint':
      return loadStoredSet(cfg.from, split);
    case 'sr':
      return srPairs(cfg, split).target;
    case 'unpaired':
      return loadEvalSet(cfg.a, split);
    case 'captioned':
      return loadCaptionedSet(folderForSplit(cfg.dir, split, 'captioned folder'), captionedOptions(cfg)).images;
    case 'shapes':
      // 'test' is the seen-combination test split; makeShapesSet('unseen', …) gives the held-out one.
      return split === 'train' ? makeShapesSet('train', cfg.count ?? DEFAULT_SHAPES_COUNT, SHAPES_DATA_SEED).images : makeShapesSet('seen', DEFAULT_SHAPES_TEST_COUNT, SHAPES_DATA_SEED).images;
  }
}

/** Data flags of `gantry train` (`--data-dir`, `--data-a`, `--data-b`, `--image-size`, `--channels`). */
export interface DataFlags {
  dataDir?: string;
  dataA?: string;
  dataB?: string;
  imageSize?: number;
  channels?: number;
  /** Super-resolution data: the scale factor. */
  scale?: number;
}

/**
 * Where the data flags go in a config's `data` section, as an override to merge: the dataset's own
 * fields, a built-in paired task's source (`from`), the two folders of a paired dataset (`dirA`, `dirB`)
 * or the two domains of an unpaired one (`a.dir`, `b.dir`). A flag that does not apply is an error naming it.
 */
export function dataFlagOverrides(data: { name: string }, flags: DataFlags): Record<string, unknown> | undefined {
  const own: Record<string, unknown> = {};
  if (flags.dataDir !== undefined) own.dir = flags.dataDir;
  if (flags.imageSize !== undefined) own.imageSize = flags.imageSize;
  if (flags.channels !== undefined) own.channels = flags.channels;
  const two = flags.dataA !== undefined || flags.dataB !== undefined;
  if (two && (flags.dataA === undefined || flags.dataB === undefined)) throw new Error('give both --data-a and --data-b');
  if (flags.scale !== undefined && data.name !== 'sr') throw new Error(`--scale: dataset '${data.name}' is not super-resolution data (data: { name: sr })`);
  switch (data.name) {
    case 'sr': {
      if (two) throw new Error('--data-a/--data-b: super-resolution data is one folder of photos or one dataset; give --data-dir');
      if (flags.imageSize !== undefined || flags.channels !== undefined) throw new Error('--image-size/--channels: super-resolution data keeps the photos\' own size and RGB; set data.crop for the training crop size');
      const fromSet = (data as { from?: unknown }).from !== undefined;
      const out: Record<string, unknown> = {};
      if (flags.dataDir !== undefined) Object.assign(out, fromSet ? { from: { dir: flags.dataDir } } : { dir: flags.dataDir });
      if (flags.scale !== undefined) out.scale = flags.scale;
      return Object.keys(out).length ? out : undefined;
    }
    case 'paired':
      if (two) Object.assign(own, { dirA: flags.dataA, dirB: flags.dataB, layout: 'folders' });
      return Object.keys(own).length ? own : undefined;
    case 'paired-task':
      if (two) throw new Error('--data-a/--data-b: this preset makes its pairs from one dataset; use pix2pix-folders for two folders of your own');
      return Object.keys(own).length ? { from: own } : undefined;
    case 'inpaint':
      if (two) throw new Error('--data-a/--data-b: an inpainting preset reads one image dataset; give --data-dir');
      return Object.keys(own).length ? { from: own } : undefined;
    case 'unpaired': {
      const domains = data as { a?: { name?: string }; b?: { name?: string } };
      // --data-dir names the CIFAR-10 folder of an MNIST-M-like side (its background patches); nothing else has one folder for two domains.
      const dirSides = (['a', 'b'] as const).filter((k) => domains[k]?.name === 'mnist-m');
      if (flags.dataDir !== undefined && (two || dirSides.length === 0)) throw new Error('--data-dir: unpaired data has two domains; give --data-a DIR --data-b DIR');
      const side = (k: 'a' | 'b', dir?: string) => ({
        ...(dir !== undefined ? { name: 'folder', dir } : {}),
        ...(flags.dataDir !== undefined && dirSides.includes(k) ? { dir: flags.dataDir } : {}),
        ...(flags.imageSize !== undefined ? { imageSize: flags.imageSize } : {}),
        ...(flags.channels !== undefined ? { channels: flags.channels } : {}),
      });
      const out = { a: side('a', flags.dataA), b: side('b', flags.dataB) };
      return two || flags.dataDir !== undefined || flags.imageSize !== undefined || flags.channels !== undefined ? out : undefined;
    }
    default:
      if (two) throw new Error(`--data-a/--data-b: dataset '${data.name}' is a single domain; they are for paired and unpaired presets`);
      return Object.keys(own).length ? own : undefined;
  }
}
