/**
 * Creates a real, trained run folder (docs/RUN_FORMAT.md) for the end-to-end tests.
 *
 * Until `gantry train` exists this trains a tiny image GAN here (cpu backend, a few dozen steps on
 * synthetic bar images) and writes the folder itself; with GANTRY_E2E_RUN_MAKER=cli it runs
 * `node bin/gantry.js train toy-ring --steps 300 --out DIR` instead.
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-layers'; // registers the gradient functions (tfjs-core's Node bundle has none)
import { PNG } from 'pngjs';
import { Rng } from '../src/core/rng.ts';
import { Network, type NetworkSpec } from '../src/models/network.ts';

export const REPO_ROOT = path.resolve(import.meta.dirname, '..');

export interface MadeRun {
  name: string;
  dir: string;
  preset: string;
}

/** Trains a run into `runsDir/name` with the CLI or the built-in fixture trainer. */
export async function makeTrainedRun(runsDir: string, name: string): Promise<MadeRun> {
  const dir = path.join(runsDir, name);
  if (process.env.GANTRY_E2E_RUN_MAKER === 'cli') {
    await promisify(execFile)(process.execPath, [path.join(REPO_ROOT, 'bin/gantry.js'), 'train', 'toy-ring', '--steps', '300', '--out', dir], {
      cwd: REPO_ROOT,
      timeout: 300_000,
    });
    return { name, dir, preset: 'toy-ring' };
  }
  await trainFixtureRun(dir, name);
  return { name, dir, preset: FIXTURE_PRESET };
}

export const FIXTURE_PRESET = 'e2e-tiny-dcgan';
const LATENT = 16;
const SIZE = 28;
// Kept tiny: tfjs's cpu backend computes transposed-conv filter gradients slowly (~1 s per batch of 16).
const STEPS = 12;
const BATCH = 8;
const SAMPLE_EVERY = 4;

/** Generator: dense → 7×7×8 → transposed convs to 28×28×1 → tanh. The discriminator is an MLP. */
export const FIXTURE_GENERATOR: NetworkSpec = {
  inputShape: [LATENT],
  layers: [
    { type: 'dense', units: 7 * 7 * 8 },
    { type: 'act', fn: 'relu' },
    { type: 'reshape', shape: [7, 7, 8] },
    { type: 'conv2dTranspose', filters: 8, kernel: 4, stride: 2 },
    { type: 'act', fn: 'relu' },
    { type: 'conv2dTranspose', filters: 1, kernel: 4, stride: 2 },
    { type: 'act', fn: 'tanh' },
  ],
};

const DISCRIMINATOR: NetworkSpec = {
  inputShape: [SIZE, SIZE, 1],
  layers: [
    { type: 'flatten' },
    { type: 'dense', units: 64 },
    { type: 'act', fn: 'lrelu', alpha: 0.2 },
    { type: 'dense', units: 1 },
  ],
};

/** Synthetic data: one bright horizontal or vertical bar per image on a dark ground, in [-1, 1]. */
function barImages(n: number, rng: Rng): tf.Tensor4D {
  const data = new Float32Array(n * SIZE * SIZE).fill(-1);
  for (let i = 0; i < n; i++) {
    const at = 4 + rng.int(SIZE - 8);
    const vertical = rng.uniform() < 0.5;
    for (let a = 0; a < SIZE; a++) {
      for (let w = 0; w < 3; w++) {
        const [y, x] = vertical ? [a, at + w] : [at + w, a];
        data[i * SIZE * SIZE + y * SIZE + x] = 1;
      }
    }
  }
  return tf.tensor4d(data, [n, SIZE, SIZE, 1]);
}

/** An 8×8 grid of images in [-1, 1] as a grayscale PNG with 2-pixel gaps. */
function gridPng(images: Float32Array, n: number): Buffer {
  const cols = 8;
  const rows = Math.ceil(n / cols);
  const w = cols * (SIZE + 2) + 2;
  const hgt = rows * (SIZE + 2) + 2;
  const png = new PNG({ width: w, height: hgt });
  png.data.fill(255);
  for (let i = 0; i < n; i++) {
    const ox = 2 + (i % cols) * (SIZE + 2);
    const oy = 2 + Math.floor(i / cols) * (SIZE + 2);
    for (let y = 0; y < SIZE; y++) {
      for (let x = 0; x < SIZE; x++) {
        const v = Math.round(((images[i * SIZE * SIZE + y * SIZE + x]! + 1) / 2) * 255);
        const o = 4 * ((oy + y) * w + ox + x);
        png.data[o] = png.data[o + 1] = png.data[o + 2] = Math.max(0, Math.min(255, v));
      }
    }
  }
  return PNG.sync.write(png);
}

async function writeJsonAtomic(file: string, value: unknown): Promise<void> {
  const tmp = `${file}.tmp`;
  await fs.writeFile(tmp, JSON.stringify(value, null, 2));
  await fs.rename(tmp, file);
}

/** Trains the fixture GAN for a few steps and writes a complete run folder. */
export async function trainFixtureRun(dir: string, name: string): Promise<void> {
  await tf.setBackend('cpu');
  await fs.mkdir(path.join(dir, 'samples'), { recursive: true });
  await fs.mkdir(path.join(dir, 'export'), { recursive: true });
  const rng = new Rng(42);
  const g = new Network('G', FIXTURE_GENERATOR, rng.fork('G'));
  const d = new Network('D', DISCRIMINATOR, rng.fork('D'));
  const gOpt = tf.train.adam(2e-3, 0.5, 0.999);
  const dOpt = tf.train.adam(2e-3, 0.5, 0.999);
  const fixedZ = tf.tensor2d(rng.fork('fixed').normalArray(64 * LATENT), [64, LATENT]);
  const startedAt = new Date().toISOString();
  const status = {
    name,
    preset: FIXTURE_PRESET,
    state: 'running',
    step: 0,
    totalSteps: STEPS,
    startedAt,
    updatedAt: startedAt,
    dataset: 'bars',
    conditional: false,
    numClasses: 0,
  };
  await fs.writeFile(
    path.join(dir, 'config.yaml'),
    `# e2e fixture run (e2e/make_run.ts)\npreset: ${FIXTURE_PRESET}\ndataset: bars\nsteps: ${STEPS}\nbatchSize: ${BATCH}\nlatentDim: ${LATENT}\noptimizer: { type: adam, lr: 0.002, beta1: 0.5 }\nloss: nonsaturating\n`,
  );
  const metrics: string[] = [];
  const t0 = Date.now();
  try {
    for (let step = 1; step <= STEPS; step++) {
      const [dLoss, gLoss] = tf.tidy(() => {
        const real = barImages(BATCH, rng);
        const z = () => tf.tensor2d(rng.normalArray(BATCH * LATENT), [BATCH, LATENT]);
        const fake = g.apply(z(), { training: true });
        const dl = dOpt.minimize(
          () => tf.add(tf.mean(tf.softplus(tf.neg(d.apply(real, { training: true })))), tf.mean(tf.softplus(d.apply(fake, { training: true })))),
          true,
          d.trainable,
        )!;
        const zg = z();
        const gl = gOpt.minimize(() => tf.mean(tf.softplus(tf.neg(d.apply(g.apply(zg, { training: true }), { training: true })))), true, g.trainable)!;
        return [dl.dataSync()[0]!, gl.dataSync()[0]!];
      });
      metrics.push(JSON.stringify({ step, time: new Date().toISOString(), elapsed_s: (Date.now() - t0) / 1000, d_loss: dLoss, g_loss: gLoss }));
      if (step % SAMPLE_EVERY === 0) {
        const images = tf.tidy(() => g.apply(fixedZ, { training: false }).dataSync() as Float32Array);
        const png = gridPng(images, 64);
        const file = `step_${String(step).padStart(6, '0')}.png`;
        await fs.writeFile(path.join(dir, 'samples', file), png);
        await fs.writeFile(path.join(dir, 'samples', 'latest.png'), png);
        metrics.push(JSON.stringify({ kind: 'eval', step, time: new Date().toISOString(), pixel_std: std(images) }));
      }
    }
    await fs.writeFile(path.join(dir, 'metrics.jsonl'), metrics.join('\n') + '\n');
    const named: tf.NamedTensorMap = {};
    for (const v of g.variables()) named[v.name] = v;
    const { data, specs } = await tf.io.encodeWeights(named);
    await fs.writeFile(path.join(dir, 'export', 'weights.bin'), Buffer.from(data as ArrayBuffer));
    await writeJsonAtomic(path.join(dir, 'export', 'model.json'), {
      format: 'gantry-generator/1',
      generator: FIXTURE_GENERATOR,
      latentDim: LATENT,
      numClasses: 0,
      dataShape: [SIZE, SIZE, 1],
      range: [-1, 1],
      dataset: 'bars',
      preset: FIXTURE_PRESET,
      step: STEPS,
      ema: false,
      weightsManifest: [{ paths: ['weights.bin'], weights: specs }],
    });
    await writeJsonAtomic(path.join(dir, 'status.json'), { ...status, state: 'done', step: STEPS, updatedAt: new Date().toISOString() });
  } finally {
    g.dispose();
    d.dispose();
    gOpt.dispose();
    dOpt.dispose();
    fixedZ.dispose();
  }
}

function std(values: Float32Array): number {
  let mean = 0;
  for (const v of values) mean += v / values.length;
  let variance = 0;
  for (const v of values) variance += (v - mean) ** 2 / values.length;
  return Math.sqrt(variance);
}
