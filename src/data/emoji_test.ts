/** The `emoji` dataset from the npm package: base emoji on white, categories as labels, names as captions, a fixed 1-in-10 test split. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { EMOJI_TEST_EVERY, loadEmojiSet } from './emoji.ts';
import { loadEvalSet, openDataSource } from './registry.ts';

test('emoji: 64×64 base emoji composited on white, labelled by category, named; train and test split 9:1', () => {
  const train = loadEmojiSet('train', { limit: 40 });
  assert.deepEqual(train.images.shape, [64, 64, 3]);
  assert.equal(train.images.count, 40);
  assert.equal(train.images.numClasses, train.categories.length);
  assert.ok(train.categories.includes('Smileys & Emotion') && train.categories.includes('Animals & Nature'));
  // Corners are transparent in the package's PNGs: white here.
  for (let i = 0; i < 40; i++) assert.deepEqual(Array.from(train.images.pixels.subarray(i * 64 * 64 * 3, i * 64 * 64 * 3 + 3)), [255, 255, 255], `emoji ${i} (${train.names[i]}) corner`);
  assert.ok(train.names.every((n) => n === n.toLowerCase() && n.length > 0));
  const all = loadEmojiSet('all', { size: 16 });
  const test = loadEmojiSet('test', { size: 16 });
  assert.equal(test.images.count, Math.ceil(all.images.count / EMOJI_TEST_EVERY));
  assert.ok(all.names.includes('red apple') && all.names.includes('grinning face'));
  assert.equal(test.names[0], all.names[0]);
  assert.equal(test.names[1], all.names[EMOJI_TEST_EVERY]);
});

test('emoji through the registry: a labelled image set, or captioned batches of token ids; a missing package folder is named', async () => {
  const set = await loadEvalSet({ name: 'emoji', imageSize: 32, limit: 8 }, 'test');
  assert.deepEqual(set.shape, [32, 32, 3]);
  assert.ok(set.labels && set.labels.length === 8);
  const src = await openDataSource({ name: 'emoji', captions: true, imageSize: 16, limit: 64 }, 1);
  assert.ok(src.tokenizer && src.tokenizer.vocab.includes('flag'));
  const b = src.nextBatch(4);
  assert.equal(b.x.length, 4 * 16 * 16 * 3);
  assert.equal(b.tokens!.length, 4 * 10);
  const empty = fs.mkdtempSync(path.join(os.tmpdir(), 'gantry-emoji-'));
  try {
    assert.throws(() => loadEmojiSet('train', { dir: empty }), /emoji\.json not found/);
  } finally {
    fs.rmSync(empty, { recursive: true, force: true });
  }
});
