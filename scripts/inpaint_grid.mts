// Usage: npx tsx scripts/inpaint_grid.mts RUN OUT.png [N] [START]: the README's before/after grid of an inpaint run on test images
// START..START+N-1 with the evaluation's fixed masks: rows masked / filled on the centre hole, masked / filled on random boxes,
// then the ground truth (the hole shown as mid-gray).
import fs from 'node:fs';
import { initEngine } from '../src/backend/engine.ts';
import { encodeImageGrid } from '../src/core/images.ts';
import { Rng } from '../src/core/rng.ts';
import { imageSetToUnit } from '../src/data/dataset.ts';
import { composite, evalMasks } from '../src/data/inpaint.ts';
import { loadEvalSet } from '../src/data/registry.ts';
import { openRun } from '../src/train/run.ts';
await initEngine('auto', { quiet: true });
const [run, out, nArg, startArg] = process.argv.slice(2);
const n = Number(nArg ?? 10);
const start = Number(startArg ?? 0);
const { cfg, trainer } = await openRun(run!);
const set = await loadEvalSet(cfg.data, 'test');
const [h, w, c] = set.shape;
const x = imageSetToUnit(set, 0, start + n);
const rows: Float32Array[] = [];
for (const kind of ['center', 'boxes'] as const) {
  const masks = evalMasks(kind, 'test', start + n, h, w, { holeSize: (cfg.data as { holeSize?: number }).holeSize });
  const y = await trainer.generate(start + n, new Rng(0), { inputs: { x, mask: masks } });
  rows.push(composite(x, masks, 0, c).subarray(start * h * w * c), y.subarray(start * h * w * c));
}
rows.push(x.subarray(start * h * w * c));
const all = new Float32Array(rows.length * n * h * w * c);
rows.forEach((r, i) => all.set(r, i * n * h * w * c));
fs.writeFileSync(out!, encodeImageGrid(all, rows.length * n, [h, w, c], [-1, 1], n, 3));
trainer.dispose();
console.log('wrote', out);
