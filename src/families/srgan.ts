/**
 * The `srgan` family (Ledig et al. 2017): single-image super-resolution. An SRResNet generator G maps a
 * bicubic-shrunk LR image to its HR original; a VGG-style D judges HR images. Two stretches:
 *  1. `pretrainSteps` of pixel loss alone (SRResNet: MSE), the PSNR-oriented network;
 *  2. the adversarial stretch: each step one D phase on real HR and G's (detached) outputs, then one G
 *     phase on the same batch minimizing pixelWeight·MSE + advWeight·adversarial (SRGAN: 1e-3), D frozen.
 * Set `pretrainSteps` equal to the run's steps for a pure SRResNet. The sampler takes LR images.
 */
import * as tf from '@tensorflow/tfjs-core';
import { z } from 'zod';
import { optimizerSchema } from '../core/config.ts';
import { getLoss, LOSS_NAMES } from '../losses/adversarial.ts';
import { l1Loss, l2Loss } from '../losses/terms.ts';
import { srArchSchema, srDiscriminator, srresnetGenerator } from '../models/sr_nets.ts';
import { getFrozenFeatures } from './frozen_features.ts';
import { imagePreview } from './image_preview.ts';
import { gdGroups } from './paired_adversarial.ts';
import { defineFamily, type FamilyBuildContext, type FamilyInstance, type Phase, type StepContext } from './family.ts';

const SRGAN_ADAM = { type: 'adam', lr: 0.0001, beta1: 0.9, beta2: 0.999 } as const;

export const srganModelSchema = z
  .object({
    family: z.literal('srgan'),
    network: srArchSchema,
    loss: z.enum(LOSS_NAMES as unknown as [string, ...string[]]).default('nonsaturating'),
    /** Steps of pixel loss alone before the adversarial stretch (the SRResNet pre-training). */
    pretrainSteps: z.number().int().min(0).default(1000),
    /** Pixel loss: MSE (SRResNet, PSNR-oriented) or L1 (EDSR). */
    pixelLoss: z.enum(['mse', 'l1']).default('mse'),
    pixelWeight: z.number().min(0).default(1),
    /** Weight of the adversarial term in G's loss (SRGAN: 1e-3). */
    advWeight: z.number().min(0).default(1e-3),
    /**
     * Content loss in the adversarial stretch: weight·mean((F(G(lr)) − F(hr))²) on the features of a frozen
     * Gantry feature network F (SRGAN's VGG loss; no VGG weights exist offline). `dataDir`: F's training
     * data when the run's data is not F's dataset.
     */
    content: z.object({ net: z.string(), weight: z.number().min(0), dataDir: z.string().optional() }).strict().optional(),
    optimizerG: optimizerSchema.default(SRGAN_ADAM),
    optimizerD: optimizerSchema.default(SRGAN_ADAM),
  })
  .strict();

export type SrganModelConfig = z.infer<typeof srganModelSchema>;

const PREVIEW = 16;

interface Pair {
  lr: tf.Tensor;
  hr: tf.Tensor;
}

function buildSrgan(model: SrganModelConfig, ctx: FamilyBuildContext<unknown>): FamilyInstance {
  const { data } = ctx;
  const lrShape = data.fields.input?.shape;
  const hrShape = data.fields.target?.shape;
  if (!lrShape || !hrShape || lrShape.length !== 3 || hrShape.length !== 3) {
    throw new Error(`the srgan family needs super-resolution data (data: { name: sr, scale: 4, from: … } or { name: sr, dir: PHOTOS }); ${data.name} has fields ${Object.keys(data.fields).join(', ')}`);
  }
  const scale = hrShape[0]! / lrShape[0]!;
  if (!Number.isInteger(scale) || hrShape[1]! / lrShape[1]! !== scale) throw new Error(`srgan: HR [${hrShape}] is not an integer multiple of LR [${lrShape}]`);
  const G = ctx.network('G', srresnetGenerator(model.network, lrShape, scale, hrShape[2]));
  const D = ctx.network('D', srDiscriminator(model.network, hrShape));
  const adv = getLoss(model.loss as never);
  const pixel = model.pixelLoss === 'mse' ? l2Loss : l1Loss;
  const preview = imagePreview('srgan', data, 'input', lrShape, PREVIEW);
  let held: Pair | null = null;
  const release = () => {
    if (held) tf.dispose([held.lr, held.hr]);
    held = null;
  };
  const batchPair = (c: StepContext): Pair => {
    const b = c.nextBatch();
    return { lr: tf.tensor(b.input!, [c.batchSize, ...lrShape]), hr: tf.tensor(b.target!, [c.batchSize, ...hrShape]) };
  };
  const start = model.pretrainSteps;

  const pretrain: Phase<Pair> = {
    name: 'pretrain',
    group: 'G',
    until: start,
    reportAs: 'g_loss',
    prepare: batchPair,
    loss(c, { lr, hr }) {
      const p = pixel(G.apply(lr, c.applyOptions), hr);
      return { total: p, parts: { pixel: p } };
    },
  };

  const dPhase: Phase<Pair & { fake: tf.Tensor }> = {
    name: 'D',
    group: 'D',
    from: start,
    reportAs: 'd_loss',
    prepare(c) {
      const pair = batchPair(c);
      release();
      held = { lr: tf.keep(pair.lr), hr: tf.keep(pair.hr) };
      return { ...pair, fake: G.apply(pair.lr, c.applyOptions) };
    },
    loss(c, { hr, fake }) {
      const o = c.applyOptions;
      return { total: adv.discriminator(D.apply(hr, o), D.apply(fake, o)) };
    },
  };

  const gPhase: Phase<Pair> = {
    name: 'G',
    group: 'G',
    from: start,
    reportAs: 'g_loss',
    prepare() {
      if (!held) throw new Error('srgan: the G phase runs after the D phase of the same step');
      return held;
    },
    loss(c, { lr, hr }) {
      const o = c.applyOptions;
      const fake = G.apply(lr, o);
      const p = pixel(fake, hr);
      const a = adv.generator(D.apply(fake, o));
      let total = tf.add(tf.mul(p, model.pixelWeight), tf.mul(a, model.advWeight)) as tf.Scalar;
      const parts: Record<string, tf.Scalar> = { pixel: p, g_adv: a };
      if (model.content && model.content.weight > 0) {
        const f = getFrozenFeatures(model.content.net);
        const real = f.taps(hr as tf.Tensor4D);
        const ours = f.taps(fake as tf.Tensor4D);
        const c = tf.addN(ours.map((t, i) => tf.mean(tf.squaredDifference(t, real[i]!)))) as tf.Scalar;
        parts[`content_${model.content.net}`] = c;
        total = tf.add(total, tf.mul(c, model.content.weight)) as tf.Scalar;
      }
      return { total, parts };
    },
    after: release,
  };

  return {
    networks: { G, D },
    groups: gdGroups(model.optimizerG, model.optimizerD),
    phases: [pretrain, dPhase, gPhase] as Phase<never>[],
    numClasses: 0,
    sampler: { network: 'G', inputs: { x: { kind: 'image', shape: lrShape } } },
    sampleInputs: preview.sampleInputs,
    getState: preview.getState,
    setState: preview.setState,
    dispose() {
      release();
      preview.dispose();
    },
  };
}

export const srganFamily = defineFamily('srgan', 'super-resolution: SRResNet generator (MSE pre-training), VGG-style D, pixel + λ·adversarial', srganModelSchema, buildSrgan);
