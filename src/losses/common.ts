/**
 * Shape checks and small pieces shared by the loss modules. Checks run before any tensor is made,
 * so a rejected call allocates nothing; every message names the calling function and the shapes.
 */
import * as tf from '@tensorflow/tfjs-core';

/** `[2, 3, 1]`, for error messages. */
export function fmt(shape: readonly number[]): string {
  return `[${shape.join(', ')}]`;
}

export function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

/**
 * The shape of one sample of a batched tensor [B, ...], with a trailing unit channel dropped, so
 * [B], [B, 1] hold the same per-sample shape ([]), as do [B, h, w, 1] and [B, h, w].
 */
export function perSampleShape(shape: readonly number[]): number[] {
  const rest = shape.slice(1);
  return rest.length > 0 && rest[rest.length - 1] === 1 ? rest.slice(0, -1) : rest;
}

/** Throws unless `t` is a non-empty batch [B, ...] (rank >= 1). */
export function checkBatched(fn: string, arg: string, t: tf.Tensor): void {
  if (t.rank < 1) throw new Error(`${fn}: ${arg} must be batched [B, ...] with rank >= 1, got ${fmt(t.shape)}`);
  if (t.size === 0) throw new Error(`${fn}: ${arg} must not be empty, got ${fmt(t.shape)}`);
}

/**
 * Throws unless `a` and `b` are non-empty batches whose samples have the same shape (see
 * perSampleShape); their batch sizes may differ.
 */
export function checkSamePerSample(fn: string, argA: string, a: tf.Tensor, argB: string, b: tf.Tensor): void {
  checkBatched(fn, argA, a);
  checkBatched(fn, argB, b);
  if (!sameShape(perSampleShape(a.shape), perSampleShape(b.shape))) {
    throw new Error(
      `${fn}: ${argA} ${fmt(a.shape)} and ${argB} ${fmt(b.shape)} must have the same per-sample shape ` +
        `(batch sizes may differ)`,
    );
  }
}

/** Throws unless `a` and `b` have exactly the same shape. */
export function checkSameShape(fn: string, argA: string, a: tf.Tensor, argB: string, b: tf.Tensor): void {
  if (!sameShape(a.shape, b.shape)) {
    throw new Error(`${fn}: ${argA} and ${argB} must have the same shape, got ${fmt(a.shape)} and ${fmt(b.shape)}`);
  }
}

/**
 * Throws unless `t` broadcasts to `target` without widening it: same rank or lower, each of its
 * (right-aligned) dimensions 1 or equal to the target's.
 */
export function checkBroadcastsTo(fn: string, arg: string, t: tf.Tensor, targetArg: string, target: readonly number[]): void {
  const offset = target.length - t.rank;
  const ok = offset >= 0 && t.shape.every((d, i) => d === 1 || d === target[offset + i]);
  if (!ok) throw new Error(`${fn}: ${arg} ${fmt(t.shape)} must broadcast to ${targetArg} ${fmt(target)}`);
}

/**
 * Mean softmax cross-entropy of logits [B, K] against integer labels [B] (any numeric dtype,
 * values in [0, K)): mean_i (logsumexp(l_i) − l_i[y_i]).
 */
export function meanSoftmaxCrossEntropy(fn: string, logitsArg: string, logits: tf.Tensor, labels: tf.Tensor): tf.Scalar {
  if (logits.rank !== 2 || logits.size === 0) {
    throw new Error(`${fn}: ${logitsArg} must be [B, K], got ${fmt(logits.shape)}`);
  }
  if (labels.rank !== 1 || labels.shape[0] !== logits.shape[0]) {
    throw new Error(
      `${fn}: labels must be [${logits.shape[0]}] to match ${logitsArg} ${fmt(logits.shape)}, got ${fmt(labels.shape)}`,
    );
  }
  return tf.tidy(() => {
    const numClasses = logits.shape[1]!;
    const intLabels = labels.dtype === 'int32' ? labels : tf.cast(labels, 'int32');
    const logProbs = tf.logSoftmax(logits);
    const picked = tf.sum(tf.mul(logProbs, tf.oneHot(intLabels as tf.Tensor1D, numClasses)), 1);
    return tf.neg(tf.mean(picked));
  });
}
