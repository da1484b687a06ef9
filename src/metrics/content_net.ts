/**
 * The frozen networks behind content (perceptual) losses. No VGG weights exist offline, so SRGAN's content
 * loss reads one of Gantry's own feature networks (feature_net.ts: a small classifier trained once per
 * dataset and cached), named in the run's config (`model.content.net`) and in its log keys. Images of
 * another size than the network's are cut into network-sized patches (HR sides must be multiples).
 */
import * as tf from '@tensorflow/tfjs-core';
import type { RunConfig } from '../families/config.ts';
import { registerFrozenFeatures } from '../families/frozen_features.ts';
import { getFeatureNet, type FeatureDataset, type FeatureNet, type FeatureNetOptions } from './feature_net.ts';

/** Feature-net names and the datasets they are trained on. */
export const CONTENT_NETS: Record<string, FeatureDataset> = { cifarnet: 'cifar10', mnistnet: 'mnist', fashionnet: 'fashion-mnist', mnistmnet: 'mnist-m' };

/** [B, H, W, C] → [B·(H/h)·(W/w), h, w, C] patches (H, W multiples of h, w). */
export function patches(x: tf.Tensor4D, h: number, w: number): tf.Tensor4D {
  const [b, H, W, c] = x.shape;
  if (H === h && W === w) return x;
  if (H % h !== 0 || W % w !== 0) throw new Error(`content loss: ${W}×${H} images do not split into the feature network's ${w}×${h} patches`);
  const t = tf.reshape(x, [b * (H / h), h, W / w, w * c]);
  return tf.reshape(tf.transpose(t, [0, 2, 1, 3]), [b * (H / h) * (W / w), h, w, c]) as tf.Tensor4D;
}

function frozenOf(name: string, net: FeatureNet): void {
  const [h, w, c] = net.inputShape;
  registerFrozenFeatures({
    name,
    key: net.key,
    taps: (x) => {
      if (x.shape[3] !== c) throw new Error(`content loss: ${name} takes ${c}-channel images, got ${x.shape[3]}`);
      return [net.features(patches(x, h, w))];
    },
  });
}

/** Loads (training once if not cached) every frozen network the config's losses name. */
export async function loadContentNetworks(cfg: RunConfig, opts: FeatureNetOptions = {}): Promise<string[]> {
  const content = (cfg.model as { content?: { net: string; weight: number; dataDir?: string } }).content;
  if (!content || content.weight === 0) return [];
  const dataset = CONTENT_NETS[content.net];
  if (!dataset) throw new Error(`model.content.net '${content.net}' is not a Gantry feature network; choose one of ${Object.keys(CONTENT_NETS).join(', ')}`);
  const from = (cfg.data as { from?: { name: string; dir?: string } }).from;
  const dataDir = content.dataDir ?? (from?.name === dataset ? from.dir : undefined);
  if (dataset === 'cifar10' && !dataDir) throw new Error(`model.content.net cifarnet is trained on CIFAR-10: give model.content.dataDir (a CIFAR-10 folder)`);
  frozenOf(content.net, await getFeatureNet(dataset, { ...opts, dataDir }));
  return [content.net];
}
