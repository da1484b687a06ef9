/**
 * The `t2i` family: text-to-image synthesis, GAN-INT-CLS (Reed et al. 2016) with StackGAN's conditioning
 * augmentation (Zhang et al. 2017) and a pre-trained dual encoder as its text encoder (AttnGAN's DAMSM).
 * Two stretches:
 *  1. `encoder.steps` of the dual-encoder phase: G's text part (word embedding → GRU → `text`) and the
 *     image encoder E learn a shared embedding with a symmetric contrastive loss on (image, caption) pairs.
 *  2. the adversarial stretch, with that text encoder frozen (its embedding is computed outside the tape
 *     and fed to G's `text` node): a matching-aware D phase — real image + right text against real image +
 *     wrong text (another caption of the batch) and G's image + right text — then a G phase: adversarial
 *     loss + klWeight·KL of the augmented condition, plus, with `interpolation` > 0, the adversarial loss
 *     on the midpoints of two captions' embeddings (the "INT": D never saw those texts, so G must make
 *     images that fit between them), and with `matchWeight` > 0 AttnGAN's DAMSM-style term: the frozen dual
 *     encoder's contrastive loss between G's images and their captions.
 * The sampler is G (its EMA copy) from token ids, a latent and the condition noise: one graph from words
 * to pixels. E stays for R-precision (metrics/t2i_eval.ts).
 */
import * as tf from '@tensorflow/tfjs-core';
import { z } from 'zod';
import { optimizerSchema } from '../core/config.ts';
import type { Rng } from '../core/rng.ts';
import { getLoss, LOSS_NAMES } from '../losses/adversarial.ts';
import { contrastiveLoss, gaussianKl, matchingAwareDiscriminatorLoss } from '../losses/terms.ts';
import { buildT2iSpecs, t2iArchSchema } from '../models/t2i_nets.ts';
import { emaGenerator } from './ema_copy.ts';
import { imagePreview } from './image_preview.ts';
import { defineFamily, type FamilyBuildContext, type FamilyInstance, type Phase, type StepContext } from './family.ts';

const DCGAN_ADAM = { type: 'adam', lr: 0.0002, beta1: 0.5, beta2: 0.999 } as const;

export const t2iModelSchema = z
  .object({
    family: z.literal('t2i'),
    latentDim: z.number().int().positive().max(4096).default(100),
    network: t2iArchSchema.prefault({}),
    loss: z.enum(LOSS_NAMES as unknown as [string, ...string[]]).default('nonsaturating'),
    /** Weight of the conditioning augmentation's KL(N(μ, σ²) ‖ N(0, I)) in G's loss (StackGAN: 1). */
    klWeight: z.number().min(0).default(1),
    /**
     * Weight of AttnGAN's DAMSM-style term in G's loss: the dual encoder's contrastive loss between G's images
     * (through the frozen image encoder E) and their captions' embeddings, in-batch negatives (0 = off).
     */
    matchWeight: z.number().min(0).default(0),
    /** Weight of G's loss on interpolated text embeddings (GAN-INT-CLS's INT; 0 = off). */
    interpolation: z.number().min(0).default(0),
    encoder: z
      .object({
        /** Steps of the dual-encoder phase before the adversarial stretch. */
        steps: z.number().int().min(1).default(1500),
        /** Softmax temperature τ of the contrastive loss. */
        temperature: z.number().positive().default(0.1),
        optimizer: optimizerSchema.default({ type: 'adam', lr: 0.001, beta1: 0.9, beta2: 0.999 }),
      })
      .strict()
      .prefault({}),
    optimizerG: optimizerSchema.default(DCGAN_ADAM),
    optimizerD: optimizerSchema.default(DCGAN_ADAM),
    /** EMA decay of G's weights (the frozen text part is copied, not averaged); 0 turns EMA off. */
    emaDecay: z.number().min(0).max(1).default(0.999),
  })
  .strict();

export type T2iModelConfig = z.infer<typeof t2iModelSchema>;

/** Distinct preview captions of the sample grids (cycled: sample i shows caption i mod PREVIEW). */
export const T2I_PREVIEW = 8;

function buildT2i(model: T2iModelConfig, ctx: FamilyBuildContext<unknown>): FamilyInstance {
  const { data } = ctx;
  const tokenizer = data.tokenizer;
  const tokenShape = data.fields.tokens?.shape;
  if (!tokenizer || !tokenShape) {
    throw new Error(`the t2i family needs captioned data (data: { name: shapes } or { name: captioned, dir: … }); ${data.name} has fields ${Object.keys(data.fields).join(', ')}`);
  }
  const arch = model.network;
  const specs = buildT2iSpecs(arch, { latentDim: model.latentDim, dataShape: data.shape, vocabSize: tokenizer.vocabSize, maxTokens: tokenizer.maxLength, dataRange: data.range });
  const G = ctx.network('G', specs.generator);
  const D = ctx.network('D', specs.discriminator);
  const E = ctx.network('E', specs.imageEncoder);
  const ema = emaGenerator(ctx, G, specs.generator, model.emaDecay);
  const noiseRng = ctx.stream('latent');
  const loss = getLoss(model.loss as never);
  const T = tokenizer.maxLength;
  const encoderEnd = model.encoder.steps;

  const normals = (n: number, dim: number, rng: Rng) => tf.tensor2d(rng.normalArray(n * dim), [n, dim]);
  const batch = (c: StepContext) => {
    const b = c.nextBatch();
    return { x: tf.tensor(b.x, [c.batchSize, ...data.shape]), tokens: tf.tensor2d(b.tokens!, [c.batchSize, T], 'int32') };
  };
  /** The frozen text embedding: G's text part, run outside the tape. */
  const embed = (tokens: tf.Tensor, c: StepContext) => G.run({ tokens }, c.applyOptions, ['text']).text!;
  /** Another caption of the batch for each row: the batch rolled by one. */
  const roll = (t: tf.Tensor) => tf.concat([tf.slice(t, [1, 0], [-1, -1]), tf.slice(t, [0, 0], [1, -1])], 0);
  const generate = (text: tf.Tensor, n: number, c: StepContext) =>
    G.run({ text, z: normals(n, model.latentDim, noiseRng), eps: normals(n, arch.caDim, noiseRng) }, c.applyOptions, ['image', 'ca']);
  const critic = (x: tf.Tensor, text: tf.Tensor, c: StepContext) => D.run({ x, text }, c.applyOptions, ['logit']).logit!;

  const encoderPhase: Phase<{ x: tf.Tensor; tokens: tf.Tensor }> = {
    name: 'encoder',
    group: 'encoder',
    until: encoderEnd,
    reportAs: 'encoder_loss',
    prepare: (c) => batch(c),
    loss(c, { x, tokens }) {
      const text = G.run({ tokens }, c.applyOptions, ['text']).text as tf.Tensor2D;
      const image = E.apply(x, c.applyOptions) as tf.Tensor2D;
      return { total: contrastiveLoss(text, image, model.encoder.temperature) };
    },
  };

  interface DPrep { x: tf.Tensor; text: tf.Tensor; fake: tf.Tensor }
  const dPhase: Phase<DPrep> = {
    name: 'D',
    group: 'D',
    from: encoderEnd,
    reportAs: 'd_loss',
    prepare(c) {
      const { x, tokens } = batch(c);
      const text = embed(tokens, c);
      return { x, text, fake: generate(text, c.batchSize, c).image! };
    },
    loss(c, { x, text, fake }) {
      const rr = critic(x, text, c);
      const rw = critic(x, roll(text), c);
      const fr = critic(fake, text, c);
      return { total: matchingAwareDiscriminatorLoss(rr, rw, fr, loss), parts: { d_real_wrong: tf.mean(rw) as tf.Scalar, d_real_right: tf.mean(rr) as tf.Scalar } };
    },
  };

  const gPhase: Phase<{ text: tf.Tensor }> = {
    name: 'G',
    group: 'G',
    from: encoderEnd,
    reportAs: 'g_loss',
    prepare: (c) => ({ text: embed(batch(c).tokens, c) }),
    loss(c, { text }) {
      const out = generate(text, c.batchSize, c);
      const adv = loss.generator(critic(out.image!, text, c));
      const [mu, logVar] = tf.split(out.ca!, 2, 1);
      const kl = gaussianKl(mu!, logVar!);
      let total = tf.add(adv, tf.mul(kl, model.klWeight));
      const parts: Record<string, tf.Scalar> = { g_adv: adv, kl };
      if (model.matchWeight > 0) {
        const match = contrastiveLoss(text as tf.Tensor2D, E.apply(out.image!, c.applyOptions) as tf.Tensor2D, model.encoder.temperature);
        parts.g_match = match;
        total = tf.add(total, tf.mul(match, model.matchWeight));
      }
      if (model.interpolation > 0) {
        const mid = tf.mul(tf.add(text, roll(text)), 0.5);
        const int = loss.generator(critic(generate(mid, c.batchSize, c).image!, mid, c));
        parts.g_int = int;
        total = tf.add(total, tf.mul(int, model.interpolation));
      }
      return { total: total as tf.Scalar, parts };
    },
  };

  const preview = imagePreview('t2i', data, 'tokens', [T], T2I_PREVIEW, 'tokens');
  const networks = { G, D, E, ...(ema.copy ? { G_ema: ema.copy } : {}) };
  return {
    networks,
    groups: [
      { name: 'encoder', networks: ['G', 'E'], optimizer: model.encoder.optimizer },
      { name: 'D', networks: ['D'], optimizer: model.optimizerD },
      { name: 'G', networks: ['G'], optimizer: model.optimizerG },
    ],
    ema: ema.ema,
    phases: [encoderPhase, dPhase, gPhase] as Phase<never>[],
    numClasses: 0,
    sampler: {
      network: ema.sampler,
      inputs: {
        tokens: { kind: 'text', tokenizer: tokenizer.toJSON() },
        z: { kind: 'latent', shape: [model.latentDim] },
        eps: { kind: 'latent', shape: [arch.caDim] },
      },
      output: 'image',
    },
    sampleInputs(n, rng, opts = {}) {
      return { ...preview.sampleInputs(n, rng, opts), z: normals(n, model.latentDim, rng), eps: normals(n, arch.caDim, rng) };
    },
    getState: preview.getState,
    setState: preview.setState,
    dispose: preview.dispose,
  };
}

export const t2iFamily = defineFamily('t2i', 'text-to-image: GAN-INT-CLS with conditioning augmentation and a dual-encoder text encoder', t2iModelSchema, buildT2i);
