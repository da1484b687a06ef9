import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { Rng } from '../core/rng.ts';
import { imageSetToUnit } from '../data/dataset.ts';
import { loadMnist } from '../data/mnist.ts';
import { classBalance, clearReferenceCache, evaluate, realVsReal } from './evaluate.ts';
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

test('classBalance: confident share (strictly above the threshold) and argmax class shares on known arrays', () => {
  // prettier-ignore
  const probs = Float32Array.from([
    0.95, 0.03, 0.02, // class 0, confident
    0.1, 0.85, 0.05, // class 1, not confident at 0.9
    0.05, 0.05, 0.9, // class 2: float32(0.9) is not above 0.9
    0.92, 0.04, 0.04, // class 0, confident
  ]);
  const b = classBalance(probs, 4, 3);
  assert.equal(b.confident, 0.5);
  assert.deepEqual(b.shares, [0.5, 0.25, 0.25]);
  assert.equal(b.shareMin, 0.25);
  assert.equal(b.shareMax, 0.5);
  // At 0.8 all four top probabilities are above the threshold.
  assert.equal(classBalance(probs, 4, 3, 0.8).confident, 1);
  // Exactly representable value at the threshold is not confident.
  assert.equal(classBalance(Float32Array.from([0.5, 0.5, 0.75, 0.25]), 2, 2, 0.5).confident, 0.5);
  // A class never predicted has share 0; a tie goes to the first class; only the first n rows count.
  const missing = classBalance(Float32Array.from([0.6, 0.4, 0, 0.5, 0.5, 0, 0, 1, 0, 0, 0, 1]), 3, 3);
  assert.deepEqual(missing.shares, [2 / 3, 1 / 3, 0]);
  assert.equal(missing.shareMin, 0);
  assert.equal(missing.confident, 1 / 3);
  assert.throws(() => classBalance(new Float32Array(5), 2, 3), /need n·classes = 2·3/);
  assert.throws(() => classBalance(new Float32Array(6), 2, 3, 1), /threshold must be in \[0, 1\)/);
});

test("evaluate 'conf': keys carry count, network and threshold; values match the stub's known classes", async () => {
  const net = stubNet();
  // 60 clean images, 6 of each class; 40 between classes 2 and 3 (level 2.49: argmax 2 at p ≈ 0.73).
  const levels = [...Array.from({ length: 60 }, (_, i) => i % 10), ...new Array<number>(40).fill(2.49)];
  const base = { samples: constantImages(levels, 1), count: 100, shape: [28, 28, 1], dataset: 'mnist' as const, ref: 'test' as const, n: 100, seed: 0, featureNet: net };
  const r = await evaluate({ ...base, metrics: ['conf'] });
  assert.ok(Math.abs((r.confident100_stubnet_p90 as number) - 0.6) < 1e-12, `confident ${r.confident100_stubnet_p90}`);
  assert.ok(Math.abs((r.class_share_min100_stubnet as number) - 0.06) < 1e-12);
  assert.ok(Math.abs((r.class_share_max100_stubnet as number) - 0.46) < 1e-12);
  assert.equal(r.n_ref, undefined, "'conf' needs no reference set");
  // Another threshold is named in the key: p ≈ 0.73 counts at 0.7.
  const low = await evaluate({ ...base, metrics: ['conf'], confidence: 0.7 });
  assert.equal(low.confident100_stubnet_p70, 1);
  const odd = await evaluate({ ...base, metrics: ['conf'], confidence: 0.995 });
  assert.ok('confident100_stubnet_p99_5' in odd);
  net.dispose();
});

test("realVsReal 'conf': scored on held-out test images, the other metrics on training images", async () => {
  clearReferenceCache();
  const net = stubNet();
  const n = 300;
  const r = await realVsReal('mnist', n, { metrics: ['fid', 'conf'], seed: 4, featureNet: net });
  assert.equal(r.conf_images, 'test');
  assert.equal(r.n_samples, n);
  assert.ok('fid300_test_stubnet' in r);
  // All 10,000 test images: the subset is the whole split, so a direct evaluation must agree.
  const all = await realVsReal('mnist', 10_000, { metrics: ['conf'], featureNet: net });
  const test = loadMnist('test');
  const direct = await evaluate({ metrics: ['conf'], samples: imageSetToUnit(test), count: test.count, shape: [28, 28, 1], dataset: 'mnist', ref: 'test', n: test.count, seed: 0, featureNet: net });
  for (const k of ['confident10k_stubnet_p90', 'class_share_min10k_stubnet', 'class_share_max10k_stubnet']) assert.equal(all[k], direct[k], k);
  net.dispose();
});

test('evaluate refuses NaN/Inf samples, values outside [-1, 1] (with a hint for 0..255 pixels) and too few samples for a distance', async () => {
  const net = stubNet();
  const base = { metrics: ['fid'], count: 20, shape: [28, 28, 1], dataset: 'mnist' as const, ref: 'test' as const, n: 20, seed: 0, featureNet: net };
  const x = new Float32Array(20 * 784).fill(0.5);
  x[3 * 784 + 7] = NaN;
  await assert.rejects(evaluate({ ...base, samples: x }), /sample 3 holds NaN: samples must be finite/);
  x[3 * 784 + 7] = Infinity;
  await assert.rejects(evaluate({ ...base, samples: x }), /sample 3 holds Infinity/);
  const pixels = new Float32Array(20 * 784).fill(200);
  await assert.rejects(evaluate({ ...base, samples: pixels }), /outside the data range \[-1, 1\] — they look like 0\.\.255 pixels/);
  await assert.rejects(evaluate({ ...base, samples: new Float32Array(3 * 784), count: 3, n: 3 }), /fid need at least 10 samples, got 3/);
});
