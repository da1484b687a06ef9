/**
 * Frozen feature networks a family's loss reads through (SRGAN's content loss): named, loaded before
 * training by a higher layer (metrics/content_net.ts trains or reads the cached classifier), and looked
 * up here by name when a phase runs — so families never import the metrics layer, and a run opened only
 * to sample or evaluate never needs them. Their weights are not trained and not checkpointed: the key
 * names the exact weights (a cache entry), and the run's config names the network.
 */
import type * as tf from '@tensorflow/tfjs-core';

export interface FrozenFeatures {
  /** The name configs use (e.g. 'cifarnet'). */
  readonly name: string;
  /** Identifies the exact weights. */
  readonly key: string;
  /** Feature tensors of images [B, H, W, C] in [−1, 1]; differentiable with respect to the images. */
  taps(x: tf.Tensor4D): tf.Tensor[];
}

const LOADED = new Map<string, FrozenFeatures>();

export function registerFrozenFeatures(f: FrozenFeatures): void {
  LOADED.set(f.name, f);
}

export function getFrozenFeatures(name: string): FrozenFeatures {
  const f = LOADED.get(name);
  if (!f) throw new Error(`feature network '${name}' is not loaded: 'gantry train' loads it before training; from code, call loadContentNetworks(config) (gantry's metrics) first`);
  return f;
}
