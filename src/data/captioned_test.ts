import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { captionedSource, loadCaptionedSet, readCaptions } from './captioned.ts';
import { Tokenizer } from './tokenizer.ts';
import { byteOf, put, solidPng, tempDir } from './test_support.ts';

const tmp = tempDir('gantry-captioned-');
after(tmp.remove);

function folder(name: string, lines: string[], images: Record<string, number>): string {
  const dir = join(tmp.dir, name);
  for (const [file, grey] of Object.entries(images)) put(join(dir, file), solidPng(2, 2, grey));
  put(join(dir, 'captions.jsonl'), lines.join('\n') + '\n');
  return dir;
}

test('captions.jsonl: one example a line, images stored once, blank lines skipped', () => {
  const dir = folder(
    'ok',
    ['{"file": "red.png", "text": "a red square"}', '', '{"file": "sub/blue.png", "text": "A blue square"}', '{"file": "red.png", "text": "red again"}'],
    { 'red.png': 200, 'sub/blue.png': 40 },
  );
  const set = loadCaptionedSet(dir, { imageSize: 1, channels: 1 });
  assert.equal(set.images.count, 2);
  assert.ok(set.images.pixels instanceof Uint8Array);
  assert.deepEqual([...set.images.pixels], [200, 40]);
  assert.deepEqual([...set.imageOf], [0, 1, 0]);
  assert.deepEqual(set.texts, ['a red square', 'A blue square', 'red again']);
  assert.equal(loadCaptionedSet(dir, { imageSize: 1, channels: 1, limit: 1 }).texts.length, 1);
});

test('captionedSource: tokens belong to the image drawn, fields and tokenizer exposed, state resumes', () => {
  const dir = folder(
    'src',
    ['{"file": "a.png", "text": "dark"}', '{"file": "b.png", "text": "light grey"}', '{"file": "c.png", "text": "white"}'],
    { 'a.png': 0, 'b.png': 180, 'c.png': 255 },
  );
  const set = loadCaptionedSet(dir, { imageSize: 2, channels: 3 });
  const tok = Tokenizer.fromTexts(set.texts, 3);
  const src = captionedSource('captioned', set, tok, 4);
  assert.equal(src.tokenizer, tok);
  assert.deepEqual(src.fields, { x: { shape: [2, 2, 3], dtype: 'float32' }, tokens: { shape: [3], dtype: 'int32' } });
  const caption: Record<number, string> = { 0: 'dark', 180: 'light grey', 255: 'white' };
  for (let n = 0; n < 3; n++) {
    const b = src.nextBatch(4);
    assert.equal(b.tokens!.length, 12);
    for (let i = 0; i < 4; i++) assert.equal(tok.decode(b.tokens!.subarray(i * 3, i * 3 + 3)), caption[byteOf(b.x[i * 12]!)]);
  }
  const saved = JSON.parse(JSON.stringify(src.getState()));
  const want = src.nextBatch(5);
  const again = captionedSource('captioned', set, tok, 99);
  again.setState(saved);
  assert.deepEqual(again.nextBatch(5), want);
});

test('bad captions files: errors give the line', () => {
  const images = { 'a.png': 1 };
  const bad = (name: string, lines: string[]) => () => readCaptions(join(folder(name, lines, images), 'captions.jsonl'));
  assert.throws(bad('json', ['{"file": "a.png", "text": "ok"}', '{"file": "a.png", "text": }']), /captions\.jsonl:2: not valid JSON/);
  assert.throws(bad('nofile', ['{"text": "no file"}']), /captions\.jsonl:1: missing field 'file'/);
  assert.throws(bad('notext', ['', '{"file": "a.png"}']), /captions\.jsonl:2: missing field 'text'/);
  assert.throws(bad('type', ['{"file": "a.png", "text": 3}']), /captions\.jsonl:1: field 'text' must be a string, got 3/);
  assert.throws(bad('array', ['["a.png", "x"]']), /captions\.jsonl:1: expected an object/);
  assert.throws(bad('empty', ['', '  ']), /captions\.jsonl: no captions/);
  const missing = folder('missing', ['{"file": "a.png", "text": "x"}', '{"file": "gone.png", "text": "y"}'], images);
  assert.throws(() => loadCaptionedSet(missing, { imageSize: 1, channels: 1 }), /captions\.jsonl:2: image file 'gone\.png' not found in /);
  assert.throws(() => readCaptions(join(tmp.dir, 'nowhere', 'captions.jsonl')), /captions file not found/);
});
