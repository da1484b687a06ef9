/**
 * Conditional models produce the class they are asked for: a small cGAN and a small ACGAN are trained on
 * MNIST, and an independent MNIST classifier (Gantry's feature network, trained here on its own data)
 * must label ≥ 97% of their samples with the requested class.
 */
import { test } from 'node:test';
import { tempDirMaker } from '../core/temp_testing.ts';
import assert from 'node:assert/strict';
import os from 'node:os';
import path from 'node:path';
import { initEngine } from '../backend/engine.ts';
import { loadConfig } from '../families/config.ts';
import { Rng } from '../core/rng.ts';
import { classify, getFeatureNet } from './feature_net.ts';
import { openRun, trainRun } from '../train/run.ts';

const tempDir = tempDirMaker();

await initEngine('auto');

const STEPS = { 'cgan-mnist': 1500, 'acgan-mnist': 1500 } as const;

const cacheDir = process.env.GANTRY_CACHE ?? path.join(os.tmpdir(), 'gantry-test-cache');

async function classAccuracy(preset: 'cgan-mnist' | 'acgan-mnist'): Promise<number> {
  const cfg = loadConfig(preset, {
    // Overrides merge into the preset after its legacy keys moved, so they use the family shape (optimizers in model).
    model: {
      latentDim: 64,
      network: { arch: 'dcgan', width: 32, dNorm: 'batch' },
      optimizerG: { type: 'adam', lr: 0.001, beta1: 0.5 },
      optimizerD: { type: 'adam', lr: 0.0005, beta1: 0.5 },
    },
    train: {
      steps: Number(process.env.GANTRY_COND_TEST_STEPS ?? STEPS[preset]),
      batchSize: 64,
      logEvery: 100,
      sampleEvery: 100000,
      checkpointEvery: 100000,
    },
  });
  const out = path.join(tempDir('cond-'), preset);
  await trainRun({ config: cfg, preset, outDir: out });
  const { trainer } = await openRun(out);
  const classifier = await getFeatureNet('mnist', { cacheDir });
  try {
    const n = 1000;
    const asked = Int32Array.from({ length: n }, (_, i) => i % 10);
    const images = await trainer.generate(n, new Rng(99), { labels: asked });
    const got = classify(classifier, images, n, [28, 28, 1]);
    let hits = 0;
    for (let i = 0; i < n; i++) if (got[i] === asked[i]) hits++;
    return hits / n;
  } finally {
    trainer.dispose();
    classifier.dispose();
  }
}

// The bar. These CI-sized runs (width 32, 1,500 steps) measured 98.2% (cGAN with the projection
// head) and 99.4% (ACGAN whose classifier learns from real images only) here; with label concatenation
// in D and the original ACGAN (class loss on fakes too) they had reached only 94.1% and 95.8–96.7%.
const MIN_ACC = Number(process.env.GANTRY_COND_TEST_MIN_ACC ?? 0.97);

for (const preset of ['cgan-mnist', 'acgan-mnist'] as const) {
  test(`${preset}: an independent classifier labels ≥ ${100 * MIN_ACC}% of samples with the asked class`, { timeout: 1_800_000 }, async () => {
    const acc = await classAccuracy(preset);
    process.stderr.write(`${preset}: class accuracy ${(100 * acc).toFixed(1)}%\n`);
    assert.ok(acc >= MIN_ACC, `${preset}: only ${(100 * acc).toFixed(1)}% of samples were classified as the asked class`);
  });
}
