/**
 * Discriminator regularizers. The penalties take the input gradient of the critic with tf.grad, so
 * the trainer differentiates them again w.r.t. the critic's variables (second order): every op the
 * critic uses must have a differentiable gradient (see src/backend/ops.ts for LeakyReLU).
 */
import * as tf from '@tensorflow/tfjs-core';
// tfjs-core's Node bundle registers no gradient functions; tfjs-layers' bundle registers all of
// them (into the global registry) when loaded. Needed for tf.grad below.
import '@tensorflow/tfjs-layers';
import { fmt, sameShape } from './common.ts';

/**
 * The discriminator's output for a batch of inputs [B, ...]: one value per sample ([B] or [B, 1])
 * or a map of them per sample ([B, h, w, 1] for a PatchGAN, any [B, ...]).
 */
export type Critic = (x: tf.Tensor) => tf.Tensor;

/** Added under the square root so the norm has a finite gradient where the input gradient is 0. */
const NORM_EPSILON = 1e-12;

/**
 * Gradient of Σ_i s(x_i) w.r.t. x, where s(x_i) = Σ_map D(x_i) sums sample i's critic output (its
 * one value, or every entry of its map). Since samples do not interact in the critic (no batch
 * norm), row i is ∇ s(x_i) w.r.t. x_i. A sum, not a mean, over the map: a critic whose k map
 * entries all equal d(x) has input gradient k·∇d(x), so R1 grows by k² and the gradient penalty's
 * target applies to k·‖∇d‖.
 */
function inputGradient(fn: string, critic: Critic, x: tf.Tensor): tf.Tensor {
  return tf.grad((input: tf.Tensor) => {
    const out = critic(input);
    const batch = input.shape[0];
    if (out.rank < 1 || out.shape[0] !== batch) {
      throw new Error(`${fn}: critic output must be [${batch}, ...] (one value or one map per sample), got ${fmt(out.shape)}`);
    }
    // Σ_i Σ_map D(x_i): the per-sample sums, added over the batch, in one reduction.
    return tf.sum(out);
  })(x);
}

/** Squared L2 norm of each sample's slice: [B, ...] → [B]. */
function perSampleSquaredNorm(g: tf.Tensor): tf.Tensor1D {
  const flat = tf.reshape(g, [g.shape[0], -1]);
  return tf.sum(tf.square(flat), 1);
}

/**
 * WGAN-GP penalty (Gulrajani et al. 2017) without its weight λ: mean over the batch of
 * (‖∇x̂ s(x̂)‖₂ − target)², s the sample's critic output summed over its map (see inputGradient),
 * at x̂ = eps·real + (1 − eps)·fake. `eps` is uniform [0, 1) noise broadcastable against the inputs,
 * normally shape [B, 1, …, 1] (one value per sample); the caller draws it so runs stay reproducible.
 * `target` is 1 for the usual one-centered penalty.
 */
export function gradientPenalty(
  critic: Critic,
  real: tf.Tensor,
  fake: tf.Tensor,
  eps: tf.Tensor,
  target = 1,
): tf.Scalar {
  if (!sameShape(real.shape, fake.shape)) {
    throw new Error(
      `gradientPenalty: real and fake must have the same shape, got [${real.shape.join(', ')}] and [${fake.shape.join(', ')}]`,
    );
  }
  if (real.rank < 2) {
    throw new Error(`gradientPenalty: inputs must be batched [B, ...] with rank >= 2, got [${real.shape.join(', ')}]`);
  }
  if (eps.rank > real.rank) {
    throw new Error(
      `gradientPenalty: eps [${eps.shape.join(', ')}] must be broadcastable to the inputs [${real.shape.join(', ')}]`,
    );
  }
  if (!Number.isFinite(target)) throw new Error(`gradientPenalty: target must be a finite number, got ${target}`);
  return tf.tidy(() => {
    // x̂ = fake + eps·(real − fake) = eps·real + (1 − eps)·fake, in three ops instead of four.
    const interpolated = tf.add(fake, tf.mul(eps, tf.sub(real, fake)));
    if (!sameShape(interpolated.shape, real.shape)) {
      throw new Error(
        `gradientPenalty: eps [${eps.shape.join(', ')}] must broadcast to the inputs [${real.shape.join(', ')}], ` +
          `not widen them to [${interpolated.shape.join(', ')}]`,
      );
    }
    const grad = inputGradient('gradientPenalty', critic, interpolated);
    const norm = tf.sqrt(tf.add(perSampleSquaredNorm(grad), NORM_EPSILON));
    return tf.mean(tf.square(tf.sub(norm, target)));
  });
}

/**
 * R1 penalty (Mescheder et al. 2018) without its weight γ/2: mean over the batch of ‖∇x s(x)‖²
 * on real data, s the sample's critic output summed over its map (see inputGradient).
 */
export function r1Penalty(critic: Critic, real: tf.Tensor): tf.Scalar {
  if (real.rank < 2) {
    throw new Error(`r1Penalty: real must be batched [B, ...] with rank >= 2, got [${real.shape.join(', ')}]`);
  }
  return tf.tidy(() => tf.mean(perSampleSquaredNorm(inputGradient('r1Penalty', critic, real))));
}

/** WGAN weight clipping: clamps every variable to [−c, c] in place. */
export function clipWeights(vars: tf.Variable[], c: number): void {
  if (!(Number.isFinite(c) && c > 0)) throw new Error(`clipWeights: clip value c must be a positive number, got ${c}`);
  tf.tidy(() => {
    for (const v of vars) v.assign(tf.clipByValue(v, -c, c));
  });
}
