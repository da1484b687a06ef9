/**
 * `gantry inpaint` end to end on a tiny inpaint run (MNIST, trained here for a few steps): a .npy in with
 * a .npy mask (known pixels come back exactly; the same as the checkpoint's generator), `center` and
 * `random` masks (seeded), PNG masks (one for an image, a folder matched by name), --grid, and errors
 * that name the problem (mask shape, count, size, values; a missing run folder).
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { PNG } from 'pngjs';
import { initBackend } from '../backend/backend.ts';
import { encodeImageExact } from '../core/images.ts';
import { encodeNpy, readNpy } from '../core/npy.ts';
import { Rng } from '../core/rng.ts';
import { imageSetToUnit } from '../data/dataset.ts';
import { drawMasks, evalMasks } from '../data/inpaint.ts';
import { loadEvalSet } from '../data/registry.ts';
import { inpaintCommand, type InpaintOptions } from './inpaint.ts';

await initBackend('wasm', { quiet: true });

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const bin = path.join(root, 'bin', 'gantry.js');
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'gantry-inpaint-cli-'));
after(() => fs.rmSync(work, { recursive: true, force: true }));

const CFG = `name: tiny-inpaint
seed: 4
data: { name: inpaint, from: { name: mnist, limit: 200 }, masks: mixed }
model:
  family: inpaint
  network: { arch: unet, width: 4, depth: 3, dropoutBlocks: 0, dLayers: 1 }
train: { steps: 10, batchSize: 8, logEvery: 10, sampleEvery: 1000, checkpointEvery: 1000 }
`;
const run = path.join(work, 'run');
const N = 4;
let x: Float32Array;

function gantry(args: string[]): { code: number; stderr: string } {
  const r = spawnSync(process.execPath, [bin, ...args], { cwd: work, encoding: 'utf8', env: { ...process.env, GANTRY_DEBUG: '' } });
  return { code: r.status ?? -1, stderr: r.stderr };
}

const inpaint = (o: Omit<InpaintOptions, 'out'> & { out?: string }, runDir = run) => inpaintCommand(runDir, { out: path.join(work, 'o.npy'), ...o });
const file = (name: string) => path.join(work, name);
const maskPng = (m: Float32Array, i: number) => encodeImageExact(Float32Array.from(m.subarray(i * 784, (i + 1) * 784), (v) => 2 * v - 1), 0, [28, 28, 1], [-1, 1]);

before(async () => {
  fs.writeFileSync(file('tiny.yaml'), CFG);
  const r = gantry(['train', 'tiny.yaml', '--out', run, '--backend', 'wasm']);
  assert.equal(r.code, 0, r.stderr);
  x = imageSetToUnit(await loadEvalSet({ name: 'mnist', limit: N }, 'test'), 0, N);
  fs.writeFileSync(file('x.npy'), encodeNpy(x, [N, 28, 28, 1]));
  fs.mkdirSync(file('in/sub'), { recursive: true });
  fs.mkdirSync(file('masks/sub'), { recursive: true });
  const m = drawMasks('boxes', N, 28, 28, new Rng(9));
  fs.writeFileSync(file('m.npy'), encodeNpy(m, [N, 28, 28]));
  for (let i = 0; i < N; i++) {
    const sub = i < 2 ? 'sub' : '';
    fs.writeFileSync(path.join(work, 'in', sub, `d${i}.png`), encodeImageExact(x, i, [28, 28, 1], [-1, 1]));
    fs.writeFileSync(path.join(work, 'masks', sub, `d${i}.png`), maskPng(m, i));
  }
});

test('inpaint a .npy with a .npy mask: known pixels exact, the hole filled; PNG masks give the same; the checkpoint agrees with the export', async () => {
  await inpaint({ in: file('x.npy'), mask: file('m.npy'), out: file('y.npy') });
  const m = readNpy(file('m.npy')).data;
  const y = readNpy(file('y.npy'));
  assert.deepEqual(y.shape, [N, 28, 28, 1]);
  let changed = 0;
  for (let i = 0; i < y.data.length; i++) {
    if (m[i] === 0) assert.equal(y.data[i], x[i], 'a known pixel changed');
    else changed += Number(Math.abs(y.data[i]! - x[i]!) > 1e-3);
  }
  assert.ok(changed > 0, 'the hole was left as it was');
  // The same masks as PNG files, a folder matched by name (images in PNGs too): the same completions within byte rounding.
  await inpaint({ in: file('in'), mask: file('masks'), out: file('outdir') });
  const png = PNG.sync.read(fs.readFileSync(file('outdir/sub/d1.png')));
  let worst = 0;
  for (let k = 0; k < 784; k++) worst = Math.max(worst, Math.abs(png.data[k * 4]! - Math.round(((y.data[784 + k]! + 1) / 2) * 255)));
  assert.ok(worst <= 1, `PNG and .npy outputs differ by ${worst}/255`);
  // [N, H, W, 1] masks are accepted too; without the export the checkpoint's generator gives the same.
  fs.writeFileSync(file('m4.npy'), encodeNpy(m, [N, 28, 28, 1]));
  fs.renameSync(path.join(run, 'export'), file('export.bak'));
  try {
    await inpaint({ in: file('x.npy'), mask: file('m4.npy'), out: file('ck.npy') });
  } finally {
    fs.renameSync(file('export.bak'), path.join(run, 'export'));
  }
  const c = readNpy(file('ck.npy')).data;
  assert.ok(c.every((v, i) => Math.abs(v - y.data[i]!) < 1e-5), 'checkpoint and export generators differ');
});

test('--mask center is the evaluation hole; random is seeded; --grid shows masked | filled', async () => {
  await inpaint({ in: file('x.npy'), mask: 'center', out: file('c.npy') });
  const c = readNpy(file('c.npy')).data;
  const centre = evalMasks('center', 'test', N, 28, 28);
  assert.ok(c.every((v, i) => (centre[i] ? true : v === x[i])));
  await inpaint({ in: file('x.npy'), mask: 'random', seed: 3, out: file('r1.npy') });
  await inpaint({ in: file('x.npy'), mask: 'random', seed: 3, out: file('r2.npy') });
  await inpaint({ in: file('x.npy'), mask: 'random', seed: 4, out: file('r3.npy') });
  assert.deepEqual(readNpy(file('r1.npy')).data, readNpy(file('r2.npy')).data);
  assert.notDeepEqual(readNpy(file('r1.npy')).data, readNpy(file('r3.npy')).data);
  await inpaint({ in: file('in/d2.png'), mask: file('masks/d2.png'), out: file('g.png'), grid: true });
  const g = PNG.sync.read(fs.readFileSync(file('g.png')));
  assert.deepEqual([g.width, g.height], [2 + 2 * 30, 2 + 30]);
});

test('inpaint errors name the problem', async () => {
  fs.writeFileSync(file('bad_shape.npy'), encodeNpy(new Float32Array(N * 27 * 28), [N, 27, 28]));
  await assert.rejects(inpaint({ in: file('x.npy'), mask: file('bad_shape.npy') }), /--mask: .*bad_shape\.npy has shape \[4,27,28\]; expected \[N, 28, 28\] or \[N, 28, 28, 1\]/);
  fs.writeFileSync(file('three.npy'), encodeNpy(new Float32Array(3 * 784), [3, 28, 28]));
  await assert.rejects(inpaint({ in: file('x.npy'), mask: file('three.npy') }), /holds 3 mask\(s\) but --in holds 4 image\(s\)/);
  fs.writeFileSync(file('half.npy'), encodeNpy(new Float32Array(N * 784).fill(0.5), [N, 28, 28]));
  await assert.rejects(inpaint({ in: file('x.npy'), mask: file('half.npy') }), /holds 0\.5: a mask is 0 \(known\) or 1 \(missing\)/);
  fs.writeFileSync(file('big.png'), encodeImageExact(new Float32Array(32 * 32), 0, [32, 32, 1], [-1, 1]));
  await assert.rejects(inpaint({ in: file('in/d2.png'), mask: file('big.png') }), /big\.png is 32×32 but its image is 28×28: a mask must have its image's size/);
  fs.mkdirSync(file('fewmasks'));
  fs.copyFileSync(file('masks/d2.png'), file('fewmasks/d2.png'));
  await assert.rejects(inpaint({ in: file('in'), mask: file('fewmasks') }), /--mask: no mask for d3\.png in .*fewmasks/);
  await assert.rejects(inpaint({ in: file('x.npy'), mask: file('nothing.npy') }), /--mask: .*nothing\.npy not found/);
  await assert.rejects(inpaint({ in: file('in'), mask: 'center', out: file('one.png') }), /--in holds 4: give a folder or a \.npy, or --grid/);
  const r = gantry(['inpaint', file('nope'), '--in', 'x.png', '--mask', 'center', '--out', 'y.png']);
  assert.equal(r.code, 1);
  assert.equal(r.stderr.trim(), `gantry: error: run folder ${file('nope')} not found`);
});
