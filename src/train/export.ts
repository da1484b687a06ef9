/**
 * Exports the sampling generator (EMA weights when present) for the browser: `model.json` (spec + TF.js
 * weights manifest) and `weights.bin`, as described in docs/RUN_FORMAT.md. Written to a temp folder and
 * renamed so the studio never reads a half-written model.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { GanTrainer } from './gan_trainer.ts';

export const EXPORT_FORMAT = 'gantry-generator/1';

export async function exportGenerator(dir: string, t: GanTrainer, info: { preset: string; dataset: string }): Promise<void> {
  const net = t.sampler;
  const weights: { name: string; shape: number[]; dtype: 'float32' }[] = [];
  const chunks: Buffer[] = [];
  for (const v of net.variables()) {
    const values = Float32Array.from((await v.data()) as Float32Array);
    // Names are stored without the network prefix so a loader can build the net under any name.
    weights.push({ name: v.name.replace(/^[^/]+\//, 'G/'), shape: v.shape.slice(), dtype: 'float32' });
    chunks.push(Buffer.from(values.buffer));
  }
  const model = {
    format: EXPORT_FORMAT,
    generator: net.spec,
    latentDim: t.latentDim,
    numClasses: t.numClasses,
    dataShape: t.data.shape,
    range: t.data.range,
    dataset: info.dataset,
    preset: info.preset,
    step: t.step,
    ema: t.Gema !== null,
    weightsManifest: [{ paths: ['weights.bin'], weights }],
  };
  const parent = path.dirname(dir);
  fs.mkdirSync(parent, { recursive: true });
  const tmp = fs.mkdtempSync(path.join(parent, '.export.tmp-'));
  fs.writeFileSync(path.join(tmp, 'weights.bin'), Buffer.concat(chunks));
  fs.writeFileSync(path.join(tmp, 'model.json'), JSON.stringify(model, null, 1));
  fs.rmSync(dir, { recursive: true, force: true });
  fs.renameSync(tmp, dir);
}
