/**
 * Exports the family's sampler network (the EMA copy when there is one) for the browser: `model.json`
 * (the network graph, how to fill each of its inputs, the TF.js weights manifest) and `weights.bin`, as
 * described in docs/RUN_FORMAT.md. A two-way translation family (CycleGAN) also gets its reverse sampler
 * (G_BA) in `reverse/`, in the same format, named by the main model's `reverse` field. Written to a temp
 * folder and renamed so the studio never reads a half-written model.
 */
import fs from 'node:fs';
import path from 'node:path';
import { toGraph } from '../models/network.ts';
import * as tf from '@tensorflow/tfjs-core';
import { Rng } from '../core/rng.ts';
import type { SamplerSpec } from '../families/family.ts';
import type { Trainer } from './trainer.ts';

import { EXPORT_FORMAT, REVERSE_EXPORT_DIR, type ExportedModel } from './run_format.ts';

export { EXPORT_FORMAT };
/** Example inputs stored for each image input. */
const EXAMPLES = 16;

/** Writes one sampler's model.json and weights.bin into `dir` (which exists). */
async function writeSampler(dir: string, t: Trainer, sampler: Omit<SamplerSpec, 'reverse'>, reverse: boolean, info: { preset: string; dataset: string }): Promise<ExportedModel> {
  const net = t.network(sampler.network);
  const weights: { name: string; shape: number[]; dtype: 'float32' }[] = [];
  const chunks: Buffer[] = [];
  for (const v of net.variables()) {
    const values = Float32Array.from((await v.data()) as Float32Array);
    // Names are stored under the network name 'G' so a loader can build the net under any name.
    weights.push({ name: net.keyOfVariable(v).replace(/^[^/]+\//, 'G/'), shape: v.shape.slice(), dtype: 'float32' });
    chunks.push(Buffer.from(values.buffer));
  }
  // Image inputs (translation) ship with example inputs, so the studio can run the graph as it is.
  const imageInputs = Object.entries(sampler.inputs).filter(([, i]) => i.kind === 'image').map(([name]) => name);
  if (imageInputs.length > 0) {
    const feeds = t.family.sampleInputs(EXAMPLES, new Rng(0), { reverse });
    for (const name of imageInputs) {
      const x = feeds[name]!;
      weights.push({ name: `examples/${name}`, shape: x.shape.slice(), dtype: 'float32' });
      chunks.push(Buffer.from(Float32Array.from((await x.data()) as Float32Array).buffer));
    }
    tf.dispose(Object.values(feeds));
  }
  const latent = Object.values(sampler.inputs).find((i) => i.kind === 'latent');
  const output = sampler.output ?? net.graph.outputs[0]!;
  const model: ExportedModel = {
    format: EXPORT_FORMAT,
    family: t.cfg.model.family,
    network: toGraph(net.spec),
    inputs: sampler.inputs,
    output,
    // Shorthands for the common single-latent generator.
    latentDim: latent && latent.kind === 'latent' ? latent.shape.reduce((a, b) => a * b, 1) : 0,
    numClasses: t.numClasses,
    // Pseudo-classes: the studio draws labels by these shares instead of offering classes.
    ...(t.data.classShares ? { classShares: [...t.data.classShares] } : {}),
    dataShape: net.shapes[output]!,
    range: t.data.range,
    dataset: info.dataset,
    preset: info.preset,
    step: t.step,
    ema: (t.family.ema ?? []).some((e) => e.target === sampler.network),
    weightsManifest: [{ paths: ['weights.bin'], weights }],
  };
  fs.writeFileSync(path.join(dir, 'weights.bin'), Buffer.concat(chunks));
  return model;
}

export async function exportGenerator(dir: string, t: Trainer, info: { preset: string; dataset: string }): Promise<void> {
  const sampler = t.samplerSpec;
  const parent = path.dirname(dir);
  fs.mkdirSync(parent, { recursive: true });
  const tmp = fs.mkdtempSync(path.join(parent, '.export.tmp-'));
  const model = await writeSampler(tmp, t, sampler, false, info);
  if (sampler.reverse) {
    const sub = path.join(tmp, REVERSE_EXPORT_DIR);
    fs.mkdirSync(sub);
    const reverse = await writeSampler(sub, t, sampler.reverse, true, info);
    fs.writeFileSync(path.join(sub, 'model.json'), JSON.stringify(reverse, null, 1));
    model.reverse = `${REVERSE_EXPORT_DIR}/`;
  }
  fs.writeFileSync(path.join(tmp, 'model.json'), JSON.stringify(model, null, 1));
  fs.rmSync(dir, { recursive: true, force: true });
  fs.renameSync(tmp, dir);
}
