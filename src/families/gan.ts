/**
 * The `gan` family: one generator and one discriminator, any adversarial loss, optional regularizer
 * (weight clipping, gradient penalty, R1 — R1 optionally lazy, every N steps), conditioning by label
 * concatenation, projection or ACGAN's auxiliary classifier, k D-steps per G-step, EMA of G. Vanilla,
 * DCGAN, cGAN, ACGAN, WGAN, WGAN-GP, LSGAN and SNGAN are presets of it.
 */
import * as tf from '@tensorflow/tfjs-core';
import { z } from 'zod';
import { optimizerSchema } from '../core/config.ts';
import type { Rng } from '../core/rng.ts';
import { auxiliaryClassifierLoss, getLoss, LOSS_NAMES } from '../losses/adversarial.ts';
import { clipWeights, gradientPenalty, r1Penalty } from '../losses/regularizers.ts';
import type { Network } from '../models/network.ts';
import { archSchema, buildGanSpecs, conditioningSchema } from '../models/zoo.ts';
import { emaGenerator } from './ema_copy.ts';
import { defineFamily, type FamilyBuildContext, type FamilyInstance, type LossTerms, type Phase, type Scalars, type StepContext } from './family.ts';

export const ganModelSchema = z
  .object({
    family: z.literal('gan'),
    latentDim: z.number().int().positive().max(4096),
    conditioning: conditioningSchema.default('none'),
    network: archSchema,
    loss: z.enum(LOSS_NAMES as unknown as [string, ...string[]]),
    regularizer: z
      .object({
        type: z.enum(['none', 'clip', 'gp', 'r1']).default('none'),
        /** λ for the gradient penalty, γ for R1 (applied as γ/2·R1). */
        weight: z.number().min(0).default(10),
        /** Weight-clipping bound c. */
        clip: z.number().positive().default(0.01),
        /** R1 only: lazy regularization, a separate D phase every N steps with its loss scaled by N (1 = in every D step). */
        every: z.number().int().min(1).max(1000).default(1),
      })
      .strict()
      .default({ type: 'none', weight: 10, clip: 0.01, every: 1 }),
    dSteps: z.number().int().min(1).max(100).default(1),
    gSteps: z.number().int().min(1).max(100).default(1),
    optimizerG: optimizerSchema,
    optimizerD: optimizerSchema,
    /** EMA decay of the generator's weights; 0 turns EMA off. */
    emaDecay: z.number().min(0).max(1).default(0.999),
    /** ACGAN: weight of the auxiliary classification loss. */
    auxWeight: z.number().min(0).default(1),
    /**
     * ACGAN: weight of the fake samples' class loss in D's objective (1 = the original ACGAN). At 0 D's
     * classifier learns from real images only, so G must draw the class as real data shows it.
     */
    auxFakeWeight: z.number().min(0).default(1),
    /**
     * InfoGAN (Chen et al. 2016) without labels: G's first `components` latent entries become a one-hot
     * code (the argmax of those normals, so every code is equally likely), D's extra head predicts the
     * code of a fake, and both G and D minimise `weight`·cross-entropy of that prediction, so G must make
     * the code visible in its images. (On MNIST the codes did not line up with digits in 3,000 steps:
     * README, "The default job"; `data.clusters` is what helps there.)
     */
    infoCode: z
      .object({ components: z.number().int().min(2).max(1024), weight: z.number().min(0).default(1) })
      .strict()
      .optional(),
  })
  .strict();

export type GanModelConfig = z.infer<typeof ganModelSchema>;

interface RealBatch {
  x: tf.Tensor;
  labels?: tf.Tensor1D;
}

function buildGan(model: GanModelConfig, ctx: FamilyBuildContext<unknown>): FamilyInstance {
  const { data } = ctx;
  const conditioning = model.conditioning;
  if (conditioning !== 'none' && data.numClasses <= 0) throw new Error(`model.conditioning '${conditioning}' needs a labeled dataset; ${data.name} has no labels`);
  const numClasses = conditioning === 'none' ? 0 : data.numClasses;
  const codes = model.infoCode?.components ?? 0;
  if (codes >= model.latentDim) throw new Error(`model.infoCode.components (${codes}) must be smaller than model.latentDim (${model.latentDim}): the code is carved from the latent`);
  const specs = buildGanSpecs(model.network, { latentDim: model.latentDim, dataShape: data.shape, numClasses, conditioning, dataRange: data.range, codeComponents: codes });
  const G = ctx.network('G', specs.generator);
  const D = ctx.network('D', specs.discriminator);
  const ema = emaGenerator(ctx, G, specs.generator, model.emaDecay);
  const latentRng = ctx.stream('latent');
  const loss = getLoss(model.loss as never);
  const reg = model.regularizer;
  const acgan = conditioning === 'acgan';

  const latents = (n: number, rng: Rng) => tf.tensor2d(rng.normalArray(n * model.latentDim), [n, model.latentDim]);
  // Pseudo-classes (data.clusters) are drawn by their shares, so class balance follows the data's.
  const randomLabels = (n: number, rng: Rng): tf.Tensor1D | undefined =>
    numClasses === 0 ? undefined : tf.tensor1d(rng.categoricalArray(n, numClasses, data.classShares), 'int32');
  const realBatch = (c: StepContext): RealBatch => {
    const b = c.nextBatch();
    const x = tf.tensor(b.x, [c.batchSize, ...data.shape]);
    const labels = numClasses > 0 && b.labels ? tf.tensor1d(b.labels, 'int32') : undefined;
    if (numClasses > 0 && !labels) throw new Error(`dataset ${data.name} returned no labels for a conditional model`);
    return { x, labels };
  };
  /** Splits D's output into the adversarial logit, ACGAN's class logits and InfoGAN's code logits. */
  const splitD = (out: tf.Tensor): { adv: tf.Tensor; cls?: tf.Tensor2D; code?: tf.Tensor2D } => {
    if (!acgan && codes === 0) return { adv: out };
    const nc = acgan ? numClasses : 0;
    return {
      adv: tf.slice(out, [0, 0], [-1, 1]),
      cls: acgan ? (tf.slice(out, [0, 1], [-1, nc]) as tf.Tensor2D) : undefined,
      code: codes > 0 ? (tf.slice(out, [0, 1 + nc], [-1, codes]) as tf.Tensor2D) : undefined,
    };
  };
  /** The code a latent carries: the argmax of its first `codes` entries, as G's discreteLatent layer reads it. */
  const codeOf = (z: tf.Tensor): tf.Tensor1D => tf.argMax(tf.slice(z, [0, 0], [-1, codes]), 1) as tf.Tensor1D;
  /** InfoGAN's mutual-information term: D's code head against the code G was given. */
  const infoLoss = (logits: tf.Tensor2D, z: tf.Tensor) => auxiliaryClassifierLoss(logits, codeOf(z));
  const dOut = (net: Network, x: tf.Tensor, labels: tf.Tensor1D | undefined, c: StepContext, twice = false) =>
    splitD(net.apply(x, { ...c.applyOptions, labels, twiceDifferentiable: twice }));
  // Penalties are taken on the adversarial output only; labels follow the real batch.
  const critic = (labels: tf.Tensor1D | undefined, c: StepContext) => (x: tf.Tensor) => dOut(D, x, labels, c, true).adv;
  const lazyR1 = reg.type === 'r1' && reg.every > 1;

  interface DPrep { real: RealBatch; z: tf.Tensor; fake: tf.Tensor; fakeLabels?: tf.Tensor1D; eps: tf.Tensor | null }
  const dPhase: Phase<DPrep> = {
    name: 'D',
    group: 'D',
    repeat: model.dSteps,
    reportAs: 'd_loss',
    prepare(c) {
      const real = realBatch(c);
      const z = latents(c.batchSize, latentRng);
      const fakeLabels = randomLabels(c.batchSize, latentRng);
      // Computed before the tape starts, so no gradient flows into G from the D step.
      const fake = G.apply(z, { ...c.applyOptions, labels: fakeLabels });
      const eps = reg.type === 'gp' ? tf.tensor(latentRng.uniformArray(c.batchSize), [c.batchSize, ...real.x.shape.slice(1).map(() => 1)]) : null;
      return { real, z, fake, fakeLabels, eps };
    },
    loss(c, { real, z, fake, fakeLabels, eps }): LossTerms {
      const parts: Scalars = {};
      const realOut = dOut(D, real.x, real.labels, c);
      const fakeOut = dOut(D, fake, fakeLabels, c);
      let total = loss.discriminator(realOut.adv, fakeOut.adv);
      parts.d_adv = total;
      if (realOut.cls && fakeOut.cls) {
        const realAux = auxiliaryClassifierLoss(realOut.cls, real.labels!);
        const aux = (model.auxFakeWeight > 0 ? tf.add(realAux, tf.mul(auxiliaryClassifierLoss(fakeOut.cls, fakeLabels!), model.auxFakeWeight)) : realAux) as tf.Scalar;
        parts.aux_d = aux;
        total = tf.add(total, tf.mul(aux, model.auxWeight));
      }
      if (fakeOut.code) {
        const info = infoLoss(fakeOut.code, z);
        parts.info_d = info;
        total = tf.add(total, tf.mul(info, model.infoCode!.weight));
      }
      if (reg.type === 'gp') {
        const gp = gradientPenalty(critic(real.labels, c), real.x, fake, eps!);
        parts.gp = gp;
        total = tf.add(total, tf.mul(gp, reg.weight));
      } else if (reg.type === 'r1' && !lazyR1) {
        const r1 = r1Penalty(critic(real.labels, c), real.x);
        parts.r1 = r1;
        total = tf.add(total, tf.mul(r1, reg.weight / 2));
      }
      return { total: total as tf.Scalar, parts };
    },
    after() {
      if (reg.type === 'clip') clipWeights(D.trainable, reg.clip);
    },
  };

  // Lazy R1 (StyleGAN2): its own D phase every N steps, scaled by N so its average strength is unchanged.
  const r1Phase: Phase<RealBatch> = {
    name: 'D_r1',
    group: 'D',
    every: reg.every,
    reportAs: 'r1_loss',
    prepare: (c) => realBatch(c),
    loss(c, real) {
      const r1 = r1Penalty(critic(real.labels, c), real.x);
      return { total: tf.mul(r1, (reg.weight / 2) * reg.every) as tf.Scalar, parts: { r1 } };
    },
  };

  interface GPrep { z: tf.Tensor; labels?: tf.Tensor1D }
  const gPhase: Phase<GPrep> = {
    name: 'G',
    group: 'G',
    repeat: model.gSteps,
    reportAs: 'g_loss',
    prepare: (c) => ({ z: latents(c.batchSize, latentRng), labels: randomLabels(c.batchSize, latentRng) }),
    loss(c, { z, labels }) {
      const parts: Scalars = {};
      const fake = G.apply(z, { ...c.applyOptions, labels });
      const out = dOut(D, fake, labels, c);
      let total = loss.generator(out.adv);
      parts.g_adv = total;
      if (out.cls) {
        const aux = auxiliaryClassifierLoss(out.cls, labels!);
        parts.aux_g = aux;
        total = tf.add(total, tf.mul(aux, model.auxWeight));
      }
      if (out.code) {
        const info = infoLoss(out.code, z);
        parts.info_g = info;
        total = tf.add(total, tf.mul(info, model.infoCode!.weight));
      }
      return { total: total as tf.Scalar, parts };
    },
  };

  const networks: Record<string, Network> = { G, D };
  if (ema.copy) networks.G_ema = ema.copy;
  const phases = [dPhase, ...(lazyR1 ? [r1Phase] : []), gPhase] as Phase<never>[];
  return {
    networks,
    groups: [
      { name: 'G', networks: ['G'], optimizer: model.optimizerG },
      { name: 'D', networks: ['D'], optimizer: model.optimizerD },
    ],
    ema: ema.ema,
    phases,
    numClasses,
    sampler: {
      network: ema.sampler,
      inputs: { x: { kind: 'latent', shape: [model.latentDim] }, ...(numClasses > 0 ? { label: { kind: 'label', numClasses } as const } : {}) },
    },
    sampleInputs(n, rng, opts = {}) {
      const out: Record<string, tf.Tensor> = { x: latents(n, rng) };
      if (numClasses > 0) out.label = opts.labels ? tf.tensor1d(opts.labels, 'int32') : randomLabels(n, rng)!;
      return out;
    },
  };
}

export const ganFamily = defineFamily('gan', 'one generator and one discriminator: vanilla, DCGAN, cGAN, ACGAN, WGAN(-GP), LSGAN, SNGAN', ganModelSchema, buildGan);
