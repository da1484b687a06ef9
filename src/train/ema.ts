/**
 * Exponential moving average of weights (e.g. an EMA generator for sampling and evaluation):
 * target ← decay·target + (1 − decay)·source, in place.
 */
import * as tf from '@tensorflow/tfjs-core';

export class Ema {
  constructor(readonly decay: number) {
    if (!(typeof decay === 'number' && decay >= 0 && decay <= 1)) {
      throw new Error(`Ema: decay must be a number in [0, 1], got ${String(decay)}`);
    }
  }

  /**
   * Moves each target variable toward the source variable at the same index. `step` (0-based count of
   * updates so far) ramps the decay up as min(decay, (1 + step) / (10 + step)), so an early average is
   * not dominated by the random initial weights.
   */
  update(target: tf.Variable[], source: tf.Variable[], step?: number): void {
    const d = step === undefined ? this.decay : Math.min(this.decay, (1 + step) / (10 + step));
    if (target.length !== source.length) {
      throw new Error(`Ema.update: got ${target.length} target variables but ${source.length} source variables`);
    }
    target.forEach((t, i) => {
      const s = source[i];
      if (!tf.util.arraysEqual(t.shape, s.shape)) {
        throw new Error(
          `Ema.update: target '${t.name}' has shape [${t.shape.join(', ')}] but source '${s.name}' has [${s.shape.join(', ')}]`,
        );
      }
    });
    tf.tidy(() => {
      const decay = tf.scalar(d);
      const oneMinusDecay = tf.scalar(1 - d);
      target.forEach((t, i) => t.assign(tf.add(tf.mul(t, decay), tf.mul(source[i], oneMinusDecay))));
    });
  }
}
