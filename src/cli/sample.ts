/** `gantry sample RUN --out PATH`: a grid PNG, a folder of PNGs or a float32 .npy [N, ...shape]. */
import fs from 'node:fs';
import path from 'node:path';
import { encodeImage, encodeImageGrid, encodeScatter } from '../core/images.ts';
import { encodeNpy } from '../core/npy.ts';
import { Rng } from '../core/rng.ts';
import { getToyMixture } from '../data/toy.ts';
import { words } from '../data/tokenizer.ts';
import { openRun, toyTarget } from '../train/run.ts';
import type { Trainer } from '../train/trainer.ts';

/** Captions from --text (every sample) or --texts FILE (one a line, one sample each); null without either. */
export function readCaptionOptions(o: { text?: string; texts?: string; n: number }): string[] | null {
  if (o.text !== undefined && o.texts !== undefined) throw new Error('give --text or --texts, not both');
  if (o.text !== undefined) {
    if (o.text.trim() === '') throw new Error('--text is empty');
    return new Array<string>(o.n).fill(o.text);
  }
  if (o.texts === undefined) return null;
  if (!fs.existsSync(o.texts)) throw new Error(`--texts: ${o.texts} not found`);
  const lines = fs.readFileSync(o.texts, 'utf8').split(/\r?\n/).map((l) => l.trim()).filter((l) => l !== '');
  if (lines.length === 0) throw new Error(`--texts: ${o.texts} has no captions (one a line)`);
  return lines;
}

/** The token ids of captions for a text-conditioned run (float32, as the sampler's inputs are given); warns of unknown words. */
function captionInputs(trainer: Trainer, run: string, texts: string[]): Record<string, Float32Array> {
  const input = Object.entries(trainer.samplerSpec.inputs).find(([, s]) => s.kind === 'text')?.[0];
  const tokenizer = trainer.data.tokenizer;
  if (!input || !tokenizer) throw new Error(`--text/--texts: run ${run} is not conditioned on text (a ${trainer.cfg.model.family} run)`);
  const unknown = new Set<string>();
  for (const t of texts) for (const w of words(t)) if (!tokenizer.vocab.includes(w)) unknown.add(w);
  if (unknown.size > 0) process.stderr.write(`gantry: not in the run's vocabulary (read as <unk>): ${[...unknown].join(', ')}\n`);
  return { [input]: Float32Array.from(tokenizer.encodeBatch(texts)) };
}

export async function sampleCommand(run: string, o: { out: string; n: number; seed: number; class?: number; text?: string; texts?: string }): Promise<void> {
  const texts = readCaptionOptions(o);
  const { cfg, trainer } = await openRun(run);
  try {
    if (texts) o = { ...o, n: texts.length };
    const k = trainer.numClasses;
    if (o.class !== undefined && (k === 0 || o.class >= k)) {
      throw new Error(k === 0 ? `--class: run ${run} is not conditional` : `--class must be in 0..${k - 1}, got ${o.class}`);
    }
    // Pseudo-classes (data.clusters) are not categories a reader asked for: without --class the sampler draws them by their shares.
    const byClass = k > 0 && o.class === undefined && !trainer.data.classShares;
    const labels = o.class !== undefined ? new Int32Array(o.n).fill(o.class) : byClass ? Int32Array.from({ length: o.n }, (_, i) => i % k) : undefined;
    const x = await trainer.generate(o.n, new Rng(o.seed), { labels, ...(texts ? { inputs: captionInputs(trainer, run, texts) } : {}) });
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
