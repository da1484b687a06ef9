/**
 * The four-network family on the generic core: CycleGAN on two 2-D domains. Resume must be bit-exact for
 * the whole state (four networks, two optimizer groups, two history pools, the pool's random stream):
 * straight run == stopped + resumed == SIGKILLed + resumed, compared on the checkpoint's tensor bytes.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../backend/backend.ts';
import { trainUntilFirstCheckpointThenKill } from '../core/process_testing.ts';
import { openDataSource } from '../data/registry.ts';
import { loadConfig } from './config.ts';
import { Trainer, disposeLosses } from '../train/trainer.ts';

await initBackend('wasm', { quiet: true });

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const bin = path.join(root, 'bin', 'gantry.js');
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'gantry-cyclegan-'));
after(() => fs.rmSync(work, { recursive: true, force: true }));

const STEPS = 120;
const cfgFile = path.join(work, 'cyc.yaml');
fs.writeFileSync(
  cfgFile,
  fs
    .readFileSync(path.join(root, 'presets', 'cyclegan-toy.yaml'), 'utf8')
    .replace(/steps: \d+/, `steps: ${STEPS}`)
    .replace(/batchSize: \d+/, 'batchSize: 16')
    .replace(/poolSize: \d+/, 'poolSize: 20')
    .replace(/identityWeight: [\d.]+/, 'identityWeight: 0.5')
    .replace(/checkpointEvery: \d+/, 'checkpointEvery: 40')
    .replace(/sampleEvery: \d+/, 'sampleEvery: 1000')
    // A constant learning rate, so a run stopped at 40 steps took the same first 40 steps as the long one.
    .replace(/lrDecayFraction: [\d.]+/, 'lrDecayFraction: 0'),
);

function gantry(args: string[]): { code: number; stderr: string } {
  const r = spawnSync(process.execPath, [bin, ...args], { cwd: work, encoding: 'utf8' });
  return { code: r.status ?? -1, stderr: r.stderr };
}

function checkpoint(run: string): { step: number; digest: string; names: string[] } {
  const dir = path.join(run, 'checkpoints', 'latest');
  const meta = JSON.parse(fs.readFileSync(path.join(dir, 'state.json'), 'utf8')) as { step: number; tensors: { name: string }[] };
  const digest = createHash('sha256').update(fs.readFileSync(path.join(dir, 'tensors.bin'))).digest('hex');
  return { step: meta.step, digest, names: meta.tensors.map((t) => t.name) };
}

test('cyclegan builds four networks and two optimizer groups; both D and both G move; the pools fill', async () => {
  const cfg = loadConfig(cfgFile);
  const t = new Trainer(cfg, await openDataSource(cfg.data, cfg.seed));
  try {
    assert.deepEqual(Object.keys(t.networks), ['G_AB', 'G_BA', 'D_A', 'D_B']);
    assert.deepEqual(Object.keys(t.optimizers), ['G', 'D']);
    const before = Object.fromEntries(Object.entries(t.networks).map(([k, n]) => [k, Float32Array.from(n.trainable[0]!.dataSync())]));
    const l = t.trainStep();
    for (const k of ['g_loss', 'd_loss', 'cycle_a', 'cycle_b', 'identity', 'd_a', 'd_b']) assert.ok(k in l, `missing ${k}`);
    disposeLosses(l);
    for (const [k, n] of Object.entries(t.networks)) assert.notDeepEqual(Float32Array.from(n.trainable[0]!.dataSync()), before[k], `${k} did not move`);
    const state = t.family.getState!();
    assert.deepEqual(state.json, { poolCountA: 16, poolCountB: 16 });
    const tensorsBefore = tf.memory().numTensors;
    for (let i = 0; i < 3; i++) disposeLosses(t.trainStep());
    assert.equal(tf.memory().numTensors, tensorsBefore, 'tensor count grew across steps');
    assert.deepEqual(t.family.getState!().json, { poolCountA: 20, poolCountB: 20 });
    assert.ok(Object.keys(t.stateTensors()).some((k) => k.startsWith('family/poolA')), 'the pools are part of the checkpoint');
  } finally {
    t.dispose();
  }
});

test(`resume is bit-exact for all four networks, both optimizers and the pools: ${STEPS} straight == 40 + resume == SIGKILL + resume`, async () => {
  const straight = path.join(work, 'straight');
  const s = gantry(['train', cfgFile, '--out', straight, '--backend', 'wasm']);
  assert.equal(s.code, 0, s.stderr);
  const want = checkpoint(straight);
  assert.equal(want.step, STEPS);
  for (const prefix of ['G_AB/', 'G_BA/', 'D_A/', 'D_B/', 'optG/', 'optD/', 'family/poolA', 'family/poolB']) {
    assert.ok(want.names.some((n) => n.startsWith(prefix)), `checkpoint lacks ${prefix}`);
  }

  const split = path.join(work, 'split');
  assert.equal(gantry(['train', cfgFile, '--out', split, '--steps', '40', '--backend', 'wasm']).code, 0);
  const r = gantry(['train', cfgFile, '--out', split, '--resume', '--steps', String(STEPS), '--backend', 'wasm']);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(checkpoint(split).digest, want.digest, 'stopped + resumed state differs from the straight run');

  const killed = path.join(work, 'killed');
  await trainUntilFirstCheckpointThenKill(bin, [cfgFile, '--out', killed, '--backend', 'wasm'], killed, work);
  assert.ok(checkpoint(killed).step < STEPS, 'the run was killed before its end');
  const r2 = gantry(['train', cfgFile, '--out', killed, '--resume', '--backend', 'wasm']);
  assert.equal(r2.code, 0, r2.stderr);
  assert.equal(checkpoint(killed).digest, want.digest, 'SIGKILLed + resumed state differs from the straight run');
});
