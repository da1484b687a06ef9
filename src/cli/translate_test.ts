/**
 * `gantry translate` and the paired `gantry eval` end to end on a tiny pix2pix run (MNIST edges → digits,
 * trained here for a few steps): a PNG, a folder (same names out), a .npy (same values as the folder's
 * PNGs, from the export and from the checkpoint alike), --grid pairs, and errors that name the problem
 * (--reverse on pix2pix, a colour image for a 1-channel network, wrong .npy channels, an unreadable
 * file). Also `gantry train pix2pix-folders --data-a --data-b --image-size --channels`.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { PNG } from 'pngjs';
import { encodeImageExact } from '../core/images.ts';
import { encodeNpy, readNpy } from '../core/npy.ts';
import { imageSetToUnit } from '../data/dataset.ts';
import { initBackend } from '../backend/backend.ts';
import { dataFlagOverrides, loadPairedEvalSet } from '../data/registry.ts';
import { validateConfig } from '../families/config.ts';
import { trainRun } from '../train/run.ts';
import { translateCommand } from './translate.ts';

await initBackend('wasm', { quiet: true });

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const bin = path.join(root, 'bin', 'gantry.js');
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'gantry-translate-'));
after(() => fs.rmSync(work, { recursive: true, force: true }));

const DATA = { name: 'paired-task', task: 'edges', from: { name: 'mnist', limit: 300 } } as const;
const CFG = `name: tiny-pix2pix
seed: 4
data: { name: paired-task, task: edges, from: { name: mnist, limit: 300 } }
model:
  family: pix2pix
  network: { arch: unet, width: 4, depth: 4, dLayers: 1 }
  optimizerG: { type: adam, lr: 0.002, beta1: 0.5 }
train: { steps: 20, batchSize: 16, logEvery: 20, sampleEvery: 1000, checkpointEvery: 1000 }
`;
const run = path.join(work, 'run');

function gantry(args: string[]): { code: number; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [bin, ...args], { cwd: work, encoding: 'utf8', env: { ...process.env, GANTRY_DEBUG: '', GANTRY_FROM_SOURCE: '1' } });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

/** translateCommand in this process (no start-up cost); resolves or rejects with its error. */
function translate(args: { in: string; out: string; reverse?: boolean; grid?: boolean }, runDir = run): Promise<void> {
  return translateCommand(runDir, args);
}

function readPng(file: string): PNG {
  return PNG.sync.read(fs.readFileSync(file));
}

let edges: Float32Array;
const N = 5;

before(async () => {
  fs.writeFileSync(path.join(work, 'tiny.yaml'), CFG);
  const r = gantry(['train', 'tiny.yaml', '--out', run, '--backend', 'wasm']);
  assert.equal(r.code, 0, r.stderr);
  const test = await loadPairedEvalSet(DATA, 'test');
  edges = imageSetToUnit(test.input, 0, N);
  fs.mkdirSync(path.join(work, 'in', 'sub'), { recursive: true });
  for (let i = 0; i < N; i++) {
    fs.writeFileSync(path.join(work, 'in', i < 2 ? 'sub' : '', `e${i}.png`), encodeImageExact(edges, i, [28, 28, 1], [-1, 1]));
  }
  fs.writeFileSync(path.join(work, 'edges.npy'), encodeNpy(edges, [N, 28, 28, 1]));
});

test('translate: a PNG, a folder with the same names, a .npy that agrees with the PNGs, and from the checkpoint when there is no export', async () => {
  await translate({ in: path.join(work, 'in', 'e2.png'), out: path.join(work, 'one.png') });
  const png = readPng(path.join(work, 'one.png'));
  assert.deepEqual([png.width, png.height], [28, 28], 'one 28×28 image');

  await translate({ in: path.join(work, 'in'), out: path.join(work, 'out') });
  const names = ['e2.png', 'e3.png', 'e4.png', path.join('sub', 'e0.png'), path.join('sub', 'e1.png')];
  for (const n of names) assert.ok(fs.existsSync(path.join(work, 'out', n)), `missing ${n}`);

  await translate({ in: path.join(work, 'edges.npy'), out: path.join(work, 'out.npy') });
  const y = readNpy(path.join(work, 'out.npy'));
  assert.deepEqual(y.shape, [N, 28, 28, 1]);
  assert.ok(y.data.every((v) => v >= -1 && v <= 1));
  // Image 3 of the array is e3.png's output: the same pixels within rounding to bytes.
  const p3 = readPng(path.join(work, 'out', 'e3.png'));
  let worst = 0;
  for (let k = 0; k < 28 * 28; k++) {
    worst = Math.max(worst, Math.abs(p3.data[k * 4]! - Math.round(((y.data[3 * 784 + k]! + 1) / 2) * 255)));
  }
  assert.ok(worst <= 1, `PNG and .npy outputs differ by ${worst}/255`);
  // The output is a translation, not the input: it differs from the edge map.
  let diff = 0;
  for (let k = 0; k < N * 784; k++) diff += Math.abs(y.data[k]! - edges[k]!) / (N * 784);
  assert.ok(diff > 0.05, `outputs look like the inputs (mean |Δ| ${diff})`);

  // Without the export the checkpoint's generator gives the same outputs.
  fs.renameSync(path.join(run, 'export'), path.join(work, 'export.bak'));
  try {
    await translate({ in: path.join(work, 'edges.npy'), out: path.join(work, 'ck.npy') });
    const c = readNpy(path.join(work, 'ck.npy')).data;
    assert.ok(c.every((v, i) => Math.abs(v - y.data[i]!) < 1e-5), 'checkpoint and export generators differ');
  } finally {
    fs.renameSync(path.join(work, 'export.bak'), path.join(run, 'export'));
  }
});

test('translate --grid: input | output side by side, one row per image', () => {
  const r = gantry(['translate', run, '--in', path.join(work, 'edges.npy'), '--out', path.join(work, 'grid.png'), '--grid', '--backend', 'wasm']);
  assert.equal(r.code, 0, r.stderr);
  const png = readPng(path.join(work, 'grid.png'));
  assert.deepEqual([png.width, png.height], [2 + 2 * 30, 2 + N * 30]);
  // The left cell of row 0 is the edge map itself.
  const px = (x: number, y: number) => png.data[(y * png.width + x) * 4]!;
  let same = 0;
  for (let k = 0; k < 784; k++) same += Number(Math.abs(px(2 + (k % 28), 2 + Math.floor(k / 28)) - (edges[k]! > 0 ? 255 : 0)) <= 1);
  assert.equal(same, 784);
});

test('translate errors name the problem', async () => {
  const npyIn = path.join(work, 'edges.npy');
  await assert.rejects(translate({ in: npyIn, out: path.join(work, 'r.npy'), reverse: true }), /--reverse: run .* is pix2pix, which learns one direction only/);
  const colour = path.join(work, 'colour.png');
  fs.writeFileSync(colour, encodeImageExact(Float32Array.from({ length: 28 * 28 * 3 }, (_, i) => (i % 3 === 0 ? 1 : -1)), 0, [28, 28, 3], [-1, 1]));
  await assert.rejects(translate({ in: colour, out: path.join(work, 'c.png') }), /colour\.png is a colour image, but the network takes 1-channel \(grayscale\) images/);
  fs.writeFileSync(path.join(work, 'rgb.npy'), encodeNpy(new Float32Array(2 * 28 * 28 * 3), [2, 28, 28, 3]));
  await assert.rejects(translate({ in: path.join(work, 'rgb.npy'), out: path.join(work, 'x.npy') }), /rgb\.npy is \[2,28,28,3\]: 3 channel\(s\), the network takes 1/);
  fs.writeFileSync(path.join(work, 'bytes.npy'), encodeNpy(new Float32Array(28 * 28).fill(200), [1, 28, 28, 1]));
  await assert.rejects(translate({ in: path.join(work, 'bytes.npy'), out: path.join(work, 'x.npy') }), /outside the data range \[-1,1\] — they look like 0\.\.255 pixels/);
  fs.writeFileSync(path.join(work, 'broken.png'), Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), Buffer.from('not really')]));
  await assert.rejects(translate({ in: path.join(work, 'broken.png'), out: path.join(work, 'b.png') }), /broken\.png: cannot decode PNG image/);
  await assert.rejects(translate({ in: path.join(work, 'in'), out: path.join(work, 'm.png') }), /--in holds 5: give a folder or a \.npy, or --grid/);
  await assert.rejects(translate({ in: path.join(work, 'in', 'nothing.png'), out: path.join(work, 'n.png') }), /--in: .*nothing\.png not found/);
  // Through the CLI: one line naming the problem, exit code 1.
  const r = gantry(['translate', path.join(work, 'nope'), '--in', 'x.png', '--out', 'y.png']);
  assert.equal(r.code, 1);
  assert.equal(r.stderr.trim(), `gantry: error: run folder ${path.join(work, 'nope')} not found`);
});

test('translate --reverse on an image CycleGAN run uses G_BA (from export/reverse/, the same as from the checkpoint): outputs differ from the forward G_AB', async () => {
  const cyc = path.join(work, 'cyc');
  const cfg = validateConfig(
    {
      name: 'tiny-cyclegan',
      data: { name: 'unpaired', a: { name: 'mnist', limit: 32 }, b: { name: 'mnist', limit: 32, imageSize: 28 } },
      model: {
        family: 'cyclegan',
        network: { arch: 'resnet', width: 4, blocks: 1, dLayers: 1 },
        optimizerG: { type: 'adam', lr: 0.001 },
        optimizerD: { type: 'adam', lr: 0.001 },
      },
      train: { steps: 2, batchSize: 4, logEvery: 1, sampleEvery: 1000, checkpointEvery: 1000 },
    },
    'test',
  );
  await trainRun({ config: cfg, preset: 'tiny-cyclegan', outDir: cyc });
  await translate({ in: path.join(work, 'edges.npy'), out: path.join(work, 'ab.npy') }, cyc);
  await translate({ in: path.join(work, 'edges.npy'), out: path.join(work, 'ba.npy'), reverse: true }, cyc);
  const ab = readNpy(path.join(work, 'ab.npy'));
  const ba = readNpy(path.join(work, 'ba.npy'));
  assert.deepEqual(ba.shape, [N, 28, 28, 1]);
  assert.ok(ba.data.some((v, i) => Math.abs(v - ab.data[i]!) > 1e-3), 'the reverse generator gave the forward outputs');
  // G_BA is exported beside G_AB, named by the main model; an export without it (older runs) falls back to the checkpoint.
  const model = JSON.parse(fs.readFileSync(path.join(cyc, 'export', 'model.json'), 'utf8')) as { reverse?: string };
  assert.equal(model.reverse, 'reverse/');
  const reverse = JSON.parse(fs.readFileSync(path.join(cyc, 'export', 'reverse', 'model.json'), 'utf8')) as { family: string; inputs: unknown; weightsManifest: Array<{ weights: Array<{ name: string }> }> };
  assert.equal(reverse.family, 'cyclegan');
  assert.deepEqual(reverse.inputs, { x: { kind: 'image', shape: [28, 28, 1] } });
  assert.ok(reverse.weightsManifest[0]!.weights.some((w) => w.name === 'examples/x'), 'the reverse export ships example inputs');
  fs.rmSync(path.join(cyc, 'export', 'reverse'), { recursive: true });
  fs.writeFileSync(path.join(cyc, 'export', 'model.json'), JSON.stringify({ ...model, reverse: undefined }));
  await translate({ in: path.join(work, 'edges.npy'), out: path.join(work, 'ba-ckpt.npy'), reverse: true }, cyc);
  const fromCkpt = readNpy(path.join(work, 'ba-ckpt.npy'));
  assert.ok(fromCkpt.data.every((v, i) => Math.abs(v - ba.data[i]!) < 1e-5), 'export/reverse/ and the checkpoint disagree');
});

test('eval on a pix2pix run: L1/PSNR/SSIM with the split and count in the keys, beside the input and mean-target baselines', () => {
  const r = gantry(['eval', run, '--metrics', 'paired', '--n', '100', '--backend', 'wasm']);
  assert.equal(r.code, 0, r.stderr);
  const m = JSON.parse(r.stdout) as Record<string, number>;
  for (const k of ['l1_test100', 'psnr_test100', 'psnr_pooled_test100', 'ssim_test100', 'psnr_test100_input', 'ssim_test100_input', 'psnr_test100_meantarget', 'l1_test100_meantarget']) {
    assert.equal(typeof m[k], 'number', `missing ${k}`);
  }
  assert.equal(m.n_pairs, 100);
  assert.ok(m.psnr_test100! > 5 && m.psnr_test100! < 60 && m.ssim_test100! > -1 && m.ssim_test100! <= 1);
  assert.match(gantry(['eval', run, '--metrics', 'is', '--backend', 'wasm']).stderr, /do not apply to a paired translation run/);
});

test('train pix2pix-folders takes --data-a/--data-b/--image-size/--channels; a missing folder flag is named', () => {
  for (const d of ['A', 'B']) fs.mkdirSync(path.join(work, 'pairs', d), { recursive: true });
  for (let i = 0; i < 4; i++) {
    const img = Float32Array.from({ length: 20 * 20 * 3 }, (_, k) => Math.sin(k * 0.1 + i));
    fs.writeFileSync(path.join(work, 'pairs', 'A', `p${i}.png`), encodeImageExact(img, 0, [20, 20, 3], [-1, 1]));
    fs.writeFileSync(path.join(work, 'pairs', 'B', `p${i}.png`), encodeImageExact(img.map((v) => -v), 0, [20, 20, 3], [-1, 1]));
  }
  const out = path.join(work, 'folders-run');
  const r = gantry(['train', 'pix2pix-folders', '--data-a', 'pairs/A', '--data-b', 'pairs/B', '--image-size', '32', '--channels', '1', '--steps', '2', '--batch-size', '2', '--out', out, '--backend', 'wasm']);
  assert.equal(r.code, 0, r.stderr);
  const saved = fs.readFileSync(path.join(out, 'config.yaml'), 'utf8');
  assert.match(saved, /dirA: .*pairs\/A/);
  assert.match(saved, /imageSize: 32/);
  assert.match(saved, /channels: 1/);
  const none = gantry(['train', 'pix2pix-folders', '--steps', '2', '--out', path.join(work, 'f2'), '--backend', 'wasm']);
  assert.equal(none.code, 1);
  assert.match(none.stderr, /--data-a INPUTS --data-b TARGETS/);
  assert.throws(() => dataFlagOverrides({ name: 'paired' }, { dataA: 'pairs/A' }), /give both --data-a and --data-b/);
  assert.deepEqual(dataFlagOverrides({ name: 'paired-task' }, { dataDir: '/d', channels: 1 }), { from: { dir: '/d', channels: 1 } });
  assert.throws(() => dataFlagOverrides({ name: 'mnist' }, { dataA: 'a', dataB: 'b' }), /single domain/);
});
