import { test } from 'node:test';
import { tempDirMaker } from '../core/temp_testing.ts';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../backend/backend.ts';
import { CheckpointError, findCheckpoint, loadCheckpoint, saveCheckpoint } from './checkpoint.ts';

const tempDir = tempDirMaker();

await initBackend('cpu', { quiet: true });

const tmp = () => tempDir('ckpt-');

test('save then load gives identical tensors and extra state', async () => {
  const dir = path.join(tmp(), 'latest');
  const a = tf.tensor([1.5, -2, 3e-8, Math.PI], [2, 2]);
  const b = tf.tensor([7], [], 'int32');
  await saveCheckpoint(dir, 42, { a, b }, { rng: [1, 2, 3, 4] });
  const { meta, tensors } = loadCheckpoint(dir);
  assert.equal(meta.step, 42);
  assert.deepEqual(meta.extra, { rng: [1, 2, 3, 4] });
  assert.deepEqual(tensors.a!.dataSync(), a.dataSync());
  assert.deepEqual(tensors.a!.shape, [2, 2]);
  assert.equal(tensors.b!.dtype, 'int32');
  assert.equal(tensors.b!.dataSync()[0], 7);
  tf.dispose([a, b, ...Object.values(tensors)]);
});

test('a second save replaces the first atomically and leaves no temp folders', async () => {
  const root = tmp();
  const dir = path.join(root, 'latest');
  const t = tf.tensor([1, 2, 3]);
  await saveCheckpoint(dir, 1, { t }, {});
  await saveCheckpoint(dir, 2, { t }, {});
  assert.deepEqual(fs.readdirSync(root), ['latest']);
  assert.equal(loadCheckpoint(dir).meta.step, 2);
  t.dispose();
});

test('a crash between the two renames still finds the previous checkpoint', async () => {
  const root = tmp();
  const dir = path.join(root, 'latest');
  const t = tf.tensor([1, 2, 3]);
  await saveCheckpoint(dir, 5, { t }, {});
  fs.renameSync(dir, `${dir}.old`); // the state right after "latest → latest.old"
  assert.equal(findCheckpoint(dir), `${dir}.old`);
  assert.equal(loadCheckpoint(dir).meta.step, 5);
  t.dispose();
});

test('corrupt or missing checkpoints give a CheckpointError naming the problem', async () => {
  const dir = path.join(tmp(), 'latest');
  assert.throws(() => loadCheckpoint(dir), (e: Error) => e instanceof CheckpointError && /no checkpoint found/.test(e.message));
  const t = tf.tensor(new Float32Array(1000));
  await saveCheckpoint(dir, 3, { t }, {});
  const bin = path.join(dir, 'tensors.bin');
  fs.truncateSync(bin, 100);
  assert.throws(() => loadCheckpoint(dir), /checksum mismatch/);
  fs.writeFileSync(path.join(dir, 'state.json'), '{ not json');
  assert.throws(() => loadCheckpoint(dir), /corrupt checkpoint .*state\.json/);
  t.dispose();
});
