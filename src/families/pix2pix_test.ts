/**
 * The `pix2pix` family on the generic core: U-Net and pair-PatchGAN shapes (28 px padded to 32 and back,
 * 32 px as is), skip connections that carry the input to the output, dropout as G's only noise (on while
 * training, off at inference), the G loss parts against their closed forms (adversarial BCE + λ·L1), both
 * networks learning with flat tensor counts, and a short real MNIST edges → digits run whose held-out L1
 * beats the mean training image; resume through trainRun is bit-exact and the export takes one image input.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../backend/backend.ts';
import { Rng } from '../core/rng.ts';
import { loadPairedEvalSet, openDataSource } from '../data/registry.ts';
import { imageSetToUnit } from '../data/dataset.ts';
import { Network } from '../models/network.ts';
import { pairDiscriminator, unetGenerator } from '../models/translation_nets.ts';
import { trainRun } from '../train/run.ts';
import { Trainer, disposeLosses } from '../train/trainer.ts';
import { loadConfig, validateConfig, type RunConfig } from './config.ts';
import { assertAllMoved, nonSaturatingByHand, snapshotTrainables } from './test_support.ts';

await initBackend('wasm', { quiet: true });

const work = fs.mkdtempSync(path.join(os.tmpdir(), 'gantry-pix2pix-'));
after(() => fs.rmSync(work, { recursive: true, force: true }));

const ARCH = { arch: 'unet', width: 8, depth: 4, dropoutBlocks: 2, dropoutRate: 0.5, norm: 'instance', dLayers: 2 } as const;

function config(over: { model?: Record<string, unknown>; train?: Record<string, unknown>; limit?: number } = {}): RunConfig {
  const base = loadConfig('pix2pix-edges-fashion');
  return validateConfig(
    {
      ...base,
      data: { name: 'paired-task', task: 'edges', from: { name: 'mnist', limit: over.limit ?? 1200 } },
      model: { ...base.model, network: ARCH, ...over.model },
      train: { ...base.train, batchSize: 16, ...over.train },
    },
    'test',
  );
}

test('U-Net: 28 px is padded to 32 and comes back 28; 32 px runs as is; skips are concats; D maps (input, output) pairs to patch logits', () => {
  const g28 = unetGenerator(ARCH, [28, 28, 1], 1);
  assert.equal(g28.nodes[0]!.layer.type, 'reflectPad');
  assert.equal(g28.nodes.filter((n) => n.layer.type === 'concat').length, 3, 'depth 4: three skip connections');
  assert.equal(g28.nodes.filter((n) => n.layer.type === 'dropout').length, 2);
  const g32 = unetGenerator(ARCH, [32, 32, 1], 3);
  assert.notEqual(g32.nodes[0]!.layer.type, 'reflectPad');
  const rng = new Rng(1);
  const nets = [new Network('u28', g28, rng), new Network('u32', g32, rng), new Network('pd', pairDiscriminator(ARCH, [32, 32, 1], [32, 32, 3]), rng)];
  try {
    const [n28, n32, d] = nets as [Network, Network, Network];
    assert.deepEqual(n28.shapes[g28.outputs[0]!], [28, 28, 1]);
    assert.deepEqual(n32.shapes[g32.outputs[0]!], [32, 32, 3]);
    tf.tidy(() => {
      const y = n28.apply(tf.randomUniform([2, 28, 28, 1], -1, 1), { training: false });
      assert.deepEqual(y.shape, [2, 28, 28, 1]);
      const v = y.dataSync();
      assert.ok(v.every((e) => e > -1 && e < 1), 'tanh output lies in the data range (-1, 1)');
      const logits = d.apply({ input: tf.zeros([2, 32, 32, 1]), x: tf.zeros([2, 32, 32, 3]) }, { training: false });
      assert.deepEqual(logits.shape, [2, 8, 8, 1], 'dLayers 2 on 32 px: an 8×8 map of patch logits');
    });
  } finally {
    for (const n of nets) n.dispose();
  }
  // Gray → colour with keepInputLuma: the output's BT.601 luma is the input wherever no channel clips.
  const lumaNet = new Network('luma', unetGenerator({ ...ARCH, keepInputLuma: true }, [32, 32, 1], 3), new Rng(2));
  try {
    tf.tidy(() => {
      const x = tf.randomUniform([2, 32, 32, 1], -0.5, 0.5);
      const y = lumaNet.apply(x, { training: false }).dataSync();
      const xv = x.dataSync();
      let worst = 0;
      for (let p = 0; p < xv.length; p++) worst = Math.max(worst, Math.abs(0.299 * y[3 * p]! + 0.587 * y[3 * p + 1]! + 0.114 * y[3 * p + 2]! - xv[p]!));
      assert.ok(worst < 1e-5, `luma differs from the input by ${worst}`);
    });
  } finally {
    lumaNet.dispose();
  }
  assert.throws(() => unetGenerator({ ...ARCH, keepInputLuma: true }, [32, 32, 3], 3), /keepInputLuma needs a 1-channel input/);
  assert.throws(() => unetGenerator({ ...ARCH, depth: 5 }, [28, 28, 1], 1), /below 2 px at the bottleneck; use depth ≤ 4/);
  assert.throws(() => unetGenerator(ARCH, [29, 29, 1], 1), /29 px pads to 32 unevenly/);
});

test('pix2pix: G loss = BCE(D(input, G(input)) → real) + λ·mean|G(input) − target|; dropout is noise only while training; both networks move', async () => {
  const cfg = config({ model: { l1Weight: 7 } });
  const t = new Trainer(cfg, await openDataSource(cfg.data, cfg.seed));
  try {
    assert.deepEqual(Object.keys(t.networks), ['G', 'D']);
    assert.deepEqual(t.samplerSpec.inputs, { x: { kind: 'image', shape: [28, 28, 1] } });
    const G = t.network('G');
    const D = t.network('D');
    // Inference is deterministic; training mode differs (dropout masks from the noise stream).
    tf.tidy(() => {
      const x = t.family.sampleInputs(4, new Rng(0)).x!;
      const a = G.apply(x, { training: false }).dataSync();
      const b = G.apply(x, { training: false }).dataSync();
      assert.deepEqual(a, b);
      const c = G.apply(x, { training: true, noise: new Rng(5) }).dataSync();
      assert.ok(c.some((v, i) => Math.abs(v - a[i]!) > 1e-4), 'dropout changes the output while training');
    });
    // The loss parts of the first step against their definitions on the same batch (the data stream is put back).
    const cursor = t.data.getState();
    const batch = t.data.nextBatch(16);
    t.data.setState(cursor);
    const noiseState = (t.randomState().streams as Record<string, [number, number, number, number]>).noise!;
    const want = tf.tidy(() => {
      const input = tf.tensor(batch.input!, [16, 28, 28, 1]);
      const target = tf.tensor(batch.target!, [16, 28, 28, 1]);
      const fake = G.apply(input, { training: true, noise: new Rng(noiseState) });
      const logits = D.apply({ input, x: fake }, { training: true, noise: new Rng(noiseState) }).dataSync();
      const l1 = tf.mean(tf.abs(tf.sub(fake, target))).dataSync()[0]!;
      return { l1, adv: nonSaturatingByHand(logits) };
    });
    const before = snapshotTrainables(t);
    const l = t.trainStep();
    const got = Object.fromEntries(Object.entries(l).map(([k, v]) => [k, v.dataSync()[0]!]));
    disposeLosses(l);
    assert.ok(Math.abs(got.l1! - want.l1) < 1e-4, `l1 ${got.l1} vs ${want.l1}`);
    assert.ok(Math.abs(got.g_adv! - want.adv) < 1e-3, `g_adv ${got.g_adv} vs ${want.adv}`);
    assert.ok(Math.abs(got.g_loss! - (want.adv + 7 * want.l1)) < 2e-3, `g_loss ${got.g_loss} vs adv + 7·l1`);
    assert.ok(got.d_loss! > 0 && Number.isFinite(got.d_loss!));
    // Every variable of both networks is reached: the first encoder conv through L1 and the skips.
    assertAllMoved(t, before);
    const tensors = tf.memory().numTensors;
    for (let i = 0; i < 3; i++) disposeLosses(t.trainStep());
    assert.equal(tf.memory().numTensors, tensors, 'tensor count grew across steps');
  } finally {
    t.dispose();
  }
});

test('pix2pix learns MNIST edges → digits in 60 steps: held-out L1 below the mean training image and the untrained G', async () => {
  const cfg = config({ train: { steps: 60 }, model: { optimizerG: { type: 'adam', lr: 0.002, beta1: 0.5 } } });
  const t = new Trainer(cfg, await openDataSource(cfg.data, cfg.seed));
  try {
    const test = await loadPairedEvalSet({ name: 'paired-task', task: 'edges', from: { name: 'mnist', limit: 200 } }, 'test');
    const train = await loadPairedEvalSet(cfg.data, 'train');
    const n = test.target.count;
    const input = imageSetToUnit(test.input);
    const target = imageSetToUnit(test.target);
    const per = 28 * 28;
    const mean = new Float32Array(per);
    const trainTarget = imageSetToUnit(train.target);
    for (let i = 0; i < train.target.count; i++) for (let p = 0; p < per; p++) mean[p]! += trainTarget[i * per + p]! / train.target.count;
    let meanL1 = 0;
    for (let i = 0; i < n; i++) for (let p = 0; p < per; p++) meanL1 += Math.abs(mean[p]! - target[i * per + p]!) / (n * per);
    const l1Of = async () => {
      const out = await t.generate(n, new Rng(0), { inputs: { x: input } });
      let s = 0;
      for (let i = 0; i < out.length; i++) s += Math.abs(out[i]! - target[i]!);
      return s / out.length;
    };
    const untrained = await l1Of();
    for (let i = 0; i < 60; i++) disposeLosses(t.trainStep());
    const trained = await l1Of();
    console.log(`# held-out L1: trained ${trained.toFixed(4)}, mean image ${meanL1.toFixed(4)}, untrained ${untrained.toFixed(4)}`);
    assert.ok(trained < meanL1 * 0.5, `held-out L1 ${trained.toFixed(4)} is not well below the mean image's ${meanL1.toFixed(4)}`);
    assert.ok(trained < untrained * 0.5, `held-out L1 ${trained.toFixed(4)} vs untrained ${untrained.toFixed(4)}`);
  } finally {
    t.dispose();
  }
});

test('config errors name the problem: pix2pix on unpaired data, a bad U-Net depth', async () => {
  const bad = validateConfig({ ...config(), data: { name: 'mnist', limit: 64 } }, 'test');
  await assert.rejects(async () => new Trainer(bad, await openDataSource(bad.data, 1)), /pix2pix family needs paired data/);
  assert.throws(() => validateConfig({ ...config(), model: { ...config().model, network: { ...ARCH, depth: 0 } } }, 'x.yaml'), /model\.network\.depth/);
});

test('resume is bit-exact (G, D, both optimizers, the dropout stream, the preview): 8 straight == 4 + resume 4', async () => {
  const cfg = config({ model: { network: { ...ARCH, width: 4 } }, train: { batchSize: 4, steps: 8, checkpointEvery: 100, sampleEvery: 100, logEvery: 4 }, limit: 64 });
  const bytes = (run: string) => fs.readFileSync(path.join(run, 'checkpoints', 'latest', 'tensors.bin'));
  const straight = path.join(work, 'straight');
  await trainRun({ config: cfg, preset: 'pix2pix-test', outDir: straight });
  const split = path.join(work, 'split');
  await trainRun({ config: { ...cfg, train: { ...cfg.train, steps: 4 } }, preset: 'pix2pix-test', outDir: split });
  await trainRun({ config: cfg, preset: 'pix2pix-test', outDir: split, resume: true, steps: 8 });
  assert.ok(bytes(straight).equals(bytes(split)), 'stopped + resumed state differs from the straight run');
  const model = JSON.parse(fs.readFileSync(path.join(straight, 'export', 'model.json'), 'utf8')) as { family: string; inputs: unknown };
  assert.equal(model.family, 'pix2pix');
  assert.deepEqual(model.inputs, { x: { kind: 'image', shape: [28, 28, 1] } });
});
