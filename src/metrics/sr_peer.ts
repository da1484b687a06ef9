/**
 * The pretrained super-resolution peer: `@upscalerjs/esrgan-slim`, an npm package that ships TF.js layers
 * models (RDN, trained on DIV2K) for ×2, ×3, ×4 and ×8. Its models take and give 0–255 RGB values and do
 * not clip, so outputs are clipped here. Loaded from the package's files (no network), run on whole
 * images — it is fully convolutional.
 */
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { runInBatches } from '../models/batched.ts';
import { fileIOHandler } from './feature_net.ts';

export const SR_PEERS = ['esrgan-slim'] as const;
export type SrPeerName = (typeof SR_PEERS)[number];
const PACKAGE = '@upscalerjs/esrgan-slim';

/** The package's model.json for a scale. */
export function esrganSlimModelPath(scale: number): string {
  if (![2, 3, 4, 8].includes(scale)) throw new Error(`esrgan-slim has ×2, ×3, ×4 and ×8 models, not ×${scale}`);
  let entry: string;
  try {
    entry = createRequire(import.meta.url).resolve(PACKAGE);
  } catch (e) {
    throw new Error(`the SR peer needs the npm package ${PACKAGE} (npm install ${PACKAGE}): ${(e as Error).message}`, { cause: e });
  }
  for (let dir = path.dirname(entry); dir !== path.dirname(dir); dir = path.dirname(dir)) {
    const file = path.join(dir, 'models', `x${scale}`, 'model.json');
    if (fs.existsSync(file)) return file;
  }
  throw new Error(`${PACKAGE}: no models/x${scale}/model.json beside ${entry}`);
}

export interface SrPeer {
  readonly name: SrPeerName;
  readonly scale: number;
  /** HR outputs [count, h·s, w·s, 3] in [−1, 1] for LR inputs [count, h, w, 3] in [−1, 1]. */
  upscale(lr: Float32Array, count: number, lrShape: readonly number[]): Promise<Float32Array>;
  dispose(): void;
}

export async function loadSrPeer(name: string, scale: number): Promise<SrPeer> {
  if (!(SR_PEERS as readonly string[]).includes(name)) throw new Error(`unknown SR peer '${name}'; known: ${SR_PEERS.join(', ')}`);
  const model = await tfl.loadLayersModel(fileIOHandler(esrganSlimModelPath(scale)));
  return {
    name: name as SrPeerName,
    scale,
    upscale(lr, count, lrShape) {
      const [h, w, c] = lrShape as [number, number, number];
      if (c !== 3) throw new Error(`esrgan-slim takes RGB images; these have ${c} channel(s)`);
      const per = h * w * c;
      return runInBatches(count, per * scale * scale, 8, (i, m) =>
        tf.tidy(() => {
          const x = tf.mul(tf.add(tf.tensor(lr.subarray(i * per, (i + m) * per), [m, h, w, c]), 1), 127.5);
          const y = model.predict(x) as tf.Tensor;
          return tf.sub(tf.div(tf.clipByValue(y, 0, 255), 127.5), 1);
        }),
      );
    },
    dispose: () => model.dispose(),
  };
}
