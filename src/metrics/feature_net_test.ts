import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-wasm';
import * as tfl from '@tensorflow/tfjs-layers';
import { imageSetToUnit } from '../data/dataset.ts';
import { loadMnist } from '../data/mnist.ts';
import { cacheRoot, channelOf, classify, extract, fileIOHandler, getFeatureNet, loadExternalFeatureNet } from './feature_net.ts';

// Conv training on the cpu backend is ~30× slower than on wasm.
await tf.setBackend('wasm');

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'gantry-feature-net-'));
after(() => fs.rmSync(tmp, { recursive: true, force: true }));

// A short run: 3 epochs over 5,000 training images, accuracy on the first 2,000 test images.
const QUICK = { cacheDir: tmp, trainLimit: 5000, testLimit: 2000, epochs: 3, seed: 1 };

test('mnistnet trains to >= 90% on 5k images, is cached, and reloads with identical outputs', async () => {
  const before = tf.memory().numTensors;
  const t0 = performance.now();
  const net = await getFeatureNet('mnist', QUICK);
  const trainMs = performance.now() - t0;
  assert.equal(net.name, 'mnistnet');
  assert.ok(net.testAccuracy >= 0.9, `test accuracy ${net.testAccuracy}`);

  const entries = fs.readdirSync(path.join(tmp, 'feature-nets'));
  assert.equal(entries.length, 1);
  assert.match(entries[0]!, /^mnistnet-mnist-[0-9a-f]{8}-seed1-ep3-n5000-t2000$/);
  const state = JSON.parse(fs.readFileSync(path.join(tmp, 'feature-nets', entries[0]!, 'state.json'), 'utf8'));
  assert.equal(state.extra.architecture, 'mnistnet');
  assert.equal(state.extra.dataset, 'mnist');
  assert.equal(state.extra.seed, 1);
  assert.equal(state.extra.epochs, 3);
  assert.equal(state.extra.train_count, 5000);
  assert.equal(state.extra.test_accuracy, net.testAccuracy);

  // Second instance alive at the same time (variable names must not clash), loaded from the cache.
  const t1 = performance.now();
  const again = await getFeatureNet('mnist', QUICK);
  const loadMs = performance.now() - t1;
  assert.ok(loadMs < trainMs / 5, `cache load took ${loadMs} ms vs training ${trainMs} ms`);
  assert.equal(again.testAccuracy, net.testAccuracy);
  const test10 = loadMnist('test', { limit: 10 });
  const x = tf.tensor4d(imageSetToUnit(test10), [10, 28, 28, 1]);
  const [f1, f2, p1] = [net.features(x), again.features(x), net.probs(x)];
  assert.deepEqual(f1.shape, [10, 128]);
  assert.deepEqual(Array.from(f1.dataSync()), Array.from(f2.dataSync()));
  // Probabilities are rows summing to 1.
  const rowSums = tf.sum(p1, 1);
  for (const s of rowSums.dataSync()) assert.ok(Math.abs(s - 1) < 1e-5);
  assert.throws(() => tf.tidy(() => net.features(tf.zeros([2, 32, 32, 1]) as tf.Tensor4D)), /expected images \[B, 28, 28, 1\], got \[2,32,32,1\]/);
  tf.dispose([x, f1, f2, p1, rowSums]);

  // extract() and classify() agree with direct calls, whatever the batch size.
  const e = extract(net, imageSetToUnit(test10), 10, [28, 28, 1], 3);
  assert.equal(e.dim, 128);
  assert.equal(e.classes, 10);
  const direct = tf.tidy(() => net.features(tf.tensor4d(imageSetToUnit(test10), [10, 28, 28, 1])).dataSync());
  for (let i = 0; i < direct.length; i++) assert.ok(Math.abs(direct[i]! - e.feats[i]!) < 1e-4);
  const predicted = classify(net, imageSetToUnit(test10), 10, [28, 28, 1], 4);
  const correct = predicted.filter((p, i) => p === test10.labels![i]).length;
  assert.ok(correct >= 8, `${correct}/10 correct`);

  net.dispose();
  again.dispose();
  assert.equal(tf.memory().numTensors, before);
});

test('cacheRoot follows GANTRY_CACHE, then XDG_CACHE_HOME, then ~/.cache', () => {
  const saved = { g: process.env.GANTRY_CACHE, x: process.env.XDG_CACHE_HOME };
  try {
    process.env.GANTRY_CACHE = '/a/b';
    process.env.XDG_CACHE_HOME = '/x';
    assert.equal(cacheRoot(), '/a/b');
    delete process.env.GANTRY_CACHE;
    assert.equal(cacheRoot(), path.join('/x', 'gantry'));
    delete process.env.XDG_CACHE_HOME;
    assert.equal(cacheRoot(), path.join(os.homedir(), '.cache', 'gantry'));
  } finally {
    for (const [k, v] of [['GANTRY_CACHE', saved.g], ['XDG_CACHE_HOME', saved.x]] as const) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  }
});

test('getFeatureNet rejects unknown datasets and bad epochs', async () => {
  await assert.rejects(getFeatureNet('svhn' as never, { cacheDir: tmp }), /no built-in feature network for dataset 'svhn'/);
  await assert.rejects(getFeatureNet('mnist', { cacheDir: tmp, epochs: 0 }), /epochs must be a positive integer, got 0/);
});

test('channelOf splits NHWC channels', () => {
  // Two 1×2 images with 3 channels: values encode (image, pixel, channel).
  const x = Float32Array.from({ length: 12 }, (_, i) => i);
  assert.deepEqual(Array.from(channelOf(x, 2, [1, 2, 3], 1)), [1, 4, 7, 10]);
  assert.throws(() => channelOf(x, 2, [1, 2, 3], 3), /channel 3 out of range/);
});

/** Writes a layers model as model.json + weights.bin, the layout tfjs's file saver produces. */
async function saveToDisk(model: tfl.LayersModel, dir: string): Promise<string> {
  fs.mkdirSync(dir, { recursive: true });
  await model.save(
    tf.io.withSaveHandler(async (artifacts) => {
      const data = artifacts.weightData as ArrayBuffer;
      fs.writeFileSync(path.join(dir, 'weights.bin'), Buffer.from(data));
      const json = {
        modelTopology: artifacts.modelTopology,
        format: 'layers-model',
        weightsManifest: [{ paths: ['weights.bin'], weights: artifacts.weightSpecs }],
      };
      fs.writeFileSync(path.join(dir, 'model.json'), JSON.stringify(json));
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
    }),
  );
  return path.join(dir, 'model.json');
}

test('an external TF.js layers model loads from disk, resizes inputs bilinearly and gives features and probs', async () => {
  const before = tf.memory().numTensors;
  const input = tfl.input({ shape: [8, 8, 3] });
  const flat = tfl.layers.flatten().apply(input) as tfl.SymbolicTensor;
  const feat = tfl.layers.dense({ units: 6, activation: 'relu', name: 'feat' }).apply(flat) as tfl.SymbolicTensor;
  const out = tfl.layers.dense({ units: 4, activation: 'softmax', name: 'out' }).apply(feat) as tfl.SymbolicTensor;
  const model = tfl.model({ inputs: input, outputs: out });
  const modelPath = await saveToDisk(model, path.join(tmp, 'ext'));

  const net = await loadExternalFeatureNet(modelPath, 'feat', 8);
  assert.equal(net.resizer, 'bilinear');
  assert.equal(net.name, 'ext-ext-feat');
  assert.ok(Number.isNaN(net.testAccuracy));
  // 16×16 grayscale in: resized to 8×8, repeated to 3 channels, then the model's own layers.
  const x = tf.randomUniform([5, 16, 16, 1], -1, 1) as tf.Tensor4D;
  const feats = net.features(x);
  const probs = net.probs(x);
  const prepared = tf.tidy(() => tf.tile(tf.image.resizeBilinear(x, [8, 8]), [1, 1, 1, 3]));
  const [kernel, bias] = model.getLayer('feat').getWeights();
  const expectedFeats = tf.tidy(() => tf.relu(tf.add(tf.matMul(tf.reshape(prepared, [5, -1]), kernel!), bias!)));
  const expectedProbs = model.predict(prepared) as tf.Tensor;
  assert.deepEqual(feats.shape, [5, 6]);
  const maxDiff = (a: tf.Tensor, b: tf.Tensor) => tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0]!);
  assert.ok(maxDiff(feats, expectedFeats) < 1e-5);
  assert.ok(maxDiff(probs, expectedProbs) < 1e-5);
  tf.dispose([x, feats, probs, prepared, expectedFeats, expectedProbs]);
  net.dispose();
  model.dispose();

  await assert.rejects(loadExternalFeatureNet(modelPath, 'nope', 8), /no layer named 'nope'; layers are: .*feat/);
  await assert.rejects(fileIOHandler(path.join(tmp, 'missing.json')).load!(), /model file not found/);
  fs.writeFileSync(path.join(tmp, 'ext', 'broken.json'), JSON.stringify({ modelTopology: {}, weightsManifest: [{ paths: ['gone.bin'], weights: [] }] }));
  await assert.rejects(fileIOHandler(path.join(tmp, 'ext', 'broken.json')).load!(), /weight file gone.bin listed in weightsManifest is missing/);
  assert.equal(tf.memory().numTensors, before);
});
