import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import YAML from 'yaml';
import { ConfigError, listPresets, PRESETS_DIR } from '../core/config.ts';
import { loadConfig, validateConfig } from './config.ts';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'cfg-'));
after(() => fs.rmSync(tmp, { recursive: true, force: true }));

test('every preset validates', () => {
  const presets = listPresets();
  assert.ok(presets.length >= 2);
  for (const p of presets) {
    const cfg = loadConfig(p.name);
    assert.equal(cfg.name, p.name, `preset file ${p.name}.yaml names itself ${cfg.name}`);
    assert.ok(p.description.length > 10, `${p.name} needs a one-line description`);
  }
});

test('unknown preset lists the valid ones', () => {
  assert.throws(() => loadConfig('no-such-gan'), (e: Error) => e instanceof ConfigError && /unknown preset 'no-such-gan'/.test(e.message) && /toy-ring/.test(e.message));
});

test('malformed YAML says where', () => {
  const file = path.join(tmp, 'bad.yaml');
  fs.writeFileSync(file, 'name: x\ndata: [1, 2\nloss: hinge\n');
  assert.throws(() => loadConfig(file), /malformed YAML in bad\.yaml at line \d+, column \d+/);
});

test('invalid values name the field', () => {
  const dir = tmp;
  const good = fs.readFileSync(path.join(PRESETS_DIR, 'toy-ring.yaml'), 'utf8');
  fs.writeFileSync(path.join(dir, 'a.yaml'), good.replace('batchSize: 256', 'batchSize: -3'));
  assert.throws(() => loadConfig(path.join(dir, 'a.yaml')), /train\.batchSize/);
  fs.writeFileSync(path.join(dir, 'b.yaml'), good.replace(/^ {2}loss: .*$/m, '  loss: magic'));
  assert.throws(() => loadConfig(path.join(dir, 'b.yaml')), /model\.loss: /);
  fs.writeFileSync(path.join(dir, 'c.yaml'), good + 'bogus: 1\n');
  assert.throws(() => loadConfig(path.join(dir, 'c.yaml')), /bogus/);
});

test('overrides merge deeply', () => {
  const cfg = loadConfig('toy-ring', { seed: 42, train: { steps: 10 } });
  assert.equal(cfg.seed, 42);
  assert.equal(cfg.train.steps, 10);
  assert.equal(cfg.train.batchSize, loadConfig('toy-ring').train.batchSize);
});

/** A pre-family GAN config: loss and regularizer at the top, optimizers and step counts under train. */
const LEGACY_RING = `
name: legacy-ring
data: { name: ring8 }
model:
  latentDim: 72
  network: { arch: mlp, hidden: 128, depth: 3, latentComponents: 64, latentNoiseScale: 0.02 }
loss: nonsaturating
regularizer: { type: r1, weight: 2 }
train:
  steps: 10000
  batchSize: 256
  dSteps: 2
  optimizerG: { type: adam, lr: 0.001 }
  optimizerD: { type: rmsprop, lr: 0.0005 }
  emaDecay: 0.99
`;

test('a pre-family config (GAN fields outside model) loads as the gan family with every value carried over', () => {
  const file = path.join(tmp, 'legacy.yaml');
  fs.writeFileSync(file, LEGACY_RING);
  const cfg = loadConfig(file);
  const m = cfg.model as Record<string, unknown>;
  assert.equal(m.family, 'gan');
  assert.equal(m.loss, 'nonsaturating');
  assert.deepEqual(m.regularizer, { type: 'r1', weight: 2, clip: 0.01, every: 1 });
  assert.equal(m.dSteps, 2);
  assert.deepEqual(m.optimizerD, { type: 'rmsprop', lr: 0.0005, rho: 0.99 });
  assert.equal(m.emaDecay, 0.99);
  assert.deepEqual(Object.keys(cfg.train).sort(), ['batchSize', 'checkpointEvery', 'logEvery', 'lrDecayFraction', 'lrDrops', 'lrFinalFactor', 'sampleEvery', 'steps']);
  // The saved (new-shape) config of a run validates to the same thing.
  assert.deepEqual(validateConfig(YAML.parse(YAML.stringify(cfg)), 'saved'), cfg);
});

test('a config that names its family and keeps GAN fields outside model is refused, naming the field', () => {
  const raw = YAML.parse(LEGACY_RING) as Record<string, unknown>;
  (raw.model as Record<string, unknown>).family = 'gan';
  assert.throws(() => validateConfig(raw, 'mixed.yaml'), (e: Error) => e instanceof ConfigError && /mixed\.yaml/.test(e.message) && /Unrecognized key.*"loss"/s.test(e.message));
});

test('unknown family and a family schema error are reported with their paths', () => {
  const raw = YAML.parse(fs.readFileSync(path.join(PRESETS_DIR, 'dcgan-mnist.yaml'), 'utf8')) as Record<string, Record<string, unknown>>;
  assert.throws(() => validateConfig({ ...raw, model: { ...raw.model, family: 'nope' } }, 'x'), /model\.family: unknown family 'nope'; known: .*gan/);
  assert.throws(() => validateConfig({ ...raw, model: { ...raw.model, latentDim: 0 } }, 'x'), /model\.latentDim: /);
  assert.throws(() => validateConfig({ ...raw, data: { name: 'imagenet' } }, 'x'), /data/);
});
