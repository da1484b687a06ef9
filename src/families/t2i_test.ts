/**
 * The `t2i` family on the generic core: the dual-encoder stretch then the matching-aware adversarial one
 * (phases, the frozen text encoder that the EMA copy holds exactly, no leaks), a short real dual-encoder
 * run on `shapes` that must retrieve captions far above chance, sampling from captions through the
 * exported graph, and a bit-exact resume across the encoder → adversarial boundary.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../backend/backend.ts';
import { checkExportedModel } from '../browser.ts';
import { Rng } from '../core/rng.ts';
import { openDataSource } from '../data/registry.ts';
import { rPrecision, t2iEvalSets } from '../metrics/t2i_eval.ts';
import { readCaptionOptions } from '../cli/sample.ts';
import { Network } from '../models/network.ts';
import { runInBatches } from '../models/batched.ts';
import { trainRun } from '../train/run.ts';
import { disposeLosses, Trainer } from '../train/trainer.ts';
import { loadConfig, validateConfig, type RunConfig } from './config.ts';

await initBackend('wasm', { quiet: true });

const work = fs.mkdtempSync(path.join(os.tmpdir(), 'gantry-t2i-'));
after(() => fs.rmSync(work, { recursive: true, force: true }));

const TINY = { width: 8, wordDim: 8, units: 16, embedDim: 16, caDim: 4, textProj: 16, dNorm: 'sn' };

function config(over: { model?: Record<string, unknown>; train?: Record<string, unknown>; data?: Record<string, unknown> } = {}): RunConfig {
  const base = loadConfig('t2i-shapes');
  return validateConfig(
    {
      ...base,
      data: { name: 'shapes', count: 256, maxTokens: 12, ...over.data },
      model: { ...base.model, latentDim: 8, network: TINY, interpolation: 0.5, encoder: { steps: 3, temperature: 0.1 }, ...over.model },
      train: { ...base.train, batchSize: 8, steps: 6, ...over.train },
    },
    'test',
  );
}

/** G's text-encoder variables (word embedding, GRU, text projection). */
const textVars = (G: Network) => G.trainable.filter((v) => /\/(word|gru|text)\//.test(G.keyOfVariable(v)));
const values = (vs: tf.Variable[]) => vs.map((v) => Float32Array.from(v.dataSync()));

test('the encoder stretch trains G\'s text part and E; the adversarial stretch trains D and G with the text encoder frozen, held exactly by G_ema; no leaks', async () => {
  const cfg = config();
  const t = new Trainer(cfg, await openDataSource(cfg.data, cfg.seed));
  try {
    const G = t.network('G');
    const E = t.network('E');
    const Gema = t.network('G_ema');
    const rest = G.trainable.filter((v) => !textVars(G).includes(v));
    const restBefore = values(rest);
    const textBefore = values(textVars(G));
    for (let s = 0; s < 3; s++) {
      const l = t.trainStep();
      assert.deepEqual(Object.keys(l), ['encoder_loss'], `step ${s}`);
      assert.ok(Number.isFinite(l.encoder_loss!.dataSync()[0]!));
      disposeLosses(l);
    }
    assert.ok(values(textVars(G)).some((v, i) => v.some((e, j) => e !== textBefore[i]![j])), 'the text encoder did not learn');
    assert.deepEqual(values(rest), restBefore, 'the encoder phase moved the image generator');
    const frozen = values(textVars(G));
    const eFrozen = values(E.trainable);
    const l = t.trainStep();
    assert.deepEqual(Object.keys(l).sort(), ['d_loss', 'd_real_right', 'd_real_wrong', 'g_adv', 'g_int', 'g_loss', 'g_match', 'kl']);
    const got = Object.fromEntries(Object.entries(l).map(([k, v]) => [k, v.dataSync()[0]!]));
    disposeLosses(l);
    assert.ok(Math.abs(got.g_loss! - (got.g_adv! + 0.05 * got.kl! + 0.5 * got.g_int! + got.g_match!)) < 1e-5, 'g_loss = adversarial + 0.05·KL + 0.5·INT + 1·match');
    const tensors = tf.memory().numTensors;
    disposeLosses(t.trainStep());
    assert.equal(tf.memory().numTensors, tensors, 'tensor count grew across steps');
    assert.deepEqual(values(textVars(G)), frozen, 'the adversarial phases moved the text encoder');
    assert.deepEqual(values(E.trainable), eFrozen, 'the adversarial phases moved the image encoder');
    assert.deepEqual(values(textVars(Gema)), frozen, 'G_ema does not hold the frozen text encoder exactly');
    assert.ok(values(rest).some((v, i) => v.some((e, j) => e !== restBefore[i]![j])), 'G did not learn in the adversarial stretch');
  } finally {
    t.dispose();
  }
});

test('rPrecision: a hit when the right caption has the highest cosine among 99 of other content; ties miss; errors name the shortfall', () => {
  // 200 captions, 4 contents; image i's embedding is caption i's, so every query hits.
  const n = 200;
  const dim = 3;
  const rng = new Rng(3);
  const text = Float32Array.from({ length: n * dim }, () => rng.normalArray(1)[0]!);
  const key = Array.from({ length: n }, (_, i) => String(i % 4));
  assert.equal(rPrecision(text, text, dim, key, new Rng(1)), 1);
  // Images all equal to one caption's embedding: only that caption's own query can win.
  const one = new Float32Array(n * dim);
  for (let i = 0; i < n; i++) one.set(text.subarray(0, dim), i * dim);
  assert.ok(rPrecision(one, text, dim, key, new Rng(1)) <= 0.5 + 1e-9);
  // Identical texts everywhere: every candidate ties with the right one.
  const flat = new Float32Array(n * dim).fill(1);
  assert.equal(rPrecision(flat, flat, dim, key, new Rng(1)), 0);
  assert.throws(() => rPrecision(text.subarray(0, 50 * dim), text.subarray(0, 50 * dim), dim, key.slice(0, 50), new Rng(1)), /has 37 captions of other content, needs 99/);
});

test('a short real dual-encoder run on shapes retrieves the right caption among 100 for real test images of both splits at 20× chance', async () => {
  const cfg = config({ model: { network: { ...TINY, units: 32, embedDim: 32 }, encoder: { steps: 250, temperature: 0.1, optimizer: { type: 'adam', lr: 0.003, beta1: 0.9, beta2: 0.999 } } }, train: { steps: 250, batchSize: 32 }, data: { count: 4000 } });
  const t = new Trainer(cfg, await openDataSource(cfg.data, cfg.seed));
  try {
    for (let i = 0; i < 250; i++) disposeLosses(t.trainStep());
    const scores: number[] = [];
    for (const set of t2iEvalSets(cfg, 200)) {
    const tok = t.data.tokenizer!;
    const T = tok.maxLength;
    const G = t.network('G');
    const E = t.network('E');
    const ids = tok.encodeBatch(set.texts);
    const textEmb = await runInBatches(200, 32, 100, (i, m) => G.run({ tokens: tf.tensor2d(ids.subarray(i * T, (i + m) * T), [m, T], 'int32') }, { training: false }, ['text']).text!);
    const imageEmb = await runInBatches(200, 32, 100, (i, m) => E.apply(tf.tensor4d(set.images.subarray(i * 3072, (i + m) * 3072), [m, 32, 32, 3]), { training: false }));
    const r = rPrecision(imageEmb, textEmb, 32, set.contentKey, new Rng(0));
    console.log(`# R-precision of real ${set.split}-combination images after 250 encoder steps: ${(100 * r).toFixed(1)}%`);
    scores.push(r);
    }
    // 20× chance on both splits (measured 2026-12-02: seen 28.5%); the full preset's encoder reaches 99%.
    assert.ok(scores.every((r) => r > 0.2), `R-precision ${scores.join(', ')}`);
  } finally {
    t.dispose();
  }
});

test('resume is bit-exact across the encoder → adversarial boundary; the export samples from captions', async () => {
  const cfg = config({ train: { batchSize: 4, steps: 6, checkpointEvery: 100, sampleEvery: 100, logEvery: 3 } });
  const bytes = (run: string) => fs.readFileSync(path.join(run, 'checkpoints', 'latest', 'tensors.bin'));
  const straight = path.join(work, 'straight');
  await trainRun({ config: cfg, preset: 't2i-test', outDir: straight });
  const split = path.join(work, 'split');
  await trainRun({ config: { ...cfg, train: { ...cfg.train, steps: 2 } }, preset: 't2i-test', outDir: split });
  await trainRun({ config: cfg, preset: 't2i-test', outDir: split, resume: true, steps: 6 });
  assert.ok(bytes(straight).equals(bytes(split)), 'stopped + resumed state differs from the straight run');
  const model = checkExportedModel(JSON.parse(fs.readFileSync(path.join(straight, 'export', 'model.json'), 'utf8')), 'model.json');
  assert.equal(model.family, 't2i');
  assert.equal(model.inputs.tokens!.kind, 'text');
  assert.deepEqual(Object.keys(model.inputs).sort(), ['eps', 'tokens', 'z']);
  // The exported graph runs from token ids alone (plus its noises): a fresh network from the JSON.
  const net = new Network('exported', model.network, new Rng(0));
  try {
    const out = tf.tidy(() => net.run({ tokens: tf.zeros([2, 12], 'int32'), z: tf.zeros([2, 8]), eps: tf.zeros([2, 4]) }, { training: false }, ['image']).image!.shape);
    assert.deepEqual(out, [2, 32, 32, 3]);
  } finally {
    net.dispose();
  }
  const bad = JSON.parse(fs.readFileSync(path.join(straight, 'export', 'model.json'), 'utf8'));
  bad.inputs.tokens.tokenizer.vocab = ['a'];
  assert.throws(() => checkExportedModel(bad, 'm.json'), /inputs\.tokens\.tokenizer: tokenizer JSON: vocab must start with <pad>, <unk>/);
  const list = path.join(work, 'captions.txt');
  fs.writeFileSync(list, 'a big red square in the top left\n\n  tiny blue circle, centre \n');
  assert.deepEqual(readCaptionOptions({ texts: list, n: 64 }), ['a big red square in the top left', 'tiny blue circle, centre']);
  assert.deepEqual(readCaptionOptions({ text: 'red box', n: 2 }), ['red box', 'red box']);
  assert.throws(() => readCaptionOptions({ text: 'x', texts: list, n: 1 }), /not both/);
  assert.throws(() => readCaptionOptions({ texts: path.join(work, 'none.txt'), n: 1 }), /none\.txt not found/);
});
