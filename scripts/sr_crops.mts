/**
 * README figure for a super-resolution run: rows of test images (or a crop of each), columns
 * bicubic | esrgan-slim | Gantry | ground truth, on the same LR inputs as `gantry eval`.
 *   node --import tsx scripts/sr_crops.mts RUN OUT.png [--n 6] [--first 0] [--crop 96] [--zoom 4]
 * --crop takes the centre crop×crop HR pixels of each image (photos); --zoom enlarges cells (nearest).
 */
import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { initEngine } from '../src/backend/engine.ts';
import { encodeImageGrid } from '../src/core/images.ts';
import { imageSetToUnit } from '../src/data/dataset.ts';
import { loadPairedEvalSet } from '../src/data/registry.ts';
import { bicubicUpscale } from '../src/metrics/super_resolution.ts';
import { upscaleImages } from '../src/metrics/sr_eval.ts';
import { loadSrPeer } from '../src/metrics/sr_peer.ts';
import { openRun } from '../src/train/run.ts';

const { positionals, values } = parseArgs({ allowPositionals: true, options: { n: { type: 'string', default: '6' }, first: { type: 'string', default: '0' }, crop: { type: 'string' }, zoom: { type: 'string', default: '1' } } });
const [run, out] = positionals;
if (!run || !out) throw new Error('usage: sr_crops.mts RUN OUT.png [--n 6] [--first 0] [--crop 96] [--zoom 4]');
await initEngine('auto', { quiet: true });
const { cfg, trainer } = await openRun(run);
if (cfg.data.name !== 'sr') throw new Error(`${run} is not a super-resolution run`);
const scale = cfg.data.scale;
const pairs = await loadPairedEvalSet(cfg.data, 'test');
const first = Number(values.first);
const n = Math.min(Number(values.n), pairs.target.count - first);
const lr = imageSetToUnit(pairs.input, first, n);
const hr = imageSetToUnit(pairs.target, first, n);
const lrShape = pairs.input.shape;
const hrShape = pairs.target.shape;
const peer = await loadSrPeer('esrgan-slim', scale);
const columns = [bicubicUpscale(lr, n, lrShape, scale), await peer.upscale(lr, n, lrShape), await upscaleImages(trainer.sampler, lr, n, lrShape, scale, 3), hr];
peer.dispose();
trainer.dispose();
const [h, w] = hrShape as [number, number, number];
const side = values.crop ? Number(values.crop) : h;
const top = Math.floor((h - side) / 2);
const left = Math.floor((w - side) / 2);
const cells = new Float32Array(n * 4 * side * side * 3);
for (let i = 0; i < n; i++) for (let c = 0; c < 4; c++) for (let y = 0; y < side; y++) {
  const src = ((i * h + top + y) * w + left) * 3;
  cells.set(columns[c]!.subarray(src, src + side * 3), (((i * 4 + c) * side + y) * side) * 3);
}
fs.mkdirSync(path.dirname(path.resolve(out)), { recursive: true });
fs.writeFileSync(out, encodeImageGrid(cells, n * 4, [side, side, 3], [-1, 1], 4, Number(values.zoom)));
process.stderr.write(`wrote ${out}: ${n} rows of bicubic | esrgan-slim | Gantry | ground truth\n`);
