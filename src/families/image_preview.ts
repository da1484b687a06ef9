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

/**
 * `input`: the sampler input the preview feeds (default `x`). Integer fields (t2i's token ids) are kept
 * as float32 and given back as int32, cycling through the `count` previews (i mod count).
 */
export function imagePreview(family: string, data: DataSource, field: BatchField, shape: number[], count: number, input = 'x'): ImagePreview {
  const cursor = data.getState();
  const ints = data.fields[field]?.dtype === 'int32';
  const preview = tf.variable(tf.tensor(Float32Array.from(data.nextBatch(count)[field] as ArrayLike<number>), [count, ...shape]), false);
  data.setState(cursor);
  const typed = (t: tf.Tensor) => (ints ? tf.cast(t, 'int32') : t);
  return {
    sampleInputs(n, rng, opts = {}) {
      const given = opts.inputs?.[input];
      if (given) return { [input]: tf.tidy(() => typed(tf.tensor(given, [n, ...shape]))) };
      const idx = Int32Array.from({ length: n }, (_, i) => (ints ? i % count : i < count ? i : rng.int(count)));
      return { [input]: tf.tidy(() => typed(tf.gather(preview, tf.tensor1d(idx, 'int32')))) };
    },
    getState: () => ({ tensors: { preview } }),
    setState({ tensors }) {
      if (!tensors?.preview) throw new Error(`${family}: the checkpoint lacks the preview inputs`);
      preview.assign(tensors.preview);
    },
    dispose: () => preview.dispose(),
  };
}
