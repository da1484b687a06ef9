import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { loadConfig } from '../families/config.ts';
import { configurations, expandSweep, loadSweep, nestOverrides, resolveConfigPath, SweepError, sweepSchema } from './sweep_config.ts';

test('config paths: shared sections stay, family fields and legacy train.* GAN fields go to model', () => {
  assert.deepEqual(resolveConfigPath('train.steps'), ['train', 'steps']);
  assert.deepEqual(resolveConfigPath('loss'), ['model', 'loss']);
  assert.deepEqual(resolveConfigPath('train.optimizerD.lr'), ['model', 'optimizerD', 'lr']);
  assert.deepEqual(resolveConfigPath('network.hidden'), ['model', 'network', 'hidden']);
  assert.deepEqual(resolveConfigPath('model.emaDecay'), ['model', 'emaDecay']);
  assert.throws(() => resolveConfigPath('train..steps'), SweepError);
  assert.throws(() => resolveConfigPath('__proto__.x'), /not allowed/);
  assert.deepEqual(nestOverrides({ 'train.steps': 5, 'train.batchSize': 8, loss: 'hinge' }), { train: { steps: 5, batchSize: 8 }, model: { loss: 'hinge' } });
});

test('the README example expands to the cross product × seeds with validated configs', () => {
  const s = expandSweep(
    { base: 'toy-ring', seeds: [1, 2, 3], grid: { loss: ['nonsaturating', 'hinge'], 'train.optimizerD.lr': [0.001, 0.0002] }, overrides: { 'train.steps': 1500 } },
    'study.yaml',
  );
  assert.equal(s.name, 'study');
  assert.equal(s.jobs.length, 12);
  const labels = [...new Set(s.jobs.map((j) => j.label))];
  assert.deepEqual(labels, [
    'loss=nonsaturating, train.optimizerD.lr=0.001',
    'loss=nonsaturating, train.optimizerD.lr=0.0002',
    'loss=hinge, train.optimizerD.lr=0.001',
    'loss=hinge, train.optimizerD.lr=0.0002',
  ]);
  const j = s.jobs.find((x) => x.label === 'loss=hinge, train.optimizerD.lr=0.0002' && x.seed === 3)!;
  assert.equal(j.config.seed, 3);
  assert.equal(j.config.train.steps, 1500);
  assert.equal((j.config.model as unknown as { loss: string }).loss, 'hinge');
  assert.equal((j.config.model as unknown as { optimizerD: { lr: number } }).optimizerD.lr, 0.0002);
  // The other optimizer fields keep the preset's values.
  assert.equal((j.config.model as unknown as { optimizerD: { beta1: number } }).optimizerD.beta1, 0.5);
  // Seeds of one configuration share its hash; ids differ by seed and are stable across expansions.
  assert.equal(new Set(s.jobs.filter((x) => x.label === j.label).map((x) => x.configHash)).size, 1);
  assert.equal(new Set(s.jobs.map((x) => x.configHash)).size, 4);
  assert.equal(j.id, `study.${j.configHash}.s3`);
  const again = expandSweep({ base: 'toy-ring', seeds: [3], grid: { 'train.optimizerD.lr': [0.0002], loss: ['hinge'] }, overrides: { 'train.steps': 1500 } }, 'study.yaml');
  assert.equal(again.jobs[0]!.id, j.id, 'the same config and seed give the same job id whatever the grid order');
});

test('list entries cross the grid; a label names an entry', () => {
  const spec = sweepSchema.parse({ base: 'toy-ring', list: [{ label: 'wgan-gp', loss: 'wasserstein', 'regularizer.type': 'gp' }, { loss: 'hinge' }], grid: { 'train.batchSize': [64, 128] } });
  const c = configurations(spec);
  assert.deepEqual(c.map((x) => x.label), ['wgan-gp, train.batchSize=64', 'wgan-gp, train.batchSize=128', 'loss=hinge, train.batchSize=64', 'loss=hinge, train.batchSize=128']);
  assert.deepEqual(c[1]!.overrides, { loss: 'wasserstein', 'regularizer.type': 'gp', 'train.batchSize': 128 });
  const s = expandSweep({ base: 'toy-ring', list: [{ label: 'wgan-gp', loss: 'wasserstein', 'regularizer.type': 'gp' }] }, 'x.yaml');
  assert.equal((s.jobs[0]!.config.model as unknown as { regularizer: { type: string; weight: number } }).regularizer.type, 'gp');
  // The fields a path does not name keep the preset's values.
  const preset = loadConfig('toy-ring').model as unknown as { regularizer: { weight: number } };
  assert.equal((s.jobs[0]!.config.model as unknown as { regularizer: { type: string; weight: number } }).regularizer.weight, preset.regularizer.weight);
});

test('bad sweeps are refused naming the field, before anything trains', () => {
  assert.throws(() => expandSweep({ base: 'toy-ring', grid: { loss: ['hinge', 'bogus'] } }, 's.yaml'), (e: Error) => e instanceof SweepError && /configuration 'loss=bogus'/.test(e.message) && /model\.loss/.test(e.message));
  assert.throws(() => expandSweep({ base: 'toy-ring', grid: { 'train.steps': [-1] } }, 's.yaml'), /train\.steps/);
  assert.throws(() => expandSweep({ base: 'toy-ring', seeds: [] }, 's.yaml'), /seeds/);
  assert.throws(() => expandSweep({ base: 'toy-ring', grid: { loss: [] } }, 's.yaml'), /grid\.loss/);
  assert.throws(() => expandSweep({ base: 'toy-ring', gird: {} }, 's.yaml'), /gird|unrecognized/i);
  assert.throws(() => expandSweep({ base: 'no-such-preset' }, 's.yaml'), /unknown preset 'no-such-preset'/);
  assert.throws(() => expandSweep({ base: 'toy-ring', grid: { loss: ['hinge', 'hinge'] } }, 's.yaml'), /train the same config/);
  assert.throws(() => expandSweep({ name: 'a:b', base: 'toy-ring' }, 's.yaml'), /name/);
});

test('loadSweep reads a file, resolves a config-file base beside it, and reports a missing file', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gantry-sweep-cfg-'));
  try {
    fs.writeFileSync(path.join(dir, 'base.yaml'), fs.readFileSync(new URL('../../presets/toy-grid.yaml', import.meta.url)));
    fs.writeFileSync(path.join(dir, 'my sweep.yaml'), 'base: ./base.yaml\nseeds: [4]\noverrides: { train.steps: 10 }\n');
    const s = loadSweep(path.join(dir, 'my sweep.yaml'));
    assert.equal(s.name, 'my_sweep');
    assert.equal(s.jobs[0]!.base, 'base');
    assert.equal(s.jobs[0]!.config.data.name, 'grid25');
    assert.throws(() => loadSweep(path.join(dir, 'nope.yaml')), /sweep file not found/);
    fs.writeFileSync(path.join(dir, 'bad.yaml'), 'base: [toy\n');
    assert.throws(() => loadSweep(path.join(dir, 'bad.yaml')), /malformed YAML in bad.yaml/);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
