/**
 * The `classifier` family: a trunk (any layer list, ending in the feature layer) and a linear head,
 * trained with softmax cross-entropy on labeled batches. The feature networks behind FID/KID/IS and the
 * classifiers of the applications are trained through it, on the same generic trainer as the GANs. It
 * generates nothing, so it declares no sampler.
 */
import * as tf from '@tensorflow/tfjs-core';
import { z } from 'zod';
import { optimizerSchema } from '../core/config.ts';
import { Rng } from '../core/rng.ts';
import type { Network, SequentialSpec } from '../models/network.ts';
import { defineFamily, type FamilyBuildContext, type FamilyInstance, type Phase, type StepContext } from './family.ts';

export const classifierModelSchema = z
  .object({
    family: z.literal('classifier'),
    /** The trunk's layers (any registered layer types), up to and including the feature layer. */
    trunk: z.array(z.object({ type: z.string() }).passthrough()).min(1),
    /** Classes of the head; default: the dataset's. */
    classes: z.number().int().min(2).max(100_000).optional(),
    optimizer: optimizerSchema,
  })
  .strict();

export type ClassifierModelConfig = z.infer<typeof classifierModelSchema>;

export interface ClassifierNetworks {
  trunk: Network;
  head: Network;
}

/**
 * The trunk and head, each initialized from its own stream forked from the seed ('trunk', 'head'), so
 * the networks can be rebuilt identically without a trainer (e.g. to load cached weights).
 */
export function buildClassifierNetworks(
  trunkSpec: SequentialSpec,
  classes: number,
  seed: number,
  make: (name: string, spec: SequentialSpec, rng: Rng) => Network,
): ClassifierNetworks {
  const rng = new Rng(seed);
  const trunk = make('trunk', trunkSpec, rng.fork('trunk'));
  const head = make('head', { inputShape: trunk.outputShape, layers: [{ type: 'dense', units: classes }] }, rng.fork('head'));
  return { trunk, head };
}

/** Class logits [B, classes] of images [B, ...]. */
export function classifierLogits(nets: ClassifierNetworks, x: tf.Tensor, training: boolean): tf.Tensor2D {
  return tf.tidy(() => nets.head.apply(nets.trunk.apply(x, { training }), { training }) as tf.Tensor2D);
}

/** Mean softmax cross-entropy of logits against one-hot targets. */
export function crossEntropy(logits: tf.Tensor2D, oneHot: tf.Tensor2D): tf.Scalar {
  return tf.tidy(() => tf.neg(tf.mean(tf.sum(tf.mul(oneHot, tf.logSoftmax(logits)), 1))) as tf.Scalar);
}

function buildClassifier(model: ClassifierModelConfig, ctx: FamilyBuildContext<{ seed: number }>): FamilyInstance {
  const { data } = ctx;
  const classes = model.classes ?? data.numClasses;
  if (classes < 2) throw new Error(`the classifier family needs a labeled dataset; ${data.name} has ${data.numClasses} classes`);
  const trunkSpec: SequentialSpec = { inputShape: data.shape, layers: model.trunk as SequentialSpec['layers'] };
  const nets = buildClassifierNetworks(trunkSpec, classes, ctx.config.seed, (name, spec, rng) => ctx.network(name, spec, rng));

  const phase: Phase<{ x: tf.Tensor; y: tf.Tensor2D }> = {
    name: 'train',
    group: 'model',
    reportAs: 'loss',
    prepare(c: StepContext) {
      const b = c.nextBatch();
      if (!b.labels) throw new Error(`dataset ${data.name} returned no labels for a classifier`);
      return { x: tf.tensor(b.x, [c.batchSize, ...data.shape]), y: tf.oneHot(tf.tensor1d(b.labels, 'int32'), classes) as tf.Tensor2D };
    },
    loss: (c, { x, y }) => ({ total: crossEntropy(classifierLogits(nets, x, c.applyOptions.training), y) }),
  };

  return {
    networks: { trunk: nets.trunk, head: nets.head },
    groups: [{ name: 'model', networks: ['trunk', 'head'], optimizer: model.optimizer }],
    phases: [phase] as Phase<never>[],
    numClasses: classes,
    sampleInputs() {
      throw new Error('a classifier does not generate samples');
    },
  };
}

export const classifierFamily = defineFamily('classifier', 'a trunk and a linear head trained with cross-entropy (feature networks, application classifiers)', classifierModelSchema, buildClassifier);
