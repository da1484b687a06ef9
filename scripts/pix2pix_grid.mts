// Usage: npx tsx scripts/pix2pix_grid.mts RUN OUT.png [N] [START]: rows input / output / target of test pairs START..START+N-1 of a pix2pix run (the README's grids).
import fs from 'node:fs';
import { initEngine } from '../src/backend/engine.ts';
import { encodeImageGrid } from '../src/core/images.ts';
import { Rng } from '../src/core/rng.ts';
import { imageSetToUnit } from '../src/data/dataset.ts';
import { loadPairedEvalSet } from '../src/data/registry.ts';
import { openRun } from '../src/train/run.ts';
await initEngine('auto', { quiet: true });
const [run, out, nArg, startArg] = process.argv.slice(2);
const n = Number(nArg ?? 8);
const start = Number(startArg ?? 0);
const { cfg, trainer } = await openRun(run!);
const pairs = await loadPairedEvalSet(cfg.data, 'test');
const input = imageSetToUnit(pairs.input, start, n);
const target = imageSetToUnit(pairs.target, start, n);
const y = await trainer.generate(n, new Rng(0), { inputs: { x: input } });
const [h, w, c] = pairs.target.shape;
const ci = pairs.input.shape[2];
const per = h * w * c;
const cells = new Float32Array(3 * n * per);
for (let i = 0; i < n; i++) {
  for (let p = 0; p < h * w; p++) for (let k = 0; k < c; k++) cells[3 * i * per + p * c + k] = input[i * h * w * ci + p * ci + (ci === 1 ? 0 : k)]!;
  cells.set(y.subarray(i * per, (i + 1) * per), (3 * i + 1) * per);
  cells.set(target.subarray(i * per, (i + 1) * per), (3 * i + 2) * per);
}
// Transpose to 3 rows (input / output / target) × n columns.
const rows = new Float32Array(cells.length);
for (let r = 0; r < 3; r++) for (let i = 0; i < n; i++) rows.set(cells.subarray((3 * i + r) * per, (3 * i + r + 1) * per), (r * n + i) * per);
fs.writeFileSync(out!, encodeImageGrid(rows, 3 * n, [h, w, c], [-1, 1], n, 3));
trainer.dispose();
console.log('wrote', out);
