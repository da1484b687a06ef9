/**
 * The `inpaint` family: image completion. The generator (translation_nets.ts `inpaintGenerator`) takes the
 * image with its hole zeroed and the mask (1 = missing) as an extra channel, a U-Net fills it, and its output
 * is composited, x·(1 − m) + G·m, so known pixels are kept exactly. One PatchGAN D judges the completed image
 * given the mask (the mask concatenated as its conditioning input, as pix2pix's D sees its input), so its
 * patches can tell where the hole is. G minimizes λ_hole·L1 (+ λ_L2·MSE) over the hole + λ_adv·adversarial; one G phase,
 * then one D phase on the same batch and G's completions (detached), D's loss halved as pix2pix's.
 * Batches come from `data: { name: inpaint, from: …, masks: … }` (x and a seeded mask per example).
 */
import * as tf from '@tensorflow/tfjs-core';
import { z } from 'zod';
import { optimizerSchema } from '../core/config.ts';
import type { Rng } from '../core/rng.ts';
import { getLoss, LOSS_NAMES } from '../losses/adversarial.ts';
import { l1Loss, l2Loss } from '../losses/terms.ts';
import { inpaintGenerator, pairDiscriminator, unetArchSchema } from '../models/translation_nets.ts';
import { defineFamily, type FamilyBuildContext, type FamilyInstance, type StepContext } from './family.ts';
import { gdGroups, pairedAdversarialPhases } from './paired_adversarial.ts';

const ADAM = { type: 'adam', lr: 0.0002, beta1: 0.5, beta2: 0.999 } as const;

export const inpaintModelSchema = z
  .object({
    family: z.literal('inpaint'),
    network: unetArchSchema,
    /** What the U-Net sees in the hole: 'zero', or 'smooth' (push-pull interpolation of the known pixels, which the U-Net then corrects). */
    inputFill: z.enum(['zero', 'smooth']).default('zero'),
    loss: z.enum(LOSS_NAMES as unknown as [string, ...string[]]).default('nonsaturating'),
    /** Weight of the mean L1 error over the hole's pixels. */
    holeWeight: z.number().min(0).default(100),
    /** Weight of the mean squared error over the hole (PSNR's own measure; 0: L1 only). */
    l2Weight: z.number().min(0).default(0),
    /** Weight of the adversarial term (0: a plain L1-trained completion network, D still trains). */
    advWeight: z.number().min(0).default(1),
    optimizerG: optimizerSchema.default(ADAM),
    optimizerD: optimizerSchema.default(ADAM),
  })
  .strict();

export type InpaintModelConfig = z.infer<typeof inpaintModelSchema>;

/** Fixed images and masks for sample grids and the export's examples. */
const PREVIEW = 64;

function buildInpaint(model: InpaintModelConfig, ctx: FamilyBuildContext<unknown>): FamilyInstance {
  const { data } = ctx;
  const shape = data.fields.x?.shape;
  const maskShape = data.fields.mask?.shape;
  if (!shape || shape.length !== 3 || !maskShape) {
    throw new Error(`the inpaint family needs images with hole masks (data: { name: inpaint, from: { name: cifar10 | fashion-mnist | …, … }, masks: center|boxes|strokes|mixed }); ${data.name} has fields ${Object.keys(data.fields).join(', ')}`);
  }
  const G = ctx.network('G', inpaintGenerator(model.network, shape, model.inputFill));
  const D = ctx.network('D', pairDiscriminator(model.network, maskShape, shape));
  const loss = getLoss(model.loss as never);
  // Read ahead of the stream and put back, so training sees the same batches; kept with the checkpoint.
  const cursor = data.getState();
  const first = data.nextBatch(PREVIEW);
  const preview = { x: tf.variable(tf.tensor(first.x, [PREVIEW, ...shape]), false), mask: tf.variable(tf.tensor(first.mask!, [PREVIEW, ...maskShape]), false) };
  data.setState(cursor);
  const pair = pairedAdversarialPhases({
    family: 'inpaint',
    G,
    D,
    loss,
    prepare(c: StepContext) {
      const batch = c.nextBatch();
      const x = tf.tensor(batch.x, [c.batchSize, ...shape]);
      const mask = tf.tensor(batch.mask!, [c.batchSize, ...maskShape]);
      return { cond: mask, real: x, feeds: { x, mask } };
    },
    generatorLoss(adv, fake, { cond: mask, real: x }) {
      const l1 = l1Loss(fake, x, mask);
      let total = tf.add(tf.mul(adv, model.advWeight), tf.mul(l1, model.holeWeight)) as tf.Scalar;
      const parts: Record<string, tf.Scalar> = { l1_hole: l1 };
      if (model.l2Weight > 0) {
        parts.l2_hole = l2Loss(fake, x, mask);
        total = tf.add(total, tf.mul(parts.l2_hole, model.l2Weight)) as tf.Scalar;
      }
      return { total, parts };
    },
  });

  return {
    networks: { G, D },
    groups: gdGroups(model.optimizerG, model.optimizerD),
    phases: pair.phases,
    numClasses: 0,
    sampler: { network: 'G', inputs: { x: { kind: 'image', shape }, mask: { kind: 'image', shape: maskShape } } },
    sampleInputs(n: number, rng: Rng, opts = {}) {
      const given = opts.inputs;
      if (given?.x || given?.mask) {
        if (!given.x || !given.mask) throw new Error('inpaint: give both the images (x) and their masks (mask)');
        return { x: tf.tensor(given.x, [n, ...shape]), mask: tf.tensor(given.mask, [n, ...maskShape]) };
      }
      const idx = tf.tensor1d(Int32Array.from({ length: n }, (_, i) => (i < PREVIEW ? i : rng.int(PREVIEW))), 'int32');
      const out = { x: tf.gather(preview.x, idx), mask: tf.gather(preview.mask, idx) };
      idx.dispose();
      return out;
    },
    getState: () => ({ tensors: { preview_x: preview.x, preview_mask: preview.mask } }),
    setState({ tensors }) {
      if (!tensors?.preview_x || !tensors.preview_mask) throw new Error('inpaint: the checkpoint lacks the preview images and masks');
      preview.x.assign(tensors.preview_x);
      preview.mask.assign(tensors.preview_mask);
    },
    dispose() {
      pair.release();
      tf.dispose([preview.x, preview.mask]);
    },
  };
}

export const inpaintFamily = defineFamily('inpaint', 'inpainting: U-Net on the masked image + mask, output composited; mask-conditioned PatchGAN; λ·L1 on the hole + adversarial', inpaintModelSchema, buildInpaint);
