/**
 * A small MLP GAN on 2-D points, trained in the page with TF.js. Built with the project's Network
 * (src/models/network.ts); the losses are written here on discriminator logits.
 */
import * as tf from '@tensorflow/tfjs-core';
import { modeCoverage, type ModeCoverageResult } from '../../../src/metrics/mode_coverage.ts';
import { Network, type LayerSpec } from '../../../src/models/network.ts';
import { Rng } from '../../../src/core/rng.ts';
import { sampleMixture, type Mixture } from './toy_data.ts';

export const LOSSES = ['nonsaturating', 'hinge', 'lsgan', 'wgan-gp'] as const;
export type Loss2d = (typeof LOSSES)[number];

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

/** WGAN-GP's penalty weight (Gulrajani et al. 2017). */
const GP_WEIGHT = 0.1;

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

export class Gan2d {
  readonly g: Network;
  readonly d: Network;
  step = 0;
  private readonly dOpt: tf.Optimizer;
  private readonly gOpt: tf.Optimizer;
  private readonly rng: Rng;
  private lastD: tf.Scalar | null = null;
  private lastG: tf.Scalar | null = null;

  constructor(
    readonly cfg: Gan2dConfig,
    public data: Mixture,
  ) {
    this.rng = new Rng(cfg.seed);
    // Variable names are global in TF.js: each instance gets its own prefix.
    const id = ++instances;
    const lrelu: LayerSpec = { type: 'act', fn: 'lrelu', alpha: 0.2 };
    this.g = new Network(`playG${id}`, { inputShape: [cfg.latentDim], layers: mlp(cfg.hidden, cfg.depth, 2, lrelu) }, this.rng.fork('G'));
    this.d = new Network(`playD${id}`, { inputShape: [2], layers: mlp(cfg.hidden, cfg.depth, 1, lrelu) }, this.rng.fork('D'));
    // WGAN-GP's usual Adam betas (0.5, 0.9); β1 = 0.5 is the common GAN choice for the others too.
    const beta2 = cfg.loss === 'wgan-gp' ? 0.9 : 0.999;
    this.dOpt = tf.train.adam(cfg.lrD, 0.5, beta2);
    this.gOpt = tf.train.adam(cfg.lrG, 0.5, beta2);
  }

  private realBatch(n: number): tf.Tensor2D {
    return tf.tensor2d(sampleMixture(this.data, n, this.rng), [n, 2]);
  }

  private noise(n: number): tf.Tensor2D {
    return tf.tensor2d(this.rng.normalArray(n * this.cfg.latentDim), [n, this.cfg.latentDim]);
  }

  private dLoss(real: tf.Tensor, fake: tf.Tensor): tf.Scalar {
    const dr = this.d.apply(real, { training: true });
    const df = this.d.apply(fake, { training: true });
    switch (this.cfg.loss) {
      case 'nonsaturating':
        return tf.add(tf.mean(tf.softplus(tf.neg(dr))), tf.mean(tf.softplus(df)));
      case 'hinge':
        return tf.add(tf.mean(tf.relu(tf.sub(1, dr))), tf.mean(tf.relu(tf.add(1, df))));
      case 'lsgan':
        return tf.mul(0.5, tf.add(tf.mean(tf.square(tf.sub(dr, 1))), tf.mean(tf.square(df))));
      case 'wgan-gp': {
        const n = real.shape[0]!;
        const eps = tf.tensor2d(this.rng.uniformArray(n), [n, 1]);
        const mixed = tf.add(real, tf.mul(eps, tf.sub(fake, real)));
        const grad = tf.grad((x: tf.Tensor) => tf.sum(this.d.apply(x, { training: true })))(mixed);
        const norm = tf.sqrt(tf.add(tf.sum(tf.square(grad), 1), 1e-12));
        const gp = tf.mean(tf.square(tf.sub(norm, 1)));
        return tf.add(tf.sub(tf.mean(df), tf.mean(dr)), tf.mul(GP_WEIGHT, gp));
      }
    }
  }

  private gLoss(fake: tf.Tensor): tf.Scalar {
    const df = this.d.apply(fake, { training: true });
    switch (this.cfg.loss) {
      case 'nonsaturating':
        return tf.mean(tf.softplus(tf.neg(df)));
      case 'lsgan':
        return tf.mul(0.5, tf.mean(tf.square(tf.sub(df, 1))));
      case 'hinge':
      case 'wgan-gp':
        return tf.neg(tf.mean(df));
    }
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
        const fake = this.g.apply(this.noise(batch), { training: true });
        return this.dOpt.minimize(() => this.dLoss(real, fake), true, this.d.trainable)!;
      });
    }
    this.lastD = dCost;
    this.lastG = tf.tidy(() => {
      const z = this.noise(batch);
      return this.gOpt.minimize(() => this.gLoss(this.g.apply(z, { training: true })), true, this.g.trainable)!;
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
