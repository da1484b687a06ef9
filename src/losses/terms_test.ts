import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../backend/backend.ts';
import { LOSS_NAMES, getLoss, type LossName } from './adversarial.ts';
import {
  bernoulliNll,
  contrastiveLoss,
  cycleLoss,
  featureMatchingLoss,
  gaussianKl,
  gaussianNll,
  identityLoss,
  kPlusOneSupervisedLoss,
  kPlusOneUnsupervisedLoss,
  l1Loss,
  l2Loss,
  matchingAwareDiscriminatorLoss,
  perceptualLoss,
} from './terms.ts';
import { assertClose, finiteDifferences, logSumExp, mean, noLeaks, read, sigmoid, softplus, values } from './test_support.ts';

const LN2 = Math.log(2);
const LOG_2PI = Math.log(2 * Math.PI);

/** Gradients of kPlusOneUnsupervisedLoss w.r.t. its real and fake logits. */
const kPlusOneGrads = (real: tf.Tensor2D, fake: tf.Tensor2D) =>
  tf.grads((r: tf.Tensor, f: tf.Tensor) => kPlusOneUnsupervisedLoss(r as tf.Tensor2D, f as tf.Tensor2D))([real, fake]);

/** Makes the tensors, runs the checks, disposes the tensors, and fails on any leak. */
function withTensors<const T extends readonly tf.Tensor[]>(make: () => T, check: (...ts: T) => void): void {
  noLeaks(() => {
    const ts = make();
    try {
      check(...ts);
    } finally {
      tf.dispose([...ts]);
    }
  });
}

describe('loss terms', () => {
  before(async () => {
    await initBackend('cpu', { quiet: true });
  });

  describe('contrastive (dual encoder)', () => {
    it('contrastiveLoss is the mean of the row and column softmax cross-entropies of cosines / τ against the diagonal', () => {
      const A = [[1, 0], [0.6, 0.8], [-1, 1]];
      const B = [[2, 0.5], [0, 3], [-0.5, -1]];
      const unit = (v: number[]) => v.map((x) => x / Math.hypot(...v));
      const a = A.map(unit);
      const b = B.map(unit);
      const s = a.map((r) => b.map((c) => (r[0]! * c[0]! + r[1]! * c[1]!) / 0.5));
      const lse = (xs: number[]) => Math.log(xs.reduce((t, x) => t + Math.exp(x), 0));
      const rows = mean(s.map((r, i) => lse(r) - r[i]!));
      const cols = mean(s.map((_, j) => lse(s.map((r) => r[j]!)) - s[j]![j]!));
      withTensors(() => [tf.tensor2d(A), tf.tensor2d(B)], (ta, tb) => {
        assertClose(read(contrastiveLoss(ta as tf.Tensor2D, tb as tf.Tensor2D, 0.5)), (rows + cols) / 2, 'InfoNCE');
        assert.throws(() => contrastiveLoss(ta as tf.Tensor2D, tb as tf.Tensor2D, 0), /temperature must be positive/);
        assert.throws(() => tf.tidy(() => contrastiveLoss(tf.slice(ta, [0, 0], [1, 2]) as tf.Tensor2D, tf.slice(tb, [0, 0], [1, 2]) as tf.Tensor2D, 1)), /B ≥ 2/);
      });
    });
  });

  describe('reconstruction', () => {
    // |a − b| = 1, 2, 0, 3 and (a − b)² = 1, 4, 0, 9.
    const A = [[1, 2], [3, 4]];
    const B = [[0, 4], [3, 1]];

    it('l1Loss / l2Loss are the mean absolute / squared error', () => {
      withTensors(() => [tf.tensor2d(A), tf.tensor2d(B)], (a, b) => {
        assertClose(read(l1Loss(a, b)), 1.5, 'L1');
        assertClose(read(l2Loss(a, b)), 3.5, 'L2');
        assertClose(read(l1Loss(b, a)), 1.5, 'L1 is symmetric');
        assertClose(read(l2Loss(a, a)), 0, 'L2 of equal tensors');
      });
    });

    it('a mask takes the mean over the masked elements only (inpainting hole loss)', () => {
      withTensors(
        () => [
          tf.tensor2d(A),
          tf.tensor2d(B),
          tf.tensor2d([[1, 0], [0, 1]]),
          tf.tensor2d([[false, true], [false, false]], undefined, 'bool'),
          tf.zeros([2, 2]),
        ],
        (a, b, diagonal, boolMask, none) => {
          assertClose(read(l1Loss(a, b, diagonal)), (1 + 3) / 2, 'masked L1');
          assertClose(read(l2Loss(a, b, diagonal)), (1 + 9) / 2, 'masked L2');
          assertClose(read(l2Loss(a, b, boolMask)), 4, 'bool mask on one element');
          assert.equal(read(l1Loss(a, b, none)), 0, 'an empty hole costs nothing (not NaN)');
        },
      );
    });

    it('a [B, H, W, 1] mask broadcasts over channels and counts each channel', () => {
      // One 1×2 image with 2 channels: pixel 0 differs by (1, 3), pixel 1 by (5, 7); the mask keeps pixel 0.
      withTensors(
        () => [tf.tensor4d([1, 3, 5, 7], [1, 1, 2, 2]), tf.zeros([1, 1, 2, 2]), tf.tensor4d([1, 0], [1, 1, 2, 1])],
        (x, zero, mask) => {
          assertClose(read(l1Loss(x, zero, mask)), (1 + 3) / 2, 'broadcast mask L1');
          assertClose(read(l2Loss(x, zero, mask)), (1 + 9) / 2, 'broadcast mask L2');
          assertClose(read(l1Loss(x, zero)), 4, 'unmasked L1');
        },
      );
    });

    it('masked L2 gradient is 2m(a − b)/Σm: matches finite differences, zero outside the mask', () => {
      const aValues = [0.3, -1.2, 2, 0.7, -0.4, 1.1];
      const bValues = [1, 0.5, -0.5, 0.7, 2, -1];
      const mValues = [1, 0, 1, 1, 0, 0.5];
      withTensors(() => [tf.tensor2d(aValues, [2, 3]), tf.tensor2d(bValues, [2, 3]), tf.tensor2d(mValues, [2, 3])], (a, b, m) => {
        const g = values(tf.grad((t: tf.Tensor) => l2Loss(t, b, m))(a));
        const weight = mValues.reduce((s, v) => s + v, 0);
        const reference = (av: number[]) => av.reduce((s, v, i) => s + mValues[i]! * (v - bValues[i]!) ** 2, 0) / weight;
        const fd = finiteDifferences(reference, aValues);
        g.forEach((gi, i) => assertClose(gi, fd[i]!, `dL2/da[${i}]`, 1e-4));
        assert.ok(g[1] === 0 && g[4] === 0, `gradient outside the mask: ${g[1]}, ${g[4]}`);
      });
    });

    it('cycleLoss is λ·mean|x − F(G(x))|, identityLoss is l1Loss', () => {
      withTensors(() => [tf.tensor2d(A), tf.tensor2d(B)], (x, rec) => {
        assertClose(read(cycleLoss(x, rec)), 1.5, 'cycle, λ = 1');
        assertClose(read(cycleLoss(x, rec, 10)), 15, 'cycle, λ = 10');
        assert.equal(identityLoss, l1Loss);
        assertClose(read(identityLoss(x, rec)), 1.5, 'identity');
        assert.throws(() => cycleLoss(x, rec, -1), /cycleLoss: weight must be a finite number >= 0, got -1/);
        assert.throws(() => cycleLoss(x, rec, NaN), /got NaN/);
      });
    });

    it('rejects mismatched shapes, empty inputs and masks that do not broadcast', () => {
      withTensors(
        () => [tf.zeros([2, 3]), tf.zeros([3, 2]), tf.zeros([2, 2]), tf.zeros([0, 3]), tf.zeros([1, 2, 3])],
        (a, b, mask, empty, wide) => {
          assert.throws(() => l1Loss(a, b), /l1Loss: a and b must have the same shape, got \[2, 3\] and \[3, 2\]/);
          assert.throws(() => l2Loss(a, a, mask), /l2Loss: mask \[2, 2\] must broadcast to a \[2, 3\]/);
          assert.throws(() => l2Loss(a, a, wide), /mask \[1, 2, 3\] must broadcast to a \[2, 3\]/);
          assert.throws(() => l1Loss(empty, empty), /l1Loss: a must not be empty, got \[0, 3\]/);
          assert.throws(() => cycleLoss(a, b), /cycleLoss: x and reconstructed must have the same shape/);
        },
      );
    });
  });

  describe('VAE terms', () => {
    it('gaussianKl: ½Σ(μ² + σ² − 1 − log σ²) per sample, mean over the batch', () => {
      // Sample 0: μ = 1, log σ² = 0 in 3 dims → 0.5 each. Sample 1: μ = 0, σ² = 2 → ½(2 − 1 − ln 2) each.
      withTensors(
        () => [tf.tensor2d([[1, 1, 1], [0, 0, 0]]), tf.tensor2d([[0, 0, 0], [LN2, LN2, LN2]]), tf.zeros([2, 3])],
        (mu, logVar, zero) => {
          assertClose(read(gaussianKl(mu, logVar)), (3 * 0.5 + 3 * 0.5 * (1 - LN2)) / 2, 'KL');
          assert.equal(read(gaussianKl(zero, zero)), 0, 'KL of the prior itself');
        },
      );
      // Sums over every non-batch dim: [1, 2, 2] with μ = 1, log σ² = 0 → 4 × 0.5.
      withTensors(() => [tf.ones([1, 2, 2]), tf.zeros([1, 2, 2])], (mu, logVar) => {
        assertClose(read(gaussianKl(mu, logVar)), 2, 'KL over a [2, 2] latent');
      });
    });

    it('gaussianKl gradient matches finite differences (and μ/B, ½(σ² − 1)/B)', () => {
      const muValues = [0.5, -1, 2, 0.1];
      const lvValues = [0.3, -0.7, 0, 1.2];
      const kl = (mu: number[], lv: number[]) => mu.reduce((s, m, i) => s + 0.5 * (m * m + Math.exp(lv[i]!) - 1 - lv[i]!), 0) / 2;
      withTensors(() => [tf.tensor2d(muValues, [2, 2]), tf.tensor2d(lvValues, [2, 2])], (mu, logVar) => {
        const [gMu, gLv] = tf.grads((m: tf.Tensor, l: tf.Tensor) => gaussianKl(m, l))([mu, logVar]);
        const fdMu = finiteDifferences((m) => kl(m, lvValues), muValues);
        const fdLv = finiteDifferences((l) => kl(muValues, l), lvValues);
        values(gMu!).forEach((g, i) => {
          assertClose(g, fdMu[i]!, `dKL/dμ[${i}]`, 1e-4);
          assertClose(g, muValues[i]! / 2, `dKL/dμ[${i}] analytic`, 1e-4);
        });
        values(gLv!).forEach((g, i) => assertClose(g, fdLv[i]!, `dKL/dlogσ²[${i}]`, 1e-4));
      });
    });

    it('bernoulliNll: softplus(l) − t·l summed per sample, mean over the batch; finite at ±100', () => {
      withTensors(
        () => [tf.tensor2d([[0, 0], [2, 2]]), tf.tensor2d([[1, 0], [1, 0.5]])],
        (logits, target) => {
          // logit 0 costs ln 2 for any target; logit 2 with t = 1 costs −log σ(2), with t = ½ it costs softplus(2) − 1.
          const expected = (2 * LN2 + (-Math.log(sigmoid(2)) + Math.log(1 + Math.exp(2)) - 1)) / 2;
          assertClose(read(bernoulliNll(logits, target)), expected, 'Bernoulli NLL');
        },
      );
      withTensors(
        () => [tf.tensor2d([[100, -100], [-100, 100]]), tf.tensor2d([[1, 1], [0, 0]])],
        (logits, target) => {
          // Right and confident costs 0; wrong and confident costs |l| = 100: 100 per sample.
          assertClose(read(bernoulliNll(logits, target)), 100, 'Bernoulli NLL at ±100');
          const g = values(tf.grad((l: tf.Tensor) => bernoulliNll(l, target))(logits));
          // d/dl = (σ(l) − t)/B.
          [0, -1, 0, 1].forEach((e, i) => assertClose(g[i]!, e / 2, `dNLL/dl[${i}] at ±100`));
        },
      );
    });

    it('gaussianNll: ½[log 2π + log σ² + (t − μ)²/σ²] summed per sample, logVar optional and broadcast', () => {
      withTensors(
        () => [tf.zeros([2, 3]), tf.fill([2, 3], 2), tf.fill([2, 3], Math.log(4)), tf.scalar(Math.log(4))],
        (mu, target, logVar, scalarLogVar) => {
          assertClose(read(gaussianNll(mu, mu)), 3 * 0.5 * LOG_2PI, 'σ = 1, exact fit');
          assertClose(read(gaussianNll(mu, target)), 3 * 0.5 * (LOG_2PI + 4), 'σ = 1, off by 2');
          // σ² = 4, off by 2: ½[log 2π + log 4 + 1] per element.
          const expected = 3 * 0.5 * (LOG_2PI + Math.log(4) + 1);
          assertClose(read(gaussianNll(mu, target, logVar)), expected, 'σ = 2, full logVar');
          assertClose(read(gaussianNll(mu, target, scalarLogVar)), expected, 'σ = 2, scalar logVar');
        },
      );
    });

    it('rejects mismatched shapes', () => {
      withTensors(() => [tf.zeros([2, 3]), tf.zeros([2, 4]), tf.scalar(0), tf.zeros([2])], (a, b, s, wrongVar) => {
        assert.throws(() => gaussianKl(a, b), /gaussianKl: mu and logVar must have the same shape, got \[2, 3\] and \[2, 4\]/);
        assert.throws(() => gaussianKl(s, s), /gaussianKl: mu must be batched.*got \[\]/);
        assert.throws(() => bernoulliNll(a, b), /bernoulliNll: logits and target01 must have the same shape/);
        assert.throws(() => gaussianNll(a, b), /gaussianNll: mean and target must have the same shape/);
        assert.throws(() => gaussianNll(a, a, wrongVar), /gaussianNll: logVar \[2\] must broadcast to mean \[2, 3\]/);
      });
    });
  });

  describe('feature matching and perceptual losses', () => {
    it('featureMatchingLoss is ‖mean real − mean fake‖² over the batch means, any batch sizes', () => {
      // Batch means (2, 3) and (1, 2): squared distance 1 + 1.
      withTensors(
        () => [tf.tensor2d([[1, 2], [3, 4]]), tf.tensor2d([[0, 0], [2, 2], [1, 4]]), tf.tensor3d([[[0], [0]], [[2], [2]], [[1], [4]]])],
        (real, fake, fake3d) => {
          assertClose(read(featureMatchingLoss(real, fake)), 2, 'feature matching');
          assertClose(read(featureMatchingLoss(real, fake3d)), 2, '[B, n] against [B, n, 1]');
          // Only the means matter: a fake batch with the real batch's mean scores 0 though no sample matches.
          const shuffled = tf.tensor2d([[3, 2], [1, 4]]);
          assertClose(read(featureMatchingLoss(real, shuffled)), 0, 'equal means');
          shuffled.dispose();
        },
      );
    });

    it('featureMatchingLoss gradient w.r.t. the fake features is −2(μ_r − μ_f)/B_f per row', () => {
      const fakeValues = [0, 0, 2, 2, 1, 4];
      const fm = (f: number[]) => {
        const mf = [0, 1].map((k) => (f[k]! + f[2 + k]! + f[4 + k]!) / 3);
        return (2 - mf[0]!) ** 2 + (3 - mf[1]!) ** 2;
      };
      withTensors(() => [tf.tensor2d([[1, 2], [3, 4]]), tf.tensor2d(fakeValues, [3, 2])], (real, fake) => {
        const g = values(tf.grad((f: tf.Tensor) => featureMatchingLoss(real, f))(fake));
        const fd = finiteDifferences(fm, fakeValues);
        g.forEach((gi, i) => {
          assertClose(gi, fd[i]!, `dFM/dfake[${i}]`, 1e-4);
          assertClose(gi, -2 / 3, `dFM/dfake[${i}] analytic`, 1e-4);
        });
      });
    });

    it('perceptualLoss is the weighted sum over taps of the mean squared distance', () => {
      // Tap 0: mean of (1, 4) = 2.5. Tap 1: mean of (1, 1, 1, 9) = 3.
      withTensors(
        () => [tf.tensor2d([[1, 2]]), tf.zeros([1, 2]), tf.tensor4d([1, 1, 1, 3], [1, 2, 2, 1]), tf.zeros([1, 2, 2, 1])],
        (r0, f0, r1, f1) => {
          assertClose(read(perceptualLoss([r0, r1], [f0, f1])), 5.5, 'unit weights');
          assertClose(read(perceptualLoss([r0, r1], [f0, f1], [1, 0.5])), 4, 'weights 1, ½');
          assertClose(read(perceptualLoss([r1], [f1], [2])), 6, 'one tap');
          assert.throws(() => perceptualLoss([r0, r1], [f0]), /perceptualLoss: needs one or more taps.*got 2 and 1/);
          assert.throws(() => perceptualLoss([], []), /perceptualLoss: needs one or more taps/);
          assert.throws(() => perceptualLoss([r0], [f0], [1, 2]), /one weight per tap, got 2 weights for 1 taps/);
          assert.throws(() => perceptualLoss([r0], [f0], [Infinity]), /weights\[0\] must be a finite number/);
          assert.throws(
            () => perceptualLoss([r0, r1], [f0, f0]),
            /realTaps\[1\] and fakeTaps\[1\] must have the same shape, got \[1, 2, 2, 1\] and \[1, 2\]/,
          );
        },
      );
    });
  });

  describe('matching-aware discriminator loss (GAN-INT-CLS)', () => {
    const RR = [2, -0.5]; // D(real image, right text)
    const RW = [-1, 100, 0.3]; // D(real image, wrong text)
    const FR = [0.5]; // D(fake image, right text)

    // Real term R and fake term F of each discriminator loss, by hand.
    const terms: Record<LossName, { real: (x: number) => number; fake: (x: number) => number }> = {
      minimax: { real: (x) => softplus(-x), fake: softplus },
      nonsaturating: { real: (x) => softplus(-x), fake: softplus },
      wasserstein: { real: (x) => -x, fake: (x) => x },
      hinge: { real: (x) => Math.max(0, 1 - x), fake: (x) => Math.max(0, 1 + x) },
      leastsquares: { real: (x) => 0.5 * (x - 1) ** 2, fake: (x) => 0.5 * x * x },
    };

    it('with logits: −[log D(r, right) + ½ log(1 − D(r, wrong)) + ½ log(1 − D(f, right))]', () => {
      withTensors(() => [tf.tensor1d([2]), tf.tensor1d([-1]), tf.tensor1d([0.5])], (rr, rw, fr) => {
        const expected = -(Math.log(sigmoid(2)) + 0.5 * Math.log(1 - sigmoid(-1)) + 0.5 * Math.log(1 - sigmoid(0.5)));
        assertClose(read(matchingAwareDiscriminatorLoss(rr, rw, fr, 'nonsaturating')), expected, 'Reed et al. formula');
        assertClose(read(matchingAwareDiscriminatorLoss(rr, rw, fr, getLoss('minimax'))), expected, 'as an AdversarialLoss');
      });
    });

    for (const name of LOSS_NAMES) {
      it(`${name}: R(real, right) + ½F(real, wrong) + ½F(fake, right), batch sizes 2, 3, 1`, () => {
        withTensors(() => [tf.tensor1d(RR), tf.tensor2d(RW, [3, 1]), tf.tensor1d(FR)], (rr, rw, fr) => {
          const t = terms[name];
          const expected = mean(RR.map(t.real)) + 0.5 * mean(RW.map(t.fake)) + 0.5 * mean(FR.map(t.fake));
          assertClose(read(matchingAwareDiscriminatorLoss(rr, rw, fr, name)), expected, `${name} matching-aware`);
          // With wrong-text pairs scored like the fakes it is the plain discriminator loss.
          const plain = read(getLoss(name).discriminator(rr, fr));
          assertClose(read(matchingAwareDiscriminatorLoss(rr, fr, fr, name)), plain, `${name} reduces`);
        });
      });
    }

    it('takes PatchGAN maps and rejects mismatched per-sample shapes', () => {
      const make = () => [tf.fill([2, 2, 2, 1], 3), tf.fill([1, 2, 2, 1], -1), tf.fill([3, 2, 2, 1], 1), tf.zeros([2, 3])] as const;
      withTensors(make, (rr, rw, fr, bad) => {
        // WGAN: −3 + ½(−1) + ½(1).
        assertClose(read(matchingAwareDiscriminatorLoss(rr, rw, fr, 'wasserstein')), -3, 'WGAN on maps');
        assert.throws(
          () => matchingAwareDiscriminatorLoss(rr, bad, fr, 'hinge'),
          /matchingAwareDiscriminatorLoss: realRight \[2, 2, 2, 1\] and realWrong \[2, 3\] must have the same per-sample shape/,
        );
        assert.throws(() => matchingAwareDiscriminatorLoss(rr, rw, bad, 'hinge'), /realRight .* and fakeRight \[2, 3\]/);
        assert.throws(() => matchingAwareDiscriminatorLoss(rr, rw, fr, 'vanilla' as LossName), /unknown loss 'vanilla'/);
      });
    });
  });

  describe('K+1 semi-supervised losses', () => {
    it('kPlusOneSupervisedLoss is softmax cross-entropy over the K real classes', () => {
      // Row 0: logits 0 → −log ⅓. Row 1: logits (ln 2, 0, 0), label 0 → −log ½. Row 2: label 1 at −100 vs 100 → 200.
      withTensors(
        () => [
          tf.tensor2d([[0, 0, 0], [LN2, 0, 0], [100, -100, 0]]),
          tf.tensor1d([1, 0, 1], 'int32'),
          tf.tensor1d([1, 0, 1]),
          tf.tensor1d([0, 1]),
        ],
        (logits, labels, floatLabels, short) => {
          const expected = (Math.log(3) + LN2 + 200) / 3;
          assertClose(read(kPlusOneSupervisedLoss(logits, labels)), expected, 'K+1 supervised');
          assertClose(read(kPlusOneSupervisedLoss(logits, floatLabels)), expected, 'float labels');
          assert.throws(
            () => kPlusOneSupervisedLoss(logits, short),
            /kPlusOneSupervisedLoss: labels must be \[3\] to match logits \[3, 3\], got \[2\]/,
          );
        },
      );
    });

    it('kPlusOneUnsupervisedLoss: D = Z/(Z + 1), −E_real log D − E_fake log(1 − D)', () => {
      // Real rows: Z = 1 + 3 = 4 → D = ⅘; Z = 2 → D = ⅔. Fake row: Z = ½ + ½ = 1 → 1 − D = ½.
      withTensors(
        () => [tf.tensor2d([[0, Math.log(3)], [0, 0]]), tf.tensor2d([[Math.log(0.5), Math.log(0.5)]])],
        (real, fake) => {
          const expected = -(Math.log(4 / 5) + Math.log(2 / 3)) / 2 + LN2;
          assertClose(read(kPlusOneUnsupervisedLoss(real, fake)), expected, 'K+1 unsupervised');
        },
      );
    });

    it('kPlusOneUnsupervisedLoss is finite and correct at logits ±100, and so is its gradient', () => {
      // Real (100, 100): s = 100 + ln 2, loss ≈ 0. Real (−100, −100): s = ln 2 − 100, loss ≈ 100 − ln 2.
      // Fake (100, −100): s ≈ 100, loss ≈ 100. Fake (−100, −100): loss ≈ 2e−44 ≈ 0.
      withTensors(
        () => [tf.tensor2d([[100, 100], [-100, -100]]), tf.tensor2d([[100, -100], [-100, -100]])],
        (real, fake) => {
          const expected = (0 + (100 - LN2)) / 2 + (100 + 0) / 2;
          assertClose(read(kPlusOneUnsupervisedLoss(real, fake)), expected, 'K+1 at ±100');
          const [gr, gf] = kPlusOneGrads(real, fake);
          // d/dl_k = ∓sigmoid(∓s)·softmax(l)_k / B: real row 1 gives −½·½ each, fake row 0 gives ½ on its first logit.
          const expectedReal = [0, 0, -0.25, -0.25];
          const expectedFake = [0.5, 0, 0, 0];
          values(gr!).forEach((g, i) => assertClose(g, expectedReal[i]!, `d/dreal[${i}]`, 1e-4));
          values(gf!).forEach((g, i) => assertClose(g, expectedFake[i]!, `d/dfake[${i}]`, 1e-4));
        },
      );
    });

    it('kPlusOneUnsupervisedLoss gradient matches finite differences', () => {
      const realValues = [0.5, -1, 2, 0.1, 0.3, -2];
      const fakeValues = [1.5, 0.2, -0.7, -1, 0, 0.4, 2, -3, 0.8];
      const rows = (v: number[]) => Array.from({ length: v.length / 3 }, (_, i) => v.slice(3 * i, 3 * i + 3));
      const loss = (r: number[], f: number[]) =>
        mean(rows(r).map((l) => softplus(-logSumExp(l)))) + mean(rows(f).map((l) => softplus(logSumExp(l))));
      withTensors(() => [tf.tensor2d(realValues, [2, 3]), tf.tensor2d(fakeValues, [3, 3])], (real, fake) => {
        const [gr, gf] = kPlusOneGrads(real, fake);
        const fdReal = finiteDifferences((r) => loss(r, fakeValues), realValues);
        const fdFake = finiteDifferences((f) => loss(realValues, f), fakeValues);
        values(gr!).forEach((g, i) => assertClose(g, fdReal[i]!, `d/dreal[${i}]`, 1e-4));
        values(gf!).forEach((g, i) => assertClose(g, fdFake[i]!, `d/dfake[${i}]`, 1e-4));
      });
    });

    it('kPlusOneUnsupervisedLoss rejects what is not [B, K] with one K', () => {
      withTensors(() => [tf.zeros([2, 3]), tf.zeros([2, 4]), tf.zeros([6])], (a, b, flat) => {
        assert.throws(
          () => kPlusOneUnsupervisedLoss(a as tf.Tensor2D, b as tf.Tensor2D),
          /kPlusOneUnsupervisedLoss: realLogits \[2, 3\] and fakeLogits \[2, 4\] must have the same K/,
        );
        assert.throws(() => kPlusOneUnsupervisedLoss(flat as tf.Tensor2D, a as tf.Tensor2D), /realLogits must be \[B, K\], got \[6\]/);
      });
    });
  });
});
