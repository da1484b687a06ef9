/**
 * Adversarial losses. Every function takes the discriminator's raw outputs (logits for the
 * probabilistic losses, critic values for Wasserstein/hinge) and returns a scalar to minimize.
 * Outputs may be one value per sample, [B] or [B, 1], or a map of them, e.g. a PatchGAN's
 * [B, h, w, 1]: each expectation E[·] is the mean over every element (batch and map), so a map
 * whose entries all equal v scores like a [B, 1] output of v. Real and fake batches may differ in
 * size but not in per-sample shape (a trailing unit channel aside: [B] matches [B, 1]).
 * With D(x) = sigmoid(logit), log D = −softplus(−logit) and log(1 − D) = −softplus(logit);
 * writing the losses with softplus keeps them finite for any logit.
 */
import * as tf from '@tensorflow/tfjs-core';
import { checkBatched, checkSamePerSample, meanSoftmaxCrossEntropy } from './common.ts';

export type LossName = 'minimax' | 'nonsaturating' | 'wasserstein' | 'hinge' | 'leastsquares';

export interface AdversarialLoss {
  readonly name: LossName;
  /** Loss the discriminator minimizes, from its outputs on a real and a generated batch. */
  discriminator(realOut: tf.Tensor, fakeOut: tf.Tensor): tf.Scalar;
  /** Loss the generator minimizes, from the discriminator's outputs on a generated batch. */
  generator(fakeOut: tf.Tensor): tf.Scalar;
}

export const LOSS_NAMES: readonly LossName[] = ['minimax', 'nonsaturating', 'wasserstein', 'hinge', 'leastsquares'];

/** Discriminator losses: both outputs batched, same per-sample shape, batch sizes free. */
function checkPair(fn: string, realOut: tf.Tensor, fakeOut: tf.Tensor): void {
  checkSamePerSample(fn, 'realOut', realOut, 'fakeOut', fakeOut);
}

/** Minimax (saturating) GAN, discriminator: −E[log D(x)] − E[log(1 − D(G(z)))]. */
export function minimaxDiscriminatorLoss(realOut: tf.Tensor, fakeOut: tf.Tensor): tf.Scalar {
  checkPair('minimaxDiscriminatorLoss', realOut, fakeOut);
  return tf.tidy(() => tf.add(tf.mean(tf.softplus(tf.neg(realOut))), tf.mean(tf.softplus(fakeOut))));
}

/** Minimax (saturating) GAN, generator: E[log(1 − D(G(z)))]. Its gradient vanishes when D wins. */
export function minimaxGeneratorLoss(fakeOut: tf.Tensor): tf.Scalar {
  checkBatched('minimaxGeneratorLoss', 'fakeOut', fakeOut);
  return tf.tidy(() => tf.neg(tf.mean(tf.softplus(fakeOut))));
}

/** Non-saturating GAN, discriminator: identical to the minimax one. */
export function nonSaturatingDiscriminatorLoss(realOut: tf.Tensor, fakeOut: tf.Tensor): tf.Scalar {
  return minimaxDiscriminatorLoss(realOut, fakeOut);
}

/** Non-saturating GAN, generator: −E[log D(G(z))]. */
export function nonSaturatingGeneratorLoss(fakeOut: tf.Tensor): tf.Scalar {
  checkBatched('nonSaturatingGeneratorLoss', 'fakeOut', fakeOut);
  return tf.tidy(() => tf.mean(tf.softplus(tf.neg(fakeOut))));
}

/** WGAN critic: E[C(G(z))] − E[C(x)] (needs weight clipping or a gradient penalty). */
export function wassersteinDiscriminatorLoss(realOut: tf.Tensor, fakeOut: tf.Tensor): tf.Scalar {
  checkPair('wassersteinDiscriminatorLoss', realOut, fakeOut);
  return tf.tidy(() => tf.sub(tf.mean(fakeOut), tf.mean(realOut)));
}

/** WGAN generator: −E[C(G(z))]. */
export function wassersteinGeneratorLoss(fakeOut: tf.Tensor): tf.Scalar {
  checkBatched('wassersteinGeneratorLoss', 'fakeOut', fakeOut);
  return tf.tidy(() => tf.neg(tf.mean(fakeOut)));
}

/** Hinge discriminator: E[max(0, 1 − D(x))] + E[max(0, 1 + D(G(z)))]. */
export function hingeDiscriminatorLoss(realOut: tf.Tensor, fakeOut: tf.Tensor): tf.Scalar {
  checkPair('hingeDiscriminatorLoss', realOut, fakeOut);
  return tf.tidy(() =>
    tf.add(tf.mean(tf.relu(tf.sub(1, realOut))), tf.mean(tf.relu(tf.add(fakeOut, 1)))),
  );
}

/** Hinge generator: −E[D(G(z))]. */
export function hingeGeneratorLoss(fakeOut: tf.Tensor): tf.Scalar {
  checkBatched('hingeGeneratorLoss', 'fakeOut', fakeOut);
  return tf.tidy(() => tf.neg(tf.mean(fakeOut)));
}

/** LSGAN discriminator (a=0, b=1): ½E[(D(x) − 1)²] + ½E[D(G(z))²], on the raw outputs. */
export function leastSquaresDiscriminatorLoss(realOut: tf.Tensor, fakeOut: tf.Tensor): tf.Scalar {
  checkPair('leastSquaresDiscriminatorLoss', realOut, fakeOut);
  return tf.tidy(() =>
    tf.mul(tf.add(tf.mean(tf.square(tf.sub(realOut, 1))), tf.mean(tf.square(fakeOut))), 0.5),
  );
}

/** LSGAN generator (c=1): ½E[(D(G(z)) − 1)²]. */
export function leastSquaresGeneratorLoss(fakeOut: tf.Tensor): tf.Scalar {
  checkBatched('leastSquaresGeneratorLoss', 'fakeOut', fakeOut);
  return tf.tidy(() => tf.mul(tf.mean(tf.square(tf.sub(fakeOut, 1))), 0.5));
}

const LOSSES: Record<LossName, AdversarialLoss> = {
  minimax: { name: 'minimax', discriminator: minimaxDiscriminatorLoss, generator: minimaxGeneratorLoss },
  nonsaturating: {
    name: 'nonsaturating',
    discriminator: nonSaturatingDiscriminatorLoss,
    generator: nonSaturatingGeneratorLoss,
  },
  wasserstein: {
    name: 'wasserstein',
    discriminator: wassersteinDiscriminatorLoss,
    generator: wassersteinGeneratorLoss,
  },
  hinge: { name: 'hinge', discriminator: hingeDiscriminatorLoss, generator: hingeGeneratorLoss },
  leastsquares: {
    name: 'leastsquares',
    discriminator: leastSquaresDiscriminatorLoss,
    generator: leastSquaresGeneratorLoss,
  },
};

export function getLoss(name: LossName): AdversarialLoss {
  const loss = Object.hasOwn(LOSSES, name) ? LOSSES[name] : undefined;
  if (loss === undefined) {
    throw new Error(`getLoss: unknown loss '${String(name)}', expected one of ${LOSS_NAMES.join(', ')}`);
  }
  return loss;
}

/**
 * ACGAN auxiliary classifier loss: mean softmax cross-entropy of class logits [B, K] against
 * integer labels [B] (any numeric dtype; values must lie in [0, K)):
 * mean_i (logsumexp(l_i) − l_i[y_i]).
 */
export function auxiliaryClassifierLoss(classLogits: tf.Tensor2D, labels: tf.Tensor1D): tf.Scalar {
  return meanSoftmaxCrossEntropy('auxiliaryClassifierLoss', 'classLogits', classLogits, labels);
}
