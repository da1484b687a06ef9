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
import { imagePreview } from './image_preview.ts';
import { defineFamily, type FamilyBuildContext, type FamilyInstance, type Phase, type StepContext } from './family.ts';

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

interface Held {
  input: tf.Tensor;
  target: tf.Tensor;
  fake: tf.Tensor;
}

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
  let held: Held | null = null;
  const releaseHeld = () => {
    if (held) tf.dispose([held.input, held.target, held.fake]);
    held = null;
  };

  const gPhase: Phase<{ input: tf.Tensor; target: tf.Tensor }> = {
    name: 'G',
    group: 'G',
    reportAs: 'g_loss',
    prepare(c: StepContext) {
      const batch = c.nextBatch();
      return { input: tf.tensor(batch.input!, [c.batchSize, ...inShape]), target: tf.tensor(batch.target!, [c.batchSize, ...outShape]) };
    },
    loss(c, { input, target }) {
      const o = c.applyOptions;
      const fake = G.apply(input, o);
      const adv = loss.generator(D.apply({ input, x: fake }, o));
      const l1 = l1Loss(fake, target);
      const total = tf.add(adv, tf.mul(l1, model.l1Weight)) as tf.Scalar;
      releaseHeld();
      held = { input: tf.keep(input), target: tf.keep(target), fake: tf.keep(fake) };
      return { total, parts: { g_adv: adv, l1 } };
    },
  };

  const dPhase: Phase<Held> = {
    name: 'D',
    group: 'D',
    reportAs: 'd_loss',
    prepare() {
      if (!held) throw new Error('pix2pix: the D phase runs after the G phase of the same step');
      return held;
    },
    loss(c, { input, target, fake }) {
      const o = c.applyOptions;
      const d = tf.mul(loss.discriminator(D.apply({ input, x: target }, o), D.apply({ input, x: fake }, o)), 0.5) as tf.Scalar;
      return { total: d };
    },
    after: releaseHeld,
  };

  return {
    networks: { G, D },
    groups: [
      { name: 'G', networks: ['G'], optimizer: model.optimizerG },
      { name: 'D', networks: ['D'], optimizer: model.optimizerD },
    ],
    phases: [gPhase, dPhase] as Phase<never>[],
    numClasses: 0,
    sampler: { network: 'G', inputs: { x: { kind: 'image', shape: inShape } } },
    sampleInputs: preview.sampleInputs,
    getState: preview.getState,
    setState: preview.setState,
    dispose() {
      releaseHeld();
      preview.dispose();
    },
  };
}

export const pix2pixFamily = defineFamily('pix2pix', 'paired translation: U-Net generator, conditional PatchGAN, adversarial + λ·L1', pix2pixModelSchema, buildPix2pix);
