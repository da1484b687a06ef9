/**
 * Unpaired translation metrics: with identity translators between two copies of MNIST the cycle error is
 * exactly 0 and label preservation equals the classifier's accuracy on the untranslated images; a freshly
 * initialized cyclegan-mnist-mnistm model reads as chance, far below that; keys carry split, count,
 * direction and feature net; misuse is refused with a clear message.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { initBackend } from '../backend/backend.ts';
import { Rng } from '../core/rng.ts';
import { openDataSource } from '../data/registry.ts';
import { loadConfig } from '../families/config.ts';
import { Network } from '../models/network.ts';
import { Trainer } from '../train/trainer.ts';
import { evaluateUnpaired } from './unpaired_eval.ts';

await initBackend('wasm', { quiet: true });

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'gantry-unpaired-eval-'));
after(() => fs.rmSync(tmp, { recursive: true, force: true }));
const QUICK = { cacheDir: tmp, trainLimit: 5000, testLimit: 500, epochs: 2, seed: 1 };

test('identity translators: cycle error 0, label preservation = accuracy on the untranslated images', async () => {
  const cfg = loadConfig('cyclegan-mnist-mnistm', { data: { a: { name: 'mnist', limit: 300, channels: 1 }, b: { name: 'mnist', limit: 300 } } });
  const id = new Network('id', { inputShape: [28, 28, 1], layers: [{ type: 'reshape', shape: [28, 28, 1] }] }, new Rng(1));
  const fake = { network: () => id } as unknown as Trainer;
  try {
    const r = await evaluateUnpaired(fake, cfg, { metrics: ['labels', 'cycle'], n: 200, split: 'test', seed: 0, featureNetOptions: QUICK });
    assert.equal(r.cycle_l1_a_test200, 0);
    assert.equal(r.cycle_l1_b_test200, 0);
    const ab = r.label_preservation_ab_test200_mnistnet as number;
    assert.equal(ab, r.label_preservation_ab_test200_mnistnet_untranslated);
    assert.equal(ab, r.label_preservation_ba_test200_mnistnet);
    // A quick mnistnet reads real digits well.
    assert.ok(ab > 0.85, `accuracy ${ab}`);
    assert.equal(r.n_per_domain, 200);
  } finally {
    id.dispose();
  }
});

test('an untrained cyclegan-mnist-mnistm reads as chance both ways; keys name direction and feature net', async () => {
  const cfg = loadConfig('cyclegan-mnist-mnistm', { data: { a: { name: 'mnist', limit: 200 }, b: { name: 'mnist-m', limit: 200 } } });
  const t = new Trainer(cfg, await openDataSource(cfg.data, cfg.seed));
  try {
    const r = await evaluateUnpaired(t, cfg, { metrics: ['labels', 'cycle', 'fid'], n: 100, split: 'test', seed: 0, featureNetOptions: QUICK });
    for (const dir of ['ab_test100_mnistmnet', 'ba_test100_mnistnet']) {
      const p = r[`label_preservation_${dir}`] as number;
      const asIs = r[`label_preservation_${dir}_untranslated`] as number;
      assert.ok(p < 0.35, `${dir}: ${p}`);
      assert.ok(asIs > p, `${dir}: untranslated ${asIs} vs translated ${p}`);
    }
    // MNIST digits are themselves MNIST-M digits on a black patch: the B classifier reads them well.
    assert.ok((r.label_preservation_ab_test100_mnistmnet_untranslated as number) > 0.6);
    for (const k of ['cycle_l1_a_test100', 'cycle_l1_b_test100']) assert.ok((r[k] as number) > 0.02 && (r[k] as number) < 1, `${k} ${r[k]}`);
    assert.ok((r.fid100_test_mnistmnet_ab as number) > 0 && (r.fid100_test_mnistnet_ba as number) > 0);
    await assert.rejects(evaluateUnpaired(t, cfg, { metrics: ['psnr'], n: 10, split: 'test', seed: 0 }), /do not apply.*labels, cycle, fid, kid/);
  } finally {
    t.dispose();
  }
});
