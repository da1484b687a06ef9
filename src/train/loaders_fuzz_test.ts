/**
 * Property-based fuzzing (fast-check) of the parsers and loaders that read files a user or an attacker
 * controls: checkpoint state.json/tensors.bin, YAML configs, .npy, idx, PNG/JPEG, captions.jsonl, and the
 * studio's routes. Property: a clear error (a Gantry error, or an Error naming the file) or a valid
 * result, never a crash, a hang or a raw exception (TypeError, RangeError, ...). Bounded: a fixed number
 * of runs per property (GANTRY_FUZZ_RUNS), seeded (GANTRY_FUZZ_SEED); prints how many inputs it tried.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../backend/backend.ts';
import { encodeNpy, readNpy } from '../core/npy.ts';
import { parseYaml } from '../core/config.ts';
import { readCaptions } from '../data/captioned.ts';
import { readIdx, IDX_IMAGES_MAGIC } from '../data/idx.ts';
import { decodeImageFile } from '../data/image_folder.ts';
import { validateConfig } from '../families/config.ts';
import { buildServer } from '../serve/server.ts';
import { loadCheckpoint, saveCheckpoint } from './checkpoint.ts';

await initBackend('cpu', { quiet: true });

const RUNS = Number(process.env.GANTRY_FUZZ_RUNS ?? 150);
const SEED = Number(process.env.GANTRY_FUZZ_SEED ?? 4242);
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'gantry-fuzz-'));
after(() => fs.rmSync(tmp, { recursive: true, force: true }));
const tried: Record<string, number> = {};
after(() => {
  const total = Object.values(tried).reduce((a, b) => a + b, 0);
  process.stdout.write(`# fuzz: ${total} inputs tried (${Object.entries(tried).map(([k, v]) => `${k} ${v}`).join(', ')}), seed ${SEED}\n`);
});

const GANTRY_ERRORS = new Set(['ConfigError', 'CheckpointError', 'DataError', 'UsageError', 'RunUsageError', 'WriteError']);

/** A clear error: one of Gantry's named errors, or a plain Error whose message names the file. */
function assertClear(e: unknown, file: string): void {
  assert.ok(e instanceof Error, `threw a non-Error: ${String(e)}`);
  if (GANTRY_ERRORS.has(e.name)) return;
  assert.equal(e.constructor, Error, `raw ${e.name}: ${e.message}`);
  assert.ok(e.message.includes(file) || e.message.includes(path.basename(file)), `error does not name the file: ${e.message}`);
}

/** Runs `load(file)` on each generated file's bytes; valid results are checked by `check` when given. */
function fuzzFile<T>(name: string, arb: fc.Arbitrary<Uint8Array>, load: (file: string) => T, check?: (v: T) => void): void {
  const file = path.join(tmp, name);
  fc.assert(
    fc.property(arb, (bytes) => {
      tried[name] = (tried[name] ?? 0) + 1;
      fs.writeFileSync(file, bytes);
      let v: T;
      try {
        v = load(file);
      } catch (e) {
        assertClear(e, file);
        return;
      }
      check?.(v);
    }),
    { numRuns: RUNS, seed: SEED },
  );
}

/** Mutations of a valid file: bytes flipped, truncated, extended, or spliced. */
function mutated(valid: Uint8Array): fc.Arbitrary<Uint8Array> {
  return fc.oneof(
    fc.uint8Array({ maxLength: 256 }),
    fc.tuple(fc.nat({ max: valid.length }), fc.uint8Array({ maxLength: 32 })).map(([cut, tail]) => Uint8Array.from([...valid.subarray(0, cut), ...tail])),
    fc.array(fc.tuple(fc.nat({ max: Math.max(0, valid.length - 1) }), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 8 }).map((edits) => {
      const b = Uint8Array.from(valid);
      for (const [i, v] of edits) b[i] = v;
      return b;
    }),
  );
}

test('checkpoint loader: mutated state.json and tensors.bin give a CheckpointError naming the file, or load exactly', async () => {
  const dir = path.join(tmp, 'ckpt', 'latest');
  const t = tf.tensor([1, 2, 3, 4, 5, 6], [2, 3]);
  await saveCheckpoint(dir, 3, { w: t, 'optG/step': tf.scalar(3, 'int32') }, { random: { s: [1, 2] } });
  t.dispose();
  const state = fs.readFileSync(path.join(dir, 'state.json'));
  const bin = fs.readFileSync(path.join(dir, 'tensors.bin'));
  const jsonValue = fc.jsonValue({ maxDepth: 3 });
  // state.json: byte mutations, arbitrary JSON, and valid metadata with one key replaced by any JSON value.
  const meta = JSON.parse(state.toString()) as Record<string, unknown>;
  const stateArb = fc.oneof(
    mutated(state),
    jsonValue.map((v) => Buffer.from(JSON.stringify(v) ?? 'null')),
    fc.tuple(fc.constantFrom(...Object.keys(meta)), fc.option(jsonValue)).map(([k, v]) => Buffer.from(JSON.stringify({ ...meta, [k]: v ?? undefined }))),
  );
  for (const [name, arb] of [['state.json', stateArb], ['tensors.bin', mutated(bin)]] as const) {
    fc.assert(
      fc.property(arb, (bytes) => {
        tried[`checkpoint ${name}`] = (tried[`checkpoint ${name}`] ?? 0) + 1;
        fs.writeFileSync(path.join(dir, 'state.json'), name === 'state.json' ? bytes : state);
        fs.writeFileSync(path.join(dir, 'tensors.bin'), name === 'tensors.bin' ? bytes : bin);
        try {
          const { tensors } = loadCheckpoint(dir);
          // Only the untouched checkpoint may load (the checksum covers all of it).
          assert.deepEqual(Array.from(tensors.w!.dataSync()), [1, 2, 3, 4, 5, 6]);
          Object.values(tensors).forEach((x) => x.dispose());
        } catch (e) {
          assert.equal((e as Error).name, 'CheckpointError', `raw ${(e as Error).name}: ${(e as Error).message}`);
          assert.match((e as Error).message, /checkpoint .*latest/);
        }
      }),
      { numRuns: RUNS, seed: SEED },
    );
  }
});

// Found by this fuzzer: an undefined alias such as `seed: *-` escaped as a raw YAML ReferenceError (fixed in parseYaml).
test('YAML config: arbitrary text and values give a ConfigError naming the source, or a valid config', () => {
  const keys = fc.constantFrom('seed', 'data', 'model', 'train', 'eval', 'name', 'loss', 'steps', 'batchSize', 'family', 'network');
  const yamlText = fc.oneof(
    fc.string({ maxLength: 200 }),
    fc.dictionary(keys, fc.jsonValue({ maxDepth: 3 })).map((o) => JSON.stringify(o)),
    fc.array(fc.tuple(keys, fc.string({ maxLength: 20 })), { maxLength: 6 }).map((kv) => kv.map(([k, v]) => `${k}: ${v}`).join('\n')),
  );
  fc.assert(
    fc.property(yamlText, (text) => {
      tried['YAML config'] = (tried['YAML config'] ?? 0) + 1;
      try {
        const cfg = validateConfig(parseYaml(text, 'fuzz.yaml'), 'fuzz.yaml');
        assert.ok(cfg.train.steps > 0);
      } catch (e) {
        assert.equal((e as Error).name, 'ConfigError', `raw ${(e as Error).name}: ${(e as Error).message}`);
        assert.match((e as Error).message, /fuzz\.yaml/);
      }
    }),
    { numRuns: RUNS, seed: SEED },
  );
});

// Found by this fuzzer: a shape entry that is not a number (e.g. a NUL byte) made `new Float32Array(NaN)` throw a
// raw RangeError (readNpy now checks the shape).
test('.npy reader', () => {
  fuzzFile('x.npy', mutated(encodeNpy(Float32Array.from([1, 2, 3, 4, 5, 6]), [2, 3])), readNpy, (v) => assert.equal(v.data.length, v.shape.reduce((a, b) => a * b, 1)));
});

test('idx reader', () => {
  const valid = Buffer.concat([Buffer.from([0, 0, 8, 3, 0, 0, 0, 2, 0, 0, 0, 2, 0, 0, 0, 2]), Buffer.from([1, 2, 3, 4, 5, 6, 7, 8])]);
  fuzzFile('x.idx', mutated(valid), (f) => readIdx(f, IDX_IMAGES_MAGIC), (v) => assert.equal(v.data.length, v.dims.reduce((a, b) => a * b, 1)));
});

test('PNG and JPEG decoders', () => {
  const png = Buffer.from(
    '89504e470d0a1a0a0000000d4948445200000002000000020806000000f278d4fa0000001549444154789c63f8cfc0f09f8181e13f030303001e0d03fd4cc3a7a70000000049454e44ae426082',
    'hex',
  );
  fuzzFile('x.png', mutated(png), decodeImageFile, (v) => assert.equal(v.rgba.length, v.width * v.height * 4));
  const jpegHead = Buffer.from('ffd8ffe000104a46494600010100000100010000ffdb004300', 'hex');
  fuzzFile('x.jpg', mutated(Buffer.concat([jpegHead, Buffer.alloc(64, 7), Buffer.from('ffd9', 'hex')])), decodeImageFile, (v) => assert.equal(v.rgba.length, v.width * v.height * 4));
});

test('captions.jsonl reader', () => {
  const valid = Buffer.from('{"file":"a.png","text":"a cat"}\n{"file":"b.png","text":"a dog"}\n');
  fuzzFile('captions.jsonl', mutated(valid), readCaptions, (v) => assert.ok(v.every((c) => typeof c.file === 'string' && c.file.length > 0)));
});

test("studio routes: arbitrary paths and queries answer a JSON 4xx/2xx, never a 500 or a hang", async () => {
  const runs = path.join(tmp, 'runs');
  fs.mkdirSync(path.join(runs, 'r1', 'samples'), { recursive: true });
  fs.writeFileSync(path.join(runs, 'r1', 'status.json'), '{"name":"r1","state":"done"}');
  fs.writeFileSync(path.join(runs, 'r1', 'samples', 'latest.png'), 'png');
  const app = await buildServer({ runsDir: runs, webDir: path.join(tmp, 'no-web') });
  try {
    const seg = fc.oneof(fc.constantFrom('api', 'runs', 'r1', 'samples', 'export', 'reverse', 'events', 'test-images', 'latest.png', 'model.json', '..', '.', '%2e%2e', '%00', '%ff', '~', ''), fc.string({ maxLength: 12 }).map(encodeURIComponent));
    const url = fc.tuple(fc.array(seg, { minLength: 1, maxLength: 5 }), fc.option(fc.string({ maxLength: 16 }))).map(([segs, q]) => `/${segs.join('/')}${q === null ? '' : `?since=${encodeURIComponent(q)}`}`);
    await fc.assert(
      fc.asyncProperty(url, async (u) => {
        tried['studio routes'] = (tried['studio routes'] ?? 0) + 1;
        if (/\/events(\?|$)/.test(u) && /^\/api\/runs\/r1\/events/.test(u)) return; // a live stream by design: not a request that ends
        const res = await app.inject({ method: 'GET', url: u });
        assert.ok(res.statusCode < 500, `${u} answered ${res.statusCode}: ${res.body.slice(0, 200)}`);
      }),
      { numRuns: RUNS * 2, seed: SEED, interruptAfterTimeLimit: 20_000 },
    );
  } finally {
    await app.close();
  }
});
