/**
 * CycleGAN's history of generated images (Shrivastava et al. 2017): the discriminator sees a mix of the
 * newest fakes and older ones, which damps oscillation. Until the pool is full every image goes in and
 * out unchanged; afterwards each image, with probability ½, swaps places with a random pooled one (which is
 * returned instead). The choices depend only on the random stream, never on pixel values, so the pool
 * lives on the device (one gather per query, no read-back) and its contents and fill count checkpoint.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { Rng } from '../core/rng.ts';

export class ImagePool {
  readonly images: tf.Variable;
  count = 0;

  constructor(readonly size: number, shape: number[]) {
    if (!Number.isInteger(size) || size < 0) throw new Error(`ImagePool: size must be a non-negative integer, got ${size}`);
    this.images = tf.variable(tf.zeros([Math.max(size, 1), ...shape]), false);
  }

  /** The images D should see for this batch of fakes; updates the pool. */
  query(fakes: tf.Tensor, rng: Rng): tf.Tensor {
    if (this.size === 0) return tf.clone(fakes);
    const n = fakes.shape[0]!;
    // Indices into [pool; fakes]: 0..size-1 are pooled images, size + i is fake i.
    const slot = Int32Array.from({ length: this.size }, (_, i) => i);
    const out = new Int32Array(n);
    for (let i = 0; i < n; i++) {
      const fresh = this.size + i;
      if (this.count < this.size) {
        slot[this.count++] = fresh;
        out[i] = fresh;
      } else if (rng.uniform() > 0.5) {
        const j = rng.int(this.size);
        out[i] = slot[j]!;
        slot[j] = fresh;
      } else {
        out[i] = fresh;
      }
    }
    return tf.tidy(() => {
      const all = tf.concat([this.images, fakes]);
      this.images.assign(tf.gather(all, tf.tensor1d(slot, 'int32')));
      return tf.gather(all, tf.tensor1d(out, 'int32'));
    });
  }

  setState(images: tf.Tensor, count: number): void {
    if (images.shape.join() !== this.images.shape.join()) throw new Error(`ImagePool: saved pool has shape [${images.shape}], this pool is [${this.images.shape}]`);
    if (!Number.isInteger(count) || count < 0 || count > this.size) throw new Error(`ImagePool: saved fill count ${count} is not in 0..${this.size}`);
    this.images.assign(images);
    this.count = count;
  }

  dispose(): void {
    this.images.dispose();
  }
}
