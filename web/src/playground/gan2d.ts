/**
 * A small MLP GAN on 2-D points, trained in the page with TF.js, on the library's pieces: Network
 * (src/models/network.ts), the adversarial losses and gradient penalty (src/losses/), the optimizers
 * (src/train/optimizers.ts) and the toy mixtures (src/data/toy.ts). Only the loop is here: the generic
 * Trainer reads a run config from disk, which a page has not.
 */
import * as tf from '@tensorflow/tfjs-core';
import { Rng } from '../../../src/core/rng.ts';
import { sampleToy } from '../../../src/data/toy.ts';
import { getLoss, type AdversarialLoss, type LossName } from '../../../src/losses/adversarial.ts';
import { gradientPenalty } from '../../../src/losses/regularizers.ts';
import { modeCoverage, type ModeCoverageResult } from '../../../src/metrics/mode_coverage.ts';
import { Network, type LayerSpec } from '../../../src/models/network.ts';
import { createOptimizer, type Optimizer } from '../../../src/train/optimizers.ts';
import type { Mixture } from './toy_data.ts';

/** The objectives offered: a library loss and the weight λ of the gradient penalty (0: none). */
export const OBJECTIVES = {
  nonsaturating: { loss: 'nonsaturating', gpWeight: 0 },
  hinge: { loss: 'hinge', gpWeight: 0 },
  lsgan: { loss: 'leastsquares', gpWeight: 0 },
  // λ = 0.1 as in the WGAN-GP authors' toy script (gan_toy.py: smaller λ "seems to help for toy
  // tasks"); the paper's λ for images is 10.
  'wgan-gp': { loss: 'wasserstein', gpWeight: 0.1 },
} as const satisfies Record<string, { loss: LossName; gpWeight: number }>;

export type Loss2d = keyof typeof OBJECTIVES;
export const LOSSES = Object.keys(OBJECTIVES) as Loss2d[];

export interface Gan2dConfig {
  loss: Loss2d;
  /** Discriminator steps per generator step. */
  dSteps: number;
  lrD: number;
  lrG: number;
  /** Units in each hidden layer of both networks. */
  hidden: number;
  /** Hidden layers in each network. */
  depth: number;
  batch: number;
  /** Latent size; 2 so the latent grid can be drawn warped through the generator. */
  latentDim: number;
  seed: number;
}

export const DEFAULT_CONFIG: Gan2dConfig = {
  loss: 'nonsaturating',
  dSteps: 1,
  lrD: 1e-3,
  lrG: 1e-3,
  hidden: 64,
  depth: 2,
  batch: 256,
  latentDim: 2,
  seed: 1,
};

let instances = 0;

function mlp(units: number, depth: number, out: number, act: LayerSpec): LayerSpec[] {
  const layers: LayerSpec[] = [];
  for (let i = 0; i < depth; i++) layers.push({ type: 'dense', units }, act);
  layers.push({ type: 'dense', units: out });
  return layers;
}

export interface StepLosses {
  d: number;
  g: number;
}

/** One optimizer step of `vars` on `loss`; returns the loss. Call inside tf.tidy. */
function minimize(opt: Optimizer, vars: tf.Variable[], loss: () => tf.Scalar): tf.Scalar {
  const { value, grads } = tf.variableGrads(loss, vars);
  // As the library's Trainer does: a variable the loss does not reach gets no update.
  const reached = vars.filter((v) => grads[v.name] !== undefined);
  opt.apply(reached, reached.map((v) => grads[v.name]!));
  return value;
}

export class Gan2d {
  readonly g: Network;
  readonly d: Network;
  step = 0;
  private readonly objective: AdversarialLoss;
  private readonly gpWeight: number;
  private readonly dOpt: Optimizer;
  private readonly gOpt: Optimizer;
  private readonly rng: Rng;
  private lastD: tf.Scalar | null = null;
  private lastG: tf.Scalar | null = null;

  constructor(
    readonly cfg: Gan2dConfig,
    public data: Mixture,
  ) {
    this.rng = new Rng(cfg.seed);
    const { loss, gpWeight } = OBJECTIVES[cfg.loss];
    this.objective = getLoss(loss);
    this.gpWeight = gpWeight;
    // Variable names are global in TF.js: each instance gets its own scope.
    const scope = `play${++instances}/`;
    const lrelu: LayerSpec = { type: 'act', fn: 'lrelu', alpha: 0.2 };
    this.g = new Network('G', { inputShape: [cfg.latentDim], layers: mlp(cfg.hidden, cfg.depth, 2, lrelu) }, this.rng.fork('G'), { scope });
    this.d = new Network('D', { inputShape: [2], layers: mlp(cfg.hidden, cfg.depth, 1, lrelu) }, this.rng.fork('D'), { scope });
    // WGAN-GP's usual Adam betas (0.5, 0.9); β1 = 0.5 is the common GAN choice for the others too.
    const beta2 = gpWeight > 0 ? 0.9 : 0.999;
    this.dOpt = createOptimizer({ type: 'adam', lr: cfg.lrD, beta1: 0.5, beta2 });
    this.gOpt = createOptimizer({ type: 'adam', lr: cfg.lrG, beta1: 0.5, beta2 });
  }

  private realBatch(n: number): tf.Tensor2D {
    return tf.tensor2d(sampleToy(this.data, n, this.rng), [n, 2]);
  }

  private noise(n: number): tf.Tensor2D {
    return tf.tensor2d(this.rng.normalArray(n * this.cfg.latentDim), [n, this.cfg.latentDim]);
  }

  private dLoss(real: tf.Tensor, fake: tf.Tensor, eps: tf.Tensor | null): tf.Scalar {
    const critic = (x: tf.Tensor) => this.d.apply(x, { training: true, twiceDifferentiable: eps !== null });
    const loss = this.objective.discriminator(critic(real), critic(fake));
    return eps ? tf.add(loss, tf.mul(gradientPenalty(critic, real, fake, eps), this.gpWeight)) : loss;
  }

  /** One training iteration: `dSteps` discriminator updates, then one generator update. */
  train(): void {
    const { batch } = this.cfg;
    this.lastD?.dispose();
    this.lastG?.dispose();
    let dCost: tf.Scalar | null = null;
    for (let k = 0; k < this.cfg.dSteps; k++) {
      dCost?.dispose();
      dCost = tf.tidy(() => {
        const real = this.realBatch(batch);
        // Made before the tape starts, so the D step sends no gradient into G.
        const fake = this.g.apply(this.noise(batch), { training: true });
        const eps = this.gpWeight > 0 ? tf.tensor2d(this.rng.uniformArray(batch), [batch, 1]) : null;
        return minimize(this.dOpt, this.d.trainable, () => this.dLoss(real, fake, eps));
      });
    }
    this.lastD = dCost;
    this.lastG = tf.tidy(() => {
      const z = this.noise(batch);
      return minimize(this.gOpt, this.g.trainable, () => this.objective.generator(this.d.apply(this.g.apply(z, { training: true }), { training: true })));
    });
    this.step++;
  }

  /** The losses of the last iteration (reading them waits for the backend). */
  losses(): StepLosses {
    return { d: this.lastD ? this.lastD.dataSync()[0]! : NaN, g: this.lastG ? this.lastG.dataSync()[0]! : NaN };
  }

  /** n generated points, row-major n×2. */
  sample(n: number): Float32Array {
    return tf.tidy(() => this.g.apply(this.noise(n), { training: false }).dataSync() as Float32Array);
  }

  /** Generated points for a given latent batch (row-major, latentDim columns). */
  generate(latents: Float32Array): Float32Array {
    const n = latents.length / this.cfg.latentDim;
    return tf.tidy(() => this.g.apply(tf.tensor2d(latents, [n, this.cfg.latentDim]), { training: false }).dataSync() as Float32Array);
  }

  /** Discriminator logits on a res×res grid over [−extent, extent]², row by row from the top. */
  discriminatorGrid(res: number, extent: number): Float32Array {
    const pts = new Float32Array(res * res * 2);
    for (let r = 0; r < res; r++) {
      for (let c = 0; c < res; c++) {
        const i = r * res + c;
        pts[2 * i] = -extent + ((c + 0.5) / res) * 2 * extent;
        pts[2 * i + 1] = extent - ((r + 0.5) / res) * 2 * extent;
      }
    }
    return tf.tidy(() => this.d.apply(tf.tensor2d(pts, [res * res, 2]), { training: false }).dataSync() as Float32Array);
  }

  /** PacGAN mode coverage of n generated samples. */
  coverage(n = 2500): ModeCoverageResult {
    return modeCoverage(this.sample(n), this.data.modes, this.data.std);
  }

  dispose(): void {
    this.lastD?.dispose();
    this.lastG?.dispose();
    this.g.dispose();
    this.d.dispose();
    this.dOpt.dispose();
    this.gOpt.dispose();
  }
}
