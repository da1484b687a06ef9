/**
 * The generic adversarial trainer: k discriminator steps then k generator steps per iteration, any loss,
 * optional regularizer (clipping, gradient penalty, R1), ACGAN's auxiliary classifier, EMA of G. It owns
 * G, D, G_ema, both optimizers and every random stream, so its whole state can be checkpointed and resumed
 * bit-exactly. No synchronous reads happen inside a step: losses come back as tensors for async logging.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { GanConfig } from '../core/config.ts';
import { Rng, type RngState } from '../core/rng.ts';
import type { DataSource } from '../data/dataset.ts';
import { auxiliaryClassifierLoss, getLoss, type AdversarialLoss } from '../losses/adversarial.ts';
import { clipWeights, gradientPenalty, r1Penalty } from '../losses/regularizers.ts';
import { Network, type NetworkSpec } from '../models/network.ts';
import { buildGanSpecs } from '../models/zoo.ts';
import { Ema } from './ema.ts';
import { createOptimizer, type Optimizer, type OptimizerConfig } from './optimizers.ts';

export type StepLosses = Record<string, tf.Scalar>;

export interface TrainerRandomState {
  latent: RngState;
  data: unknown;
}

export class GanTrainer {
  readonly G: Network;
  readonly D: Network;
  /** Exponential moving average of G's weights (null when emaDecay is 0); used for sampling and export. */
  readonly Gema: Network | null;
  readonly optG: Optimizer;
  readonly optD: Optimizer;
  readonly loss: AdversarialLoss;
  readonly generatorSpec: NetworkSpec;
  readonly numClasses: number;
  step = 0;
  private readonly latentRng: Rng;
  private readonly ema: Ema | null;

  constructor(readonly cfg: GanConfig, readonly data: DataSource) {
    const root = new Rng(cfg.seed);
    const initRng = root.fork('init');
    this.latentRng = root.fork('latent');
    const conditioning = cfg.model.conditioning;
    if (conditioning !== 'none' && data.numClasses <= 0) throw new Error(`model.conditioning '${conditioning}' needs a labeled dataset; ${data.name} has no labels`);
    this.numClasses = conditioning === 'none' ? 0 : data.numClasses;
    const specs = buildGanSpecs(cfg.model.network, {
      latentDim: cfg.model.latentDim,
      dataShape: data.shape,
      numClasses: this.numClasses,
      conditioning,
      dataRange: data.range,
    });
    this.generatorSpec = specs.generator;
    this.G = new Network('G', specs.generator, initRng);
    this.D = new Network('D', specs.discriminator, initRng);
    this.Gema = cfg.train.emaDecay > 0 ? new Network('G_ema', specs.generator, initRng) : null;
    if (this.Gema) this.Gema.copyFrom(this.G);
    this.ema = cfg.train.emaDecay > 0 ? new Ema(cfg.train.emaDecay) : null;
    this.optG = createOptimizer(cfg.train.optimizerG as OptimizerConfig);
    this.optD = createOptimizer(cfg.train.optimizerD as OptimizerConfig);
    this.loss = getLoss(cfg.loss);
  }

  /** The generator used for samples and export: EMA weights when present. */
  get sampler(): Network {
    return this.Gema ?? this.G;
  }

  get latentDim(): number {
    return this.cfg.model.latentDim;
  }

  sampleLatents(n: number, rng: Rng = this.latentRng): tf.Tensor2D {
    return tf.tensor2d(rng.normalArray(n * this.latentDim), [n, this.latentDim]);
  }

  sampleLabels(n: number, rng: Rng = this.latentRng): tf.Tensor1D | undefined {
    if (this.numClasses === 0) return undefined;
    const l = new Int32Array(n);
    for (let i = 0; i < n; i++) l[i] = rng.int(this.numClasses);
    return tf.tensor1d(l, 'int32');
  }

  private realBatch(): { x: tf.Tensor; labels?: tf.Tensor1D } {
    const b = this.data.nextBatch(this.cfg.train.batchSize);
    const x = tf.tensor(b.x, [this.cfg.train.batchSize, ...this.data.shape]);
    const labels = this.numClasses > 0 && b.labels ? tf.tensor1d(b.labels, 'int32') : undefined;
    if (this.numClasses > 0 && !labels) throw new Error(`dataset ${this.data.name} returned no labels for a conditional model`);
    return { x, labels };
  }

  /** Learning-rate factor at the current step (linear decay over the last part of the run). */
  private lrFactor(): number {
    const { steps, lrFinalFactor, lrDecayFraction } = this.cfg.train;
    if (lrDecayFraction <= 0 || lrFinalFactor >= 1) return 1;
    const start = steps * (1 - lrDecayFraction);
    if (this.step < start) return 1;
    const t = Math.min(1, (this.step - start) / (steps - start));
    return 1 + t * (lrFinalFactor - 1);
  }

  /** Splits D's output into the adversarial logit and, for ACGAN, class logits. */
  private splitD(out: tf.Tensor): { adv: tf.Tensor; cls?: tf.Tensor2D } {
    if (this.cfg.model.conditioning !== 'acgan') return { adv: out };
    const adv = tf.slice(out, [0, 0], [-1, 1]);
    const cls = tf.slice(out, [0, 1], [-1, this.numClasses]) as tf.Tensor2D;
    return { adv, cls };
  }

  private discriminatorStep(): StepLosses {
    const cfg = this.cfg;
    const bs = cfg.train.batchSize;
    return tf.tidy(() => {
      const real = this.realBatch();
      const z = this.sampleLatents(bs);
      const fakeLabels = this.sampleLabels(bs);
      // Computed before the tape starts, so no gradient flows into G from the D step.
      const fake = this.G.apply(z, { training: true, labels: fakeLabels });
      const reg = cfg.regularizer;
      const eps = reg.type === 'gp' ? tf.tensor(this.latentRng.uniformArray(bs), [bs, ...real.x.shape.slice(1).map(() => 1)]) : null;
      const parts: Record<string, tf.Scalar> = {};
      const { value, grads } = tf.variableGrads(() => {
        const realOut = this.splitD(this.D.apply(real.x, { training: true, labels: real.labels }));
        const fakeOut = this.splitD(this.D.apply(fake, { training: true, labels: fakeLabels }));
        let total = this.loss.discriminator(realOut.adv, fakeOut.adv);
        parts.d_adv = tf.keep(total);
        if (realOut.cls && fakeOut.cls) {
          const fakeWeight = cfg.train.auxFakeWeight;
          const realAux = auxiliaryClassifierLoss(realOut.cls, real.labels!);
          const aux = (fakeWeight > 0 ? tf.add(realAux, tf.mul(auxiliaryClassifierLoss(fakeOut.cls, fakeLabels!), fakeWeight)) : realAux) as tf.Scalar;
          parts.aux_d = tf.keep(aux);
          total = tf.add(total, tf.mul(aux, cfg.train.auxWeight));
        }
        // Penalties are taken on the adversarial output only; labels follow the real batch.
        const critic = (x: tf.Tensor) => this.splitD(this.D.apply(x, { training: true, labels: real.labels, twiceDifferentiable: true })).adv;
        if (reg.type === 'gp') {
          const gp = gradientPenalty(critic, real.x, fake, eps!);
          parts.gp = tf.keep(gp);
          total = tf.add(total, tf.mul(gp, reg.weight));
        } else if (reg.type === 'r1') {
          const r1 = r1Penalty(critic, real.x);
          parts.r1 = tf.keep(r1);
          total = tf.add(total, tf.mul(r1, reg.weight / 2));
        }
        return total as tf.Scalar;
      }, this.D.trainable);
      this.optD.apply(this.D.trainable, this.D.trainable.map((v) => grads[v.name]!));
      if (reg.type === 'clip') clipWeights(this.D.trainable, reg.clip);
      return { d_loss: value, ...parts };
    });
  }

  private generatorStep(): StepLosses {
    const bs = this.cfg.train.batchSize;
    return tf.tidy(() => {
      const z = this.sampleLatents(bs);
      const labels = this.sampleLabels(bs);
      const parts: Record<string, tf.Scalar> = {};
      const { value, grads } = tf.variableGrads(() => {
        const fake = this.G.apply(z, { training: true, labels });
        const out = this.splitD(this.D.apply(fake, { training: true, labels }));
        let total = this.loss.generator(out.adv);
        parts.g_adv = tf.keep(total);
        if (out.cls) {
          const aux = auxiliaryClassifierLoss(out.cls, labels!);
          parts.aux_g = tf.keep(aux);
          total = tf.add(total, tf.mul(aux, this.cfg.train.auxWeight));
        }
        return total as tf.Scalar;
      }, this.G.trainable);
      this.optG.apply(this.G.trainable, this.G.trainable.map((v) => grads[v.name]!));
      if (this.Gema && this.ema) {
        this.ema.update(this.Gema.trainable, this.G.trainable, this.step);
        // Batch-norm statistics are not averaged: G_ema follows G's running statistics.
        this.Gema.state.forEach((v, i) => v.assign(this.G.state[i]!));
      }
      return { g_loss: value, ...parts };
    });
  }

  /** One iteration: dSteps discriminator updates, then gSteps generator updates. Returns the last losses. */
  trainStep(): StepLosses {
    const factor = this.lrFactor();
    this.optD.setLearningRateFactor(factor);
    this.optG.setLearningRateFactor(factor);
    let d: StepLosses = {};
    for (let k = 0; k < this.cfg.train.dSteps; k++) {
      disposeLosses(d);
      d = this.discriminatorStep();
    }
    let g: StepLosses = {};
    for (let k = 0; k < this.cfg.train.gSteps; k++) {
      disposeLosses(g);
      g = this.generatorStep();
    }
    this.step++;
    return { ...d, ...g };
  }

  /** Generates n samples with the sampling generator (EMA when present), in batches, as one Float32Array. */
  async generate(n: number, rng: Rng, opts: { labels?: Int32Array; batch?: number } = {}): Promise<Float32Array> {
    const net = this.sampler;
    const per = this.data.shape.reduce((a, b) => a * b, 1);
    const out = new Float32Array(n * per);
    const batch = opts.batch ?? 500;
    for (let i = 0; i < n; i += batch) {
      const m = Math.min(batch, n - i);
      const y = tf.tidy(() => {
        const z = this.sampleLatents(m, rng);
        let labels: tf.Tensor1D | undefined;
        if (this.numClasses > 0) labels = opts.labels ? tf.tensor1d(opts.labels.subarray(i, i + m), 'int32') : this.sampleLabels(m, rng);
        return net.apply(z, { training: false, labels });
      });
      out.set(await y.data(), i * per);
      y.dispose();
    }
    return out;
  }

  randomState(): TrainerRandomState {
    return { latent: this.latentRng.getState(), data: this.data.getState() };
  }

  setRandomState(s: TrainerRandomState): void {
    this.latentRng.setState(s.latent);
    this.data.setState(s.data);
  }

  dispose(): void {
    this.G.dispose();
    this.D.dispose();
    this.Gema?.dispose();
    this.optG.dispose();
    this.optD.dispose();
  }
}

export function disposeLosses(l: StepLosses): void {
  for (const t of Object.values(l)) t.dispose();
}
