/**
 * The `pix2pix` family (Isola et al. 2017): paired image-to-image translation. A U-Net generator G maps the
 * input image to the target (no latent vector: dropout in its first decoder blocks is its only noise, on
 * while training), a conditional PatchGAN D judges (input, output) pairs, and G minimizes the adversarial
 * loss (non-saturating BCE by default, as in the paper) plus λ·mean|G(x) − y| (λ = 100). One G phase, then
 * one D phase on the same batch and G's fakes (detached), D's loss halved as in the paper.
 */
import * as tf from '@tensorflow/tfjs-core';
import { z } from 'zod';
import { optimizerSchema } from '../core/config.ts';
import { getLoss, LOSS_NAMES } from '../losses/adversarial.ts';
import { l1Loss } from '../losses/terms.ts';
import { pairDiscriminator, unetArchSchema, unetGenerator } from '../models/translation_nets.ts';
import { defineFamily, type FamilyBuildContext, type FamilyInstance, type StepContext } from './family.ts';
import { imagePreview } from './image_preview.ts';
import { gdGroups, pairedAdversarialPhases } from './paired_adversarial.ts';

const PIX2PIX_ADAM = { type: 'adam', lr: 0.0002, beta1: 0.5, beta2: 0.999 } as const;

export const pix2pixModelSchema = z
  .object({
    family: z.literal('pix2pix'),
    network: unetArchSchema,
    loss: z.enum(LOSS_NAMES as unknown as [string, ...string[]]).default('nonsaturating'),
    /** λ of the L1 term (pix2pix: 100). */
    l1Weight: z.number().min(0).default(100),
    optimizerG: optimizerSchema.default(PIX2PIX_ADAM),
    optimizerD: optimizerSchema.default(PIX2PIX_ADAM),
  })
  .strict();

export type Pix2pixModelConfig = z.infer<typeof pix2pixModelSchema>;

/** Fixed inputs for sample grids and the export's examples. */
const PREVIEW = 64;

function buildPix2pix(model: Pix2pixModelConfig, ctx: FamilyBuildContext<unknown>): FamilyInstance {
  const { data } = ctx;
  const inShape = data.fields.input?.shape;
  const outShape = data.fields.target?.shape;
  if (!inShape || !outShape) {
    throw new Error(`the pix2pix family needs paired data (data: { name: paired, … } or { name: paired-task, task: edges|gray|blur, from: … }); ${data.name} has fields ${Object.keys(data.fields).join(', ')}`);
  }
  const G = ctx.network('G', unetGenerator(model.network, inShape, outShape[2]!));
  const D = ctx.network('D', pairDiscriminator(model.network, inShape, outShape));
  const loss = getLoss(model.loss as never);
  const preview = imagePreview('pix2pix', data, 'input', inShape, PREVIEW);
  const pair = pairedAdversarialPhases({
    family: 'pix2pix',
    G,
    D,
    loss,
    prepare(c: StepContext) {
      const batch = c.nextBatch();
      const input = tf.tensor(batch.input!, [c.batchSize, ...inShape]);
      return { cond: input, real: tf.tensor(batch.target!, [c.batchSize, ...outShape]), feeds: input };
    },
    generatorLoss(adv, fake, { real }) {
      const l1 = l1Loss(fake, real);
      return { total: tf.add(adv, tf.mul(l1, model.l1Weight)) as tf.Scalar, parts: { l1 } };
    },
  });

  return {
    networks: { G, D },
    groups: gdGroups(model.optimizerG, model.optimizerD),
    phases: pair.phases,
    numClasses: 0,
    sampler: { network: 'G', inputs: { x: { kind: 'image', shape: inShape } } },
    sampleInputs: preview.sampleInputs,
    getState: preview.getState,
    setState: preview.setState,
    dispose() {
      pair.release();
      preview.dispose();
    },
  };
}

export const pix2pixFamily = defineFamily('pix2pix', 'paired translation: U-Net generator, conditional PatchGAN, adversarial + λ·L1', pix2pixModelSchema, buildPix2pix);
