/**
 * `gantry upscale` and the SR `gantry eval` end to end on a tiny srgan run (MNIST read as RGB, ×2, trained here for
 * a few steps): a PNG of a size the network was not built for comes out exactly ×2 and equal to the
 * untiled network's output, a folder keeps its names, a .npy round-trips, the export and the checkpoint
 * agree; `gantry eval RUN --peer esrgan-slim` puts Gantry, bicubic and the peer side by side, and
 * `--sr-dir/--hr-dir` scores files on disk; errors name the problem.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { PNG } from 'pngjs';
import { initBackend } from '../backend/backend.ts';
import { encodeNpy, readNpy } from '../core/npy.ts';
import { pngOf, put } from '../data/test_support.ts';
import { validateConfig } from '../families/config.ts';
import { evaluateRun } from '../metrics/run_eval.ts';
import { evaluateSrFolders } from '../metrics/sr_eval.ts';
import { trainRun, openRun } from '../train/run.ts';
import { upscaleCommand } from './upscale.ts';
import { loadExportNetwork } from './translate.ts';

await initBackend('wasm', { quiet: true });

const work = fs.mkdtempSync(path.join(os.tmpdir(), 'gantry-upscale-'));
after(() => fs.rmSync(work, { recursive: true, force: true }));
const run = path.join(work, 'run');

before(async () => {
  const cfg = validateConfig({
    name: 'tiny-srgan',
    seed: 3,
    data: { name: 'sr', scale: 2, from: { name: 'mnist', channels: 3, limit: 64 } },
    model: { family: 'srgan', network: { arch: 'srresnet', width: 8, blocks: 1, norm: 'none', inputSkip: 'bilinear', dWidth: 4, dLayers: 2, dDense: 8 }, pretrainSteps: 2 },
    train: { steps: 3, batchSize: 4, logEvery: 3, sampleEvery: 1000, checkpointEvery: 1000 },
  }, 'test');
  await trainRun({ config: cfg, preset: 'tiny-srgan', outDir: run });
});

const texture = (w: number, h: number) => pngOf(w, h, (x, y) => [(x * 9) % 256, (y * 13) % 256, ((x + y) * 5) % 256, 255]);

test('a PNG of any size comes out ×2, equal to the whole-image pass; a folder keeps its names; .npy round-trips', async () => {
  put(path.join(work, 'in', 'a.png'), texture(45, 23));
  put(path.join(work, 'in', 'sub', 'b.png'), texture(20, 30));
  const report = await upscaleCommand(run, { in: path.join(work, 'in', 'a.png'), out: path.join(work, 'a_x2.png'), tile: 16, overlap: 6 });
  assert.equal(report.scale, 2);
  assert.ok(report.peak_rss_mb > 0 && report.megapixels_per_second > 0);
  const png = PNG.sync.read(fs.readFileSync(path.join(work, 'a_x2.png')));
  assert.deepEqual([png.width, png.height], [90, 46]);
  // Tiles of 16 with 6 px of context: what the seams lose to zero padding stays under one 8-bit level here
  // (models/tiled_test.ts proves exactness when the receptive field fits); a misplaced tile would be far off.
  const { net } = loadExportNetwork(path.join(run, 'export'));
  try {
    const img = PNG.sync.read(fs.readFileSync(path.join(work, 'in', 'a.png')));
    const x = Float32Array.from({ length: 45 * 23 * 3 }, (_, k) => img.data[Math.floor(k / 3) * 4 + (k % 3)]! / 127.5 - 1);
    const whole = tf.tidy(() => net.apply(tf.tensor4d(x, [1, 23, 45, 3]), { training: false }).dataSync());
    let worst = 0;
    for (let p = 0; p < 90 * 46; p++) for (let k = 0; k < 3; k++) {
      const want = Math.max(0, Math.min(255, Math.round((whole[p * 3 + k]! + 1) * 127.5)));
      worst = Math.max(worst, Math.abs(png.data[p * 4 + k]! - want));
    }
    assert.ok(worst <= 1, `tiled PNG differs from the whole-image pass by ${worst} levels`);
  } finally {
    net.dispose();
  }
  await upscaleCommand(run, { in: path.join(work, 'in'), out: path.join(work, 'out') });
  assert.ok(fs.existsSync(path.join(work, 'out', 'a.png')) && fs.existsSync(path.join(work, 'out', 'sub', 'b.png')));
  const arr = Float32Array.from({ length: 2 * 10 * 12 * 3 }, (_, i) => Math.sin(i) * 0.9);
  fs.writeFileSync(path.join(work, 'in.npy'), encodeNpy(arr, [2, 10, 12, 3]));
  await upscaleCommand(run, { in: path.join(work, 'in.npy'), out: path.join(work, 'out.npy') });
  assert.deepEqual(readNpy(path.join(work, 'out.npy')).shape, [2, 20, 24, 3]);
});

test('the export and the checkpoint upscale alike; bad inputs and non-SR runs get errors that name the problem', async () => {
  const viaExport = path.join(work, 'e.npy');
  await upscaleCommand(run, { in: path.join(work, 'in.npy'), out: viaExport });
  const noExport = path.join(work, 'run-ckpt');
  fs.cpSync(run, noExport, { recursive: true });
  fs.rmSync(path.join(noExport, 'export'), { recursive: true });
  await upscaleCommand(noExport, { in: path.join(work, 'in.npy'), out: path.join(work, 'c.npy') });
  const a = readNpy(viaExport).data;
  const b = readNpy(path.join(work, 'c.npy')).data;
  assert.ok(a.every((v, i) => Math.abs(v - b[i]!) < 1e-5));
  fs.writeFileSync(path.join(work, 'gray.npy'), encodeNpy(new Float32Array(4 * 4), [1, 4, 4, 1]));
  await assert.rejects(upscaleCommand(run, { in: path.join(work, 'gray.npy'), out: path.join(work, 'g.npy') }), /expected \[N, H, W, 3\]/);
  fs.writeFileSync(path.join(work, 'px.npy'), encodeNpy(new Float32Array(4 * 4 * 3).fill(200), [1, 4, 4, 3]));
  await assert.rejects(upscaleCommand(run, { in: path.join(work, 'px.npy'), out: path.join(work, 'p.npy') }), /0\.\.255 pixels/);
  await assert.rejects(upscaleCommand(run, { in: path.join(work, 'in'), out: path.join(work, 'one.png') }), /one image but --in holds 2/);
  await assert.rejects(upscaleCommand(path.join(work, 'nope'), { in: path.join(work, 'in'), out: path.join(work, 'x') }), /run folder .* not found/);
});

test('gantry eval on an SR run: Gantry, bicubic and esrgan-slim on the same test images; --sr-dir scores files', async () => {
  const r = await evaluateRun(run, { metrics: ['sr'], n: 20, seed: 0, ref: 'test', peer: 'esrgan-slim' });
  for (const k of ['psnr_y_crop2_test20', 'psnr_y_crop2_test20_bicubic', 'psnr_y_crop2_test20_esrgan_slim', 'ssim_y_crop2_test20_esrgan_slim']) assert.equal(typeof r[k], 'number', k);
  const bicubic = r.psnr_y_crop2_test20_bicubic as number;
  // The peer is a real ×2 model: within a few dB of bicubic (not the ~10 dB of a broken one).
  assert.ok(Math.abs((r.psnr_y_crop2_test20_esrgan_slim as number) - bicubic) < 3, `peer ${r.psnr_y_crop2_test20_esrgan_slim} vs bicubic ${bicubic}`);
  await assert.rejects(evaluateRun(run, { metrics: ['labels'], seed: 0, ref: 'test' }), /do not apply to a super-resolution run/);
  const { trainer } = await openRun(run);
  trainer.dispose();
  put(path.join(work, 'sr', 'x.png'), texture(24, 24));
  put(path.join(work, 'hr', 'x.png'), texture(24, 24));
  const same = evaluateSrFolders(path.join(work, 'sr'), path.join(work, 'hr'), 2);
  assert.equal(same.psnr_y_crop2_dir1, 100);
  put(path.join(work, 'sr', 'y.png'), texture(24, 24));
  assert.throws(() => evaluateSrFolders(path.join(work, 'sr'), path.join(work, 'hr'), 2), /has no original for .*y\.png/);
});
