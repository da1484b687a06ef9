/**
 * The `cyclegan` family (Zhu et al. 2017): two generators G_AB: A → B and G_BA: B → A, two discriminators
 * D_A and D_B, an adversarial loss (least squares by default) in both directions, cycle consistency
 * λ·(|G_BA(G_AB(a)) − a| + |G_AB(G_BA(b)) − b|), an identity term (weight · λ, same-shaped domains), and a
 * history pool of fakes per discriminator (checkpointed with its fill count and random stream). One G
 * phase updates both generators, then one D phase both discriminators on the same real batch.
 */
import * as tf from '@tensorflow/tfjs-core';
import { z } from 'zod';
import { optimizerSchema } from '../core/config.ts';
import type { Rng } from '../core/rng.ts';
import { getLoss, LOSS_NAMES } from '../losses/adversarial.ts';
import { cycleLoss, identityLoss } from '../losses/terms.ts';
import { translationArchSchema, translationSpecs } from '../models/translation_nets.ts';
import { defineFamily, type FamilyBuildContext, type FamilyInstance, type Phase, type StepContext } from './family.ts';
import { ImagePool } from './image_pool.ts';

export const cycleganModelSchema = z
  .object({
    family: z.literal('cyclegan'),
    network: translationArchSchema,
    loss: z.enum(LOSS_NAMES as unknown as [string, ...string[]]).default('leastsquares'),
    /** λ of the cycle loss (CycleGAN: 10). */
    cycleWeight: z.number().min(0).default(10),
    /** Identity loss weight as a fraction of λ (CycleGAN: 0.5); needs domains of one shape. */
    identityWeight: z.number().min(0).default(0.5),
    /** History pool size per discriminator (CycleGAN: 50; 0 = none). */
    poolSize: z.number().int().min(0).max(1000).default(50),
    optimizerG: optimizerSchema,
    optimizerD: optimizerSchema,
  })
  .strict();

export type CycleganModelConfig = z.infer<typeof cycleganModelSchema>;

interface Held {
  a: tf.Tensor;
  b: tf.Tensor;
  fakeA: tf.Tensor;
  fakeB: tf.Tensor;
}

const PREVIEW = 64;

function buildCyclegan(model: CycleganModelConfig, ctx: FamilyBuildContext<unknown>): FamilyInstance {
  const { data } = ctx;
  const shapeA = data.fields.a?.shape;
  const shapeB = data.fields.b?.shape;
  if (!shapeA || !shapeB) throw new Error(`the cyclegan family needs two-domain data (data: { name: unpaired, a: …, b: … }); ${data.name} has fields ${Object.keys(data.fields).join(', ')}`);
  const ab = translationSpecs(model.network, shapeA, shapeB);
  const ba = translationSpecs(model.network, shapeB, shapeA);
  const G_AB = ctx.network('G_AB', ab.generator);
  const G_BA = ctx.network('G_BA', ba.generator);
  const D_A = ctx.network('D_A', ba.discriminator);
  const D_B = ctx.network('D_B', ab.discriminator);
  const poolRng = ctx.stream('pool');
  const poolA = new ImagePool(model.poolSize, shapeA);
  const poolB = new ImagePool(model.poolSize, shapeB);
  // Fixed domain-A inputs for sample grids, read ahead of the stream (its state is put back, so training
  // sees the same batches) and kept with the checkpoint.
  const cursor = data.getState();
  const first = data.nextBatch(PREVIEW);
  const preview = tf.variable(tf.tensor(first.a!, [PREVIEW, ...shapeA]), false);
  // Domain-B inputs for the exported G_BA's examples: not checkpointed (older checkpoints lack them), as
  // the same seeded data gives the same first batch on every build.
  const previewB = tf.tensor(first.b!, [PREVIEW, ...shapeB]);
  data.setState(cursor);
  const loss = getLoss(model.loss as never);
  const sameShape = shapeA.join() === shapeB.join();
  const idWeight = sameShape ? model.identityWeight * model.cycleWeight : 0;
  let held: Held | null = null;

  const realBatch = (c: StepContext) => {
    const batch = c.nextBatch();
    return { a: tf.tensor(batch.a!, [c.batchSize, ...shapeA]), b: tf.tensor(batch.b!, [c.batchSize, ...shapeB]) };
  };
  const releaseHeld = () => {
    if (held) tf.dispose([held.a, held.b, held.fakeA, held.fakeB]);
    held = null;
  };

  const gPhase: Phase<{ a: tf.Tensor; b: tf.Tensor }> = {
    name: 'G',
    group: 'G',
    reportAs: 'g_loss',
    prepare: realBatch,
    loss(c, { a, b }) {
      const o = c.applyOptions;
      const fakeB = G_AB.apply(a, o);
      const fakeA = G_BA.apply(b, o);
      const advAB = loss.generator(D_B.apply(fakeB, o));
      const advBA = loss.generator(D_A.apply(fakeA, o));
      const cycA = cycleLoss(a, G_BA.apply(fakeB, o), model.cycleWeight);
      const cycB = cycleLoss(b, G_AB.apply(fakeA, o), model.cycleWeight);
      let total = tf.addN([advAB, advBA, cycA, cycB]);
      const parts: Record<string, tf.Scalar> = { g_adv_ab: advAB, g_adv_ba: advBA, cycle_a: cycA, cycle_b: cycB };
      if (idWeight > 0) {
        const idt = tf.mul(tf.add(identityLoss(G_AB.apply(b, o), b), identityLoss(G_BA.apply(a, o), a)), idWeight) as tf.Scalar;
        parts.identity = idt;
        total = tf.add(total, idt);
      }
      // The D phase judges these fakes (detached: they are values once kept).
      releaseHeld();
      held = { a: tf.keep(a), b: tf.keep(b), fakeA: tf.keep(fakeA), fakeB: tf.keep(fakeB) };
      return { total: total as tf.Scalar, parts };
    },
  };

  const dPhase: Phase<{ a: tf.Tensor; b: tf.Tensor; pooledA: tf.Tensor; pooledB: tf.Tensor }> = {
    name: 'D',
    group: 'D',
    reportAs: 'd_loss',
    prepare: () => {
      if (!held) throw new Error('cyclegan: the D phase runs after the G phase of the same step');
      return { a: held.a, b: held.b, pooledA: poolA.query(held.fakeA, poolRng), pooledB: poolB.query(held.fakeB, poolRng) };
    },
    loss(c, { a, b, pooledA, pooledB }) {
      const o = c.applyOptions;
      // Halved, as in CycleGAN, so D learns more slowly than G.
      const dA = tf.mul(loss.discriminator(D_A.apply(a, o), D_A.apply(pooledA, o)), 0.5) as tf.Scalar;
      const dB = tf.mul(loss.discriminator(D_B.apply(b, o), D_B.apply(pooledB, o)), 0.5) as tf.Scalar;
      return { total: tf.add(dA, dB) as tf.Scalar, parts: { d_a: dA, d_b: dB } };
    },
    after: releaseHeld,
  };

  return {
    networks: { G_AB, G_BA, D_A, D_B },
    groups: [
      { name: 'G', networks: ['G_AB', 'G_BA'], optimizer: model.optimizerG },
      { name: 'D', networks: ['D_A', 'D_B'], optimizer: model.optimizerD },
    ],
    phases: [gPhase, dPhase] as Phase<never>[],
    numClasses: 0,
    sampler: { network: 'G_AB', inputs: { x: { kind: 'image', shape: shapeA } }, reverse: { network: 'G_BA', inputs: { x: { kind: 'image', shape: shapeB } } } },
    sampleInputs(n: number, rng: Rng, opts = {}) {
      const shape = opts.reverse ? shapeB : shapeA;
      const given = opts.inputs?.x;
      if (given) return { x: tf.tensor(given, [n, ...shape]) };
      const idx = Int32Array.from({ length: n }, (_, i) => (i < PREVIEW ? i : rng.int(PREVIEW)));
      return { x: tf.gather(opts.reverse ? previewB : preview, tf.tensor1d(idx, 'int32')) };
    },
    getState: () => ({
      json: { poolCountA: poolA.count, poolCountB: poolB.count },
      tensors: { poolA: poolA.images, poolB: poolB.images, preview },
    }),
    setState({ json, tensors }) {
      const j = json as { poolCountA?: number; poolCountB?: number } | undefined;
      if (!j || !tensors?.poolA || !tensors.poolB || !tensors.preview) throw new Error('cyclegan: the checkpoint lacks the image pools');
      poolA.setState(tensors.poolA, j.poolCountA ?? -1);
      poolB.setState(tensors.poolB, j.poolCountB ?? -1);
      preview.assign(tensors.preview);
    },
    dispose() {
      releaseHeld();
      poolA.dispose();
      poolB.dispose();
      preview.dispose();
      previewB.dispose();
    },
  };
}

export const cycleganFamily = defineFamily('cyclegan', 'unpaired translation: two generators, two discriminators, cycle and identity losses, history pools', cycleganModelSchema, buildCyclegan);
