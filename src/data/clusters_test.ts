import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../backend/backend.ts';
import { Rng } from '../core/rng.ts';
import { loadConfig } from '../families/config.ts';
import { Trainer } from '../train/trainer.ts';
import { kMeans, withClusterLabels } from './clusters.ts';
import type { ImageSet } from './dataset.ts';
import { openDataSource } from './registry.ts';

await initBackend('wasm', { quiet: true });

/** n 4×4 "images" around `k` well-separated random prototypes (pixel noise ±6 of 255), with their true blob. */
function blobs(n: number, k: number, seed: number): { set: ImageSet; truth: Int32Array } {
  const rng = new Rng(seed);
  const protos = Array.from({ length: k }, () => Array.from({ length: 16 }, () => rng.int(256)));
  const truth = Int32Array.from({ length: n }, () => rng.int(k));
  const pixels = new Uint8Array(n * 16);
  truth.forEach((b, i) => protos[b]!.forEach((v, j) => (pixels[i * 16 + j] = Math.max(0, Math.min(255, v + rng.int(13) - 6)))));
  return { set: { pixels, labels: null, count: n, shape: [4, 4, 1], numClasses: 0 }, truth };
}

/** Share of images whose cluster's majority blob is their own blob. */
function purity(labels: Int32Array, truth: Int32Array, k: number): number {
  const counts = Array.from({ length: k }, () => new Map<number, number>());
  labels.forEach((c, i) => counts[c]!.set(truth[i]!, (counts[c]!.get(truth[i]!) ?? 0) + 1));
  return counts.reduce((s, m) => s + Math.max(0, ...m.values()), 0) / labels.length;
}

test('kMeans recovers well-separated blobs exactly, deterministically for a seed, with no tensor left behind', () => {
  const { set, truth } = blobs(600, 5, 1);
  const a = kMeans(set, 5, { seed: 3 });
  const before = tf.memory().numTensors;
  const b = kMeans(set, 5, { seed: 3 });
  assert.equal(tf.memory().numTensors, before);
  assert.equal(purity(a.labels, truth, 5), 1);
  assert.ok(Math.abs(a.shares.reduce((s, x) => s + x, 0) - 1) < 1e-12);
  assert.ok(a.iterations < 25, `converged in ${a.iterations} iterations`);
  assert.deepEqual(b.labels, a.labels);
  // Each centre sits at its blob's mean (pixel noise averages out to within a few levels of 255).
  for (let c = 0; c < 5; c++) {
    const members = [...a.labels.keys()].filter((i) => a.labels[i] === c);
    const mean0 = members.reduce((s, i) => s + set.pixels[i * 16]! / 127.5 - 1, 0) / members.length;
    assert.ok(Math.abs(a.centroids[c * 16]! - mean0) < 1e-5);
  }
});

test('kMeans refuses k < 2 and more clusters than images', () => {
  const { set } = blobs(10, 2, 2);
  assert.throws(() => kMeans(set, 1, { seed: 1 }), /k must be an integer >= 2/);
  assert.throws(() => kMeans(set, 11, { seed: 1 }), /10 images cannot make 11 clusters/);
});

test('withClusterLabels fits on a subset and labels every image; the shares are the label counts', () => {
  const { set, truth } = blobs(12_000, 4, 5);
  const c = withClusterLabels(set, 4, 9);
  assert.equal(c.numClasses, 4);
  assert.equal(c.labels!.length, 12_000);
  assert.equal(purity(c.labels!, truth, 4), 1);
  const counts = [0, 1, 2, 3].map((k) => c.labels!.filter((l) => l === k).length / 12_000);
  assert.deepEqual(c.clusterShares, counts);
});

test('data.clusters: MNIST batches carry pseudo-labels (not the digits), and the GAN draws fake labels by their shares', async () => {
  const cfg = { name: 'mnist' as const, limit: 400, clusters: 3 };
  const src = await openDataSource(cfg, 1);
  assert.equal(src.numClasses, 3);
  assert.equal(src.name, 'mnist(3 clusters)');
  const shares = src.classShares!;
  assert.equal(shares.length, 3);
  assert.ok(Math.abs(shares.reduce((s, x) => s + x, 0) - 1) < 1e-12);
  const labels = src.nextBatch(64).labels!;
  assert.ok(labels.every((l) => l >= 0 && l < 3));
  // Two opens cluster the same way: an eval of the run sees the classes it trained on.
  assert.deepEqual((await openDataSource(cfg, 1)).classShares, shares);

  // A skewed prior shows in the sampler's labels.
  const skewed = { ...src, classShares: [0.8, 0.15, 0.05] };
  const t = new Trainer(loadConfig('cgan-mnist', { data: cfg, model: { latentDim: 8, network: { arch: 'dcgan', width: 4 } }, train: { batchSize: 8 } }), skewed);
  try {
    const inputs = t.family.sampleInputs(4000, new Rng(2));
    const drawn = Array.from(inputs.label!.dataSync());
    tf.dispose(Object.values(inputs));
    const freq = [0, 1, 2].map((k) => drawn.filter((l) => l === k).length / drawn.length);
    freq.forEach((f, k) => assert.ok(Math.abs(f - skewed.classShares[k]!) < 0.025, `class ${k}: drawn ${f}, share ${skewed.classShares[k]}`));
  } finally {
    t.dispose();
  }
});
