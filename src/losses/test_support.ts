/**
 * Helpers shared by the loss tests. Plain throws rather than node:assert, so that src/losses stays
 * free of Node imports.
 */
import * as tf from '@tensorflow/tfjs-core';

/** Throws unless `actual` is finite and within rel·max(1, |expected|) of `expected`. */
export function assertClose(actual: number, expected: number, what: string, rel = 1e-5): void {
  if (!Number.isFinite(actual)) throw new Error(`${what}: got non-finite ${actual}`);
  const tol = rel * Math.max(1, Math.abs(expected));
  if (!(Math.abs(actual - expected) <= tol)) {
    throw new Error(`${what}: got ${actual}, expected ${expected} (tol ${tol})`);
  }
}

/** The value of a scalar loss, which it disposes; throws if the loss is not a scalar. */
export function read(t: tf.Tensor): number {
  const rank = t.rank;
  const v = t.dataSync()[0]!;
  t.dispose();
  if (rank !== 0) throw new Error(`expected a scalar, got rank ${rank}`);
  return v;
}

/** The values of a tensor, which it disposes. */
export function values(t: tf.Tensor): number[] {
  const v = Array.from(t.dataSync());
  t.dispose();
  return v;
}

/** Runs fn and throws if it leaves tensors behind. */
export function noLeaks(fn: () => void): void {
  const before = tf.memory().numTensors;
  fn();
  const after = tf.memory().numTensors;
  if (after !== before) throw new Error(`tensor count grew from ${before} to ${after}`);
}

/**
 * Central differences (f(x + h·e_k) − f(x − h·e_k)) / 2h of a plain-JS function, in double
 * precision, at every coordinate k of `x`.
 */
export function finiteDifferences(f: (x: number[]) => number, x: number[], h = 1e-6): number[] {
  return x.map((_, k) => {
    const bump = (d: number) => x.map((v, j) => (j === k ? v + d : v));
    return (f(bump(h)) - f(bump(-h))) / (2 * h);
  });
}

// Plain-JS references, in double precision.
export const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
export const softplus = (x: number) => Math.max(x, 0) + Math.log1p(Math.exp(-Math.abs(x)));
export const sigmoid = (x: number) => 1 / (1 + Math.exp(-x));
export const logSumExp = (xs: number[]) => {
  const max = Math.max(...xs);
  return max + Math.log(xs.reduce((a, x) => a + Math.exp(x - max), 0));
};
