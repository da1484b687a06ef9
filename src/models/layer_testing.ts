/**
 * Test support for layer implementations, without the network graph: builds a BuiltLayer through a
 * LayerBuildContext and checks a layer's values, gradients and second-order gradients
 *  - on the production engine (native kernels when the addon is built, else wasm) against the `cpu`
 *    backend, and
 *  - against an independent float64 reference formula, with gradients by central finite differences,
 * and that nothing leaks. relErr(a, b) = max|a − b| / max(1e-6, max|b|), b the reference.
 */
import assert from 'node:assert/strict';
import { it } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import { initEngine } from '../backend/engine.ts';
import { Rng, type RngState } from '../core/rng.ts';
import { getLayer, shapeSize, type ApplyOptions, type BuiltLayer, type LayerBuildContext, type LayerSpecBase } from './layer_api.ts';

/** A float64 n-d array (row-major) for reference formulas. */
export interface F64 {
  shape: number[];
  data: Float64Array;
}

export const f64 = (shape: number[], data?: ArrayLike<number>): F64 => ({ shape, data: data ? Float64Array.from(data) : new Float64Array(shapeSize(shape)) });

/** Row-major offset of an index. */
export function offsetOf(shape: number[], idx: number[]): number {
  let o = 0;
  for (let i = 0; i < shape.length; i++) o = o * shape[i]! + idx[i]!;
  return o;
}

export const at = (a: F64, ...idx: number[]): number => a.data[offsetOf(a.shape, idx)]!;

/** out[b, h, w, c] = fn(b, h, w, c) over a 4-d shape: most image references are written this way. */
export function fill4(shape: number[], fn: (b: number, h: number, w: number, c: number) => number): F64 {
  const out = f64(shape);
  const [nb, nh, nw, nc] = shape as [number, number, number, number];
  let o = 0;
  for (let b = 0; b < nb; b++) for (let h = 0; h < nh; h++) for (let w = 0; w < nw; w++) for (let c = 0; c < nc; c++) out.data[o++] = fn(b, h, w, c);
  return out;
}

export function relErr(got: ArrayLike<number>, want: ArrayLike<number>): number {
  assert.equal(got.length, want.length, 'compared arrays differ in length');
  let diff = 0, scale = 0;
  for (let i = 0; i < want.length; i++) {
    diff = Math.max(diff, Math.abs(got[i]! - want[i]!));
    scale = Math.max(scale, Math.abs(want[i]!));
  }
  return diff / Math.max(1e-6, scale);
}

let engineName: string | undefined;

/** Activates the production engine ('native' when the addon is built, else 'wasm') and returns its name. */
export async function useProductionEngine(): Promise<string> {
  if (!engineName) {
    try {
      engineName = await initEngine('native', { threads: 1 });
    } catch {
      engineName = await initEngine('wasm');
    }
  }
  await tf.setBackend('wasm');
  return engineName;
}

/** A spec literal of any layer type. */
export type AnySpec = LayerSpecBase & Record<string, unknown>;

let layersBuilt = 0;

/** Builds a layer the way a network would: unique id, seeded rng, variables owned by the BuiltLayer. */
export function buildTestLayer<S extends LayerSpecBase>(spec: S, inShapes: number[][], opts: { seed?: number; numClasses?: number; initStd?: number } = {}): BuiltLayer<S> {
  const impl = getLayer(spec.type);
  const id = `test/${layersBuilt++}_${spec.type}`;
  const arity = impl.arity ?? 1;
  if (arity === 'many' ? inShapes.length < 1 : inShapes.length !== arity) throw new Error(`${id}: ${spec.type} takes ${arity} inputs, got ${inShapes.length}`);
  const rng = new Rng(opts.seed ?? 1);
  const params: Record<string, tf.Variable> = {};
  const state: Record<string, tf.Variable> = {};
  const variable = (store: Record<string, tf.Variable>, trainable: boolean) => (name: string, init: tf.Tensor) => {
    assert.ok(!(name in params) && !(name in state), `${id}: variable '${name}' created twice`);
    const v = tf.variable(init, trainable, `${id}/${name}`);
    init.dispose();
    store[name] = v;
    return v;
  };
  const ctx: LayerBuildContext = {
    id, rng, numClasses: opts.numClasses ?? 0,
    param: variable(params, true),
    state: variable(state, false),
    initWeights(shape, fanIn) {
      if (opts.initStd !== undefined) return tf.tensor(rng.normalArray(shapeSize(shape), 0, opts.initStd), shape);
      const limit = Math.sqrt(6 / fanIn);
      return tf.tensor(rng.uniformArray(shapeSize(shape), -limit, limit), shape);
    },
  };
  try {
    const outShape = impl.build(ctx, spec as unknown as LayerSpecBase, inShapes);
    return { id, spec, inShapes, outShape, params, state, numClasses: ctx.numClasses };
  } catch (e) {
    for (const v of [...Object.values(params), ...Object.values(state)]) v.dispose();
    throw e;
  }
}

export function applyTestLayer(layer: BuiltLayer, inputs: tf.Tensor[], opts: ApplyOptions): tf.Tensor {
  return tf.tidy(() => getLayer(layer.spec.type).apply(layer, inputs, opts));
}

export function disposeLayer(layer: BuiltLayer): void {
  for (const v of [...Object.values(layer.params), ...Object.values(layer.state)]) v.dispose();
}

/** Asserts that build() rejects the inputs with an Error naming the layer id and matching `problem`. */
export function expectBuildError(spec: AnySpec, inShapes: number[][], problem: RegExp): void {
  const before = tf.memory().numTensors;
  assert.throws(() => buildTestLayer(spec, inShapes), (e: Error) => {
    assert.match(e.message, /^test\/\d+_\w+: /, `error names the layer: ${e.message}`);
    assert.match(e.message, problem);
    return true;
  });
  assert.equal(tf.memory().numTensors, before, 'a failed build leaked tensors');
}

export interface LayerCase {
  name: string;
  spec: AnySpec;
  /** Input shapes without the batch axis. */
  inShapes: number[][];
  batch?: number;
  /** Inputs holding int32 token ids, with their exclusive upper bound; not differentiated. */
  ids?: Record<number, number>;
  /** ApplyOptions.training (default true). */
  training?: boolean;
  /** Gives the layer a seeded noise stream (the reference gets a copy in the same state). */
  noise?: boolean;
  /**
   * The layer in float64, on batched inputs and the current parameter values. `noise` is a fresh copy of
   * the stream the layer got, so a reference that draws in the layer's order sees the same numbers.
   */
  reference(inputs: F64[], params: Record<string, F64>, noise: Rng | undefined): F64;
  /** Also check the gradient of Σ(∇ₓ Σ r·out²)² (gradient penalty / R1 through the layer). */
  secondOrder?: boolean;
}

/** Largest relative errors of a case: engine vs cpu, and either vs the float64 reference. */
export interface CaseErrors {
  engineVsCpu: number;
  valueVsReference: number;
  gradVsReference: number;
  secondOrderVsReference?: number;
}

interface Probe {
  out: Float32Array;
  grads: Float32Array[];
  secondGrads: Float32Array[];
}

const TOL = 1e-4;

/** Values, gradients of Σ r·out, and (optionally) gradients of Σ(∇ₓ Σ r·out²)² on one backend. */
async function probe(backend: string, layer: BuiltLayer, c: LayerCase, inputs: F64[], r: F64, noise: RngState | undefined): Promise<Probe> {
  await tf.setBackend(backend);
  const before = tf.memory().numTensors;
  const tensors = tf.tidy(() => {
    const xs = inputs.map((x, i) => (c.ids?.[i] !== undefined ? tf.tensor(Int32Array.from(x.data), x.shape, 'int32') : tf.tensor(Float32Array.from(x.data), x.shape)));
    const diffXs = xs.filter((_, i) => c.ids?.[i] === undefined);
    const wrt = [...diffXs, ...Object.values(layer.params)];
    const rt = tf.tensor(Float32Array.from(r.data), r.shape);
    const opts = (twice: boolean): ApplyOptions => ({ training: c.training ?? true, twiceDifferentiable: twice, noise: noise && new Rng(noise) });
    const grads = (f: () => tf.Scalar, of: tf.Tensor[]) => {
      const g = tf.engine().gradients(f, of, undefined, true).grads;
      return g.map((t, i) => t ?? tf.zerosLike(of[i]!));
    };
    const out = applyTestLayer(layer, xs, opts(false));
    assert.deepEqual(out.shape, [xs[0]!.shape[0], ...layer.outShape], `${c.name}: output shape`);
    const first = grads(() => tf.sum(tf.mul(applyTestLayer(layer, xs, opts(false)), rt)), wrt);
    const penalty = () => {
      const g = grads(() => tf.sum(tf.mul(tf.square(applyTestLayer(layer, xs, opts(true))), rt)), diffXs);
      return tf.addN(g.map((t) => tf.sum(tf.square(t)))) as tf.Scalar;
    };
    return [out, ...first, ...(c.secondOrder ? grads(penalty, wrt) : [])];
  });
  const data = tensors.map((t) => t.dataSync() as Float32Array);
  tf.dispose(tensors);
  assert.equal(tf.memory().numTensors, before, `${c.name}: tensors leaked on ${backend}`);
  const n = 1 + inputs.length - Object.keys(c.ids ?? {}).length + Object.keys(layer.params).length;
  return { out: data[0]!, grads: data.slice(1, n), secondGrads: data.slice(n) };
}

/** Central-difference gradient of f at the arrays `at` (perturbed in place, then restored). */
export function fdGradient(f: () => number, at: F64[], h = 1e-5): Float64Array[] {
  return at.map((a) => {
    const g = new Float64Array(a.data.length);
    for (let i = 0; i < a.data.length; i++) {
      const v = a.data[i]!;
      a.data[i] = v + h;
      const up = f();
      a.data[i] = v - h;
      const down = f();
      a.data[i] = v;
      g[i] = (up - down) / (2 * h);
    }
    return g;
  });
}

const dot = (r: F64, y: F64, square = false) => {
  let s = 0;
  for (let i = 0; i < r.data.length; i++) s += r.data[i]! * (square ? y.data[i]! * y.data[i]! : y.data[i]!);
  return s;
};

/**
 * Runs every check on one case with fresh random inputs and parameters: engine vs cpu (values, first
 * and second-order gradients, < 1e-4), values and gradients vs the float64 reference (< 1e-4; second
 * order along two random directions, < 1e-3 of Σ|gᵢvᵢ|), output shape, and no leaked tensors.
 */
export async function checkLayer(c: LayerCase, rng: Rng): Promise<CaseErrors> {
  await useProductionEngine();
  const before = tf.memory().numTensors;
  const layer = buildTestLayer(c.spec, c.inShapes, { seed: rng.nextU32() });
  let errors: CaseErrors;
  try {
    errors = await runChecks(c, layer, rng);
  } finally {
    disposeLayer(layer);
  }
  assert.equal(tf.memory().numTensors, before, `${c.name}: the layer's variables leaked`);
  return errors;
}

async function runChecks(c: LayerCase, layer: BuiltLayer, rng: Rng): Promise<CaseErrors> {
  const batch = c.batch ?? 2;
  for (const v of Object.values(layer.params)) tf.tidy(() => v.assign(tf.tensor(rng.normalArray(v.size, 0, 0.7), v.shape)));
  const inputs = c.inShapes.map((s, i) => {
    const shape = [batch, ...s];
    const max = c.ids?.[i];
    return f64(shape, max === undefined ? rng.normalArray(shapeSize(shape)) : Array.from({ length: shapeSize(shape) }, () => rng.int(max)));
  });
  const r = f64([batch, ...layer.outShape], rng.normalArray(batch * shapeSize(layer.outShape)));
  const noise = c.noise ? new Rng(rng.nextU32()).getState() : undefined;

  const engine = await useProductionEngine();
  const got = await probe('wasm', layer, c, inputs, r, noise);
  const cpu = await probe('cpu', layer, c, inputs, r, noise);
  await tf.setBackend('wasm');
  const ours = [got.out, ...got.grads, ...got.secondGrads];
  const theirs = [cpu.out, ...cpu.grads, ...cpu.secondGrads];
  const engineVsCpu = Math.max(...ours.map((a, i) => relErr(a, theirs[i]!)));
  assert.ok(engineVsCpu < TOL, `${c.name}: ${engine} vs cpu relErr ${engineVsCpu.toExponential(2)}`);

  // The reference sees the variables' current values; perturbing `wrt` in place perturbs its arguments.
  const params: Record<string, F64> = {};
  for (const [name, v] of Object.entries(layer.params)) params[name] = f64(v.shape, v.dataSync());
  const diffXs = inputs.filter((_, i) => c.ids?.[i] === undefined);
  const wrt = [...diffXs, ...Object.values(params)];
  const ref = () => c.reference(inputs, params, noise && new Rng(noise));
  const valueVsReference = relErr(got.out, ref().data);
  const fd = fdGradient(() => dot(r, ref()), wrt);
  const gradVsReference = Math.max(...fd.map((g, i) => relErr(got.grads[i]!, g)));
  assert.ok(valueVsReference < TOL, `${c.name}: values vs reference relErr ${valueVsReference.toExponential(2)}`);
  assert.ok(gradVsReference < TOL, `${c.name}: gradients vs reference relErr ${gradVsReference.toExponential(2)}`);
  const errors: CaseErrors = { engineVsCpu, valueVsReference, gradVsReference };
  if (c.secondOrder) {
    // Σ(∇ₓ Σ r·ref²)², with ∇ₓ by finite differences too.
    const penalty = () => fdGradient(() => dot(r, ref(), true), diffXs).reduce((s, g) => s + g.reduce((p, q) => p + q * q, 0), 0);
    errors.secondOrderVsReference = directionalError(penalty, wrt, got.secondGrads, rng);
    assert.ok(errors.secondOrderVsReference < 1e-3, `${c.name}: second-order gradient vs reference relErr ${errors.secondOrderVsReference.toExponential(2)}`);
  }
  return errors;
}

/**
 * Checks a gradient g of f along two random directions v: |g·v − (f(θ + εv) − f(θ − εv)) / 2ε| relative
 * to Σ|gᵢvᵢ| (robust when g·v happens to be near 0). `at` is perturbed in place, then restored.
 */
function directionalError(f: () => number, at: F64[], g: Float32Array[], rng: Rng, eps = 1e-4): number {
  const saved = at.map((a) => a.data.slice());
  let worst = 0;
  for (let k = 0; k < 2; k++) {
    const v = at.map((a) => rng.normalArray(a.data.length));
    const shifted = (sign: number) => {
      at.forEach((a, i) => a.data.forEach((_, j) => { a.data[j] = saved[i]![j]! + sign * eps * v[i]![j]!; }));
      return f();
    };
    const want = (shifted(1) - shifted(-1)) / (2 * eps);
    at.forEach((a, i) => a.data.set(saved[i]!));
    let dir = 0, scale = 0;
    g.forEach((gi, i) => gi.forEach((gij, j) => { dir += gij * v[i]![j]!; scale += Math.abs(gij * v[i]![j]!); }));
    worst = Math.max(worst, Math.abs(dir - want) / Math.max(scale, 1e-6));
  }
  return worst;
}

/** One test per case, each reporting its measured errors as a diagnostic. */
export function testCases(cases: LayerCase[], rng: Rng): void {
  for (const c of cases) {
    it(c.name, async (t) => {
      const e = await checkLayer(c, rng);
      t.diagnostic(Object.entries(e).map(([k, v]) => `${k} ${(v as number).toExponential(1)}`).join(', '));
    });
  }
}
