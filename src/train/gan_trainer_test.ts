import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../backend/backend.ts';
import { deepMerge, loadConfig, validateConfig, type GanConfig } from '../core/config.ts';
import { Rng } from '../core/rng.ts';
import { arraySource, type DataSource } from '../data/dataset.ts';
import { toySource } from '../data/toy.ts';
import { GanTrainer, disposeLosses } from './gan_trainer.ts';

await initBackend('wasm', { quiet: true });

/** Random 8×8 "images" with labels: enough to exercise every code path of the conv trainer. */
function tinyImages(n = 64, classes = 4): DataSource {
  const rng = new Rng(1);
  const x = rng.uniformArray(n * 8 * 8 * 1, -1, 1);
  const labels = Int32Array.from({ length: n }, (_, i) => i % classes);
  return arraySource('tiny', { x, labels, count: n, shape: [8, 8, 1], numClasses: classes }, 3);
}

function imageConfig(over: Record<string, unknown>): GanConfig {
  const base = {
    name: 'tiny',
    data: { name: 'mnist' },
    model: { latentDim: 8, network: { arch: 'dcgan', width: 4, dNorm: 'batch' } },
    loss: 'nonsaturating',
    train: { steps: 10, batchSize: 8, optimizerG: { type: 'adam', lr: 2e-4 }, optimizerD: { type: 'adam', lr: 2e-4 } },
  };
  return validateConfig(deepMerge(base, over), 'test');
}

function assertNoLeak(t: GanTrainer, steps = 4): void {
  disposeLosses(t.trainStep()); // first step creates optimizer slots and backend caches
  const before = tf.memory().numTensors;
  for (let i = 0; i < steps; i++) disposeLosses(t.trainStep());
  assert.equal(tf.memory().numTensors, before, 'tensor count grew across training steps');
}

const variants: [string, Record<string, unknown>][] = [
  ['non-saturating DCGAN with batch norm', {}],
  ['WGAN with clipping and RMSprop, 3 critic steps', { loss: 'wasserstein', regularizer: { type: 'clip', clip: 0.01 }, train: { dSteps: 3, optimizerD: { type: 'rmsprop', lr: 5e-5 }, optimizerG: { type: 'rmsprop', lr: 5e-5 } } }],
  ['WGAN-GP without batch norm', { loss: 'wasserstein', regularizer: { type: 'gp', weight: 10 }, model: { network: { arch: 'dcgan', width: 4, dNorm: 'none' } } }],
  ['hinge with spectral norm and R1', { loss: 'hinge', regularizer: { type: 'r1', weight: 1 }, model: { network: { arch: 'dcgan', width: 4, dNorm: 'spectral' } } }],
  ['least squares with 2 generator steps', { loss: 'leastsquares', train: { gSteps: 2 } }],
  ['conditional (concat)', { model: { conditioning: 'concat' } }],
  ['ACGAN', { model: { conditioning: 'acgan' } }],
];

for (const [name, over] of variants) {
  test(`${name}: steps run, losses are finite, no tensor leaks`, async () => {
    const t = new GanTrainer(imageConfig(over), tinyImages());
    try {
      assertNoLeak(t);
      const losses = t.trainStep();
      for (const [k, v] of Object.entries(losses)) assert.ok(Number.isFinite((await v.data())[0]), `${k} is not finite`);
      if (over.model && (over.model as { conditioning?: string }).conditioning === 'acgan') assert.ok('aux_d' in losses && 'aux_g' in losses);
      disposeLosses(losses);
    } finally {
      t.dispose();
    }
  });
}

test('weight clipping keeps every critic weight within ±c after each step', async () => {
  const c = 0.01;
  const t = new GanTrainer(imageConfig({ loss: 'wasserstein', regularizer: { type: 'clip', clip: c }, train: { optimizerD: { type: 'rmsprop', lr: 0.05 } } }), tinyImages());
  try {
    for (let i = 0; i < 3; i++) {
      disposeLosses(t.trainStep());
      for (const v of t.D.trainable) {
        const m = (await tf.max(tf.abs(v)).data())[0]!;
        assert.ok(m <= c + 1e-7, `${v.name} max |w| = ${m} > ${c}`);
      }
    }
  } finally {
    t.dispose();
  }
});

test('EMA generator follows G: after one step it differs from its initial copy and from G', async () => {
  const cfg = loadConfig('toy-ring', { train: { steps: 5, batchSize: 16 }, model: { latentDim: 4, network: { arch: 'mlp', hidden: 16, depth: 2, pack: 1, latentComponents: 0 } } });
  const t = new GanTrainer(cfg, toySource('ring8', 1));
  try {
    const w0 = t.Gema!.trainable[0]!.dataSync().slice();
    for (let i = 0; i < 3; i++) disposeLosses(t.trainStep());
    const g = t.G.trainable[0]!.dataSync();
    const e = t.Gema!.trainable[0]!.dataSync();
    assert.notDeepEqual(Array.from(e), Array.from(w0));
    assert.notDeepEqual(Array.from(e), Array.from(g));
  } finally {
    t.dispose();
  }
});

test('same seed, same steps: bit-identical generator weights', async () => {
  const cfg = loadConfig('toy-ring', { train: { steps: 5, batchSize: 32 }, model: { latentDim: 4, network: { arch: 'mlp', hidden: 16, depth: 2, pack: 1, latentComponents: 0 } } });
  const run = async () => {
    const t = new GanTrainer(cfg, toySource('ring8', cfg.seed));
    for (let i = 0; i < 5; i++) disposeLosses(t.trainStep());
    const w = t.G.trainable.map((v) => Array.from(v.dataSync()));
    t.dispose();
    return w;
  };
  assert.deepEqual(await run(), await run());
});
