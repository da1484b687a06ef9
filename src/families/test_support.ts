/** Helpers shared by the family tests: snapshots of every trainable variable, and the non-saturating G loss by hand. */
import assert from 'node:assert/strict';
import type { Trainer } from '../train/trainer.ts';

/** Copies of every trainable variable of every network, by network name. */
export function snapshotTrainables(t: Trainer): Record<string, Float32Array[]> {
  return Object.fromEntries(Object.entries(t.networks).map(([k, n]) => [k, n.trainable.map((v) => Float32Array.from(v.dataSync()))]));
}

/** Asserts that every trainable variable of every network changed since `before`. */
export function assertAllMoved(t: Trainer, before: Record<string, Float32Array[]>): void {
  for (const [k, n] of Object.entries(t.networks)) {
    const moved = n.trainable.filter((v, i) => v.dataSync().some((e, j) => e !== before[k]![i]![j])).length;
    assert.equal(moved, n.trainable.length, `${k}: ${n.trainable.length - moved} variable(s) did not move`);
  }
}

/** Non-saturating G loss of D's logits: mean softplus(−logit) = −mean log σ(logit). */
export function nonSaturatingByHand(logits: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < logits.length; i++) s += Math.log1p(Math.exp(-logits[i]!));
  return s / logits.length;
}
