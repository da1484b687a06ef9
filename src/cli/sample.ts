/** `gantry sample RUN --out PATH`: a grid PNG, a folder of PNGs or a float32 .npy [N, ...shape]. */
import fs from 'node:fs';
import path from 'node:path';
import { encodeImage, encodeImageGrid, encodeScatter } from '../core/images.ts';
import { encodeNpy } from '../core/npy.ts';
import { Rng } from '../core/rng.ts';
import { getToyMixture } from '../data/toy.ts';
import { openRun, toyTarget } from '../train/run.ts';

export async function sampleCommand(run: string, o: { out: string; n: number; seed: number; class?: number }): Promise<void> {
  const { cfg, trainer } = await openRun(run);
  try {
    const k = trainer.numClasses;
    if (o.class !== undefined && (k === 0 || o.class >= k)) {
      throw new Error(k === 0 ? `--class: run ${run} is not conditional` : `--class must be in 0..${k - 1}, got ${o.class}`);
    }
    // Pseudo-classes (data.clusters) are not categories a reader asked for: without --class the sampler draws them by their shares.
    const byClass = k > 0 && o.class === undefined && !trainer.data.classShares;
    const labels = o.class !== undefined ? new Int32Array(o.n).fill(o.class) : byClass ? Int32Array.from({ length: o.n }, (_, i) => i % k) : undefined;
    const x = await trainer.generate(o.n, new Rng(o.seed), { labels });
    const shape = trainer.sampleShape;
    const out = o.out;
    if (out.endsWith('.npy')) {
      fs.mkdirSync(path.dirname(path.resolve(out)), { recursive: true });
      fs.writeFileSync(out, encodeNpy(x, [o.n, ...shape]));
    } else if (out.endsWith('.png')) {
      fs.mkdirSync(path.dirname(path.resolve(out)), { recursive: true });
      if (shape.length === 1) {
        const toy = toyTarget(cfg);
        const modes = toy ? getToyMixture(toy).modes : [];
        fs.writeFileSync(out, encodeScatter(x, modes, trainer.data.range));
      } else {
        // Conditional grids without --class: one row per class.
        const cols = byClass ? Math.ceil(o.n / k) : undefined;
        const ordered = byClass ? reorderByClass(x, o.n, k, shape) : x;
        fs.writeFileSync(out, encodeImageGrid(ordered, o.n, shape, trainer.data.range, cols));
      }
    } else {
      if (shape.length === 1) throw new Error('a folder of PNGs needs image data; use .npy or .png for 2-D data');
      fs.mkdirSync(out, { recursive: true });
      const digits = String(o.n - 1).length;
      for (let i = 0; i < o.n; i++) fs.writeFileSync(path.join(out, `${String(i).padStart(digits, '0')}.png`), encodeImage(x, i, shape, trainer.data.range));
    }
    process.stderr.write(`gantry: wrote ${o.n} samples to ${out}\n`);
  } finally {
    trainer.dispose();
  }
}

/** Samples were generated with labels i % k; reorder so each grid row holds one class. */
function reorderByClass(x: Float32Array, n: number, k: number, shape: number[]): Float32Array {
  const per = shape.reduce((a, b) => a * b, 1);
  const rows = Math.ceil(n / k);
  const out = new Float32Array(x.length);
  let j = 0;
  for (let c = 0; c < k; c++) {
    for (let r = 0; r < rows; r++) {
      const i = r * k + c;
      if (i >= n) continue;
      out.set(x.subarray(i * per, (i + 1) * per), j++ * per);
    }
  }
  return out;
}
