/**
 * Loss terms that GAN and VAE objectives add to the adversarial loss: reconstruction (L1/L2,
 * masked for inpainting), CycleGAN's cycle and identity terms, the VAE's KL and likelihoods,
 * feature matching and perceptual (content) losses, the matching-aware discriminator loss of
 * text-to-image GANs and the K+1-class semi-supervised losses. Each is a pure function of its
 * tensors that returns a scalar to minimize, computed inside tf.tidy, and rejects bad shapes before
 * allocating anything, with an error that names the function and the shapes.
 */
import * as tf from '@tensorflow/tfjs-core';
import { getLoss, minimaxDiscriminatorLoss, type AdversarialLoss, type LossName } from './adversarial.ts';
import {
  checkBatched,
  checkBroadcastsTo,
  checkSamePerSample,
  checkSameShape,
  fmt,
  meanSoftmaxCrossEntropy,
} from './common.ts';

/** Floor on a mask's total weight: an all-zero mask then gives 0 (its numerator is 0), not NaN. */
const MIN_MASK_WEIGHT = 1e-12;
const LOG_2PI = Math.log(2 * Math.PI);

/**
 * mean(penalty(a − b)), or with a mask m broadcastable to a: Σ m·penalty(a − b) / Σ m, both sums
 * over a's shape (a mask [B, H, W, 1] on images [B, H, W, C] counts each pixel C times).
 */
function reconstruction(
  fn: string,
  names: [string, string],
  a: tf.Tensor,
  b: tf.Tensor,
  mask: tf.Tensor | undefined,
  penalty: (diff: tf.Tensor) => tf.Tensor,
): tf.Scalar {
  checkSameShape(fn, names[0], a, names[1], b);
  if (a.size === 0) throw new Error(`${fn}: ${names[0]} must not be empty, got ${fmt(a.shape)}`);
  if (mask !== undefined) checkBroadcastsTo(fn, 'mask', mask, names[0], a.shape);
  return tf.tidy(() => {
    const err = penalty(tf.sub(a, b));
    if (mask === undefined) return tf.mean(err);
    const m = tf.cast(mask, 'float32');
    // Broadcasting repeats each mask entry size(a)/size(m) times, so that factor times Σ m counts it.
    const weight = tf.mul(tf.sum(m), a.size / m.size);
    return tf.div(tf.sum(tf.mul(m, err)), tf.maximum(weight, MIN_MASK_WEIGHT));
  });
}

/**
 * Mean absolute error mean|a − b| over every element. With `mask` (0/1, or non-negative weights,
 * broadcastable to a, e.g. [B, H, W, 1] for images [B, H, W, C]) the mean runs over the masked
 * elements only, Σ m·|a − b| / Σ m: inpainting's hole loss; an all-zero mask gives 0.
 */
export function l1Loss(a: tf.Tensor, b: tf.Tensor, mask?: tf.Tensor): tf.Scalar {
  return reconstruction('l1Loss', ['a', 'b'], a, b, mask, tf.abs);
}

/** Mean squared error mean (a − b)², optionally masked: Σ m·(a − b)² / Σ m (see l1Loss). */
export function l2Loss(a: tf.Tensor, b: tf.Tensor, mask?: tf.Tensor): tf.Scalar {
  return reconstruction('l2Loss', ['a', 'b'], a, b, mask, tf.square);
}

/**
 * CycleGAN cycle-consistency term (Zhu et al. 2017) for one direction: λ·mean|x − F(G(x))|, with
 * `reconstructed` = F(G(x)) and `weight` = λ (the paper uses 10). Add the y → G(F(y)) direction
 * with a second call.
 */
export function cycleLoss(x: tf.Tensor, reconstructed: tf.Tensor, weight = 1): tf.Scalar {
  if (!(Number.isFinite(weight) && weight >= 0)) {
    throw new Error(`cycleLoss: weight must be a finite number >= 0, got ${weight}`);
  }
  return tf.tidy(() => {
    const l1 = reconstruction('cycleLoss', ['x', 'reconstructed'], x, reconstructed, undefined, tf.abs);
    return tf.mul(l1, weight);
  });
}

/**
 * CycleGAN identity term: mean|G(y) − y|, which is plain L1, so this is l1Loss (its errors name
 * l1Loss); the paper weights it 0.5·λ.
 */
export const identityLoss = l1Loss;

/** Sum over each sample's elements, then mean over the batch: [B, ...] → scalar. */
function perSampleSumMean(t: tf.Tensor): tf.Scalar {
  return tf.mean(tf.sum(tf.reshape(t, [t.shape[0]!, -1]), 1));
}

/**
 * VAE prior term: KL(N(μ, σ²) ‖ N(0, 1)) = ½ Σ_d (μ_d² + σ_d² − 1 − log σ_d²), summed over the
 * latent dimensions of each sample and averaged over the batch. `mu` and `logVar` (= log σ²) are
 * [B, ...], same shape.
 */
export function gaussianKl(mu: tf.Tensor, logVar: tf.Tensor): tf.Scalar {
  checkBatched('gaussianKl', 'mu', mu);
  checkSameShape('gaussianKl', 'mu', mu, 'logVar', logVar);
  return tf.tidy(() => {
    const perDim = tf.mul(tf.sub(tf.add(tf.square(mu), tf.exp(logVar)), tf.add(logVar, 1)), 0.5);
    return perSampleSumMean(perDim);
  });
}

/**
 * VAE Bernoulli reconstruction likelihood: −log p(t | l) = −[t log σ(l) + (1 − t) log(1 − σ(l))]
 * = softplus(l) − t·l (finite for any logit), summed over each sample's elements and averaged over
 * the batch. `target01` holds values in [0, 1] (grey levels act as soft targets); same shape as
 * `logits`, [B, ...].
 */
export function bernoulliNll(logits: tf.Tensor, target01: tf.Tensor): tf.Scalar {
  checkBatched('bernoulliNll', 'logits', logits);
  checkSameShape('bernoulliNll', 'logits', logits, 'target01', target01);
  return tf.tidy(() => perSampleSumMean(tf.sub(tf.softplus(logits), tf.mul(target01, logits))));
}

/**
 * VAE Gaussian reconstruction likelihood: −log N(t; μ, σ²) = ½[log 2π + log σ² + (t − μ)²/σ²],
 * summed over each sample's elements and averaged over the batch. `logVar` (= log σ²) is optional
 * (σ = 1, leaving ½(t − μ)² plus the constant) and broadcasts to `mean`'s shape (a learned scalar
 * or per-channel variance works). The ½ log 2π constant is kept so the value is a true NLL.
 */
export function gaussianNll(mean: tf.Tensor, target: tf.Tensor, logVar?: tf.Tensor): tf.Scalar {
  checkBatched('gaussianNll', 'mean', mean);
  checkSameShape('gaussianNll', 'mean', mean, 'target', target);
  if (logVar !== undefined) checkBroadcastsTo('gaussianNll', 'logVar', logVar, 'mean', mean.shape);
  return tf.tidy(() => {
    const sq = tf.square(tf.sub(target, mean));
    // (t − μ)²/σ² + log σ², written with exp(−log σ²) so no σ² is formed to divide by.
    const scaled = logVar === undefined ? sq : tf.add(tf.mul(sq, tf.exp(tf.neg(logVar))), logVar);
    return perSampleSumMean(tf.mul(tf.add(scaled, LOG_2PI), 0.5));
  });
}

/**
 * Feature matching (Salimans et al. 2016): ‖mean_i f(x_i) − mean_j f(G(z_j))‖², the squared L2
 * distance (a sum over features, not a mean) between the batch means of an intermediate
 * discriminator layer on real and generated data. Batch sizes may differ; per-sample shapes match.
 */
export function featureMatchingLoss(realFeatures: tf.Tensor, fakeFeatures: tf.Tensor): tf.Scalar {
  checkSamePerSample('featureMatchingLoss', 'realFeatures', realFeatures, 'fakeFeatures', fakeFeatures);
  return tf.tidy(() => {
    // Flattened, so [B, n] and [B, n, 1] line up feature for feature.
    const batchMean = (f: tf.Tensor) => tf.mean(tf.reshape(f, [f.shape[0]!, -1]), 0);
    return tf.sum(tf.square(tf.sub(batchMean(realFeatures), batchMean(fakeFeatures))));
  });
}

/**
 * Perceptual / content loss (SRGAN's VGG loss): Σ_t w_t · mean((φ_t(real) − φ_t(fake))²) over the
 * taps φ_t of a frozen network, `realTaps[t]` and `fakeTaps[t]` of the same shape. `weights`
 * defaults to 1 per tap. The real taps carry no gradient the generator needs, so compute them
 * outside the tape (or they simply get none, being constants w.r.t. its variables).
 */
export function perceptualLoss(realTaps: tf.Tensor[], fakeTaps: tf.Tensor[], weights?: number[]): tf.Scalar {
  const fn = 'perceptualLoss';
  if (realTaps.length === 0 || realTaps.length !== fakeTaps.length) {
    throw new Error(`${fn}: needs one or more taps and as many fake taps as real ones, got ${realTaps.length} and ${fakeTaps.length}`);
  }
  if (weights !== undefined) {
    if (weights.length !== realTaps.length) {
      throw new Error(`${fn}: needs one weight per tap, got ${weights.length} weights for ${realTaps.length} taps`);
    }
    const bad = weights.findIndex((w) => !Number.isFinite(w));
    if (bad >= 0) throw new Error(`${fn}: weights[${bad}] must be a finite number, got ${weights[bad]}`);
  }
  realTaps.forEach((r, t) => {
    checkSameShape(fn, `realTaps[${t}]`, r, `fakeTaps[${t}]`, fakeTaps[t]!);
    if (r.size === 0) throw new Error(`${fn}: realTaps[${t}] must not be empty, got ${fmt(r.shape)}`);
  });
  return tf.tidy(() => {
    const terms = realTaps.map((r, t) => tf.mul(tf.mean(tf.square(tf.sub(r, fakeTaps[t]!))), weights?.[t] ?? 1));
    return tf.addN(terms) as tf.Scalar;
  });
}

/**
 * Matching-aware discriminator loss (Reed et al. 2016, GAN-INT-CLS). D maximizes
 * log D(real, right) + ½[log(1 − D(real, wrong)) + log(1 − D(fake, right))]; for any adversarial
 * loss that is its real term on `realRight` plus half its fake term on each of `realWrong` and
 * `fakeRight`: R(rr) + ½F(rw) + ½F(fr) = ½[L_D(rr, rw) + L_D(rr, fr)], exact for every loss in
 * adversarial.ts (each is R(real) + F(fake)) and for any batch sizes. The generator's loss is the
 * adversarial one on D(fake, right). Outputs have any shape, as in adversarial.ts.
 */
export function matchingAwareDiscriminatorLoss(
  realRight: tf.Tensor,
  realWrong: tf.Tensor,
  fakeRight: tf.Tensor,
  loss: AdversarialLoss | LossName,
): tf.Scalar {
  const fn = 'matchingAwareDiscriminatorLoss';
  checkSamePerSample(fn, 'realRight', realRight, 'realWrong', realWrong);
  checkSamePerSample(fn, 'realRight', realRight, 'fakeRight', fakeRight);
  const adversarial = typeof loss === 'string' ? getLoss(loss) : loss;
  return tf.tidy(() =>
    tf.mul(tf.add(adversarial.discriminator(realRight, realWrong), adversarial.discriminator(realRight, fakeRight)), 0.5),
  );
}

/**
 * K+1-class semi-supervised GAN (Salimans et al. 2016), supervised part: softmax cross-entropy of
 * the K real-class logits [B, K] against labels [B] in [0, K), mean_i (logsumexp(l_i) − l_i[y_i]).
 * With the fake class's logit fixed at 0 this is −log p(y | x, y < K + 1).
 */
export function kPlusOneSupervisedLoss(logits: tf.Tensor2D, labels: tf.Tensor1D): tf.Scalar {
  return meanSoftmaxCrossEntropy('kPlusOneSupervisedLoss', 'logits', logits, labels);
}

/**
 * K+1-class semi-supervised GAN, unsupervised part, with the fake logit fixed at 0:
 * D(x) = Z(x)/(Z(x) + 1), Z = Σ_k exp(l_k), so with s = logsumexp(l), log D = s − softplus(s) =
 * −softplus(−s) and log(1 − D) = −softplus(s). The loss
 * −E_real[s − softplus(s)] + E_fake[softplus(s)] = E_real[softplus(−s)] + E_fake[softplus(s)]
 * is the minimax discriminator loss on the logit s; finite for any logits. Both inputs [B, K], same
 * K, batch sizes may differ.
 */
export function kPlusOneUnsupervisedLoss(realLogits: tf.Tensor2D, fakeLogits: tf.Tensor2D): tf.Scalar {
  const fn = 'kPlusOneUnsupervisedLoss';
  for (const [arg, t] of [['realLogits', realLogits], ['fakeLogits', fakeLogits]] as const) {
    if (t.rank !== 2 || t.size === 0) throw new Error(`${fn}: ${arg} must be [B, K], got ${fmt(t.shape)}`);
  }
  if (realLogits.shape[1] !== fakeLogits.shape[1]) {
    throw new Error(
      `${fn}: realLogits ${fmt(realLogits.shape)} and fakeLogits ${fmt(fakeLogits.shape)} must have the same K`,
    );
  }
  return tf.tidy(() => minimaxDiscriminatorLoss(tf.logSumExp(realLogits, 1), tf.logSumExp(fakeLogits, 1)));
}

/**
 * Symmetric contrastive (InfoNCE) loss of a dual encoder (CLIP; AttnGAN's DAMSM sentence loss): with
 * a_i, b_i L2-normalized and logits s_ij = a_i·b_j / τ, the mean of the row-wise and column-wise softmax
 * cross-entropies against the diagonal, ½[mean_i(lse_j s_ij − s_ii) + mean_j(lse_i s_ij − s_jj)]. Pair i
 * of `a` [B, D] and `b` [B, D] matches; every other row of the batch is a negative.
 */
export function contrastiveLoss(a: tf.Tensor2D, b: tf.Tensor2D, temperature: number): tf.Scalar {
  const fn = 'contrastiveLoss';
  checkSameShape(fn, 'a', a, 'b', b);
  if (a.rank !== 2 || a.shape[0] < 2) throw new Error(`${fn}: a and b must be [B, D] with B ≥ 2, got ${fmt(a.shape)}`);
  if (!(temperature > 0)) throw new Error(`${fn}: temperature must be positive, got ${temperature}`);
  return tf.tidy(() => {
    const s = tf.div(tf.matMul(l2Normalize(a), l2Normalize(b), false, true), temperature) as tf.Tensor2D;
    const diag = tf.sum(tf.mul(s, tf.eye(a.shape[0])), 1);
    const rows = tf.mean(tf.sub(tf.logSumExp(s, 1), diag));
    const cols = tf.mean(tf.sub(tf.logSumExp(s, 0), diag));
    return tf.mul(tf.add(rows, cols), 0.5) as tf.Scalar;
  });
}

/** Rows scaled to unit L2 norm (ε-guarded, so a zero row stays finite). */
export function l2Normalize(x: tf.Tensor2D): tf.Tensor2D {
  return tf.tidy(() => tf.div(x, tf.sqrt(tf.add(tf.sum(tf.square(x), 1, true), 1e-12))) as tf.Tensor2D);
}
