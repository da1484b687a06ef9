import * as tf from '@tensorflow/tfjs-core';
// tfjs-core's Node bundle registers no gradient functions; loading tfjs-layers' bundle registers all of
// them in the shared registry. Every network imports this module, so training always has them.
import '@tensorflow/tfjs-layers';

/**
 * LeakyReLU written as x * step(x, alpha). TF.js's own LeakyRelu gradient goes through `Greater`,
 * which has no gradient, so second-order gradients (gradient penalty, R1) fail; `step` has a zero
 * gradient, which makes this form twice differentiable. It is also faster than wasm's scalar kernel.
 */
export function leakyRelu<T extends tf.Tensor>(x: T, alpha: number): T {
  return tf.tidy(() => tf.mul(x, tf.step(x, alpha)) as T);
}

const stopGradientOp = tf.customGrad((x: tf.Tensor | tf.GradSaveFunc) => ({
  value: tf.clone(x as tf.Tensor),
  gradFunc: (dy: tf.Tensor) => tf.zerosLike(dy),
}));

/** Identity whose gradient is zero (TF.js has no tf.stopGradient). */
export function stopGradient<T extends tf.Tensor>(x: T): T {
  return stopGradientOp(x) as T;
}

/**
 * Gradient of `Tile` (also the kernel behind tf.broadcastTo) as one reshape and one sum. TF.js's own
 * adds one slice per repetition: thousands of ops for a broadcast over batch and space, and under a
 * second-order tape it can exhaust the wasm heap. dy [r0·d0, r1·d1, …] is viewed as
 * [r0, d0, r1, d1, …] and summed over the repetition axes; unit axes are dropped and neighbouring
 * kept / summed axes merged so the view stays low-rank (wasm transposes cap at rank 6).
 */
function tileGradient(dy: tf.Tensor, x: tf.Tensor, reps: number[]): tf.Tensor {
  const view: number[] = [];
  const kinds: ('keep' | 'sum')[] = [];
  const push = (size: number, kind: 'keep' | 'sum') => {
    if (size === 1) return;
    if (kinds[kinds.length - 1] === kind) view[view.length - 1]! *= size;
    else {
      view.push(size);
      kinds.push(kind);
    }
  };
  x.shape.forEach((d, i) => {
    push(reps[i]!, 'sum');
    push(d, 'keep');
  });
  const axes = kinds.flatMap((kind, i) => (kind === 'sum' ? [i] : []));
  if (axes.length === 0) return tf.reshape(dy, x.shape);
  return tf.reshape(tf.sum(tf.reshape(dy, view), axes), x.shape);
}

let gradientFixesRegistered = false;

/**
 * Replaces gradient functions that break or crawl under training (see tileGradient). Global for all
 * backends; call after '@tensorflow/tfjs-layers' has registered the stock gradients (initBackend does).
 */
export function registerGradientFixes(): void {
  if (gradientFixesRegistered) return;
  gradientFixesRegistered = true;
  tf.registerGradient({
    kernelName: 'Tile',
    inputsToSave: ['x'],
    gradFunc: (dy, saved, attrs) => {
      const [x] = saved as tf.Tensor[];
      const reps = (attrs as unknown as { reps: number[] }).reps;
      return { x: () => tileGradient(dy as tf.Tensor, x!, reps) };
    },
  });
}
