import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../backend/backend.ts';
import {
  LOSS_NAMES,
  auxiliaryClassifierLoss,
  getLoss,
  hingeDiscriminatorLoss,
  hingeGeneratorLoss,
  leastSquaresDiscriminatorLoss,
  leastSquaresGeneratorLoss,
  minimaxDiscriminatorLoss,
  minimaxGeneratorLoss,
  nonSaturatingDiscriminatorLoss,
  nonSaturatingGeneratorLoss,
  wassersteinDiscriminatorLoss,
  wassersteinGeneratorLoss,
  type LossName,
} from './adversarial.ts';
import { assertClose, logSumExp, mean, noLeaks, read, sigmoid, softplus, values } from './test_support.ts';

const REAL = [-50, -3, -0.5, 0, 0.7, 2.5, 50];
const FAKE = [50, 4, 0.25, 0, -1.2, -6, -50];

const reference: Record<LossName, { d: (r: number[], f: number[]) => number; g: (f: number[]) => number }> = {
  minimax: {
    d: (r, f) => mean(r.map((x) => softplus(-x))) + mean(f.map(softplus)),
    g: (f) => -mean(f.map(softplus)),
  },
  nonsaturating: {
    d: (r, f) => mean(r.map((x) => softplus(-x))) + mean(f.map(softplus)),
    g: (f) => mean(f.map((x) => softplus(-x))),
  },
  wasserstein: { d: (r, f) => mean(f) - mean(r), g: (f) => -mean(f) },
  hinge: {
    d: (r, f) => mean(r.map((x) => Math.max(0, 1 - x))) + mean(f.map((x) => Math.max(0, 1 + x))),
    g: (f) => -mean(f),
  },
  leastsquares: {
    d: (r, f) => 0.5 * mean(r.map((x) => (x - 1) ** 2)) + 0.5 * mean(f.map((x) => x * x)),
    g: (f) => 0.5 * mean(f.map((x) => (x - 1) ** 2)),
  },
};

describe('adversarial losses', () => {
  before(async () => {
    await initBackend('cpu', { quiet: true });
  });

  it('LOSS_NAMES lists every loss and getLoss returns the named one', () => {
    assert.deepEqual([...LOSS_NAMES].sort(), ['hinge', 'leastsquares', 'minimax', 'nonsaturating', 'wasserstein']);
    for (const name of LOSS_NAMES) assert.equal(getLoss(name).name, name);
    assert.throws(() => getLoss('vanilla' as LossName), /unknown loss 'vanilla'.*minimax/);
    assert.throws(() => getLoss('toString' as LossName), /unknown loss/);
  });

  for (const name of LOSS_NAMES) {
    it(`${name}: matches the closed form on [B] and [B,1] outputs, extreme logits stay finite`, () => {
      noLeaks(() => {
        const loss = getLoss(name);
        const expectedD = reference[name].d(REAL, FAKE);
        const expectedG = reference[name].g(FAKE);
        for (const shape of [[REAL.length], [REAL.length, 1]]) {
          const r = tf.tensor(REAL, shape);
          const f = tf.tensor(FAKE, shape);
          assertClose(read(loss.discriminator(r, f)), expectedD, `${name} D loss, shape [${shape}]`);
          assertClose(read(loss.generator(f)), expectedG, `${name} G loss, shape [${shape}]`);
          r.dispose();
          f.dispose();
        }
      });
    });
  }

  it('named functions agree with getLoss and with a direct sigmoid formula at moderate logits', () => {
    noLeaks(() => {
      const r = [-2, -0.3, 0.1, 1.7];
      const f = [1.4, 0.2, -0.6, -3];
      const rt = tf.tensor1d(r);
      const ft = tf.tensor1d(f);
      // −E[log D(x)] − E[log(1 − D(G(z)))], written with sigmoid directly.
      const dDirect = -mean(r.map((x) => Math.log(sigmoid(x)))) - mean(f.map((x) => Math.log(1 - sigmoid(x))));
      assertClose(read(minimaxDiscriminatorLoss(rt, ft)), dDirect, 'minimax D');
      assertClose(read(nonSaturatingDiscriminatorLoss(rt, ft)), dDirect, 'non-saturating D');
      assertClose(read(minimaxGeneratorLoss(ft)), mean(f.map((x) => Math.log(1 - sigmoid(x)))), 'minimax G');
      assertClose(read(nonSaturatingGeneratorLoss(ft)), -mean(f.map((x) => Math.log(sigmoid(x)))), 'non-saturating G');
      assertClose(read(wassersteinDiscriminatorLoss(rt, ft)), mean(f) - mean(r), 'wasserstein D');
      assertClose(read(wassersteinGeneratorLoss(ft)), -mean(f), 'wasserstein G');
      assertClose(read(hingeDiscriminatorLoss(rt, ft)), reference.hinge.d(r, f), 'hinge D');
      assertClose(read(hingeGeneratorLoss(ft)), -mean(f), 'hinge G');
      assertClose(read(leastSquaresDiscriminatorLoss(rt, ft)), reference.leastsquares.d(r, f), 'LSGAN D');
      assertClose(read(leastSquaresGeneratorLoss(ft)), reference.leastsquares.g(f), 'LSGAN G');
      rt.dispose();
      ft.dispose();
    });
  });

  it('gradients at extreme logits are finite and match the analytic derivative', () => {
    noLeaks(() => {
      const f = tf.tensor1d([-50, 0, 50]);
      const n = 3;
      // d/df mean(softplus(−f)) = −sigmoid(−f)/n: the non-saturating G keeps a gradient where D wins.
      const gNs = tf.grad((x: tf.Tensor) => nonSaturatingGeneratorLoss(x))(f);
      const gMm = tf.grad((x: tf.Tensor) => minimaxGeneratorLoss(x))(f);
      const ns = Array.from(gNs.dataSync());
      const mm = Array.from(gMm.dataSync());
      [-50, 0, 50].forEach((x, i) => {
        assertClose(ns[i], -sigmoid(-x) / n, `non-saturating G gradient at ${x}`);
        assertClose(mm[i], -sigmoid(x) / n, `minimax G gradient at ${x}`);
      });
      // The saturating loss's gradient vanishes where D confidently rejects the fake (logit −50).
      assert.ok(Math.abs(mm[0]) < 1e-20);
      assert.ok(Math.abs(ns[0] + 1 / n) < 1e-6);
      tf.dispose([f, gNs, gMm]);
    });
  });

  for (const name of LOSS_NAMES) {
    it(`${name}: a PatchGAN map is averaged over batch and map, real and fake batch sizes may differ`, () => {
      noLeaks(() => {
        const loss = getLoss(name);
        // Real [3, 2, 2, 1] and fake [2, 2, 2] maps (a trailing unit channel is optional), logits ±100.
        const realValues = [-100, -3, -0.5, 0, 0.7, 2.5, 100, 1, -2, 4, 0.1, -0.3];
        const fakeValues = [100, 4, 0.25, 0, -1.2, -6, -100, 3];
        const r = tf.tensor(realValues, [3, 2, 2, 1]);
        const f = tf.tensor(fakeValues, [2, 2, 2]);
        assertClose(read(loss.discriminator(r, f)), reference[name].d(realValues, fakeValues), `${name} D on maps`);
        assertClose(read(loss.generator(f)), reference[name].g(fakeValues), `${name} G on a map`);
        // A map whose entries are all v_i scores like the [B, 1] output v.
        const v = [-2, 0.5, 3];
        const vMap = tf.tidy(() => tf.tile(tf.tensor(v, [3, 1, 1, 1]), [1, 4, 5, 1]));
        const vCol = tf.tensor2d(v, [3, 1]);
        assertClose(read(loss.discriminator(vMap, vMap)), read(loss.discriminator(vCol, vCol)), `${name} D, constant map`);
        assertClose(read(loss.generator(vMap)), read(loss.generator(vCol)), `${name} G, constant map`);
        tf.dispose([r, f, vMap, vCol]);
      });
    });
  }

  it('a map loss spreads its gradient over every element: d/dx mean softplus(−x) = −sigmoid(−x)/N', () => {
    noLeaks(() => {
      const xs = [-100, -1, 0, 2, 100, 0.5];
      const x = tf.tensor(xs, [2, 3, 1, 1]);
      const g = values(tf.grad((t: tf.Tensor) => nonSaturatingGeneratorLoss(t))(x));
      xs.forEach((v, i) => assertClose(g[i]!, -sigmoid(-v) / xs.length, `gradient at ${v}`));
      x.dispose();
    });
  });

  it('[B] and [B, 1] outputs mix, as do [B, h, w] and [B, h, w, 1]', () => {
    noLeaks(() => {
      const r = tf.tensor1d([1, -2]);
      const f = tf.tensor2d([0.5, 3, -1], [3, 1]);
      const expected = mean([1, -2].map((x) => softplus(-x))) + mean([0.5, 3, -1].map(softplus));
      assertClose(read(minimaxDiscriminatorLoss(r, f)), expected, 'minimax D, [2] vs [3, 1]');
      const rMap = tf.ones([1, 2, 2]);
      const fMap = tf.zeros([2, 2, 2, 1]);
      assertClose(read(wassersteinDiscriminatorLoss(rMap, fMap)), -1, 'WGAN D, [1, 2, 2] vs [2, 2, 2, 1]');
      tf.dispose([r, f, rMap, fMap]);
    });
  });

  it('rejects rank-0, empty and mismatched per-sample shapes with clear messages', () => {
    const scalar = tf.scalar(1);
    const empty = tf.zeros([0]);
    const a = tf.zeros([2, 2]);
    const b = tf.zeros([2, 3]);
    const map = tf.zeros([2, 4, 4, 1]);
    const otherMap = tf.zeros([2, 4, 1, 4]);
    noLeaks(() => {
      assert.throws(
        () => nonSaturatingGeneratorLoss(scalar),
        /nonSaturatingGeneratorLoss: fakeOut must be batched \[B, \.\.\.\] with rank >= 1, got \[\]/,
      );
      assert.throws(() => hingeDiscriminatorLoss(scalar, a), /hingeDiscriminatorLoss: realOut must be batched.*got \[\]/);
      assert.throws(() => wassersteinGeneratorLoss(empty), /wassersteinGeneratorLoss: fakeOut must not be empty, got \[0\]/);
      assert.throws(
        () => hingeDiscriminatorLoss(a, b),
        /hingeDiscriminatorLoss: realOut \[2, 2\] and fakeOut \[2, 3\] must have the same per-sample shape/,
      );
      assert.throws(() => leastSquaresDiscriminatorLoss(map, otherMap), /realOut \[2, 4, 4, 1\] and fakeOut \[2, 4, 1, 4\]/);
      assert.throws(() => minimaxDiscriminatorLoss(a, map), /per-sample shape/);
    });
    tf.dispose([scalar, empty, a, b, map, otherMap]);
  });

  it('auxiliaryClassifierLoss is the mean softmax cross-entropy', () => {
    noLeaks(() => {
      const logits = [
        [2, -1, 0.5],
        [-30, 40, 0],
        [0.1, 0.2, 0.3],
        [60, -60, 0],
      ];
      const labels = [0, 1, 2, 1];
      const expected = mean(
        logits.map((row, i) => logSumExp(row) - row[labels[i]!]!),
      );
      const lt = tf.tensor2d(logits);
      for (const dtype of ['int32', 'float32'] as const) {
        const yt = tf.tensor1d(labels, dtype);
        assertClose(read(auxiliaryClassifierLoss(lt, yt)), expected, `ACGAN loss with ${dtype} labels`);
        yt.dispose();
      }
      const wrong = tf.tensor1d([0, 1], 'int32');
      assert.throws(() => auxiliaryClassifierLoss(lt, wrong), /labels must be \[4\].*got \[2\]/);
      tf.dispose([lt, wrong]);
    });
  });
});
