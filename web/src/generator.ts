/**
 * Loads a run's exported generator (docs/RUN_FORMAT.md, `gantry-generator/1`) into the browser: the
 * network is rebuilt from its spec with the project's Network and the weights are assigned by name.
 */
import * as tf from '@tensorflow/tfjs-core';
import { Network, type NetworkSpec } from '../../src/models/network.ts';
import { Rng } from '../../src/core/rng.ts';

export interface ExportedModel {
  format: string;
  generator: NetworkSpec;
  latentDim: number;
  numClasses: number;
  dataShape: number[];
  range: [number, number];
  dataset?: string;
  preset?: string;
  step?: number;
  ema?: boolean;
  weightsManifest: tf.io.WeightsManifestConfig;
}

export const EXPORT_FORMAT = 'gantry-generator/1';
let instances = 0;

export function checkExportedModel(json: unknown, url: string): ExportedModel {
  const m = json as Partial<ExportedModel> | null;
  const fail = (what: string) => {
    throw new Error(`${url}: ${what}`);
  };
  if (typeof m !== 'object' || m === null) fail('expected a JSON object');
  if (m!.format !== EXPORT_FORMAT) fail(`format: expected "${EXPORT_FORMAT}", got ${JSON.stringify(m!.format)}`);
  if (!m!.generator || !Array.isArray(m!.generator.layers) || !Array.isArray(m!.generator.inputShape)) fail('generator: expected a network spec with inputShape and layers');
  if (!Number.isInteger(m!.latentDim) || m!.latentDim! <= 0 || m!.latentDim! > 4096) fail(`latentDim: expected an integer in 1..4096, got ${m!.latentDim}`);
  if (!Number.isInteger(m!.numClasses ?? 0) || (m!.numClasses ?? 0) < 0) fail(`numClasses: expected an integer ≥ 0, got ${m!.numClasses}`);
  if (!Array.isArray(m!.dataShape) || m!.dataShape.length === 0) fail('dataShape: expected a non-empty array');
  if (!Array.isArray(m!.range) || m!.range.length !== 2) fail('range: expected [lo, hi]');
  if (!Array.isArray(m!.weightsManifest) || m!.weightsManifest.length === 0) fail('weightsManifest: expected a non-empty array');
  return { numClasses: 0, ...m } as ExportedModel;
}

export class LoadedGenerator {
  private constructor(
    readonly model: ExportedModel,
    readonly net: Network,
  ) {}

  /** Fetches model.json and its weight files from `baseUrl` (which ends with '/'). */
  static async load(baseUrl: string): Promise<LoadedGenerator> {
    const url = `${baseUrl}model.json`;
    const res = await fetch(url);
    if (!res.ok) throw new Error(`${url}: HTTP ${res.status}`);
    const model = checkExportedModel(await res.json(), url);
    const buffers: ArrayBuffer[] = [];
    const specs: tf.io.WeightsManifestEntry[] = [];
    for (const group of model.weightsManifest) {
      for (const p of group.paths) {
        const r = await fetch(baseUrl + p.split('/').map(encodeURIComponent).join('/'));
        if (!r.ok) throw new Error(`${baseUrl}${p}: HTTP ${r.status}`);
        buffers.push(await r.arrayBuffer());
      }
      specs.push(...group.weights);
    }
    const weights = tf.io.decodeWeights(tf.io.concatenateArrayBuffers(buffers), specs);
    // Exported names start with the exporter's network name ("G/0_dense/kernel"); this copy gets its
    // own name because TF.js variable names are global, so weights are matched on the rest of the name.
    const byLayer = new Map(Object.entries(weights).map(([name, t]) => [name.slice(name.indexOf('/') + 1), t]));
    const net = new Network(`gen${++instances}`, model.generator, new Rng(0));
    try {
      for (const v of net.variables()) {
        const key = v.name.slice(v.name.indexOf('/') + 1);
        const t = byLayer.get(key);
        if (!t) throw new Error(`${url}: weight for ${key} is missing from the manifest`);
        if (t.shape.join(',') !== v.shape.join(',')) throw new Error(`${url}: weight ${key} has shape [${t.shape}], the network expects [${v.shape}]`);
        v.assign(t);
      }
    } catch (err) {
      net.dispose();
      throw err;
    } finally {
      for (const t of Object.values(weights)) t.dispose();
    }
    return new LoadedGenerator(model, net);
  }

  /** Generates from latents [n·latentDim] (and labels when conditional); returns values and shape. */
  generate(latents: Float32Array, labels?: Int32Array): { data: Float32Array; shape: number[] } {
    const n = latents.length / this.model.latentDim;
    return tf.tidy(() => {
      const z = tf.tensor2d(latents, [n, this.model.latentDim]);
      const y = labels ? tf.tensor1d(labels, 'int32') : undefined;
      const out = this.net.apply(z, { training: false, labels: y });
      return { data: out.dataSync() as Float32Array, shape: out.shape };
    });
  }

  dispose(): void {
    this.net.dispose();
  }
}

/** Spherical interpolation between two latents (Gaussian latents keep their norm along the path). */
export function slerp(a: Float32Array, b: Float32Array, t: number): Float32Array {
  let dot = 0;
  let na = 0;
  let nb = 0;
  for (let i = 0; i < a.length; i++) {
    dot += a[i]! * b[i]!;
    na += a[i]! * a[i]!;
    nb += b[i]! * b[i]!;
  }
  const omega = Math.acos(Math.min(1, Math.max(-1, dot / Math.sqrt(na * nb || 1))));
  const out = new Float32Array(a.length);
  if (omega < 1e-6) {
    for (let i = 0; i < a.length; i++) out[i] = a[i]! + t * (b[i]! - a[i]!);
    return out;
  }
  const s = Math.sin(omega);
  const wa = Math.sin((1 - t) * omega) / s;
  const wb = Math.sin(t * omega) / s;
  for (let i = 0; i < a.length; i++) out[i] = wa * a[i]! + wb * b[i]!;
  return out;
}
