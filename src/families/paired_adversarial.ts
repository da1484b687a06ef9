/**
 * The two phases that pix2pix and inpaint share: a G phase (G's output judged by a conditional D, plus the
 * family's reconstruction terms) and a D phase on the same batch and G's outputs (detached), D's loss halved
 * as in pix2pix. D is a `pairDiscriminator`: it sees a conditioning image (`input`) and a real or generated
 * image (`x`). The G phase holds its batch and output for the D phase, which releases them.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { OptimizerConfig } from '../core/config_schema.ts';
import type { AdversarialLoss } from '../losses/adversarial.ts';
import type { Network } from '../models/network.ts';
import type { LossTerms, OptimizerGroup, Phase, Scalars, StepContext } from './family.ts';

/** One training batch as tensors: D's conditioning image, the real image, and G's inputs. */
export interface PairBatch {
  cond: tf.Tensor;
  real: tf.Tensor;
  feeds: tf.Tensor | Record<string, tf.Tensor>;
}

interface Held {
  cond: tf.Tensor;
  real: tf.Tensor;
  fake: tf.Tensor;
}

export interface PairedAdversarialSpec {
  /** The family's name, for errors. */
  family: string;
  G: Network;
  D: Network;
  loss: AdversarialLoss;
  prepare(c: StepContext): PairBatch;
  /** G's total loss from the adversarial term and its output; `parts` are logged beside g_adv. */
  generatorLoss(adv: tf.Scalar, fake: tf.Tensor, batch: PairBatch): { total: tf.Scalar; parts: Scalars };
}

export interface PairedAdversarial {
  phases: Phase<never>[];
  /** Frees what the G phase holds for the D phase (the family's dispose). */
  release(): void;
}

export function pairedAdversarialPhases(spec: PairedAdversarialSpec): PairedAdversarial {
  const { G, D, loss } = spec;
  let held: Held | null = null;
  const release = () => {
    if (held) tf.dispose([held.cond, held.real, held.fake]);
    held = null;
  };
  const gPhase: Phase<PairBatch> = {
    name: 'G',
    group: 'G',
    reportAs: 'g_loss',
    prepare: (c) => spec.prepare(c),
    loss(c, batch): LossTerms {
      const o = c.applyOptions;
      const fake = G.apply(batch.feeds, o);
      const adv = loss.generator(D.apply({ input: batch.cond, x: fake }, o));
      const { total, parts } = spec.generatorLoss(adv, fake, batch);
      release();
      held = { cond: tf.keep(batch.cond), real: tf.keep(batch.real), fake: tf.keep(fake) };
      return { total, parts: { g_adv: adv, ...parts } };
    },
  };
  const dPhase: Phase<Held> = {
    name: 'D',
    group: 'D',
    reportAs: 'd_loss',
    prepare() {
      if (!held) throw new Error(`${spec.family}: the D phase runs after the G phase of the same step`);
      return held;
    },
    loss(c, { cond, real, fake }) {
      const o = c.applyOptions;
      return { total: tf.mul(loss.discriminator(D.apply({ input: cond, x: real }, o), D.apply({ input: cond, x: fake }, o)), 0.5) as tf.Scalar };
    },
    after: release,
  };
  return { phases: [gPhase, dPhase] as Phase<never>[], release };
}

/** The G and D optimizer groups of a two-network family. */
export function gdGroups(optimizerG: OptimizerConfig, optimizerD: OptimizerConfig): OptimizerGroup[] {
  return [
    { name: 'G', networks: ['G'], optimizer: optimizerG },
    { name: 'D', networks: ['D'], optimizer: optimizerD },
  ];
}
