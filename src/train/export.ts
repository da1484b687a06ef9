/**
 * Exports the family's sampler network (the EMA copy when there is one) for the browser: `model.json`
 * (the network graph, how to fill each of its inputs, the TF.js weights manifest) and `weights.bin`, as
 * described in docs/RUN_FORMAT.md. Written to a temp folder and renamed so the studio never reads a
 * half-written model.
 */
import fs from 'node:fs';
import path from 'node:path';
import { toGraph } from '../models/network.ts';
import * as tf from '@tensorflow/tfjs-core';
import { Rng } from '../core/rng.ts';
import type { Trainer } from './trainer.ts';

import { EXPORT_FORMAT, type ExportedModel } from './run_format.ts';

export { EXPORT_FORMAT };
/** Example inputs stored for each image input. */
const EXAMPLES = 16;

export async function exportGenerator(dir: string, t: Trainer, info: { preset: string; dataset: string }): Promise<void> {
  const net = t.sampler;
  const sampler = t.samplerSpec;
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
    const feeds = t.family.sampleInputs(EXAMPLES, new Rng(0));
    for (const name of imageInputs) {
      const x = feeds[name]!;
      weights.push({ name: `examples/${name}`, shape: x.shape.slice(), dtype: 'float32' });
      chunks.push(Buffer.from(Float32Array.from((await x.data()) as Float32Array).buffer));
    }
    tf.dispose(Object.values(feeds));
  }
  const latent = Object.values(sampler.inputs).find((i) => i.kind === 'latent');
  const model: ExportedModel = {
    format: EXPORT_FORMAT,
    family: t.cfg.model.family,
    network: toGraph(net.spec),
    inputs: sampler.inputs,
    output: sampler.output ?? net.graph.outputs[0]!,
    // Shorthands for the common single-latent generator.
    latentDim: latent && latent.kind === 'latent' ? latent.shape.reduce((a, b) => a * b, 1) : 0,
    numClasses: t.numClasses,
    // Pseudo-classes: the studio draws labels by these shares instead of offering classes.
    ...(t.data.classShares ? { classShares: [...t.data.classShares] } : {}),
    dataShape: t.sampleShape,
    range: t.data.range,
    dataset: info.dataset,
    preset: info.preset,
    step: t.step,
    ema: (t.family.ema ?? []).some((e) => e.target === sampler.network),
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
