import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../backend/backend.ts';
import { Rng } from '../core/rng.ts';
import { Network } from './network.ts';
import { buildGanSpecs } from './zoo.ts';

await initBackend('cpu', { quiet: true });

test('DCGAN specs produce the data shape and a scalar per sample, at 28 and 32 pixels', () => {
  for (const dataShape of [[28, 28, 1], [32, 32, 3]]) {
    const specs = buildGanSpecs({ arch: 'dcgan', width: 8 }, { latentDim: 10, dataShape, numClasses: 0, conditioning: 'none' });
    const G = new Network('G', specs.generator, new Rng(1));
    const D = new Network('D', specs.discriminator, new Rng(2));
    assert.deepEqual(G.outputShape, dataShape);
    assert.deepEqual(D.outputShape, [1]);
    const z = tf.zeros([3, 10]);
    tf.tidy(() => D.apply(G.apply(z, { training: true }), { training: true })); // warm-up: backends cache constants on first use
    const before = tf.memory().numTensors;
    const x = G.apply(z, { training: true });
    assert.deepEqual(x.shape, [3, ...dataShape]);
    const y = D.apply(x, { training: true });
    assert.deepEqual(y.shape, [3, 1]);
    tf.dispose([x, y]);
    assert.equal(tf.memory().numTensors, before);
    z.dispose();
    G.dispose();
    D.dispose();
  }
});

test('a conditional generator output depends on its label', () => {
  const specs = buildGanSpecs({ arch: 'dcgan', width: 8 }, { latentDim: 10, dataShape: [28, 28, 1], numClasses: 10, conditioning: 'concat' });
  const G = new Network('G', specs.generator, new Rng(3));
  const z = tf.tensor2d(new Rng(4).normalArray(20), [2, 10]);
  const zz = tf.concat([z, z]);
  const out = G.apply(zz, { training: false, labels: tf.tensor1d([0, 1, 5, 9], 'int32') });
  const a = tf.slice(out, [0], [1]);
  const b = tf.slice(out, [2], [1]);
  const diff = tf.max(tf.abs(tf.sub(a, b))).dataSync()[0]!;
  assert.ok(diff > 1e-3, `same latent, different label gave max |Δ| = ${diff}`);
  assert.throws(() => G.apply(z, { training: false }), /labels are required/);
  tf.dispose([z, zz, out, a, b]);
  G.dispose();
});

test('spectral normalization brings the top singular value to 1 ± 0.02', () => {
  const spec = { inputShape: [6, 6, 3], layers: [{ type: 'conv2d' as const, filters: 8, kernel: 3, stride: 1, pad: 'same' as const, sn: true }, { type: 'flatten' as const }, { type: 'dense' as const, units: 5, sn: true }] };
  const D = new Network('SN', spec, new Rng(5));
  // Scale raw weights up so normalization has real work to do.
  for (const v of D.trainable) v.assign(tf.mul(v, 7));
  const x = tf.zeros([2, 6, 6, 3]);
  for (let i = 0; i < 30; i++) tf.dispose(D.apply(x, { training: true }));
  for (const layer of D.layers.filter((l) => l.state.u)) {
    const k = layer.params.kernel!;
    const w2 = tf.reshape(k, [-1, k.shape[k.shape.length - 1]!]);
    const u = layer.state.u!;
    // sigma estimate used by the layer, and the true top singular value by many power iterations.
    const trueSigma = topSingularValue(w2);
    const v = tf.tidy(() => {
      const vh = tf.div(tf.matMul(u, w2, false, true), tf.norm(tf.matMul(u, w2, false, true)));
      return tf.sum(tf.mul(tf.matMul(vh, w2), u)).dataSync()[0]!;
    });
    const normalizedTop = trueSigma / v;
    assert.ok(Math.abs(normalizedTop - 1) < 0.02, `top singular value after SN = ${normalizedTop}`);
    w2.dispose();
  }
  x.dispose();
  D.dispose();
});

function topSingularValue(w: tf.Tensor): number {
  return tf.tidy(() => {
    let v: tf.Tensor = tf.ones([w.shape[1]!, 1]);
    for (let i = 0; i < 500; i++) {
      const wv = tf.matMul(w as tf.Tensor2D, v as tf.Tensor2D);
      const wtwv = tf.matMul(w as tf.Tensor2D, wv, true, false);
      v = tf.div(wtwv, tf.norm(wtwv));
    }
    return tf.norm(tf.matMul(w as tf.Tensor2D, v as tf.Tensor2D)).dataSync()[0]!;
  });
}

test('pack joins n samples along the last axis', () => {
  const spec = { inputShape: [2], layers: [{ type: 'pack' as const, n: 2 }] };
  const net = new Network('P', spec, new Rng(1));
  const y = net.apply(tf.tensor2d([[1, 2], [3, 4], [5, 6], [7, 8]]), { training: false });
  assert.deepEqual(y.arraySync(), [[1, 2, 3, 4], [5, 6, 7, 8]]);
  y.dispose();
});

test('batch norm in eval mode uses running statistics', () => {
  const net = new Network('B', { inputShape: [3], layers: [{ type: 'batchNorm', momentum: 1 }] }, new Rng(1));
  const x = tf.tensor2d([[1, 2, 3], [3, 6, 9]]);
  tf.dispose(net.apply(x, { training: true }));
  const mean = net.state[0]!.dataSync();
  assert.deepEqual(Array.from(mean), [2, 4, 6]);
  const y = net.apply(tf.tensor2d([[2, 4, 6]]), { training: false });
  assert.ok(Math.max(...Array.from(y.dataSync()).map(Math.abs)) < 1e-6);
  tf.dispose([x, y]);
});

test('discreteLatent turns the first k latent entries into the one-hot of their argmax, uniform over codes', () => {
  const k = 5;
  const net = new Network('L', { inputShape: [k + 2], layers: [{ type: 'discreteLatent', components: k, noiseScale: 0.5 }] }, new Rng(1));
  const n = 5000;
  const zData = new Rng(7).normalArray(n * (k + 2));
  const out = tf.tidy(() => net.apply(tf.tensor2d(zData, [n, k + 2]), { training: false }).arraySync() as number[][]);
  const counts = new Array<number>(k).fill(0);
  out.forEach((row, i) => {
    const z = Array.from(zData.subarray(i * (k + 2), (i + 1) * (k + 2)));
    const arg = z.slice(0, k).indexOf(Math.max(...z.slice(0, k)));
    assert.deepEqual(row.slice(0, k), Array.from({ length: k }, (_, j) => (j === arg ? 1 : 0)));
    assert.ok(Math.abs(row[k]! - 0.5 * z[k]!) < 1e-6 && Math.abs(row[k + 1]! - 0.5 * z[k + 1]!) < 1e-6);
    counts[arg]!++;
  });
  // Each code has probability 1/5: 1,000 ± 4 standard deviations (~113).
  for (const c of counts) assert.ok(Math.abs(c - n / k) < 113, `code counts ${counts}`);
  assert.throws(() => new Network('bad', { inputShape: [4], layers: [{ type: 'discreteLatent', components: 4 }] }, new Rng(1)), /longer than that/);
});

test('projectLabel computes w·h + b + embed[label]·h, and its gradients match finite differences', () => {
  const net = new Network('P', { inputShape: [3], layers: [{ type: 'projectLabel' }], numClasses: 2 }, new Rng(5));
  const [kernel, bias, embed] = net.trainable.map((v) => v.arraySync()) as [number[][], number[], number[][]];
  const xs = [[0.5, -1, 2], [1.5, 0.25, -0.75]];
  const labels = tf.tensor1d([1, 0], 'int32');
  const out = tf.tidy(() => net.apply(tf.tensor2d(xs), { training: true, labels }).arraySync() as number[][]);
  xs.forEach((x, i) => {
    const y = i === 0 ? 1 : 0;
    const want = x.reduce((s, xi, j) => s + xi * (kernel[j]![0]! + embed[y]![j]!), bias[0]!);
    assert.ok(Math.abs(out[i]![0]! - want) < 1e-5, `row ${i}: ${out[i]![0]} vs ${want}`);
  });
  // d(sum of outputs)/d embed[c] = sum of the rows with label c.
  const { grads } = tf.variableGrads(() => tf.sum(net.apply(tf.tensor2d(xs), { training: true, labels })) as tf.Scalar, net.trainable);
  const gEmbed = grads[net.trainable[2]!.name]!.arraySync() as number[][];
  assert.deepEqual(gEmbed.map((r) => r.map((v) => Math.round(v * 1e5) / 1e5)), [xs[1], xs[0]]);
  tf.dispose([labels, ...Object.values(grads)]);
  net.dispose();
});

test('a node can be fed instead of computed: its ancestors are skipped and their inputs not required', () => {
  const spec = {
    inputs: { a: { shape: [2] }, b: { shape: [2] } },
    nodes: [
      { name: 'pa', layer: { type: 'dense', units: 2 }, inputs: ['a'] },
      { name: 'sum', layer: { type: 'add' }, inputs: ['pa', 'b'] },
    ],
    outputs: ['sum'],
  };
  const net = new Network('feed', spec, new Rng(1));
  try {
    const out = tf.tidy(() => net.run({ pa: tf.tensor2d([[1, 2]]), b: tf.tensor2d([[10, 20]]) }, { training: false }).sum!.arraySync());
    assert.deepEqual(out, [[11, 22]]);
    assert.throws(() => tf.tidy(() => net.run({ b: tf.tensor2d([[1, 2]]) }, { training: false })), /input 'a' is required/);
  } finally {
    net.dispose();
  }
});
