import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-layers'; // registers the gradient functions (tfjs-core's Node bundle has none)
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

// Plain-JS references, in double precision.
const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
const softplus = (x: number) => Math.max(x, 0) + Math.log1p(Math.exp(-Math.abs(x)));
const sigmoid = (x: number) => 1 / (1 + Math.exp(-x));

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

function assertClose(actual: number, expected: number, what: string, rel = 1e-5): void {
  assert.ok(Number.isFinite(actual), `${what}: got non-finite ${actual}`);
  const tol = rel * Math.max(1, Math.abs(expected));
  assert.ok(Math.abs(actual - expected) <= tol, `${what}: got ${actual}, expected ${expected}`);
}

function read(t: tf.Tensor): number {
  const v = t.dataSync()[0];
  t.dispose();
  return v;
}

/** Runs fn and fails if it leaves tensors behind. */
function noLeaks(fn: () => void): void {
  const before = tf.memory().numTensors;
  fn();
  assert.equal(tf.memory().numTensors, before, 'tensor count grew');
}

describe('adversarial losses', () => {
  before(async () => {
    await tf.setBackend('cpu');
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

  it('rejects outputs that are not [B] or [B,1]', () => {
    const bad = tf.zeros([2, 2]);
    const ok = tf.zeros([2]);
    assert.throws(() => hingeDiscriminatorLoss(bad, ok), /hingeDiscriminatorLoss: realOut must have shape \[B\] or \[B, 1\], got \[2, 2\]/);
    assert.throws(() => nonSaturatingGeneratorLoss(bad), /fakeOut must have shape/);
    tf.dispose([bad, ok]);
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
        logits.map((row, i) => {
          const max = Math.max(...row);
          const logSumExp = max + Math.log(row.reduce((a, x) => a + Math.exp(x - max), 0));
          return logSumExp - row[labels[i]];
        }),
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
