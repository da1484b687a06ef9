import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ConfigError, listPresets } from './config.ts';
import { loadConfig } from '../families/config.ts';

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
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'cfg-')), 'bad.yaml');
  fs.writeFileSync(file, 'name: x\ndata: [1, 2\nloss: hinge\n');
  assert.throws(() => loadConfig(file), /malformed YAML in bad\.yaml at line \d+, column \d+/);
});

test('invalid values name the field', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cfg-'));
  const good = fs.readFileSync(path.join(path.dirname(new URL(import.meta.url).pathname), '..', '..', 'presets', 'toy-ring.yaml'), 'utf8');
  fs.writeFileSync(path.join(dir, 'a.yaml'), good.replace('batchSize: 256', 'batchSize: -3'));
  assert.throws(() => loadConfig(path.join(dir, 'a.yaml')), /train\.batchSize/);
  fs.writeFileSync(path.join(dir, 'b.yaml'), good.replace(/^loss: .*$/m, 'loss: magic'));
  assert.throws(() => loadConfig(path.join(dir, 'b.yaml')), /loss/);
  fs.writeFileSync(path.join(dir, 'c.yaml'), good + 'bogus: 1\n');
  assert.throws(() => loadConfig(path.join(dir, 'c.yaml')), /bogus/);
});

test('overrides merge deeply', () => {
  const cfg = loadConfig('toy-ring', { seed: 42, train: { steps: 10 } });
  assert.equal(cfg.seed, 42);
  assert.equal(cfg.train.steps, 10);
  assert.equal(cfg.train.batchSize, loadConfig('toy-ring').train.batchSize);
});
