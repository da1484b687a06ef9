/**
 * The `vae` family (Kingma & Welling 2014): an encoder q(z | x) = N(μ, σ²) with two outputs `mu` and
 * `logVar`, a decoder p(x | z), both trained by one Adam group on the negative ELBO
 * recon + β·KL(q ‖ N(0, 1)), each summed over a sample's elements and averaged over the batch (the
 * PyTorch peer's reduction). The likelihood is Bernoulli on logits (targets: pixels mapped from the data
 * range to [0, 1]) or Gaussian with a tanh mean in [−1, 1] (targets mapped there) and a fixed or learned
 * scalar log σ². β ramps linearly from 0 to `klWeight` over `klWarmupSteps`. The reparameterization noise
 * comes from the family's checkpointed `eps` stream, so a resumed run draws the same z.
 *
 * Samples: the decoder on z ~ N(0, 1), read from its `image` output (already in the data range, so the
 * exported graph samples as is). Reconstructions: `reconstruct(trainer, images)` decodes the posterior
 * mean μ of each image (deterministic).
 */
import * as tf from '@tensorflow/tfjs-core';
import { z } from 'zod';
import { optimizerSchema } from '../core/config.ts';
import type { Rng } from '../core/rng.ts';
import { bernoulliNll, gaussianKl, gaussianNll } from '../losses/terms.ts';
import { runInBatches } from '../models/batched.ts';
import { buildVaeSpecs, vaeArchSchema } from '../models/vae_nets.ts';
import type { Trainer } from '../train/trainer.ts';
import { defineFamily, type FamilyBuildContext, type FamilyInstance, type Phase } from './family.ts';

/** An Adam config without beta1 gets 0.9. */
function adamBeta1(o: unknown): unknown {
  if (o === null || typeof o !== 'object' || Array.isArray(o)) return o;
  const r = o as Record<string, unknown>;
  return r.type === 'adam' && r.beta1 === undefined ? { ...r, beta1: 0.9 } : o;
}

export const vaeModelSchema = z
  .object({
    family: z.literal('vae'),
    latentDim: z.number().int().positive().max(4096).default(16),
    network: vaeArchSchema.default({ arch: 'conv', width: 32, downsamples: 2 }),
    likelihood: z.enum(['bernoulli', 'gaussian']).default('bernoulli'),
    /** Gaussian only: log σ² of every output element, a fixed number or 'learned' (one scalar, from 0). */
    outputLogVar: z.union([z.number().min(-20).max(20), z.literal('learned')]).default('learned'),
    /** β, the KL weight once warm-up is over (1 = the ELBO). */
    klWeight: z.number().min(0).default(1),
    /** Steps over which β rises linearly from 0 to klWeight (0 = klWeight from the start). */
    klWarmupSteps: z.number().int().min(0).default(0),
    /**
     * One optimizer over both networks (default: the peer's Adam 1e-3). Adam's β1 defaults to 0.9 here,
     * the usual VAE setting, not the 0.5 GAN configs get.
     */
    optimizer: z.preprocess(adamBeta1, optimizerSchema).default({ type: 'adam', lr: 0.001, beta1: 0.9, beta2: 0.999 }),
  })
  .strict();

export type VaeModelConfig = z.infer<typeof vaeModelSchema>;

/** β at a step: klWeight · min(1, step / klWarmupSteps). */
export function klBeta(model: Pick<VaeModelConfig, 'klWeight' | 'klWarmupSteps'>, step: number): number {
  if (model.klWarmupSteps <= 0) return model.klWeight;
  return model.klWeight * Math.min(1, step / model.klWarmupSteps);
}

function buildVae(model: VaeModelConfig, ctx: FamilyBuildContext<unknown>): FamilyInstance {
  const { data } = ctx;
  const shape = data.shape;
  const [lo, hi] = data.range;
  const learned = model.likelihood === 'gaussian' && model.outputLogVar === 'learned';
  const specs = buildVaeSpecs(model.network, { latentDim: model.latentDim, dataShape: shape, dataRange: data.range, likelihood: model.likelihood, learnedLogVar: learned });
  const encoder = ctx.network('encoder', specs.encoder);
  const decoder = ctx.network('decoder', specs.decoder);
  const epsRng = ctx.stream('eps');
  const latents = (n: number, rng: Rng) => tf.tensor2d(rng.normalArray(n * model.latentDim), [n, model.latentDim]);

  /** The likelihood's target: data-range values mapped to [0, 1] (Bernoulli) or [−1, 1] (Gaussian). */
  const target = (x: tf.Tensor) =>
    model.likelihood === 'bernoulli' ? tf.div(tf.sub(x, lo), hi - lo) : tf.div(tf.sub(x, (hi + lo) / 2), (hi - lo) / 2);

  const phase: Phase<{ x: tf.Tensor; eps: tf.Tensor }> = {
    name: 'vae',
    group: 'vae',
    reportAs: 'loss',
    prepare: (c) => ({ x: tf.tensor(c.nextBatch().x, [c.batchSize, ...shape]), eps: latents(c.batchSize, epsRng) }),
    loss(c, { x, eps }) {
      const { mu, logVar } = encoder.run(x, c.applyOptions, ['mu', 'logVar']) as { mu: tf.Tensor; logVar: tf.Tensor };
      // z = μ + σ·ε, σ = exp(½ log σ²): the gradient reaches μ and σ through a fixed ε.
      const zs = tf.add(mu, tf.mul(tf.exp(tf.mul(logVar, 0.5)), eps));
      const out = decoder.run({ z: zs }, c.applyOptions, learned ? [specs.head, 'logVar'] : [specs.head]);
      const head = out[specs.head]!;
      let recon: tf.Scalar;
      if (model.likelihood === 'bernoulli') {
        recon = bernoulliNll(head, target(x));
      } else {
        // A learned log σ² comes out once per sample (all equal): row 0 as a scalar.
        const outVar = learned ? tf.reshape(tf.slice(out.logVar!, [0, 0], [1, 1]), []) : tf.scalar(model.outputLogVar as number);
        recon = gaussianNll(head, target(x), outVar);
      }
      const kl = gaussianKl(mu, logVar);
      const beta = klBeta(model, c.step);
      const total = tf.add(recon, tf.mul(kl, beta)) as tf.Scalar;
      return { total, parts: { recon, kl, kl_beta: tf.scalar(beta) } };
    },
  };

  return {
    networks: { encoder, decoder },
    groups: [{ name: 'vae', networks: ['encoder', 'decoder'], optimizer: model.optimizer }],
    phases: [phase] as Phase<never>[],
    numClasses: 0,
    sampler: { network: 'decoder', inputs: { z: { kind: 'latent', shape: [model.latentDim] } }, output: 'image' },
    sampleInputs(n, rng, opts = {}) {
      const given = opts.inputs?.z;
      return { z: given ? tf.tensor2d(given, [n, model.latentDim]) : latents(n, rng) };
    },
  };
}

/**
 * Reconstructions of n images ([n, ...data shape] row-major, in the data range) by a VAE trainer: each
 * image's posterior mean μ decoded (no sampling), in the data range, in batches of `batch`.
 */
export async function reconstruct(trainer: Trainer, images: Float32Array, batch = 256): Promise<Float32Array> {
  if (trainer.cfg.model.family !== 'vae') throw new Error(`reconstruct needs a vae model, got family ${trainer.cfg.model.family}`);
  const encoder = trainer.network('encoder');
  const decoder = trainer.network('decoder');
  const shape = encoder.shapes.x!;
  const per = shape.reduce((a, b) => a * b, 1);
  if (images.length % per !== 0) throw new Error(`reconstruct: ${images.length} values are not a whole number of [${shape}] images`);
  return runInBatches(images.length / per, per, batch, (i, m) => {
    const mu = encoder.run(tf.tensor(images.subarray(i * per, (i + m) * per), [m, ...shape]), { training: false }, ['mu']).mu!;
    return decoder.run({ z: mu }, { training: false }, ['image']).image!;
  });
}

export const vaeFamily = defineFamily('vae', 'variational autoencoder: conv or MLP encoder/decoder, Bernoulli or Gaussian likelihood, KL warm-up', vaeModelSchema, buildVae);
