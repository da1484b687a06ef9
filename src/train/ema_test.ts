import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { Ema } from './ema.ts';

const makeVariable = (values: number[], shape: number[]) => tf.tidy(() => tf.variable(tf.tensor(values, shape)));

describe('Ema', () => {
  before(async () => {
    await tf.setBackend('cpu');
  });

  it('moves the target toward the source: target ← decay·target + (1 − decay)·source', () => {
    const targetValues = [[1, -2, 3, 0.5], [10, -10]];
    const sourceValues = [[0, 4, 3, -1], [2, 7]];
    const target = [makeVariable(targetValues[0], [2, 2]), makeVariable(targetValues[1], [2])];
    const source = [makeVariable(sourceValues[0], [2, 2]), makeVariable(sourceValues[1], [2])];
    const before = tf.memory().numTensors;
    const decay = 0.9;
    const ema = new Ema(decay);
    const expected = targetValues.map((t) => t.slice());
    for (let step = 0; step < 5; step++) {
      ema.update(target, source);
      expected.forEach((t, i) => t.forEach((x, k) => (t[k] = decay * x + (1 - decay) * sourceValues[i][k])));
    }
    assert.equal(tf.memory().numTensors, before, 'tensor count grew');
    target.forEach((t, i) =>
      Array.from(t.dataSync()).forEach((x, k) =>
        assert.ok(Math.abs(x - expected[i][k]) < 1e-5, `target ${i}[${k}]: got ${x}, expected ${expected[i][k]}`),
      ),
    );
    // The source is read, not written.
    assert.deepEqual(Array.from(source[1].dataSync()), sourceValues[1]);
    tf.dispose([...target, ...source]);
  });

  it('decay 0 copies the source, decay 1 keeps the target', () => {
    const target = [makeVariable([1.5, -0.25, 3.125], [3])];
    const source = [makeVariable([0.1, 0.2, 0.3], [3])];
    new Ema(1).update(target, source);
    assert.deepEqual(Array.from(target[0].dataSync()), [1.5, -0.25, 3.125]);
    new Ema(0).update(target, source);
    assert.deepEqual(Array.from(target[0].dataSync()), Array.from(source[0].dataSync()));
    tf.dispose([...target, ...source]);
  });

  it('rejects a bad decay and mismatched variable lists', () => {
    assert.throws(() => new Ema(1.5), /decay must be a number in \[0, 1\], got 1.5/);
    assert.throws(() => new Ema(Number.NaN), /decay must be a number in \[0, 1\], got NaN/);
    const a = makeVariable([1, 2], [2]);
    const b = makeVariable([1, 2, 3], [3]);
    const ema = new Ema(0.99);
    assert.throws(() => ema.update([a], []), /got 1 target variables but 0 source variables/);
    assert.throws(() => ema.update([a], [b]), /has shape \[2\] but source .* has \[3\]/);
    tf.dispose([a, b]);
  });
});
