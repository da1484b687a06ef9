/**
 * End-to-end CLI behaviour: exact resume (also after SIGKILL), NaN handling, sampling formats and clear
 * errors on bad input. Runs the real `gantry` binary on a tiny 2-D config.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { PNG } from 'pngjs';
import { readNpy } from '../core/npy.ts';
import { trainUntilFirstCheckpointThenKill } from '../core/process_testing.ts';
import { getToyMixture, nearestModes, toyRange } from '../data/toy.ts';
import { modeCoverage } from '../metrics/mode_coverage.ts';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const bin = path.join(root, 'bin', 'gantry.js');
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'gantry-cli-'));
after(() => fs.rmSync(work, { recursive: true, force: true }));

const TINY = `name: tiny-ring
description: tiny ring config for tests
seed: 3
data: { name: ring8 }
model:
  latentDim: 4
  network: { arch: mlp, hidden: 32, depth: 2 }
loss: nonsaturating
train:
  steps: 200
  batchSize: 64
  optimizerG: { type: adam, lr: 0.001 }
  optimizerD: { type: adam, lr: 0.001 }
  emaDecay: 0.99
  logEvery: 50
  sampleEvery: 100
  checkpointEvery: 100
`;
const cfgFile = path.join(work, 'tiny.yaml');
fs.writeFileSync(cfgFile, TINY);

function gantry(args: string[]): { code: number; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [bin, ...args], { cwd: work, encoding: 'utf8', env: { ...process.env, GANTRY_DEBUG: '', GANTRY_FROM_SOURCE: '1' } });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

function generatorWeights(run: string): Buffer {
  const dir = path.join(run, 'checkpoints', 'latest');
  const meta = JSON.parse(fs.readFileSync(path.join(dir, 'state.json'), 'utf8')) as { step: number; tensors: { name: string; offset: number; length: number }[] };
  const blob = fs.readFileSync(path.join(dir, 'tensors.bin'));
  // G, G_ema, optimizer moments: everything that continues into later steps.
  return Buffer.concat(meta.tensors.filter((t) => /^(G|G_ema|D|optG|optD)\//.test(t.name)).map((t) => blob.subarray(t.offset, t.offset + t.length)));
}

const ring8 = getToyMixture('ring8');

/** Mean distance of [n, 2] points to their nearest ring8 mode. */
function meanModeDistance(x: Float32Array): number {
  const { distances } = nearestModes(ring8, x);
  return distances.reduce((a, b) => a + b, 0) / distances.length;
}

function checkpointStep(run: string): number {
  return (JSON.parse(fs.readFileSync(path.join(run, 'checkpoints', 'latest', 'state.json'), 'utf8')) as { step: number }).step;
}

test('resume is bit-exact: 200 straight == 100 + resume 100 == SIGKILL after the step-100 checkpoint + resume', async () => {
  const straight = path.join(work, 'straight');
  assert.equal(gantry(['train', cfgFile, '--out', straight, '--backend', 'wasm']).code, 0);
  assert.equal(checkpointStep(straight), 200);

  const split = path.join(work, 'split');
  assert.equal(gantry(['train', cfgFile, '--out', split, '--steps', '100', '--backend', 'wasm']).code, 0);
  assert.equal(checkpointStep(split), 100);
  const resumed = gantry(['train', cfgFile, '--out', split, '--resume', '--steps', '200', '--backend', 'wasm']);
  assert.equal(resumed.code, 0, resumed.stderr);
  assert.equal(checkpointStep(split), 200);
  assert.ok(generatorWeights(split).equals(generatorWeights(straight)), 'resumed weights differ from the straight run');

  // Killed: a long run is SIGKILLed as soon as its step-100 checkpoint lands, then resumed to 200.
  const killed = path.join(work, 'killed');
  await trainUntilFirstCheckpointThenKill(bin, [cfgFile, '--out', killed, '--steps', '100000', '--backend', 'wasm'], killed, work);
  assert.equal(checkpointStep(killed), 100);
  const r2 = gantry(['train', cfgFile, '--out', killed, '--resume', '--steps', '200', '--backend', 'wasm']);
  assert.equal(r2.code, 0, r2.stderr);
  assert.ok(generatorWeights(killed).equals(generatorWeights(straight)), 'weights after SIGKILL + resume differ from the straight run');
  // The metrics log was cut back to the checkpoint, so no step appears twice.
  const steps = fs.readFileSync(path.join(killed, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { step: number; kind?: string }).filter((m) => !m.kind).map((m) => m.step);
  assert.deepEqual(steps, [50, 100, 150, 200]);
});

test('sample writes a scatter PNG of the samples over the ring8 modes, a .npy [N,2] near the ring, and rejects a folder for 2-D data', () => {
  const run = path.join(work, 'straight');
  assert.equal(gantry(['sample', run, '--n', '300', '--out', path.join(work, 's.npy')]).code, 0);
  const { data, shape } = readNpy(path.join(work, 's.npy'));
  assert.deepEqual(shape, [300, 2]);
  const x = Float32Array.from(data);
  // Measured after 200 steps: 0.52 (real data: 0.0125); the untrained generator (lr 1e-9): 0.93.
  const dist = meanModeDistance(x);
  assert.ok(dist < 0.7, `samples lie ${dist.toFixed(3)} from their nearest mode on average: G did not learn`);
  assert.equal(gantry(['sample', run, '--n', '50', '--out', path.join(work, 's.png')]).code, 0);
  const png = PNG.sync.read(fs.readFileSync(path.join(work, 's.png')));
  // A 2-D run draws a 400×400 scatter over the data's range, a red cross on each of the 8 modes.
  assert.deepEqual([png.width, png.height], [400, 400]);
  const [lo, hi] = toyRange(ring8);
  const px = (v: number) => Math.round(((v - lo) / (hi - lo)) * 399);
  const rgb = (x: number, y: number) => Array.from(png.data.subarray((y * 400 + x) * 4, (y * 400 + x) * 4 + 3));
  for (const [mx, my] of ring8.modes) assert.deepEqual(rgb(px(mx!), 399 - px(my!)), [220, 40, 40], `no cross on mode (${mx}, ${my})`);
  let blue = 0;
  for (let y = 0; y < 400; y++) for (let x = 0; x < 400; x++) if (rgb(x, y).join() === '40,90,200') blue++;
  // Each sample is a 2×2 blue square (measured: 144 pixels for 50 samples, some outside the range or overlapping).
  assert.ok(blue >= 80, `only ${blue} blue pixels for 50 samples`);
  const bad = gantry(['sample', run, '--out', path.join(work, 'folder')]);
  assert.notEqual(bad.code, 0);
  assert.match(bad.stderr, /needs image data/);
});

test('eval --metrics modes prints the PacGAN coverage of the run\'s own samples on ring8, as one JSON object', () => {
  const run = path.join(work, 'straight');
  const r = gantry(['eval', run, '--metrics', 'modes']);
  assert.equal(r.code, 0, r.stderr);
  const obj = JSON.parse(r.stdout) as Record<string, number>;
  assert.equal(obj.step, 200);
  assert.equal(obj.num_modes, 8);
  assert.equal(obj.n_samples, 2500);
  // The output says which seed drew its samples and which one training's final eval used (the TINY config's 3).
  assert.equal(obj.sample_seed, 0);
  assert.equal(obj.training_eval_seed, 3);
  // eval (default --seed 0) draws its 2,500 samples with seed 104729: the same samples `gantry sample` gives
  // for that seed, so its numbers must be exactly modeCoverage's on them.
  assert.equal(gantry(['sample', run, '--n', '2500', '--seed', '104729', '--out', path.join(work, 'e.npy')]).code, 0);
  const x = Float32Array.from(readNpy(path.join(work, 'e.npy')).data);
  const expected = modeCoverage(x, ring8.modes, ring8.std);
  assert.equal(obj.modes_covered, expected.modes_covered);
  assert.equal(obj.high_quality_pct, expected.high_quality_pct);
  // The count alone cannot tell a trained run here: after 200 steps it is 3, and an untrained generator's broad
  // cloud hits 7 modes by chance. How far the samples lie from the modes can: 0.52 trained, 1.00 untrained.
  const dist = meanModeDistance(x);
  assert.ok(dist < 0.7, `eval's samples lie ${dist.toFixed(3)} from their nearest mode on average`);
});

test('bad input: unknown preset, malformed YAML, invalid value, missing and corrupt checkpoints', () => {
  let r = gantry(['train', 'nope']);
  assert.notEqual(r.code, 0);
  assert.match(r.stderr, /unknown preset 'nope'.*toy-ring/);
  fs.writeFileSync(path.join(work, 'bad.yaml'), 'name: [x\n');
  r = gantry(['train', path.join(work, 'bad.yaml')]);
  assert.notEqual(r.code, 0);
  assert.match(r.stderr, /malformed YAML in bad\.yaml at line/);
  fs.writeFileSync(path.join(work, 'neg.yaml'), TINY.replace('batchSize: 64', 'batchSize: 0'));
  r = gantry(['train', path.join(work, 'neg.yaml')]);
  assert.notEqual(r.code, 0);
  assert.match(r.stderr, /train\.batchSize/);
  r = gantry(['train', cfgFile, '--steps', 'ten']);
  assert.notEqual(r.code, 0);
  assert.match(r.stderr, /--steps must be an integer/);
  r = gantry(['sample', path.join(work, 'nowhere'), '--out', 'x.png']);
  assert.notEqual(r.code, 0);
  assert.match(r.stderr, /not a run folder/);
  const corrupt = path.join(work, 'corrupt');
  fs.cpSync(path.join(work, 'straight'), corrupt, { recursive: true });
  fs.truncateSync(path.join(corrupt, 'checkpoints', 'latest', 'tensors.bin'), 64);
  r = gantry(['sample', corrupt, '--out', path.join(work, 'c.png')]);
  assert.notEqual(r.code, 0);
  assert.match(r.stderr, /corrupt checkpoint.*checksum mismatch/);
  r = gantry(['train', cfgFile, '--out', path.join(work, 'straight')]);
  assert.notEqual(r.code, 0);
  assert.match(r.stderr, /already holds a run/);
  // --resume takes the saved config: a flag that would change it is an error naming the flag.
  r = gantry(['train', '--out', path.join(work, 'straight'), '--resume', '--seed', '9']);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /--seed 9 would change it \(saved: 3\)/);
  r = gantry(['train', '--out', path.join(work, 'straight'), '--resume', '--steps', '150']);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /--steps 150 is below the checkpoint's step 200/);
});

test('absurd --steps and --threads are refused; --version prints the package version', () => {
  let r = gantry(['train', cfgFile, '--steps', '1e9']);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /--steps 1e9 is more than the limit of 10000000/);
  r = gantry(['train', cfgFile, '--threads', '1000']);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /--threads 1000 is more than the limit of \d+ \(4 × the \d+ cores/);
  r = gantry(['--version']);
  assert.equal(r.code, 0);
  const pkg = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')) as { version: string };
  assert.equal(r.stdout.trim(), pkg.version);
});

test('a self-conditioned run (data.clusters): grids draw the pseudo-classes by their shares, --class picks one cluster', () => {
  const cfg = path.join(work, 'clusters.yaml');
  fs.writeFileSync(cfg, `name: tiny-clusters
data: { name: mnist, limit: 300, clusters: 4 }
model:
  family: gan
  latentDim: 8
  conditioning: projection
  network: { arch: dcgan, width: 4 }
  loss: nonsaturating
  optimizerG: { type: adam, lr: 0.001 }
  optimizerD: { type: adam, lr: 0.001 }
train: { steps: 4, batchSize: 8, logEvery: 2, sampleEvery: 4, checkpointEvery: 4 }
`);
  const run = path.join(work, 'clusters-run');
  const t = gantry(['train', cfg, '--out', run, '--backend', 'wasm']);
  assert.equal(t.code, 0, t.stderr);
  // Training grids: 64 samples in 8 columns (2× scale), not one row of 10 per class.
  assert.equal(PNG.sync.read(fs.readFileSync(path.join(run, 'samples', 'latest.png'))).width, 8 * (28 * 2 + 2) + 2);
  const grid = path.join(work, 'clusters.png');
  assert.equal(gantry(['sample', run, '--n', '12', '--out', grid]).code, 0);
  // ceil(√12) = 4 columns, where one row per class would have given 12 / 4 = 3.
  assert.equal(PNG.sync.read(fs.readFileSync(grid)).width, 4 * (28 + 2) + 2);
  assert.equal(gantry(['sample', run, '--n', '6', '--class', '3', '--out', path.join(work, 'c3.npy')]).code, 0);
  const bad = gantry(['sample', run, '--n', '6', '--class', '4', '--out', path.join(work, 'c4.npy')]);
  assert.notEqual(bad.code, 0);
  assert.match(bad.stderr, /--class must be in 0\.\.3, got 4/);
});
