import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PAD_ID, Tokenizer, UNK_ID, words } from './tokenizer.ts';

test('words: lower-cased runs of letters and digits', () => {
  assert.deepEqual(words('A Red-and-WHITE bird, 2 wings!'), ['a', 'red', 'and', 'white', 'bird', '2', 'wings']);
  assert.deepEqual(words('  ...  '), []);
  assert.deepEqual(words('Café Über'), ['café', 'über']);
});

test('vocabulary: specials first, then words by frequency, ties by code point', () => {
  const tok = Tokenizer.fromTexts(['a red bird', 'A blue bird', 'bird'], 5);
  assert.deepEqual(tok.vocab, ['<pad>', '<unk>', 'bird', 'a', 'blue', 'red']);
  assert.equal(tok.vocabSize, 6);
  assert.equal(PAD_ID, 0);
  assert.equal(UNK_ID, 1);
});

test('encode: fixed length, unknown words <unk>, padded with 0 or truncated; decode drops padding', () => {
  const tok = Tokenizer.fromTexts(['a red bird', 'a blue bird'], 4);
  assert.deepEqual([...tok.encode('Red bird')], [tok.vocab.indexOf('red'), tok.vocab.indexOf('bird'), 0, 0]);
  assert.deepEqual([...tok.encode('a green bird')], [tok.vocab.indexOf('a'), UNK_ID, tok.vocab.indexOf('bird'), 0]);
  assert.deepEqual([...tok.encodeBatch(['Red bird', 'a green bird'])], [...tok.encode('Red bird'), ...tok.encode('a green bird')], 'encodeBatch: one row each');
  assert.deepEqual([...tok.encode('a a a a a a')], new Array(4).fill(tok.vocab.indexOf('a')));
  assert.deepEqual([...tok.encode('')], [0, 0, 0, 0]);
  const out = new Int32Array(8).fill(-1);
  tok.encode('bird', out, 4);
  assert.deepEqual([...out], [-1, -1, -1, -1, tok.vocab.indexOf('bird'), 0, 0, 0]);
  assert.equal(tok.decode(tok.encode('a green bird')), 'a <unk> bird');
});

test('toJSON / fromJSON round trip; malformed JSON is an error', () => {
  const tok = Tokenizer.fromTexts(['one two two three three three'], 3);
  const back = Tokenizer.fromJSON(JSON.parse(JSON.stringify(tok)));
  assert.deepEqual(back.vocab, tok.vocab);
  assert.equal(back.maxLength, 3);
  assert.deepEqual(back.encode('three one four'), tok.encode('three one four'));
  assert.throws(() => Tokenizer.fromJSON({ kind: 'bpe' }), /expected kind 'word'/);
  assert.throws(() => Tokenizer.fromJSON({ kind: 'word', maxLength: 3, vocab: ['a', 'b'] }), /vocab must start with <pad>, <unk>/);
  assert.throws(() => Tokenizer.fromJSON({ kind: 'word', maxLength: 3, vocab: ['<pad>', '<unk>', 'x', 'x'] }), /duplicate/);
  assert.throws(() => Tokenizer.fromJSON({ kind: 'word', maxLength: 0, vocab: ['<pad>', '<unk>'] }), /maxLength must be a positive integer, got 0/);
});
