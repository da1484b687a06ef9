/**
 * Gantry's public API (`import … from 'gantry'`): load a config or preset, train any registered family
 * with progress callbacks, save and resume runs, sample, evaluate, and plug in your own dataset, family,
 * layer or loss. The CLI (`gantry train | sample | eval`) is built on the same functions. Types of
 * configs come from the zod schemas the CLI validates with. The browser entry is `gantry/browser`.
 *
 * @example Train a preset for a few steps and sample from it
 * ```ts
 * import { initEngine, loadConfig, trainRun, openRun, Rng } from 'gantry';
 *
 * await initEngine('auto');
 * const config = loadConfig('toy-ring', { train: { steps: 200 } });
 * await trainRun({
 *   config, preset: 'toy-ring', outDir: 'runs/my-ring',
 *   progress: { start() {}, update: (step, losses) => console.log(step, losses), stop() {} },
 * });
 * const { trainer } = await openRun('runs/my-ring');
 * const points = await trainer.generate(16, new Rng(0));
 * trainer.dispose();
 * ```
 * @module
 */

/** The TF.js core Gantry runs on (the same instance, so tensors and backends are shared with custom code). */
export * as tf from '@tensorflow/tfjs-core';
/** zod, for a custom family's `modelSchema` (the same instance the config validation uses). */
export { z } from 'zod';

// ── engine ──────────────────────────────────────────────────────────────────────────────────────
export { initEngine, ENGINE_NAMES, type EngineName } from './backend/engine.ts';

// ── core: configs, presets, randomness ───────────────────────────────────────────────────────────
export { ConfigError, listPresets, PRESETS_DIR, deepMerge, evalSchema, optimizerSchema, trainSchema, type OptimizerConfig } from './core/config.ts';
export { Rng, type RngState } from './core/rng.ts';
export { encodeImageGrid, encodeImage, encodeScatter } from './core/images.ts';
export { encodeNpy, readNpy } from './core/npy.ts';

// ── data ─────────────────────────────────────────────────────────────────────────────────────────
export {
  arraySource,
  shuffledSource,
  bytesToUnit,
  imageSetToUnit,
  sampleFields,
  type Batch,
  type BatchField,
  type DataSource,
  type EpochOptions,
  type FieldSpec,
  type ImageSet,
  type ShuffledSpec,
} from './data/dataset.ts';
export {
  openDataSource,
  loadEvalSet,
  parseDatasetConfig,
  datasetConfigSchema,
  datasetHasLabels,
  DATASET_NAMES,
  type DatasetConfig,
  type DatasetConfigInput,
  type DatasetName,
} from './data/registry.ts';
export { kMeans, withClusterLabels, clusteredSource, CLUSTER_FIT_IMAGES, type KMeansResult } from './data/clusters.ts';
export { toySource, getToyMixture, TOY_MIXTURES, type ToyMixture, type ToyName } from './data/toy.ts';
export { loadImageFolder, type ImageFolderOptions } from './data/image_folder.ts';
export { resizeBicubic, resizeBicubicBytes } from './data/bicubic.ts';
export { downscalePairs, photoCropSource, photoEvalPairs, loadPhotos, photoFiles, type Photo } from './data/super_resolution.ts';

// ── models ───────────────────────────────────────────────────────────────────────────────────────
export {
  registerLayer,
  getLayer,
  layerTypes,
  type LayerImpl,
  type LayerSpecBase,
  type LayerBuildContext,
  type BuiltLayer,
} from './models/layer_api.ts';
export {
  Network,
  toGraph,
  isSequentialSpec,
  type ApplyOptions,
  type GraphSpec,
  type InputSpec,
  type LayerSpec,
  type NetworkOptions,
  type NetworkSpec,
  type NodeSpec,
  type SequentialSpec,
} from './models/network.ts';
export { buildGanSpecs, archSchema, type ArchConfig, type GanSpecs, type ModelShapes } from './models/zoo.ts';
export { srresnetGenerator, srDiscriminator, srArchSchema, type SrArch } from './models/sr_nets.ts';
export { runTiled, tileStarts, type TileOptions } from './models/tiled.ts';

// ── losses ───────────────────────────────────────────────────────────────────────────────────────
export { getLoss, LOSS_NAMES, auxiliaryClassifierLoss, type AdversarialLoss, type LossName } from './losses/adversarial.ts';
export {
  l1Loss,
  l2Loss,
  cycleLoss,
  identityLoss,
  gaussianKl,
  bernoulliNll,
  gaussianNll,
  featureMatchingLoss,
  perceptualLoss,
  matchingAwareDiscriminatorLoss,
  kPlusOneSupervisedLoss,
  kPlusOneUnsupervisedLoss,
} from './losses/terms.ts';
export { gradientPenalty, r1Penalty, clipWeights, type Critic } from './losses/regularizers.ts';

// ── families ─────────────────────────────────────────────────────────────────────────────────────
export {
  registerFamily,
  defineFamily,
  getFamily,
  familyNames,
  type FamilyDefinition,
  type FamilyBuildContext,
  type FamilyInstance,
  type FamilyState,
  type LossTerms,
  type OptimizerGroup,
  type EmaCopy,
  type Phase,
  type SamplerInput,
  type SamplerSpec,
  type SampleOptions,
  type Scalars,
  type StepContext,
} from './families/family.ts';
export { loadConfig, validateConfig, configToYaml, migrateLegacyConfig, type RunConfig } from './families/config.ts';

// ── train ────────────────────────────────────────────────────────────────────────────────────────
export { Trainer, disposeLosses, type StepLosses, type TrainerOptions } from './train/trainer.ts';
export {
  trainRun,
  openRun,
  TrainingDivergedError,
  type ProgressReporter,
  type RunEvaluator,
  type RunStatus,
  type TrainRunOptions,
} from './train/run.ts';
export { exportGenerator } from './train/export.ts';
export { createOptimizer, type Optimizer } from './train/optimizers.ts';
export { CheckpointError } from './train/checkpoint.ts';
export { EXPORT_FORMAT, type ExportedModel } from './train/run_format.ts';

// ── metrics ──────────────────────────────────────────────────────────────────────────────────────
export {
  evaluate,
  realVsReal,
  IMAGE_METRICS,
  DEFAULT_IMAGE_METRICS,
  type EvaluateOptions,
  type EvalDataset,
  type ImageMetric,
  type MetricRecord,
} from './metrics/evaluate.ts';
export { evaluateToy, evaluateImages, runEvaluator, type RunEvaluatorOptions } from './metrics/run_eval.ts';
export { modeCoverage, type ModeCoverageResult } from './metrics/mode_coverage.ts';
export { srScores, bicubicUpscale, lumaY, type SrScores } from './metrics/super_resolution.ts';
export { evaluateSr, evaluateSrFolders, upscaleImages, type SrEvalOptions } from './metrics/sr_eval.ts';
export { loadSrPeer, SR_PEERS, type SrPeer } from './metrics/sr_peer.ts';
