/**
 * The `vae` family on the generic core: the loss parts against their closed forms on a network whose
 * weights are set by hand, both networks learning, flat tensor counts, a short real MNIST run whose
 * reconstruction beats the best decoder that ignores z, bit-exact resume through trainRun (2N straight
 * == N + resume N, on the checkpoint's tensor bytes), the exported sampler and `gantry sample`.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs-core';
import { PNG } from 'pngjs';
import { initBackend } from '../backend/backend.ts';
import { Rng } from '../core/rng.ts';
import { openDataSource } from '../data/registry.ts';
import { trainRun } from '../train/run.ts';
import { Trainer, disposeLosses, type StepLosses } from '../train/trainer.ts';
import { loadConfig, validateConfig, type RunConfig } from './config.ts';
import { klBeta, reconstruct } from './vae.ts';

await initBackend('wasm', { quiet: true });

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'gantry-vae-'));
after(() => fs.rmSync(work, { recursive: true, force: true }));

const D = 28 * 28;
const softplus = (v: number) => Math.log1p(Math.exp(v));

/** The vae-mnist preset with overrides (model fields replace the preset's). */
function config(over: { model?: Record<string, unknown>; train?: Record<string, unknown>; limit?: number } = {}): RunConfig {
  const base = loadConfig('vae-mnist');
  return validateConfig({ ...base, data: { name: 'mnist', limit: over.limit ?? 2000 }, model: { ...base.model, ...over.model }, train: { ...base.train, ...over.train } }, 'test');
}

async function values(l: StepLosses): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const [k, v] of Object.entries(l)) out[k] = (await v.data())[0]!;
  disposeLosses(l);
  return out;
}

/** Zeroes every weight, then sets the μ and log σ² biases and the bias of the decoder's last layer. */
function setWeights(t: Trainer, mu: number[], logVar: number[], outBias: number): void {
  const set = (net: string, node: string, v: number[]) => {
    const n = t.network(net);
    const b = n.trainable.find((x) => n.keyOfVariable(x) === `${net}/${node}/bias`);
    assert.ok(b, `${net} has no ${node}/bias`);
    b.assign(tf.tensor1d(v));
  };
  for (const n of Object.values(t.networks)) for (const v of n.trainable) v.assign(tf.zerosLike(v));
  set('encoder', 'mu', mu);
  set('encoder', 'logVar', logVar);
  const dec = t.network('decoder');
  const last = dec.graph.nodes.find((n) => n.name === 'probs' || n.name === 'mean')!.inputs![0]!;
  set('decoder', last, [outBias]);
}

/** The first batch the trainer will draw (the source's position is put back). */
function peekBatch(t: Trainer, n: number): Float32Array {
  const cursor = t.data.getState();
  const x = t.data.nextBatch(n).x;
  t.data.setState(cursor);
  return x;
}

const MU = [0.5, -1, 0, 2];
const LOGVAR = [0, -0.5, 1, 0.25];
// KL(N(μ, σ²) ‖ N(0, 1)) = ½ Σ (μ² + σ² − 1 − log σ²): the encoder outputs these for every image.
const KL = MU.reduce((s, m, i) => s + 0.5 * (m * m + Math.exp(LOGVAR[i]!) - 1 - LOGVAR[i]!), 0);
const tiny = { latentDim: 4, network: { arch: 'conv', width: 4 } };

test('bernoulli: KL and reconstruction match their closed forms; β warms up linearly; the sampler ends in [-1, 1]', async () => {
  const B = 8;
  const cfg = config({ model: { ...tiny, klWeight: 0.5, klWarmupSteps: 4 }, train: { batchSize: B }, limit: 64 });
  const t = new Trainer(cfg, await openDataSource(cfg.data, cfg.seed));
  try {
    const b = 0.3;
    setWeights(t, MU, LOGVAR, b);
    const x = peekBatch(t, B);
    // Every logit is b: Σ_pixels softplus(b) − t·b with t = (x + 1) / 2, averaged over the batch.
    let want = 0;
    for (const v of x) want += softplus(b) - ((v + 1) / 2) * b;
    want /= B;
    const s0 = await values(t.trainStep());
    assert.ok(Math.abs(s0.kl! - KL) < 1e-4 * KL, `kl ${s0.kl} != ${KL}`);
    assert.ok(Math.abs(s0.recon! - want) < 1e-4 * want, `recon ${s0.recon} != ${want}`);
    assert.equal(s0.kl_beta, 0);
    assert.ok(Math.abs(s0.loss! - s0.recon!) < 1e-3, 'β = 0 at step 0: the loss is the reconstruction');
    const s1 = await values(t.trainStep());
    assert.equal(s1.kl_beta, 0.125);
    assert.ok(Math.abs(s1.loss! - (s1.recon! + 0.125 * s1.kl!)) < 1e-3 * s1.loss!);
    assert.deepEqual([0, 2, 4, 9].map((s) => klBeta({ klWeight: 0.5, klWarmupSteps: 4 }, s)), [0, 0.25, 0.5, 0.5]);

    // Zero weights everywhere: μ = 0, log σ² = 0 (KL 0) and logits 0 (recon D·ln 2 whatever the pixels).
    setWeights(t, [0, 0, 0, 0], [0, 0, 0, 0], 0);
    const s2 = await values(t.trainStep());
    assert.ok(Math.abs(s2.kl!) < 1e-6, `kl ${s2.kl}`);
    assert.ok(Math.abs(s2.recon! - D * Math.LN2) < 1e-3, `recon ${s2.recon}`);

    // Samples are sigmoid(logits) mapped to [-1, 1]: logits b everywhere give 2σ(b) − 1.
    setWeights(t, MU, LOGVAR, b);
    const imgs = await t.generate(3, new Rng(5));
    assert.equal(imgs.length, 3 * D);
    const p = 2 / (1 + Math.exp(-b)) - 1;
    assert.ok(imgs.every((v) => Math.abs(v - p) < 1e-5), 'sampler output is not 2σ(logit) − 1');
    const rec = await reconstruct(t, x.subarray(0, 2 * D));
    assert.ok(rec.every((v) => Math.abs(v - p) < 1e-5), 'reconstructions are not the decoded posterior mean');
  } finally {
    t.dispose();
  }
});

test('gaussian: the NLL matches its closed form with a fixed and with a learned (initially 0) log σ²', async () => {
  const B = 4;
  for (const outputLogVar of [-1.5, 'learned'] as const) {
    const cfg = config({ model: { ...tiny, likelihood: 'gaussian', outputLogVar }, train: { batchSize: B }, limit: 32 });
    const t = new Trainer(cfg, await openDataSource(cfg.data, cfg.seed));
    try {
      const b = -0.4;
      setWeights(t, MU, LOGVAR, b);
      const lv = outputLogVar === 'learned' ? 0 : outputLogVar;
      const x = peekBatch(t, B);
      // ½ Σ [log 2π + lv + (x − tanh b)² / e^lv], the targets already in [-1, 1].
      let want = 0;
      for (const v of x) want += 0.5 * (Math.log(2 * Math.PI) + lv + (v - Math.tanh(b)) ** 2 / Math.exp(lv));
      want /= B;
      const s = await values(t.trainStep());
      assert.ok(Math.abs(s.recon! - want) < 1e-4 * Math.abs(want), `${outputLogVar}: recon ${s.recon} != ${want}`);
      assert.ok(Math.abs(s.kl! - KL) < 1e-4 * KL);
      if (outputLogVar === 'learned') {
        const dec = t.network('decoder');
        const bias = dec.trainable.find((v) => dec.keyOfVariable(v) === 'decoder/logVar/bias')!;
        assert.notEqual((await bias.data())[0], 0, 'the learned log σ² did not move');
      }
      setWeights(t, MU, LOGVAR, b);
      const imgs = await t.generate(2, new Rng(1));
      assert.ok(imgs.every((v) => Math.abs(v - Math.tanh(b)) < 1e-5), 'gaussian samples are not the tanh mean');
    } finally {
      t.dispose();
    }
  }
});

test('the preset builds the peer model; one group over both networks; every weight moves; no tensor leaks', async () => {
  const cfg = config({ train: { batchSize: 16 }, limit: 64 });
  const t = new Trainer(cfg, await openDataSource(cfg.data, cfg.seed));
  try {
    assert.deepEqual(Object.keys(t.networks), ['encoder', 'decoder']);
    assert.deepEqual(Object.keys(t.optimizers), ['vae']);
    // vae_torch.py's parameter counts.
    assert.equal(t.network('encoder').paramCount(), 133_760);
    assert.equal(t.network('decoder').paramCount(), 86_625);
    assert.deepEqual(t.sampleShape, [28, 28, 1]);
    const before = Object.values(t.networks).flatMap((n) => n.trainable.map((v) => [n.keyOfVariable(v), Float32Array.from(v.dataSync())] as const));
    const l = await values(t.trainStep());
    assert.deepEqual(Object.keys(l).sort(), ['kl', 'kl_beta', 'loss', 'recon']);
    const after = new Map(Object.values(t.networks).flatMap((n) => n.trainable.map((v) => [n.keyOfVariable(v), v.dataSync()] as const)));
    for (const [k, v] of before) assert.notDeepEqual(Float32Array.from(after.get(k)!), v, `${k} did not move`);
    const count = tf.memory().numTensors;
    for (const p of ['vae-mnist', 'vae-fashion', 'vae-cifar']) assert.equal(loadConfig(p).model.family, 'vae');
    // Adam without beta1 gets the VAE's 0.9, not the GAN configs' 0.5.
    assert.deepEqual(config({ model: { optimizer: { type: 'adam', lr: 0.002 } } }).model.optimizer, { type: 'adam', lr: 0.002, beta1: 0.9, beta2: 0.999 });
    for (let i = 0; i < 3; i++) disposeLosses(t.trainStep());
    assert.equal(tf.memory().numTensors, count, 'tensor count grew across steps');
  } finally {
    t.dispose();
  }
});

test('MNIST (2,000 images, 250 steps): reconstruction falls well below the best decoder that ignores z', async () => {
  const STEPS = 250;
  const B = 32;
  const cfg = config({ train: { batchSize: B, steps: STEPS } });
  // The best z-independent Bernoulli decoder outputs each pixel's mean p̄; its NLL is what a model
  // whose decoder ignores the latent (posterior collapse, a broken reparameterization) cannot beat.
  const all = (await openDataSource(cfg.data, cfg.seed)).nextBatch(2000).x;
  const pbar = new Float64Array(D);
  for (let i = 0; i < all.length; i++) pbar[i % D]! += (all[i]! + 1) / 2 / 2000;
  let baseline = 0;
  for (let i = 0; i < all.length; i++) {
    const p = Math.min(Math.max(pbar[i % D]!, 1e-6), 1 - 1e-6);
    const y = (all[i]! + 1) / 2;
    baseline -= (y * Math.log(p) + (1 - y) * Math.log(1 - p)) / 2000;
  }
  const t = new Trainer(cfg, await openDataSource(cfg.data, cfg.seed));
  try {
    const t0 = Date.now();
    const recon: number[] = [];
    let kl = 0;
    for (let i = 0; i < STEPS; i++) {
      const l = t.trainStep();
      if (i === 0 || i >= STEPS - 10) {
        const v = await values(l);
        recon.push(v.recon!);
        kl = v.kl!;
      } else {
        disposeLosses(l);
      }
    }
    const seconds = (Date.now() - t0) / 1000;
    const end = recon.slice(1).reduce((a, b) => a + b, 0) / (recon.length - 1);
    console.log(`vae-mnist ${STEPS} steps × ${B}: recon ${recon[0]!.toFixed(1)} → ${end.toFixed(1)} (z-free baseline ${baseline.toFixed(1)}), kl ${kl.toFixed(1)}, ${seconds.toFixed(1)} s`);
    assert.ok(end < 0.7 * recon[0]!, `recon ${end} is not below 0.7 × the first step's ${recon[0]}`);
    assert.ok(end < 0.8 * baseline, `recon ${end} does not beat the z-free decoder's ${baseline} by 20%`);
    assert.ok(kl > 5, `KL ${kl}: the latent carries (almost) nothing`);
    // Reconstructions of training images are closer to them than the mean image is.
    const x = all.subarray(0, 64 * D);
    const rec = await reconstruct(t, x);
    let errRec = 0;
    let errMean = 0;
    for (let i = 0; i < x.length; i++) {
      errRec += Math.abs(rec[i]! - x[i]!);
      errMean += Math.abs(2 * pbar[i % D]! - 1 - x[i]!);
    }
    assert.ok(rec.every((v) => v >= -1 && v <= 1), 'reconstructions leave [-1, 1]');
    assert.ok(errRec < 0.6 * errMean, `reconstruction L1 ${errRec / x.length} vs the mean image's ${errMean / x.length}`);
  } finally {
    t.dispose();
  }
});

test('resume through trainRun is bit-exact (16 straight == 8 + resume 8); the export samples in [-1, 1]; gantry sample writes a PNG grid', async () => {
  const cfg = config({ model: { klWarmupSteps: 10 }, train: { batchSize: 16, steps: 16, checkpointEvery: 100, sampleEvery: 100, logEvery: 4 }, limit: 256 });
  const bytes = (run: string) => fs.readFileSync(path.join(run, 'checkpoints', 'latest', 'tensors.bin'));
  const straight = path.join(work, 'straight');
  await trainRun({ config: cfg, preset: 'vae-mnist', outDir: straight });
  const split = path.join(work, 'split');
  await trainRun({ config: { ...cfg, train: { ...cfg.train, steps: 8 } }, preset: 'vae-mnist', outDir: split });
  const state = JSON.parse(fs.readFileSync(path.join(split, 'checkpoints', 'latest', 'state.json'), 'utf8')) as { step: number; tensors: { name: string }[] };
  assert.equal(state.step, 8);
  for (const prefix of ['encoder/', 'decoder/', 'optvae/']) assert.ok(state.tensors.some((x) => x.name.startsWith(prefix)), `checkpoint lacks ${prefix}`);
  await trainRun({ config: cfg, preset: 'vae-mnist', outDir: split, resume: true, steps: 16 });
  assert.ok(bytes(straight).equals(bytes(split)), 'stopped + resumed state differs from the straight run');

  // The studio runs the exported graph as is: its output must already be the image in [-1, 1].
  const model = JSON.parse(fs.readFileSync(path.join(straight, 'export', 'model.json'), 'utf8')) as { family: string; output: string; inputs: unknown; network: { nodes: { name: string; layer: Record<string, unknown> }[] } };
  assert.equal(model.family, 'vae');
  assert.equal(model.output, 'image');
  assert.deepEqual(model.inputs, { z: { kind: 'latent', shape: [16] } });
  assert.deepEqual(model.network.nodes.slice(-2).map((n) => n.layer), [{ type: 'act', fn: 'sigmoid' }, { type: 'affine', scale: 2, offset: -1 }]);

  const png = path.join(work, 'grid.png');
  const r = spawnSync(process.execPath, [path.join(root, 'bin', 'gantry.js'), 'sample', straight, '--out', png, '--n', '16', '--backend', 'wasm'], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  const img = PNG.sync.read(fs.readFileSync(png));
  // A 4 × 4 grid of 28-pixel images with 2-pixel gaps.
  assert.equal(img.width, 4 * 30 + 2);
  assert.equal(img.height, 4 * 30 + 2);
  const grey = new Set<number>();
  for (let i = 0; i < img.data.length; i += 4) grey.add(img.data[i]!);
  assert.ok(grey.size > 10, 'the grid is (nearly) one flat colour');
});
