/**
 * PReLU, max(x, 0) + alpha · min(x, 0) with one slope per channel (last axis) or one shared slope: the op
 * Network's `prelu` layers call. With the native kernels registered on the active wasm backend it is one
 * fused kernel forward and one backward (dx and the slope's gradient in one pass); otherwise, or with
 * twiceDifferentiable (the fused form has first-order gradients only), it is the composite
 * x · (alpha + (1 − alpha) · step(x)), twice differentiable since step's gradient is zero (unlike
 * tf.prelu, whose gradient goes through `greater`). Like batch_norm.ts, no Node imports: it runs in the browser.
 */
import * as tf from '@tensorflow/tfjs-core';

export const PRELU_KERNEL = 'GantryPrelu';
export const PRELU_GRAD_KERNEL = 'GantryPreluGrad';

let preluGradientRegistered = false;

/** The fused forward's gradient: the fused backward kernel, which gives [dx, dalpha]. */
export function registerPreluGradient(): void {
  if (preluGradientRegistered) return;
  preluGradientRegistered = true;
  tf.registerGradient({
    kernelName: PRELU_KERNEL,
    inputsToSave: ['x', 'alpha'],
    gradFunc: (dy, saved) => {
      const [x, alpha] = saved as tf.Tensor[];
      const [dx, dalpha] = tf.engine().runKernel(PRELU_GRAD_KERNEL, { dy: dy as tf.Tensor, x: x!, alpha: alpha! }, {}) as tf.Tensor[];
      return { x: () => dx!, alpha: () => dalpha! };
    },
  });
}

/** Whether `prelu` runs the fused kernels for x and alpha. */
export function canFusePrelu(x: tf.Tensor, alpha: tf.Tensor, opts: { twiceDifferentiable?: boolean } = {}): boolean {
  const c = x.shape[x.shape.length - 1];
  return !opts.twiceDifferentiable && x.dtype === 'float32' && alpha.dtype === 'float32' && x.rank >= 1 && x.size > 0 &&
    alpha.rank === 1 && (alpha.size === 1 || alpha.size === c) && tf.getKernel(PRELU_KERNEL, tf.getBackend()) !== undefined;
}

/** PReLU of x with slopes alpha [1] (shared) or [C] (x's last axis). */
export function prelu(x: tf.Tensor, alpha: tf.Tensor, opts: { twiceDifferentiable?: boolean } = {}): tf.Tensor {
  if (canFusePrelu(x, alpha, opts)) return tf.engine().runKernel(PRELU_KERNEL, { x, alpha }, {}) as tf.Tensor;
  return tf.tidy(() => tf.mul(x, tf.add(alpha, tf.mul(tf.sub(1, alpha), tf.step(x)))));
}
