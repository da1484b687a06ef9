/**
 * Fixed input images for an image-to-image family's sample grids and export examples: the first `count`
 * images of one batch field, read ahead of the data stream (its state is put back, so training sees the
 * same batches) and kept with the checkpoint. Gives the family's `sampleInputs`, `getState`, `setState`.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { Rng } from '../core/rng.ts';
import type { BatchField, DataSource } from '../data/dataset.ts';
import type { FamilyState, SampleOptions } from './family.ts';

export interface ImagePreview {
  sampleInputs(n: number, rng: Rng, opts?: SampleOptions): Record<string, tf.Tensor>;
  getState(): FamilyState;
  setState(state: FamilyState): void;
  dispose(): void;
}

export function imagePreview(family: string, data: DataSource, field: BatchField, shape: number[], count: number): ImagePreview {
  const cursor = data.getState();
  const preview = tf.variable(tf.tensor(data.nextBatch(count)[field] as Float32Array, [count, ...shape]), false);
  data.setState(cursor);
  return {
    sampleInputs(n, rng, opts = {}) {
      const given = opts.inputs?.x;
      if (given) return { x: tf.tensor(given, [n, ...shape]) };
      const idx = Int32Array.from({ length: n }, (_, i) => (i < count ? i : rng.int(count)));
      return { x: tf.gather(preview, tf.tensor1d(idx, 'int32')) };
    },
    getState: () => ({ tensors: { preview } }),
    setState({ tensors }) {
      if (!tensors?.preview) throw new Error(`${family}: the checkpoint lacks the preview inputs`);
      preview.assign(tensors.preview);
    },
    dispose: () => preview.dispose(),
  };
}
