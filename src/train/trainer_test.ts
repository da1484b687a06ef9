import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../backend/backend.ts';
import { deepMerge } from '../core/config.ts';
import { Rng } from '../core/rng.ts';
import { arraySource, type DataSource } from '../data/dataset.ts';
import { toySource } from '../data/toy.ts';
import { loadConfig, validateConfig, type RunConfig } from '../families/config.ts';
import { Trainer, disposeLosses } from './trainer.ts';

await initBackend('wasm', { quiet: true });

/** Random 8×8 "images" with labels: enough to exercise every code path of the conv GAN. */
function tinyImages(n = 64, classes = 4): DataSource {
  const rng = new Rng(1);
  const pixels = Uint8Array.from({ length: n * 8 * 8 }, () => rng.int(256));
  const labels = Int32Array.from({ length: n }, (_, i) => i % classes);
  return arraySource('tiny', { pixels, labels, count: n, shape: [8, 8, 1], numClasses: classes }, 3);
}

function imageConfig(over: Record<string, unknown>): RunConfig {
  const base = {
    name: 'tiny',
    data: { name: 'mnist' },
    model: {
      family: 'gan', latentDim: 8, network: { arch: 'dcgan', width: 4, dNorm: 'batch' }, loss: 'nonsaturating',
      optimizerG: { type: 'adam', lr: 2e-4 }, optimizerD: { type: 'adam', lr: 2e-4 },
    },
    train: { steps: 10, batchSize: 8 },
  };
  return validateConfig(deepMerge(base, over), 'test');
}

const toyConfig = (batchSize = 16) =>
  loadConfig('toy-ring', { train: { steps: 5, batchSize }, model: { latentDim: 4, network: { arch: 'mlp', hidden: 16, depth: 2, pack: 1, latentComponents: 0 } } });

const snapshot = (vars: tf.Variable[]) => vars.map((v) => Float32Array.from(v.dataSync()));
const maxAbsDiff = (a: Float32Array, b: Float32Array) => a.reduce((m, x, i) => Math.max(m, Math.abs(x - b[i]!)), 0);

const variants: [string, Record<string, unknown>, string[]][] = [
  ['non-saturating DCGAN with batch norm', {}, []],
  ['WGAN with clipping and RMSprop, 3 critic steps', { model: { loss: 'wasserstein', regularizer: { type: 'clip', clip: 0.01 }, dSteps: 3, optimizerD: { type: 'rmsprop', lr: 5e-5 }, optimizerG: { type: 'rmsprop', lr: 5e-5 } } }, []],
  ['WGAN-GP without batch norm', { model: { loss: 'wasserstein', regularizer: { type: 'gp', weight: 10 }, network: { arch: 'dcgan', width: 4, dNorm: 'none' } } }, ['gp']],
  ['hinge with spectral norm and R1', { model: { loss: 'hinge', regularizer: { type: 'r1', weight: 1 }, network: { arch: 'dcgan', width: 4, dNorm: 'spectral' } } }, ['r1']],
  ['least squares with 2 generator steps', { model: { loss: 'leastsquares', gSteps: 2 } }, []],
  ['conditional (concat)', { model: { conditioning: 'concat' } }, []],
  ['ACGAN', { model: { conditioning: 'acgan' } }, ['aux_d', 'aux_g']],
  ['InfoGAN code', { model: { infoCode: { components: 3, weight: 1 } } }, ['info_d', 'info_g']],
  ['ACGAN with an InfoGAN code', { model: { conditioning: 'acgan', infoCode: { components: 3 } } }, ['aux_d', 'aux_g', 'info_d', 'info_g']],
];

for (const [name, over, extraParts] of variants) {
  test(`${name}: every weight of G and D moves, losses finite, parts present, no tensor leaks`, async () => {
    const t = new Trainer(imageConfig(over), tinyImages());
    try {
      const G = t.network('G');
      const D = t.network('D');
      const g0 = snapshot(G.trainable);
      const d0 = snapshot(D.trainable);
      disposeLosses(t.trainStep()); // the first step creates optimizer slots and backend caches
      // An optimizer that never updated (or a group that missed a network) leaves some variable unchanged.
      snapshot(G.trainable).forEach((w, i) => assert.ok(maxAbsDiff(w, g0[i]!) > 0, `G variable ${G.trainable[i]!.name} did not change`));
      // Under the Wasserstein and hinge losses D's last bias cancels out of the loss (mean(fake) − mean(real)):
      // its gradient is exactly 0, so it must stay put; every other variable must move.
      const lastBias = D.trainable.length - 1;
      const cancels = ['wasserstein', 'hinge'].includes(t.cfg.model.loss as string);
      snapshot(D.trainable).forEach((w, i) => {
        if (cancels && i === lastBias) assert.equal(maxAbsDiff(w, d0[i]!), 0, 'the critic\'s last bias has zero gradient under this loss');
        else assert.ok(maxAbsDiff(w, d0[i]!) > 0, `D variable ${D.trainable[i]!.name} did not change`);
      });
      const before = tf.memory().numTensors;
      for (let i = 0; i < 3; i++) disposeLosses(t.trainStep());
      assert.equal(tf.memory().numTensors, before, 'tensor count grew across training steps');
      const losses = t.trainStep();
      for (const key of ['d_loss', 'g_loss', 'd_adv', 'g_adv', ...extraParts]) assert.ok(key in losses, `missing loss part ${key}`);
      for (const [k, v] of Object.entries(losses)) assert.ok(Number.isFinite((await v.data())[0]), `${k} is not finite`);
      disposeLosses(losses);
    } finally {
      t.dispose();
    }
  });
}

test('gradient penalty and R1 reach the discriminator: the reported total is adv + weight·penalty, and a larger weight changes D', async () => {
  for (const [reg, factor] of [['gp', 10], ['r1', 5]] as const) {
    const dAfterOneStep = async (weight: number) => {
      const t = new Trainer(imageConfig({ model: { loss: 'wasserstein', regularizer: { type: reg, weight }, network: { arch: 'dcgan', width: 4, dNorm: 'none' } } }), tinyImages());
      const losses = t.trainStep();
      const v = Object.fromEntries(await Promise.all(Object.entries(losses).map(async ([k, x]) => [k, (await x.data())[0]!] as const)));
      const w = snapshot(t.network('D').trainable);
      disposeLosses(losses);
      t.dispose();
      return { v, w };
    };
    const low = await dAfterOneStep(0);
    const high = await dAfterOneStep(factor * (reg === 'r1' ? 2 : 1));
    const penalty = high.v[reg]!;
    assert.ok(penalty > 0, `${reg} part is ${penalty}`);
    // R1 enters as γ/2·R1: weight 10 → 5·R1.
    assert.ok(Math.abs(high.v.d_loss! - (high.v.d_adv! + factor * penalty)) < 1e-4 * Math.max(1, Math.abs(high.v.d_loss!)), `${reg}: d_loss ${high.v.d_loss} != d_adv ${high.v.d_adv} + ${factor}·${penalty}`);
    assert.equal(low.v.d_loss, low.v.d_adv);
    assert.ok(maxAbsDiff(low.w[0]!, high.w[0]!) > 0, `${reg}: the penalty weight did not change D's update`);
  }
});

test('lazy R1 runs as its own D phase on every Nth step only', async () => {
  const t = new Trainer(imageConfig({ model: { regularizer: { type: 'r1', weight: 1, every: 4 } } }), tinyImages());
  try {
    const seen: boolean[] = [];
    for (let i = 0; i < 8; i++) {
      const l = t.trainStep();
      seen.push('r1_loss' in l);
      assert.ok(!('r1' in l) || 'r1_loss' in l, 'R1 must not run inside the main D phase when it is lazy');
      disposeLosses(l);
    }
    assert.deepEqual(seen, [true, false, false, false, true, false, false, false]);
  } finally {
    t.dispose();
  }
});

test('InfoGAN code: D learns to read the code G was given (cross-entropy falls from ln k to near 0) on the 8-mode ring', async () => {
  const cfg = loadConfig('toy-ring', {
    seed: 3,
    train: { steps: 300, batchSize: 64, lrDecayFraction: 0 },
    model: { latentDim: 12, regularizer: { type: 'none' }, network: { arch: 'mlp', hidden: 32, depth: 2, latentComponents: 0 }, infoCode: { components: 4, weight: 1 } },
  });
  const t = new Trainer(cfg, toySource('ring8', 3));
  try {
    const first = t.trainStep();
    const start = (await first.info_d!.data())[0]!;
    disposeLosses(first);
    assert.ok(start > 1, `an untrained head should be about as unsure as chance (ln 4 = 1.386), got ${start}`);
    let last = t.trainStep();
    for (let i = 2; i < 300; i++) {
      disposeLosses(last);
      last = t.trainStep();
    }
    const [infoD, infoG] = [(await last.info_d!.data())[0]!, (await last.info_g!.data())[0]!];
    disposeLosses(last);
    assert.ok(infoD < 0.2 && infoG < 0.2, `after 300 steps the code should be readable from G's output: info_d ${infoD}, info_g ${infoG}`);
  } finally {
    t.dispose();
  }
});

test('an InfoGAN code is refused with projection conditioning and when it is not shorter than the latent', () => {
  const proj = imageConfig({ model: { conditioning: 'projection', infoCode: { components: 3 } } });
  assert.throws(() => new Trainer(proj, tinyImages()), /InfoGAN code .* projection/);
  const long = imageConfig({ model: { infoCode: { components: 8 } } });
  assert.throws(() => new Trainer(long, tinyImages()), /infoCode.components \(8\) must be smaller than model.latentDim \(8\)/);
});

test('weight clipping keeps every critic weight within ±c after each step', async () => {
  const c = 0.01;
  const t = new Trainer(imageConfig({ model: { loss: 'wasserstein', regularizer: { type: 'clip', clip: c }, optimizerD: { type: 'rmsprop', lr: 0.05 } } }), tinyImages());
  try {
    for (let i = 0; i < 3; i++) {
      disposeLosses(t.trainStep());
      for (const v of t.network('D').trainable) {
        const m = (await tf.max(tf.abs(v)).data())[0]!;
        assert.ok(m <= c + 1e-7, `${v.name} max |w| = ${m} > ${c}`);
      }
    }
  } finally {
    t.dispose();
  }
});

test('EMA: after the first G update the copy is exactly 0.1·initial + 0.9·G (warm-up decay min(d, 1/10)); then min(d, 2/11)', async () => {
  const t = new Trainer(toyConfig(), toySource('ring8', 1));
  try {
    const G = t.network('G');
    const E = t.network('G_ema');
    const e0 = snapshot(E.trainable);
    assert.deepEqual(e0, snapshot(G.trainable), 'the EMA copy starts equal to G');
    disposeLosses(t.trainStep());
    const g1 = snapshot(G.trainable);
    const e1 = snapshot(E.trainable);
    e1.forEach((e, i) => e.forEach((x, j) => assert.ok(Math.abs(x - (0.1 * e0[i]![j]! + 0.9 * g1[i]![j]!)) < 1e-6, `EMA step 0, ${i}/${j}`)));
    disposeLosses(t.trainStep());
    const g2 = snapshot(G.trainable);
    const d = 2 / 11;
    snapshot(E.trainable).forEach((e, i) => e.forEach((x, j) => assert.ok(Math.abs(x - (d * e1[i]![j]! + (1 - d) * g2[i]![j]!)) < 1e-6, `EMA step 1, ${i}/${j}`)));
  } finally {
    t.dispose();
  }
});

test('same seed, same steps: bit-identical weights; two trainers live side by side in one process', async () => {
  const cfg = toyConfig(32);
  const a = new Trainer(cfg, toySource('ring8', cfg.seed));
  const b = new Trainer(cfg, toySource('ring8', cfg.seed));
  try {
    assert.notEqual(a.scope, b.scope);
    for (let i = 0; i < 5; i++) {
      disposeLosses(a.trainStep());
      disposeLosses(b.trainStep());
    }
    assert.deepEqual(snapshot(a.network('G').trainable), snapshot(b.network('G').trainable));
    assert.deepEqual(Object.keys(a.stateTensors()), Object.keys(b.stateTensors()), 'checkpoint keys do not depend on the trainer scope');
  } finally {
    a.dispose();
    b.dispose();
  }
});
