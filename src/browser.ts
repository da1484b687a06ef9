/**
 * The browser entry (`gantry/browser`): loads a run's exported generator (docs/RUN_FORMAT.md,
 * `gantry-generator/2`, or the older `/1`) in a web page and runs it on WebGL, WebGPU (when the app
 * registers it), WebAssembly or plain JS. The network graph is rebuilt with Gantry's Network and the
 * weights are assigned by name; any family's graph runs, its inputs (latent, label or image) filled by
 * name. Nothing here imports Node modules (checked by src/browser_test.ts).
 *
 * @example
 * ```ts
 * import { loadGenerator, useBackend, Rng } from 'gantry/browser';
 * await useBackend();
 * const gen = await loadGenerator('/runs/my-run/export/');
 * const { data, shape } = gen.sample(16, new Rng(0));
 * ```
 * @module
 */
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-webgl';
import { Network, toGraph, type NetworkSpec } from './models/network.ts';
import { Rng } from './core/rng.ts';
import { Tokenizer } from './data/tokenizer.ts';
import { EXPORT_FORMAT, EXPORT_FORMAT_V1, REVERSE_DIR_PATTERN, type ExportedModel, type SamplerInput } from './train/run_format.ts';

export { EXPORT_FORMAT, type ExportedModel, type SamplerInput } from './train/run_format.ts';
let instances = 0;

/** A `/1` model (a sequential generator with one latent input) in the `/2` shape. */
function upgradeV1(m: Record<string, unknown>): Record<string, unknown> {
  const spec = m.generator as NetworkSpec | undefined;
  if (!spec || !Array.isArray((spec as { layers?: unknown }).layers)) return m;
  const graph = toGraph(spec);
  const inputs: Record<string, SamplerInput> = { x: { kind: 'latent', shape: [Number(m.latentDim)] } };
  if (graph.inputs.label) inputs.label = { kind: 'label', numClasses: Number(m.numClasses ?? 0) };
  return { ...m, network: graph, inputs, output: graph.outputs[0] };
}

export function checkExportedModel(json: unknown, url: string): ExportedModel {
  const fail = (what: string) => {
    throw new Error(`${url}: ${what}`);
  };
  if (typeof json !== 'object' || json === null) fail('expected a JSON object');
  const raw = json as Record<string, unknown>;
  if (raw.format !== EXPORT_FORMAT && raw.format !== EXPORT_FORMAT_V1) fail(`format: expected "${EXPORT_FORMAT}", got ${JSON.stringify(raw.format)}`);
  const m = (raw.format === EXPORT_FORMAT_V1 ? upgradeV1(raw) : raw) as Partial<ExportedModel>;
  if (!m.network || typeof m.network.inputs !== 'object' || !Array.isArray(m.network.nodes) || !Array.isArray(m.network.outputs)) fail('network: expected a graph with inputs, nodes and outputs');
  if (!m.inputs || typeof m.inputs !== 'object') fail('inputs: expected how to fill each network input');
  for (const name of Object.keys(m.network!.inputs)) {
    const kind = m.inputs![name]?.kind;
    if (kind !== 'latent' && kind !== 'label' && kind !== 'image' && kind !== 'text') fail(`inputs.${name}: expected kind latent, label, image or text, got ${JSON.stringify(kind)}`);
    const spec = m.inputs![name]!;
    if (spec.kind === 'text') {
      try {
        Tokenizer.fromJSON(spec.tokenizer);
      } catch (err) {
        fail(`inputs.${name}.tokenizer: ${(err as Error).message}`);
      }
    }
  }
  if (!Number.isInteger(m.latentDim) || m.latentDim! < 0 || m.latentDim! > 4096) fail(`latentDim: expected an integer in 0..4096, got ${m.latentDim}`);
  if (!Number.isInteger(m!.numClasses ?? 0) || (m!.numClasses ?? 0) < 0) fail(`numClasses: expected an integer ≥ 0, got ${m!.numClasses}`);
  if (!Array.isArray(m!.dataShape) || m!.dataShape.length === 0) fail('dataShape: expected a non-empty array');
  if (!Array.isArray(m!.range) || m!.range.length !== 2) fail('range: expected [lo, hi]');
  if (!Array.isArray(m!.weightsManifest) || m!.weightsManifest.length === 0) fail('weightsManifest: expected a non-empty array');
  // A sub-folder name only: the reverse model is fetched relative to this one.
  if (m.reverse !== undefined && (typeof m.reverse !== 'string' || !REVERSE_DIR_PATTERN.test(m.reverse))) fail(`reverse: expected a sub-folder name ending with '/', got ${JSON.stringify(m.reverse)}`);
  return { numClasses: 0, ...m, output: m.output ?? m.network!.outputs[0]! } as ExportedModel;
}

export class LoadedGenerator {
  private readonly tokenizers: Record<string, Tokenizer> = {};

  private constructor(
    readonly model: ExportedModel,
    readonly net: Network,
    /** Example inputs shipped with the model for its image inputs: values and [n, ...shape]. */
    readonly examples: Record<string, { data: Float32Array; shape: number[] }>,
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
    const net = new Network(`gen${++instances}`, model.network, new Rng(0));
    const examples: Record<string, { data: Float32Array; shape: number[] }> = {};
    try {
      for (const [name, t] of Object.entries(weights)) {
        if (name.startsWith('examples/')) examples[name.slice('examples/'.length)] = { data: t.dataSync() as Float32Array, shape: t.shape };
      }
      for (const v of net.variables()) {
        const key = net.keyOfVariable(v).slice(net.keyOfVariable(v).indexOf('/') + 1);
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
    return new LoadedGenerator(model, net, examples);
  }

  /**
   * n samples with every input filled by its kind: latents drawn from `rng` (in input order), the given
   * labels (else random ones, by the model's class shares when it has pseudo-classes), image inputs from the shipped examples (cycled).
   */
  sample(n: number, rng: Rng, labels?: Int32Array, texts?: readonly string[]): { data: Float32Array; shape: number[] } {
    const feeds: Record<string, Float32Array | Int32Array> = {};
    for (const [name, spec] of Object.entries(this.model.inputs)) {
      if (spec.kind === 'latent') feeds[name] = rng.normalArray(n * spec.shape.reduce((a, b) => a * b, 1));
      else if (spec.kind === 'label') feeds[name] = labels ?? rng.categoricalArray(n, spec.numClasses, this.model.classShares);
      else if (spec.kind === 'text') {
        if (!texts || texts.length === 0) throw new Error(`input '${name}' is a caption: give the texts to draw`);
        feeds[name] = this.encodeTexts(name, Array.from({ length: n }, (_, i) => texts[i % texts.length]!));
      } else {
        const ex = this.examples[name];
        if (!ex) throw new Error(`input '${name}' is an image and the model ships no example inputs for it`);
        const per = ex.data.length / ex.shape[0]!;
        const out = new Float32Array(n * per);
        for (let i = 0; i < n; i++) out.set(ex.data.subarray((i % ex.shape[0]!) * per, ((i % ex.shape[0]!) + 1) * per), i * per);
        feeds[name] = out;
      }
    }
    return this.run(n, feeds);
  }

  /** Token ids [texts.length · maxLength] of captions, with the tokenizer the model was trained with. */
  encodeTexts(input: string, texts: readonly string[]): Int32Array {
    const spec = this.model.inputs[input];
    if (spec?.kind !== 'text') throw new Error(`input '${input}' is not a text input`);
    this.tokenizers[input] ??= Tokenizer.fromJSON(spec.tokenizer);
    return this.tokenizers[input]!.encodeBatch(texts);
  }

  /** Name of the text input, or null when the model takes no caption. */
  get textInput(): string | null {
    return Object.entries(this.model.inputs).find(([, s]) => s.kind === 'text')?.[0] ?? null;
  }

  /** Runs the graph on n samples' inputs, keyed by input name (latents and images float32, labels and token ids int32). */
  run(n: number, feeds: Record<string, Float32Array | Int32Array>): { data: Float32Array; shape: number[] } {
    return tf.tidy(() => {
      const inputs: Record<string, tf.Tensor> = {};
      for (const [name, spec] of Object.entries(this.model.inputs)) {
        const values = feeds[name];
        if (!values) throw new Error(`input '${name}' (${spec.kind}) is required`);
        if (spec.kind === 'label') inputs[name] = tf.tensor1d(values as Int32Array, 'int32');
        else if (spec.kind === 'text') inputs[name] = tf.tensor2d(Int32Array.from(values), [n, values.length / n], 'int32');
        else inputs[name] = tf.tensor(values, [n, ...spec.shape]);
      }
      const out = this.net.run(inputs, { training: false }, [this.model.output])[this.model.output]!;
      return { data: out.dataSync() as Float32Array, shape: out.shape };
    });
  }

  /** Name of the latent input (the first one), or null when the graph takes none. */
  get latentInput(): string | null {
    return Object.entries(this.model.inputs).find(([, s]) => s.kind === 'latent')?.[0] ?? null;
  }

  /** Generates from latents [n·latentDim] (and labels when conditional); returns values and shape. */
  generate(latents: Float32Array, labels?: Int32Array): { data: Float32Array; shape: number[] } {
    const name = this.latentInput;
    if (name === null) throw new Error('this generator takes no latent input');
    const n = latents.length / this.model.latentDim;
    const feeds: Record<string, Float32Array | Int32Array> = { [name]: latents };
    const label = Object.entries(this.model.inputs).find(([, s]) => s.kind === 'label')?.[0];
    if (label && labels) feeds[label] = labels;
    return this.run(n, feeds);
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

export { Rng } from './core/rng.ts';
export { bytesToRange, imageToInput, type DecodedImage } from './data/resize.ts';
export { Network, toGraph, type GraphSpec, type NetworkSpec } from './models/network.ts';

/** Fetches an exported generator (a run's `export/` folder, served over HTTP) and builds it. */
export function loadGenerator(baseUrl: string): Promise<LoadedGenerator> {
  return LoadedGenerator.load(baseUrl.endsWith('/') ? baseUrl : `${baseUrl}/`);
}

/** The reverse generator (CycleGAN's B → A) exported beside a two-way translator at `baseUrl`, or null when it has none. */
export function loadReverseGenerator(forward: LoadedGenerator, baseUrl: string): Promise<LoadedGenerator> | null {
  const sub = forward.model.reverse;
  return sub === undefined ? null : loadGenerator(`${baseUrl.endsWith('/') ? baseUrl : `${baseUrl}/`}${sub}`);
}

/** TF.js backends the browser entry knows how to pick from. */
export type BrowserBackend = 'webgpu' | 'webgl' | 'wasm' | 'cpu';

/**
 * Switches TF.js to the first backend of `order` that is registered and runs a tiny op; resolves to its
 * name. `webgl` and `cpu` are registered by this module; for `wasm` import
 * `@tensorflow/tfjs-backend-wasm` (and call its `setWasmPaths`), for `webgpu` `@tensorflow/tfjs-backend-webgpu`.
 */
export async function useBackend(order: readonly BrowserBackend[] = ['webgpu', 'webgl', 'wasm', 'cpu']): Promise<string> {
  const registered = order.filter((name) => tf.findBackendFactory(name) !== null);
  for (const name of registered) {
    try {
      if (await tf.setBackend(name)) {
        await tf.ready();
        tf.tidy(() => tf.add(tf.scalar(1), tf.scalar(1)).dataSync());
        return name;
      }
    } catch {
      // Not usable on this page (no GPU context, no wasm file): try the next one.
    }
  }
  throw new Error(`no TF.js backend could start (tried ${registered.join(', ') || 'none registered'} of ${order.join(', ')})`);
}

/**
 * Sample `index` of a generator's output ([n, h, w, c], values in `range`) as RGBA bytes for an
 * `ImageData` (grey for one channel).
 */
export function sampleToRgba(out: { data: Float32Array; shape: number[] }, range: readonly [number, number], index = 0): { width: number; height: number; rgba: Uint8ClampedArray<ArrayBuffer> } {
  const [, height, width, ch] = out.shape as [number, number, number, number];
  if (out.shape.length !== 4) throw new Error(`sampleToRgba: expected [n, h, w, c] images, got shape [${out.shape}]`);
  const [lo, hi] = range;
  const rgba = new Uint8ClampedArray(width * height * 4);
  const base = index * height * width * ch;
  for (let p = 0; p < width * height; p++) {
    for (let k = 0; k < 3; k++) rgba[4 * p + k] = ((out.data[base + p * ch + (ch >= 3 ? k : 0)]! - lo) / (hi - lo)) * 255;
    rgba[4 * p + 3] = 255;
  }
  return { width, height, rgba };
}
