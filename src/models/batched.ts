/** Runs a network-producing function over n samples in chunks and gathers the results on the host. */
import * as tf from '@tensorflow/tfjs-core';

/**
 * Calls `chunk(start, count)` for consecutive chunks of at most `batch` samples (inside a tidy) and copies
 * each result, `per` values a sample, into one Float32Array of n samples; only one chunk is alive at a time.
 */
export async function runInBatches(n: number, per: number, batch: number, chunk: (start: number, count: number) => tf.Tensor): Promise<Float32Array> {
  const out = new Float32Array(n * per);
  for (let i = 0; i < n; i += batch) {
    const m = Math.min(batch, n - i);
    const y = tf.tidy(() => chunk(i, m));
    out.set(await y.data(), i * per);
    y.dispose();
  }
  return out;
}
