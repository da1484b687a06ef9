/**
 * The `inpaint` family on the generic core: the generator keeps known pixels exactly and never reads the
 * hole's pixels, the G loss parts against their definitions (λ·L1 over the hole + adversarial), both
 * networks learning with a flat tensor count, a short real MNIST run whose hole PSNR on the fixed centre
 * masks beats mean fill and the untrained G, and bit-exact resume through trainRun (masks included).
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
import { evalMasks } from '../data/inpaint.ts';
import { loadEvalSet, openDataSource } from '../data/registry.ts';
import { inpaintScores, meanFill } from '../metrics/inpaint.ts';
import { trainRun } from '../train/run.ts';
import { Trainer, disposeLosses } from '../train/trainer.ts';
import { loadConfig, validateConfig, type RunConfig } from './config.ts';
import { assertAllMoved, nonSaturatingByHand, snapshotTrainables } from './test_support.ts';

await initBackend('wasm', { quiet: true });

const work = fs.mkdtempSync(path.join(os.tmpdir(), 'gantry-inpaint-'));
after(() => fs.rmSync(work, { recursive: true, force: true }));

const ARCH = { arch: 'unet', width: 8, depth: 3, dropoutBlocks: 0, norm: 'instance', dLayers: 2 } as const;

function config(over: { model?: Record<string, unknown>; train?: Record<string, unknown>; limit?: number; masks?: string } = {}): RunConfig {
  const base = loadConfig('inpaint-fashion');
  return validateConfig(
    {
      ...base,
      data: { name: 'inpaint', from: { name: 'mnist', limit: over.limit ?? 1200 }, masks: over.masks ?? 'center' },
      model: { ...base.model, network: ARCH, ...over.model },
      train: { ...base.train, batchSize: 16, ...over.train },
    },
    'test',
  );
}

test('inpaint G: known pixels pass through exactly, the hole\'s pixels are never read; loss parts match their definitions; both networks move; no leaked tensors', async () => {
  const cfg = config({ model: { holeWeight: 7, advWeight: 0.5 } });
  const t = new Trainer(cfg, await openDataSource(cfg.data, cfg.seed));
  try {
    assert.deepEqual(t.samplerSpec.inputs, { x: { kind: 'image', shape: [28, 28, 1] }, mask: { kind: 'image', shape: [28, 28, 1] } });
    const G = t.network('G');
    const D = t.network('D');
    tf.tidy(() => {
      const { x, mask } = t.family.sampleInputs(4, new Rng(0)) as { x: tf.Tensor; mask: tf.Tensor };
      const y = G.apply({ x, mask }, { training: false });
      const [xv, mv, yv] = [x.dataSync(), mask.dataSync(), y.dataSync()];
      for (let i = 0; i < xv.length; i++) if (mv[i] === 0) assert.equal(yv[i], xv[i], 'a known pixel changed');
      // Scramble the hole's pixels: the completion is the same.
      const scrambled = tf.add(x, tf.mul(mask, tf.randomUniform(x.shape, -1, 1, 'float32', 3)));
      const y2 = G.apply({ x: scrambled, mask }, { training: false }).dataSync();
      for (let i = 0; i < yv.length; i++) if (mv[i] === 1) assert.ok(Math.abs(y2[i]! - yv[i]!) < 1e-6, 'the output depends on the hole\'s pixels');
    });
    const cursor = t.data.getState();
    const batch = t.data.nextBatch(16);
    t.data.setState(cursor);
    const noise = (t.randomState().streams as Record<string, [number, number, number, number]>).noise!;
    const want = tf.tidy(() => {
      const x = tf.tensor(batch.x, [16, 28, 28, 1]);
      const mask = tf.tensor(batch.mask!, [16, 28, 28, 1]);
      const fake = G.apply({ x, mask }, { training: true, noise: new Rng(noise) });
      const logits = D.apply({ input: mask, x: fake }, { training: true, noise: new Rng(noise) }).dataSync();
      const l1 = tf.div(tf.sum(tf.mul(mask, tf.abs(tf.sub(fake, x)))), tf.sum(mask)).dataSync()[0]!;
      return { l1, adv: nonSaturatingByHand(logits) };
    });
    const before = snapshotTrainables(t);
    const l = t.trainStep();
    const got = Object.fromEntries(Object.entries(l).map(([k, v]) => [k, v.dataSync()[0]!]));
    disposeLosses(l);
    assert.ok(Math.abs(got.l1_hole! - want.l1) < 1e-4, `l1_hole ${got.l1_hole} vs ${want.l1}`);
    assert.ok(Math.abs(got.g_adv! - want.adv) < 1e-3, `g_adv ${got.g_adv} vs ${want.adv}`);
    assert.ok(Math.abs(got.g_loss! - (0.5 * want.adv + 7 * want.l1)) < 2e-3, `g_loss ${got.g_loss}`);
    assertAllMoved(t, before);
    const tensors = tf.memory().numTensors;
    for (let i = 0; i < 3; i++) disposeLosses(t.trainStep());
    await t.generate(5, new Rng(1));
    assert.equal(tf.memory().numTensors, tensors, 'tensor count grew across steps');
  } finally {
    t.dispose();
  }
});

test('inpaint learns MNIST centre holes in 80 steps: hole PSNR on the fixed test masks above mean fill and the untrained G', async () => {
  const cfg = config({ train: { steps: 80 }, model: { optimizerG: { type: 'adam', lr: 0.002, beta1: 0.5 } } });
  const t = new Trainer(cfg, await openDataSource(cfg.data, cfg.seed));
  try {
    const set = await loadEvalSet({ name: 'mnist', limit: 200 }, 'test');
    const n = set.count;
    const x = imageSetToUnit(set);
    const masks = evalMasks('center', 'test', n, 28, 28);
    const psnr = async () => inpaintScores(await t.generate(n, new Rng(0), { inputs: { x, mask: masks } }), x, masks, n, [28, 28, 1]).psnrHole;
    const untrained = await psnr();
    for (let i = 0; i < 80; i++) disposeLosses(t.trainStep());
    const trained = await psnr();
    const mean = inpaintScores(meanFill(x, masks, n, [28, 28, 1]), x, masks, n, [28, 28, 1]).psnrHole;
    console.log(`# hole PSNR: trained ${trained.toFixed(2)}, mean fill ${mean.toFixed(2)}, untrained ${untrained.toFixed(2)}`);
    assert.ok(trained > mean + 1, `hole PSNR ${trained.toFixed(2)} is not above mean fill's ${mean.toFixed(2)}`);
    assert.ok(trained > untrained + 1, `hole PSNR ${trained.toFixed(2)} vs untrained ${untrained.toFixed(2)}`);
  } finally {
    t.dispose();
  }
});

test('config errors: inpaint on data without masks; keepInputLuma refused', async () => {
  const bad = validateConfig({ ...config(), data: { name: 'mnist', limit: 64 } }, 'test');
  await assert.rejects(async () => new Trainer(bad, await openDataSource(bad.data, 1)), /inpaint family needs images with hole masks/);
  const luma = config({ model: { network: { ...ARCH, keepInputLuma: true } } });
  await assert.rejects(async () => new Trainer(luma, await openDataSource(luma.data, 1)), /keepInputLuma is for gray → colour/);
});

test('resume is bit-exact (G, D, optimizers, the mask stream, the preview): 8 straight == 4 + resume 4; the export takes x and mask', async () => {
  const cfg = config({ model: { network: { ...ARCH, width: 4 } }, train: { batchSize: 4, steps: 8, checkpointEvery: 100, sampleEvery: 100, logEvery: 4 }, limit: 64, masks: 'mixed' });
  const bytes = (run: string) => fs.readFileSync(path.join(run, 'checkpoints', 'latest', 'tensors.bin'));
  const straight = path.join(work, 'straight');
  await trainRun({ config: cfg, preset: 'inpaint-test', outDir: straight });
  const split = path.join(work, 'split');
  await trainRun({ config: { ...cfg, train: { ...cfg.train, steps: 4 } }, preset: 'inpaint-test', outDir: split });
  await trainRun({ config: cfg, preset: 'inpaint-test', outDir: split, resume: true, steps: 8 });
  assert.ok(bytes(straight).equals(bytes(split)), 'stopped + resumed state differs from the straight run');
  const model = JSON.parse(fs.readFileSync(path.join(straight, 'export', 'model.json'), 'utf8')) as { family: string; inputs: unknown };
  assert.equal(model.family, 'inpaint');
  assert.deepEqual(model.inputs, { x: { kind: 'image', shape: [28, 28, 1] }, mask: { kind: 'image', shape: [28, 28, 1] } });
});
