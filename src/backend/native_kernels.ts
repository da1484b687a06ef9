/**
 * Native (C++, AVX-512 / AVX2 + FMA, multi-threaded) kernels for the TF.js `wasm` backend.
 *
 * The addon in `native/` is built by node-gyp at `npm install`. Its kernels read and write tensors in
 * place inside the wasm heap (an ArrayBuffer addressed by each tensor's `memoryOffset`), so replacing
 * a wasm kernel costs no copies. Native: matMul, conv2d and both conv2d gradients (the input gradient
 * is also the forward pass of conv2dTranspose), their fused bias/activation forms, Sum/Mean over
 * leading axes and over axes that merge into at most two reduced runs (per-sample spatial statistics
 * [B, H, W, C] → [B, C] for instance norm and AdaIN; gradients of broadcasts such as nearest
 * upsampling), the float32 elementwise ops a training step is made of (Add, Sub, Multiply, RealDiv
 * with equal shapes, scalars, per-channel rows or per-sample blocks such as [B, 1, 1, C]; Square,
 * Sqrt, Rsqrt, Neg, Relu, Step, ZerosLike, OnesLike), Tile / Transpose of 4-byte tensors up to
 * rank 8, and fused batch norm, instance norm and PReLU (forward and backward). Other ops and cases stay on wasm. Results are deterministic and do not
 * depend on the thread count (they may differ in the last bits between instruction sets). When the
 * addon is missing (no compiler at install time) this says so once on stderr and leaves wasm as is.
 */
import * as tf from '@tensorflow/tfjs-core';
import { backend_util, broadcast_util, util } from '@tensorflow/tfjs-core';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import { wasmKernelHooks } from './backend.ts';
import { BN_GRAD_KERNEL, BN_KERNEL, IN_GRAD_KERNEL, IN_KERNEL, registerBatchNormGradient } from './batch_norm.ts';
import { PRELU_GRAD_KERNEL, PRELU_KERNEL, registerPreluGradient } from './prelu.ts';

type Info = tf.TensorInfo;
type Attrs = Record<string, unknown>;

/** The parts of tfjs-backend-wasm's BackendWasm these kernels touch. */
interface WasmBackendLike {
  wasm: { HEAPU8: Uint8Array };
  dataIdMap: { get(dataId: object): { memoryOffset: number } | undefined };
  makeOutput(shape: number[], dtype: tf.DataType): Info;
  disposeData(dataId: object, force?: boolean): boolean;
}
type KernelArgs = { inputs: Record<string, Info | undefined>; attrs: Attrs; backend: WasmBackendLike };

export interface NativeInfo {
  /** Instruction set of the kernels in use: 'avx512', 'avx2' or 'generic'. */
  isa: string;
  threads: number;
  supportedIsas: string[];
  cores: number;
}

/** Geometry arguments shared by the three convolution entry points. */
type ConvGeometry = [
  batch: number, inH: number, inW: number, inC: number, outH: number, outW: number, outC: number,
  kH: number, kW: number, strideH: number, strideW: number, dilationH: number, dilationW: number,
  padTop: number, padLeft: number,
];

/** The addon's exports (native/src/addon.cc). Offsets are byte offsets into `heap`. */
export interface NativeAddon {
  info(): NativeInfo;
  /** threads 0 = all cores; isa '' = best supported. */
  configure(threads: number, isa: string): NativeInfo;
  matmul(heap: ArrayBuffer, a: number, b: number, c: number, batch: number, batchA: number, batchB: number,
    m: number, n: number, k: number, transA: boolean, transB: boolean): void;
  conv2d(heap: ArrayBuffer, x: number, w: number, y: number, ...geometry: ConvGeometry): void;
  conv2dBackpropInput(heap: ArrayBuffer, dy: number, w: number, dx: number, ...geometry: ConvGeometry): void;
  conv2dBackpropFilter(heap: ArrayBuffer, x: number, dy: number, dw: number, ...geometry: ConvGeometry): void;
  biasActivation(heap: ArrayBuffer, y: number, rows: number, cols: number, bias: number, activation: number,
    alpha: number): void;
  /** out[c] = scale * Σ_r x[r, c]. */
  reduceRows(heap: ArrayBuffer, x: number, out: number, rows: number, cols: number, scale: number): void;
  /** out = a op b; modes 0 full, 1 scalar, 2 a row of `cols` repeated. op 0 add, 1 sub, 2 mul, 3 div. */
  binary(heap: ArrayBuffer, op: number, a: number, aMode: number, b: number, bMode: number, out: number,
    n: number, cols: number): void;
  /** out = f(x): 0 square, 1 sqrt, 2 neg, 3 relu, 4 step(alpha), 5 fill(alpha, x ignored), 6 rsqrt. */
  unary(heap: ArrayBuffer, op: number, x: number, out: number, n: number, alpha: number): void;
  batchNormForward(heap: ArrayBuffer, x: number, gamma: number, beta: number, rows: number, cols: number,
    eps: number, y: number, mean: number, variance: number): void;
  /** dx -1: only the column sums. */
  batchNormBackward(heap: ArrayBuffer, dy: number, x: number, mean: number, variance: number, gamma: number,
    rows: number, cols: number, eps: number, sumDy: number, sumDyXmu: number, dx: number): void;
  /** out [outer, mid, inner] = scale * Σ over rows1, rows2 of x [outer, rows1, mid, rows2, inner]. */
  reduceStrided(heap: ArrayBuffer, x: number, out: number, outer: number, rows1: number, mid: number, rows2: number,
    inner: number, scale: number): void;
  /** out = full op block (block op full if blockFirst); block [P, 1, Q] against out [P, R, Q], span R·Q, cols Q. */
  binaryBlock(heap: ArrayBuffer, op: number, full: number, block: number, blockFirst: boolean, out: number, n: number,
    span: number, cols: number): void;
  /** Tile and Transpose of 4-byte elements, rank ≤ 8. */
  tile(heap: ArrayBuffer, x: number, out: number, shape: number[], reps: number[]): void;
  transpose(heap: ArrayBuffer, x: number, out: number, shape: number[], perm: number[]): void;
  /** y = x > 0 ? x : alpha[c]·x over x [n / cols, cols]; cols 1: one shared slope. */
  preluForward(heap: ArrayBuffer, x: number, alpha: number, y: number, n: number, cols: number): void;
  /** dx = dy·(x > 0 ? 1 : alpha[c]), dalpha[c] = Σ dy·min(x, 0) over column c. */
  preluBackward(heap: ArrayBuffer, dy: number, x: number, alpha: number, dx: number, dalpha: number, n: number, cols: number): void;
}

export interface NativeLoadResult {
  loaded: boolean;
  reason?: string;
  isa?: string;
  threads?: number;
}

export const NATIVE_ADDON_PATH = path.resolve(
  path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'native', 'build', 'Release', 'gantry_native.node');

let addon: NativeAddon | null = null;
let loadFailure: string | undefined;
let noticePrinted = false;

/**
 * Loads the addon (once) and configures its thread count; `threads` 0 or absent = all cores.
 * `isa` pins a code path ('avx512', 'avx2', 'generic') for tests. A missing or broken addon is not
 * an error: it gives `{ loaded: false, reason }` and a one-line notice on stderr (once). Invalid
 * options throw.
 */
export function loadNativeKernels(opts: { threads?: number; isa?: string } = {}): NativeLoadResult {
  if (!addon && loadFailure === undefined) {
    try {
      addon = createRequire(import.meta.url)(NATIVE_ADDON_PATH) as NativeAddon;
    } catch (err) {
      const message = (err as Error).message.split('\n')[0]!;
      loadFailure = (err as { code?: string }).code === 'MODULE_NOT_FOUND'
        ? `addon not built (${path.relative(process.cwd(), NATIVE_ADDON_PATH)} missing; run \`npm rebuild\` with a C++ compiler)`
        : `addon failed to load: ${message}`;
    }
  }
  if (!addon) {
    if (!noticePrinted) {
      noticePrinted = true;
      process.stderr.write(`gantry: native kernels unavailable, using wasm kernels: ${loadFailure}\n`);
    }
    return { loaded: false, reason: loadFailure };
  }
  const threads = opts.threads ?? 0;
  if (!Number.isInteger(threads) || threads < 0) {
    throw new Error(`loadNativeKernels: threads must be a non-negative integer, got ${threads}`);
  }
  const info = addon.configure(threads, opts.isa ?? '');
  return { loaded: true, isa: info.isa, threads: info.threads };
}

/** The loaded addon, for benchmarks and tests; null until loadNativeKernels() succeeded. */
export function nativeAddon(): NativeAddon | null {
  return addon;
}

// ---- kernels ------------------------------------------------------------------------------------

function lib(): NativeAddon {
  if (!addon) throw new Error('gantry native kernels: addon not loaded (call loadNativeKernels first)');
  return addon;
}

function offsetOf(backend: WasmBackendLike, t: Info): number {
  const data = backend.dataIdMap.get(t.dataId);
  if (!data) throw new Error('gantry native kernels: tensor is not on the wasm backend');
  return data.memoryOffset;
}

/** Fetched after every allocation: growing wasm memory replaces the buffer. */
function heapOf(backend: WasmBackendLike): ArrayBuffer {
  return backend.wasm.HEAPU8.buffer as ArrayBuffer;
}

const ACTIVATIONS: Record<string, number> = { linear: 0, relu: 1, relu6: 2, leakyrelu: 3, sigmoid: 4, elu: 5 };

const previousKernels = new Map<string, tf.KernelConfig | undefined>();

/** The kernel a native registration replaced, called for cases the native code does not cover. */
function fallback(name: string, args: KernelArgs): Info {
  const previous = previousKernels.get(name);
  if (!previous) throw new Error(`gantry native kernels: ${name} case not supported natively and no wasm kernel to fall back on`);
  return previous.kernelFunc(args as unknown as Parameters<tf.KernelFunc>[0]) as Info;
}

function isNhwc(attrs: Attrs): boolean {
  return (attrs.dataFormat ?? 'NHWC') === 'NHWC';
}

function geometry(c: backend_util.Conv2DInfo): ConvGeometry {
  return [c.batchSize, c.inHeight, c.inWidth, c.inChannels, c.outHeight, c.outWidth, c.outChannels,
    c.filterHeight, c.filterWidth, c.strideHeight, c.strideWidth, c.dilationHeight, c.dilationWidth,
    c.padInfo.top, c.padInfo.left];
}

/** Rank-1 bias of `cols` floats, or null when absent; undefined when unsupported (fall back). */
function biasOffset(backend: WasmBackendLike, bias: Info | undefined, cols: number): number | undefined {
  if (!bias) return -1;
  if (bias.dtype !== 'float32' || bias.shape.length !== 1 || bias.shape[0] !== cols) return undefined;
  return offsetOf(backend, bias);
}

function fusedEpilogueSupported(attrs: Attrs, inputs: KernelArgs['inputs']): boolean {
  const activation = (attrs.activation as string | undefined) ?? 'linear';
  return activation in ACTIVATIONS && !inputs.preluActivationWeights;
}

function matMulCore(args: KernelArgs, name: string): Info | undefined {
  const { inputs, attrs, backend } = args;
  const a = inputs.a!, b = inputs.b!;
  const transposeA = Boolean(attrs.transposeA), transposeB = Boolean(attrs.transposeB);
  if (a.dtype !== 'float32' || b.dtype !== 'float32' || a.shape.length < 2 || b.shape.length < 2) return undefined;
  const aRank = a.shape.length, bRank = b.shape.length;
  const m = transposeA ? a.shape[aRank - 1]! : a.shape[aRank - 2]!;
  const k = transposeA ? a.shape[aRank - 2]! : a.shape[aRank - 1]!;
  const kB = transposeB ? b.shape[bRank - 1]! : b.shape[bRank - 2]!;
  const n = transposeB ? b.shape[bRank - 2]! : b.shape[bRank - 1]!;
  if (k !== kB) {
    throw new Error(`${name}: inner dimensions differ: a [${a.shape}] (transposeA=${transposeA}) and ` +
      `b [${b.shape}] (transposeB=${transposeB})`);
  }
  const outerA = a.shape.slice(0, -2), outerB = b.shape.slice(0, -2);
  const batchA = util.sizeFromShape(outerA), batchB = util.sizeFromShape(outerB);
  const outer = broadcast_util.assertAndGetBroadcastShape(outerA, outerB);
  const batch = util.sizeFromShape(outer);
  // Only the two layouts the addon handles: equal batches, or one side broadcast whole.
  if (!((batchA === batch && batchB === batch) || (batchA === 1 && batchB === batch) || (batchB === 1 && batchA === batch))) {
    return undefined;
  }
  const out = backend.makeOutput([...outer, m, n], 'float32');
  if (batch * m * n > 0) {
    lib().matmul(heapOf(backend), offsetOf(backend, a), offsetOf(backend, b), offsetOf(backend, out),
      batch, batchA, batchB, m, n, k, transposeA, transposeB);
  }
  return out;
}

function batchMatMul(args: KernelArgs): Info {
  return matMulCore(args, 'BatchMatMul') ?? fallback('BatchMatMul', args);
}

function fusedMatMul(args: KernelArgs): Info {
  const { inputs, attrs, backend } = args;
  if (!fusedEpilogueSupported(attrs, inputs)) return fallback('_FusedMatMul', args);
  const n = attrs.transposeB ? inputs.b!.shape[inputs.b!.shape.length - 2]! : inputs.b!.shape[inputs.b!.shape.length - 1]!;
  if (biasOffset(backend, inputs.bias, n) === undefined) return fallback('_FusedMatMul', args);
  const out = matMulCore(args, '_FusedMatMul');
  if (!out) return fallback('_FusedMatMul', args);
  const rows = util.sizeFromShape(out.shape) / Math.max(n, 1);
  if (rows * n > 0) {
    lib().biasActivation(heapOf(backend), offsetOf(backend, out), rows, n, biasOffset(backend, inputs.bias, n)!,
      ACTIVATIONS[(attrs.activation as string | undefined) ?? 'linear']!, Number(attrs.leakyreluAlpha ?? 0));
  }
  return out;
}

function conv2dInfo(xShape: number[], filterShape: number[], attrs: Attrs, dilations: number | [number, number]) {
  return backend_util.computeConv2DInfo(
    xShape as [number, number, number, number], filterShape as [number, number, number, number],
    attrs.strides as [number, number], dilations, attrs.pad as 'same',
    attrs.dimRoundingMode as 'floor' | undefined, false, 'channelsLast');
}

function conv2dCore(args: KernelArgs): Info | undefined {
  const { inputs, attrs, backend } = args;
  const x = inputs.x!, filter = inputs.filter!;
  if (!isNhwc(attrs) || x.dtype !== 'float32' || filter.dtype !== 'float32') return undefined;
  const info = conv2dInfo(x.shape, filter.shape, attrs, (attrs.dilations as [number, number]) ?? 1);
  const out = backend.makeOutput(info.outShape, 'float32');
  if (util.sizeFromShape(info.outShape) > 0) {
    lib().conv2d(heapOf(backend), offsetOf(backend, x), offsetOf(backend, filter), offsetOf(backend, out), ...geometry(info));
  }
  return out;
}

function conv2d(args: KernelArgs): Info {
  return conv2dCore(args) ?? fallback('Conv2D', args);
}

function fusedConv2d(args: KernelArgs): Info {
  const { inputs, attrs, backend } = args;
  const outC = inputs.filter!.shape[3]!;
  if (!fusedEpilogueSupported(attrs, inputs) || biasOffset(backend, inputs.bias, outC) === undefined) {
    return fallback('FusedConv2D', args);
  }
  const out = conv2dCore(args);
  if (!out) return fallback('FusedConv2D', args);
  const rows = util.sizeFromShape(out.shape) / Math.max(outC, 1);
  if (rows * outC > 0) {
    lib().biasActivation(heapOf(backend), offsetOf(backend, out), rows, outC, biasOffset(backend, inputs.bias, outC)!,
      ACTIVATIONS[(attrs.activation as string | undefined) ?? 'linear']!, Number(attrs.leakyreluAlpha ?? 0));
  }
  return out;
}

function conv2dBackpropInput(args: KernelArgs): Info {
  const { inputs, attrs, backend } = args;
  const dy = inputs.dy!, filter = inputs.filter!;
  if (!isNhwc(attrs) || dy.dtype !== 'float32' || filter.dtype !== 'float32') return fallback('Conv2DBackpropInput', args);
  const inputShape = attrs.inputShape as number[];
  const info = conv2dInfo(inputShape, filter.shape, attrs, 1);
  if (!util.arraysEqual(dy.shape, info.outShape)) {
    throw new Error(`Conv2DBackpropInput: dy has shape [${dy.shape}], expected [${info.outShape}] for input ` +
      `[${inputShape}] and filter [${filter.shape}]`);
  }
  const out = backend.makeOutput(inputShape.slice(), 'float32');
  if (util.sizeFromShape(inputShape) > 0) {
    lib().conv2dBackpropInput(heapOf(backend), offsetOf(backend, dy), offsetOf(backend, filter), offsetOf(backend, out),
      ...geometry(info));
  }
  return out;
}

function conv2dBackpropFilter(args: KernelArgs): Info {
  const { inputs, attrs, backend } = args;
  const x = inputs.x!, dy = inputs.dy!;
  if (!isNhwc(attrs) || x.dtype !== 'float32' || dy.dtype !== 'float32') return fallback('Conv2DBackpropFilter', args);
  const filterShape = attrs.filterShape as number[];
  const info = conv2dInfo(x.shape, filterShape, attrs, 1);
  if (!util.arraysEqual(dy.shape, info.outShape)) {
    throw new Error(`Conv2DBackpropFilter: dy has shape [${dy.shape}], expected [${info.outShape}] for input ` +
      `[${x.shape}] and filter [${filterShape}]`);
  }
  const out = backend.makeOutput(filterShape.slice(), 'float32');
  if (util.sizeFromShape(filterShape) > 0) {
    lib().conv2dBackpropFilter(heapOf(backend), offsetOf(backend, x), offsetOf(backend, dy), offsetOf(backend, out),
      ...geometry(info));
  }
  return out;
}

/**
 * x as [outer, rows1, mid, rows2, inner] summed over rows1 and rows2, after dropping unit axes and merging
 * neighbours that are both reduced or both kept; null when the reduced axes form more than two runs.
 */
function stridedReduction(shape: number[], axes: number[]): [number, number, number, number, number] | null {
  const runs: Array<{ reduced: boolean; size: number }> = [{ reduced: false, size: 1 }];
  shape.forEach((d, i) => {
    if (d === 1) return;
    const reduced = axes.includes(i);
    const last = runs[runs.length - 1]!;
    if (last.reduced === reduced) last.size *= d;
    else runs.push({ reduced, size: d });
  });
  if (runs.length > 5) return null;
  const [k0, r1, k1, r2, k2] = runs.map((r) => r.size);
  // One reduced run: [outer, rows, inner] (the rows of inner elements are contiguous).
  return r2 === undefined ? [k0!, r1 ?? 1, 1, 1, k1 ?? 1] : [k0!, r1!, k1!, r2, k2 ?? 1];
}

/**
 * Sum / Mean over leading axes ([R, C] → [C]: batch statistics, bias gradients), or over up to two runs
 * of axes ([B, H, W, C] over H, W: instance-norm statistics; [B·H, f, W, f, C] over the f axes: the
 * gradient of nearest upsampling); others fall back.
 */
function reduction(kernelName: 'Sum' | 'Mean') {
  return (args: KernelArgs): Info => {
    const { inputs, attrs, backend } = args;
    const x = inputs.x!;
    const axes = util.parseAxisParam(attrs.axis as number | number[], x.shape).slice().sort((p, q) => p - q);
    const leading = axes.length > 0 && axes.every((axis, i) => axis === i);
    const rows = util.sizeFromShape(x.shape.slice(0, axes.length));
    if (x.dtype === 'float32' && !leading && util.sizeFromShape(x.shape) > 0) return stridedReductionKernel(kernelName, args, axes);
    if (x.dtype !== 'float32' || !leading || rows === 0) return fallback(kernelName, args);
    const kept = x.shape.slice(axes.length);
    const cols = util.sizeFromShape(kept);
    const out = backend.makeOutput(attrs.keepDims ? [...axes.map(() => 1), ...kept] : kept, 'float32');
    if (cols > 0) {
      lib().reduceRows(heapOf(backend), offsetOf(backend, x), offsetOf(backend, out), rows, cols,
        kernelName === 'Mean' ? 1 / rows : 1);
    }
    return out;
  };
}

function stridedReductionKernel(kernelName: 'Sum' | 'Mean', args: KernelArgs, axes: number[]): Info {
  const { attrs, backend } = args;
  const x = args.inputs.x!;
  const layout = stridedReduction(x.shape, axes);
  if (!layout) return fallback(kernelName, args);
  const [outer, rows1, mid, rows2, inner] = layout;
  const shape = x.shape.flatMap((d, i) => (axes.includes(i) ? (attrs.keepDims ? [1] : []) : [d]));
  const out = backend.makeOutput(shape, 'float32');
  lib().reduceStrided(heapOf(backend), offsetOf(backend, x), offsetOf(backend, out), outer, rows1, mid, rows2, inner,
    kernelName === 'Mean' ? 1 / (rows1 * rows2) : 1);
  return out;
}

const FULL = 0, SCALAR = 1, ROW = 2;

/** How an operand of a broadcasting binary op is laid out relative to the output, or null if unsupported. */
function operandMode(shape: number[], outShape: number[]): { mode: number; cols: number } | null {
  const size = util.sizeFromShape(shape);
  const outSize = util.sizeFromShape(outShape);
  if (size === outSize) return { mode: FULL, cols: 1 };
  if (size === 1) return { mode: SCALAR, cols: 1 };
  let first = 0;
  while (first < shape.length && shape[first] === 1) first++;
  const trailing = shape.slice(first);
  const outTrailing = outShape.slice(outShape.length - trailing.length);
  return util.arraysEqual(trailing, outTrailing) ? { mode: ROW, cols: size } : null;
}

/**
 * An operand that is [P, 1, Q] against the output [P, R, Q] once unit axes of the output are dropped and
 * neighbours merged (e.g. [B, 1, 1, C] or [B, 1, 1, 1] against [B, H, W, C]), as span = R·Q and cols = Q.
 */
function blockLayout(shape: number[], outShape: number[]): { span: number; cols: number } | null {
  const padded = [...new Array<number>(outShape.length - shape.length).fill(1), ...shape];
  const runs: Array<{ broadcast: boolean; size: number }> = [];
  outShape.forEach((d, i) => {
    if (d === 1) return;
    const broadcast = padded[i] !== d;
    const last = runs[runs.length - 1];
    if (last && last.broadcast === broadcast) last.size *= d;
    else runs.push({ broadcast, size: d });
  });
  if (runs.length < 2 || runs.length > 3 || runs[0]!.broadcast) return null;
  const cols = runs[2]?.size ?? 1;
  return { span: runs[1]!.size * cols, cols };
}

/**
 * Add / Sub / Multiply / RealDiv for equal shapes, a scalar, a trailing row (e.g. per-channel), or a
 * per-sample block (e.g. [B, 1, 1, C]: instance-norm statistics, AdaIN and modulation scales).
 */
function binaryOp(kernelName: string, op: number) {
  return (args: KernelArgs): Info => {
    const { inputs, backend } = args;
    const a = inputs.a!, b = inputs.b!;
    if (a.dtype !== 'float32' || b.dtype !== 'float32') return fallback(kernelName, args);
    const outShape = broadcast_util.assertAndGetBroadcastShape(a.shape, b.shape);
    const n = util.sizeFromShape(outShape);
    if (n === 0) return fallback(kernelName, args);
    const ma = operandMode(a.shape, outShape), mb = operandMode(b.shape, outShape);
    if (ma && mb && (ma.mode === FULL || mb.mode === FULL)) {
      const out = backend.makeOutput(outShape, 'float32');
      lib().binary(heapOf(backend), op, offsetOf(backend, a), ma.mode, offsetOf(backend, b), mb.mode,
        offsetOf(backend, out), n, Math.max(ma.cols, mb.cols));
      return out;
    }
    const blockFirst = ma?.mode !== FULL;
    const [full, block] = blockFirst ? [b, a] : [a, b];
    const layout = util.sizeFromShape(full.shape) === n ? blockLayout(block.shape, outShape) : null;
    if (!layout) return fallback(kernelName, args);
    const out = backend.makeOutput(outShape, 'float32');
    lib().binaryBlock(heapOf(backend), op, offsetOf(backend, full), offsetOf(backend, block), blockFirst,
      offsetOf(backend, out), n, layout.span, layout.cols);
    return out;
  };
}

/** Tile (also tf.broadcastTo) and Transpose of float32 / int32 tensors as native bit copies, rank 1–8. */
function movesNatively(x: Info): boolean {
  return (x.dtype === 'float32' || x.dtype === 'int32') && x.shape.length >= 1 && x.shape.length <= 8 &&
    util.sizeFromShape(x.shape) > 0;
}

function tileKernel(args: KernelArgs): Info {
  const { inputs, attrs, backend } = args;
  const x = inputs.x!;
  const reps = attrs.reps as number[];
  if (!movesNatively(x) || reps.length !== x.shape.length || reps.some((r) => r < 1)) return fallback('Tile', args);
  const out = backend.makeOutput(x.shape.map((d, i) => d * reps[i]!), x.dtype);
  lib().tile(heapOf(backend), offsetOf(backend, x), offsetOf(backend, out), x.shape, reps);
  return out;
}

function transposeKernel(args: KernelArgs): Info {
  const { inputs, attrs, backend } = args;
  const x = inputs.x!;
  const perm = attrs.perm as number[];
  if (!movesNatively(x) || perm.length !== x.shape.length) return fallback('Transpose', args);
  const out = backend.makeOutput(perm.map((p) => x.shape[p]!), x.dtype);
  lib().transpose(heapOf(backend), offsetOf(backend, x), offsetOf(backend, out), x.shape, perm);
  return out;
}

/** Elementwise float32 unary kernels; `alpha` reads the kernel's attribute (Step) or is a constant. */
function unaryOp(kernelName: string, op: number, alpha: (attrs: Attrs) => number = () => 0) {
  return (args: KernelArgs): Info => {
    const { inputs, attrs, backend } = args;
    const x = inputs.x!;
    if (x.dtype !== 'float32') return fallback(kernelName, args);
    const out = backend.makeOutput(x.shape.slice(), 'float32');
    const n = util.sizeFromShape(x.shape);
    if (n > 0) lib().unary(heapOf(backend), op, offsetOf(backend, x), offsetOf(backend, out), n, alpha(attrs));
    return out;
  };
}

// ---- fused batch normalisation (training mode) --------------------------------------------------


/** [y, mean, variance] of x normalised over all axes but the last. */
function batchNormTrainingKernel({ inputs, attrs, backend }: KernelArgs): Info[] {
  const x = inputs.x!, gamma = inputs.gamma!, beta = inputs.beta!;
  const cols = x.shape[x.shape.length - 1]!;
  const rows = util.sizeFromShape(x.shape) / cols;
  const y = backend.makeOutput(x.shape.slice(), 'float32');
  const mean = backend.makeOutput([cols], 'float32');
  const variance = backend.makeOutput([cols], 'float32');
  lib().batchNormForward(heapOf(backend), offsetOf(backend, x), offsetOf(backend, gamma), offsetOf(backend, beta),
    rows, cols, Number(attrs.epsilon), offsetOf(backend, y), offsetOf(backend, mean), offsetOf(backend, variance));
  return [y, mean, variance];
}

/** [dx, dgamma, dbeta] from dy and the forward pass's x, gamma, mean and variance. */
function batchNormTrainingGradKernel({ inputs, attrs, backend }: KernelArgs): Info[] {
  const dy = inputs.dy!, x = inputs.x!, mean = inputs.mean!, variance = inputs.variance!, gamma = inputs.gamma!;
  const cols = x.shape[x.shape.length - 1]!;
  const rows = util.sizeFromShape(x.shape) / cols;
  const eps = Number(attrs.epsilon);
  const dx = backend.makeOutput(x.shape.slice(), 'float32');
  const dgamma = backend.makeOutput([cols], 'float32');
  const dbeta = backend.makeOutput([cols], 'float32');
  const heap = heapOf(backend);
  lib().batchNormBackward(heap, offsetOf(backend, dy), offsetOf(backend, x), offsetOf(backend, mean),
    offsetOf(backend, variance), offsetOf(backend, gamma), rows, cols, eps, offsetOf(backend, dbeta),
    offsetOf(backend, dgamma), offsetOf(backend, dx));
  // dgamma = Σ dy·(x − mean) / sqrt(variance + eps)
  const g = new Float32Array(heap, offsetOf(backend, dgamma), cols);
  const v = new Float32Array(heap, offsetOf(backend, variance), cols);
  for (let c = 0; c < cols; c++) g[c] = g[c]! / Math.fround(Math.sqrt(v[c]! + eps));
  return [dx, dgamma, dbeta];
}

/** [y, mean [B, C], variance [B, C]] of x [B, H, W, C] normalised per sample over H, W: batch norm per sample. */
function instanceNormTrainingKernel({ inputs, attrs, backend }: KernelArgs): Info[] {
  const x = inputs.x!, gamma = inputs.gamma!, beta = inputs.beta!;
  const [batch, h, w, cols] = x.shape as [number, number, number, number];
  const rows = h * w;
  const y = backend.makeOutput(x.shape.slice(), 'float32');
  const mean = backend.makeOutput([batch, cols], 'float32');
  const variance = backend.makeOutput([batch, cols], 'float32');
  const heap = heapOf(backend);
  const [xo, yo, mo, vo] = [offsetOf(backend, x), offsetOf(backend, y), offsetOf(backend, mean), offsetOf(backend, variance)];
  for (let b = 0; b < batch; b++) {
    lib().batchNormForward(heap, xo + 4 * b * rows * cols, offsetOf(backend, gamma), offsetOf(backend, beta), rows, cols,
      Number(attrs.epsilon), yo + 4 * b * rows * cols, mo + 4 * b * cols, vo + 4 * b * cols);
  }
  return [y, mean, variance];
}

/** [dx, dgamma, dbeta] of instance norm: batch norm's backward per sample, gamma and beta summed over samples. */
function instanceNormTrainingGradKernel({ inputs, attrs, backend }: KernelArgs): Info[] {
  const dy = inputs.dy!, x = inputs.x!, mean = inputs.mean!, variance = inputs.variance!, gamma = inputs.gamma!;
  const [batch, h, w, cols] = x.shape as [number, number, number, number];
  const rows = h * w;
  const eps = Number(attrs.epsilon);
  const dx = backend.makeOutput(x.shape.slice(), 'float32');
  const sums = backend.makeOutput([2, batch, cols], 'float32');
  const dgamma = backend.makeOutput([cols], 'float32');
  const dbeta = backend.makeOutput([cols], 'float32');
  const heap = heapOf(backend);
  const [dyo, xo, dxo, mo, vo, so] = [dy, x, dx, mean, variance, sums].map((t) => offsetOf(backend, t)) as number[];
  for (let b = 0; b < batch; b++) {
    lib().batchNormBackward(heap, dyo! + 4 * b * rows * cols, xo! + 4 * b * rows * cols, mo! + 4 * b * cols, vo! + 4 * b * cols,
      offsetOf(backend, gamma), rows, cols, eps, so! + 4 * b * cols, so! + 4 * (batch + b) * cols, dxo! + 4 * b * rows * cols);
  }
  // dbeta = Σ_b Σ dy, dgamma = Σ_b Σ dy·(x − mean_b) / sqrt(variance_b + eps)
  const s = new Float32Array(heap, so!, 2 * batch * cols);
  const v = new Float32Array(heap, vo!, batch * cols);
  const g = new Float32Array(heap, offsetOf(backend, dgamma), cols);
  const d = new Float32Array(heap, offsetOf(backend, dbeta), cols);
  g.fill(0);
  d.fill(0);
  for (let b = 0; b < batch; b++) {
    for (let c = 0; c < cols; c++) {
      d[c] = d[c]! + s[b * cols + c]!;
      g[c] = g[c]! + s[(batch + b) * cols + c]! / Math.fround(Math.sqrt(v[b * cols + c]! + eps));
    }
  }
  backend.disposeData(sums.dataId);
  return [dx, dgamma, dbeta];
}

// ---- fused PReLU ----------------------------------------------------------------------------------

/** y = PReLU(x) with alpha [1] (one shared slope) or [C] (x's last axis); see prelu.ts. */
function preluKernel({ inputs, backend }: KernelArgs): Info {
  const x = inputs.x!, alpha = inputs.alpha!;
  const y = backend.makeOutput(x.shape.slice(), 'float32');
  lib().preluForward(heapOf(backend), offsetOf(backend, x), offsetOf(backend, alpha), offsetOf(backend, y),
    util.sizeFromShape(x.shape), alpha.shape[0]!);
  return y;
}

/** [dx, dalpha] of PReLU from dy and the forward pass's x and alpha. */
function preluGradKernel({ inputs, backend }: KernelArgs): Info[] {
  const dy = inputs.dy!, x = inputs.x!, alpha = inputs.alpha!;
  const dx = backend.makeOutput(x.shape.slice(), 'float32');
  const dalpha = backend.makeOutput(alpha.shape.slice(), 'float32');
  lib().preluBackward(heapOf(backend), offsetOf(backend, dy), offsetOf(backend, x), offsetOf(backend, alpha),
    offsetOf(backend, dx), offsetOf(backend, dalpha), util.sizeFromShape(x.shape), alpha.shape[0]!);
  return [dx, dalpha];
}

/** Gantry's own kernels (no wasm kernel to replace): the fused normalisations and PReLU. */
const FUSED_KERNELS: Record<string, (args: KernelArgs) => Info | Info[]> = {
  [BN_KERNEL]: batchNormTrainingKernel,
  [BN_GRAD_KERNEL]: batchNormTrainingGradKernel,
  [IN_KERNEL]: instanceNormTrainingKernel,
  [IN_GRAD_KERNEL]: instanceNormTrainingGradKernel,
  [PRELU_KERNEL]: preluKernel,
  [PRELU_GRAD_KERNEL]: preluGradKernel,
};

const NATIVE_KERNELS: Record<string, (args: KernelArgs) => Info> = {
  BatchMatMul: batchMatMul,
  _FusedMatMul: fusedMatMul,
  Conv2D: conv2d,
  FusedConv2D: fusedConv2d,
  Conv2DBackpropInput: conv2dBackpropInput,
  Conv2DBackpropFilter: conv2dBackpropFilter,
  Sum: reduction('Sum'),
  Mean: reduction('Mean'),
  Add: binaryOp('Add', 0),
  Sub: binaryOp('Sub', 1),
  Multiply: binaryOp('Multiply', 2),
  RealDiv: binaryOp('RealDiv', 3),
  Square: unaryOp('Square', 0),
  Sqrt: unaryOp('Sqrt', 1),
  Neg: unaryOp('Neg', 2),
  Relu: unaryOp('Relu', 3),
  Step: unaryOp('Step', 4, (attrs) => Number(attrs.alpha ?? 0)),
  ZerosLike: unaryOp('ZerosLike', 5, () => 0),
  OnesLike: unaryOp('OnesLike', 5, () => 1),
  Rsqrt: unaryOp('Rsqrt', 6),
  Tile: tileKernel,
  Transpose: transposeKernel,
};

let nativeRegistered = false;

/** Whether the native kernels are currently registered on the wasm backend. */
export function nativeKernelsRegistered(): boolean {
  return nativeRegistered;
}

/**
 * Registers the native kernels on the `wasm` backend (replacing whatever is registered, which stays
 * available as the fallback for unsupported cases). Loads the addon with default options if needed;
 * returns false, changing nothing, when it cannot be loaded.
 */
export function registerNativeKernels(): boolean {
  if (nativeRegistered) return true;
  if (!addon && !loadNativeKernels().loaded) return false;
  registerBatchNormGradient();
  for (const [kernelName, kernelFunc] of Object.entries(NATIVE_KERNELS)) {
    const previous = tf.getKernel(kernelName, 'wasm');
    previousKernels.set(kernelName, previous);
    if (previous) tf.unregisterKernel(kernelName, 'wasm');
    // Keep the replaced kernel's setup: it binds the wasm entry point the fallback path calls.
    tf.registerKernel({
      kernelName,
      backendName: 'wasm',
      kernelFunc: kernelFunc as unknown as tf.KernelFunc,
      setupFunc: previous?.setupFunc,
      disposeFunc: previous?.disposeFunc,
    });
  }
  registerPreluGradient();
  for (const [kernelName, kernelFunc] of Object.entries(FUSED_KERNELS)) {
    tf.registerKernel({ kernelName, backendName: 'wasm', kernelFunc: kernelFunc as unknown as tf.KernelFunc });
  }
  nativeRegistered = true;
  return true;
}

/** Restores the kernels registerNativeKernels() replaced (benchmarks compare both). */
export function unregisterNativeKernels(): void {
  if (!nativeRegistered) return;
  for (const kernelName of Object.keys(NATIVE_KERNELS)) {
    tf.unregisterKernel(kernelName, 'wasm');
    const previous = previousKernels.get(kernelName);
    if (previous) tf.registerKernel(previous);
  }
  for (const kernelName of Object.keys(FUSED_KERNELS)) tf.unregisterKernel(kernelName, 'wasm');
  previousKernels.clear();
  nativeRegistered = false;
}

let hookInstalled = false;

/**
 * Makes initBackend('wasm') register the native kernels (after Gantry's wasm kernels, which become
 * their fallbacks). Call loadNativeKernels({ threads }) first to choose the thread count; without
 * it the addon loads with one thread per core. Installing twice is a no-op.
 */
export function installNativeKernelHook(): void {
  if (hookInstalled) return;
  hookInstalled = true;
  wasmKernelHooks.push(() => {
    registerNativeKernels();
  });
}
