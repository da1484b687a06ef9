import { test } from 'node:test';
import { tempDirMaker } from './temp_testing.ts';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { encodeNpy, readNpy } from './npy.ts';

const tempDir = tempDirMaker();

test('npy round-trip keeps shape and float32 values; header is 64-byte aligned', () => {
  const data = Float32Array.from({ length: 24 }, (_, i) => i / 7 - 1);
  const buf = encodeNpy(data, [2, 3, 4]);
  assert.equal(buf.toString('latin1', 0, 6), '\x93NUMPY');
  const headerLen = buf.readUInt16LE(8);
  assert.equal((10 + headerLen) % 64, 0);
  assert.match(buf.toString('latin1', 10, 10 + headerLen), /'descr': '<f4', 'fortran_order': False, 'shape': \(2, 3, 4\)/);
  const file = path.join(tempDir('npy-'), 'a.npy');
  fs.writeFileSync(file, buf);
  const back = readNpy(file);
  assert.deepEqual(back.shape, [2, 3, 4]);
  assert.deepEqual(back.data, data);
});

test('npy reader names truncated and foreign files', () => {
  const dir = tempDir('npy-');
  const full = encodeNpy(new Float32Array(100), [10, 10]);
  fs.writeFileSync(path.join(dir, 't.npy'), full.subarray(0, full.length - 8));
  assert.throws(() => readNpy(path.join(dir, 't.npy')), /truncated/);
  fs.writeFileSync(path.join(dir, 'x.npy'), 'hello world');
  assert.throws(() => readNpy(path.join(dir, 'x.npy')), /bad magic/);
});
