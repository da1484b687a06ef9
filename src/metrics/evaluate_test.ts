import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { Rng } from '../core/rng.ts';
import { imageSetToUnit } from '../data/dataset.ts';
import { loadMnist } from '../data/mnist.ts';
import { clearReferenceCache, evaluate, realVsReal } from './evaluate.ts';
import type { FeatureNet } from './feature_net.ts';

await tf.setBackend('cpu');

/**
 * A deterministic stand-in for the trained classifier: features are a fixed random projection of the
 * pixels; the predicted class is the image's mean brightness mapped to 0..9 (class c ↔ constant image
 * of value 2c/9 − 1), so tests can build images of a known class.
 */
function stubNet(): FeatureNet & { featureCalls: number; disposed: boolean } {
  const projection = tf.tensor2d(new Rng(7).normalArray(784 * 16, 0, 1 / 28), [784, 16]);
  const centres = tf.tidy(() => tf.reshape(tf.range(0, 10), [1, 10]));
  const net = {
    name: 'stubnet',
    key: 'stub',
    testAccuracy: 0.5,
    inputShape: [28, 28, 1] as [number, number, number],
    resizer: 'none',
    featureCalls: 0,
    disposed: false,
    features(x: tf.Tensor4D): tf.Tensor2D {
      net.featureCalls++;
      return tf.tidy(() => tf.matMul(tf.reshape(x, [x.shape[0], 784]), projection));
    },
    probs(x: tf.Tensor4D): tf.Tensor2D {
      return tf.tidy(() => {
        const level = tf.mul(tf.add(tf.mean(tf.reshape(x, [x.shape[0], -1]), 1, true), 1), 4.5);
        return tf.softmax(tf.mul(tf.square(tf.sub(level, centres)), -50)) as tf.Tensor2D;
      });
    },
    dispose() {
      net.disposed = true;
      tf.dispose([projection, centres]);
    },
  };
  return net;
}

const constantImages = (classes: number[], channels: number) => {
  const per = 784 * channels;
  const x = new Float32Array(classes.length * per);
  classes.forEach((c, i) => x.fill((2 * c) / 9 - 1, i * per, (i + 1) * per));
  return x;
};

test('evaluate: protocol keys, meta fields, and real images beat noise on every metric', async () => {
  clearReferenceCache();
  const before = tf.memory().numTensors;
  const net = stubNet();
  const n = 500;
  const real = loadMnist('train', { limit: n });
  const noise = new Rng(3).uniformArray(n * 784, -1, 1);
  const common = { metrics: ['fid', 'kid', 'is', 'pr', 'dc'], kid: { subsets: 10 }, count: n, shape: [28, 28, 1], dataset: 'mnist' as const, ref: 'test' as const, n, seed: 1, featureNet: net };
  const good = await evaluate({ ...common, samples: imageSetToUnit(real) });
  const bad = await evaluate({ ...common, samples: noise });
  const expectedKeys = [
    'fid500_test_stubnet', 'kid500_test_stubnet', 'kid500_test_stubnet_std', 'is500_stubnet', 'is500_stubnet_std',
    'precision500_test_stubnet_k3', 'recall500_test_stubnet_k3', 'density500_test_stubnet_k5', 'coverage500_test_stubnet_k5',
    'feature_net', 'feature_net_test_accuracy', 'n_samples', 'n_ref', 'resizer', 'dataset', 'eval_seconds',
  ];
  assert.deepEqual(Object.keys(good).sort(), expectedKeys.sort());
  assert.equal(good.feature_net, 'stubnet');
  assert.equal(good.feature_net_test_accuracy, 0.5);
  assert.equal(good.n_samples, 500);
  assert.equal(good.n_ref, 500);
  assert.equal(good.resizer, 'none');
  assert.ok((good.fid500_test_stubnet as number) < (bad.fid500_test_stubnet as number) / 5, `${good.fid500_test_stubnet} vs ${bad.fid500_test_stubnet}`);
  assert.ok((good.kid500_test_stubnet as number) < (bad.kid500_test_stubnet as number));
  assert.ok((good.precision500_test_stubnet_k3 as number) > 0.5);
  assert.ok((bad.precision500_test_stubnet_k3 as number) < 0.05);
  assert.ok((good.coverage500_test_stubnet_k5 as number) > (bad.coverage500_test_stubnet_k5 as number));
  // The reference features were extracted once (one batch) and reused by the second call.
  assert.equal(net.featureCalls, 3);
  assert.equal(net.disposed, false, 'a caller-supplied feature net is not disposed');
  net.dispose();
  assert.equal(tf.memory().numTensors, before);
});

test('evaluate: uses the first n samples and names keys by the count used', async () => {
  const net = stubNet();
  const x = imageSetToUnit(loadMnist('train', { limit: 300 }));
  const r = await evaluate({ metrics: ['is'], samples: x, count: 300, shape: [28, 28, 1], dataset: 'mnist', ref: 'test', n: 2000, seed: 0, featureNet: net });
  assert.equal(r.n_samples, 300);
  assert.ok('is300_stubnet' in r);
});

test('evaluate: class accuracy for conditional samples and Stacked MNIST modes', async () => {
  const net = stubNet();
  const classes = Array.from({ length: 100 }, (_, i) => i % 10);
  const labels = Int32Array.from(classes.map((c, i) => (i < 80 ? c : (c + 1) % 10)));
  const acc = await evaluate({ metrics: ['acc'], samples: constantImages(classes, 1), count: 100, shape: [28, 28, 1], dataset: 'mnist', ref: 'test', n: 100, seed: 0, labels, featureNet: net });
  assert.equal(acc.class_acc100_stubnet, 0.8);

  // Stacked MNIST: channels of constant value encode digits; 50 samples over 2 modes (123, 456) equally.
  const n = 50;
  const per = 784 * 3;
  const x = new Float32Array(n * per);
  for (let i = 0; i < n; i++) {
    const digits = i % 2 ? [1, 2, 3] : [4, 5, 6];
    for (let p = 0; p < 784; p++) for (let c = 0; c < 3; c++) x[i * per + p * 3 + c] = (2 * digits[c]!) / 9 - 1;
  }
  const s = await evaluate({ metrics: ['modes'], samples: x, count: n, shape: [28, 28, 3], dataset: 'stacked-mnist', ref: 'test', n, seed: 0, featureNet: net });
  assert.equal(s.stacked_modes50_stubnet, 2);
  assert.ok(Math.abs((s.stacked_kl50_stubnet as number) - Math.log(500)) < 1e-9);
});

test('evaluate: clear errors for bad requests', async () => {
  const net = stubNet();
  const x = new Float32Array(10 * 784);
  const base = { samples: x, count: 10, shape: [28, 28, 1], dataset: 'mnist' as const, ref: 'test' as const, n: 10, seed: 0, featureNet: net };
  await assert.rejects(evaluate({ ...base, metrics: ['fid', 'swd'] }), /unknown image metric 'swd'; choose from fid, kid/);
  await assert.rejects(evaluate({ ...base, metrics: ['modes'] }), /'modes' applies to 2-D toy data and stacked-mnist/);
  await assert.rejects(evaluate({ ...base, metrics: ['stacked'] }), /needs dataset stacked-mnist/);
  await assert.rejects(evaluate({ ...base, metrics: ['acc'] }), /acc: needs the class of each of the 10 samples/);
  await assert.rejects(evaluate({ ...base, metrics: ['fid'], shape: [32, 32, 1], samples: new Float32Array(10 * 1024) }), /samples are \[32,32,1\], but feature net stubnet takes \[28,28,1\]/);
  await assert.rejects(evaluate({ ...base, metrics: ['fid'], count: 20 }), /fewer than count 20/);
  await assert.rejects(evaluate({ ...base, metrics: ['fid'], dataset: 'stacked-mnist', shape: [28, 28, 3] }), /not defined for stacked-mnist/);
});

test('realVsReal: train images against the test split, with the floor tagged', async () => {
  clearReferenceCache();
  const net = stubNet();
  const r = await realVsReal('mnist', 400, { metrics: ['fid', 'pr'], seed: 2, featureNet: net });
  assert.equal(r.real_vs_real, 'train_vs_test');
  assert.equal(r.n_samples, 400);
  // Two samples of the same distribution: small FID, high precision and recall.
  assert.ok((r.fid400_test_stubnet as number) < 0.5, `fid ${r.fid400_test_stubnet}`);
  assert.ok((r.precision400_test_stubnet_k3 as number) > 0.6);
  assert.ok((r.recall400_test_stubnet_k3 as number) > 0.6);
});
