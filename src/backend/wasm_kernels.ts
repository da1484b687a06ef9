/**
 * Training kernels for the `wasm` backend (TF.js 4.22), registered by registerWasmTrainingKernels:
 * - Conv2DBackpropFilter: missing on wasm, so no conv net could train; built on wasm's XNNPACK Conv2D.
 * - Conv2DBackpropInput (also the forward of conv2dTranspose): stock is a naive scalar loop; here one
 *   stride-1 XNNPACK conv per output phase, or col2im around a matMul for few channels.
 * - BatchMatMul with transposes, Sum/Mean over several axes, Tile: stock falls to slow generic loops.
 * - Identity / same-dtype Cast share the buffer instead of copying; Cast to bool tests x ≠ 0.
 * Replacements call the stock kernel functions directly (no engine dispatch, no tape entries) and free
 * every intermediate buffer before returning.
 */
import * as tf from '@tensorflow/tfjs-core';
import { backend_util, util } from '@tensorflow/tfjs-core';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';

type Info = tf.TensorInfo;
type Attrs = Record<string, unknown>;
type KernelArgs = { inputs: Record<string, Info>; attrs: Attrs; backend: BackendWasm };

/** Kernels replaced here, kept so benchmarks and tests can compare against them. */
const stockKernels = new Map<string, tf.KernelConfig>();

/** The stock wasm kernel a registration replaced, or undefined when it was missing. */
export function stockWasmKernel(kernelName: string): tf.KernelConfig | undefined {
  return stockKernels.get(kernelName);
}

/** Runs wasm's own kernel (not a replacement registered here) directly, without engine dispatch. */
function runStock(name: string, backend: BackendWasm, inputs: Record<string, Info>, attrs: Attrs = {}): Info {
  const config = stockKernels.get(name) ?? tf.getKernel(name, 'wasm');
  if (!config) throw new Error(`wasm kernel ${name} is not registered`);
  return config.kernelFunc({ inputs, attrs: attrs as tf.NamedAttrMap, backend }) as Info;
}

function free(backend: BackendWasm, ...infos: Info[]): void {
  for (const info of infos) backend.disposeData(info.dataId);
}

function transpose(backend: BackendWasm, x: Info, perm: number[]): Info {
  return runStock('Transpose', backend, { x }, { perm });
}

function slice(backend: BackendWasm, x: Info, begin: number[], size: number[]): Info {
  return runStock('Slice', backend, { x }, { begin, size });
}

type Pad4 = [[number, number], [number, number], [number, number], [number, number]];

function conv(backend: BackendWasm, x: Info, filter: Info, pad: Pad4, dilations: [number, number] = [1, 1]): Info {
  return runStock('Conv2D', backend, { x, filter }, {
    strides: [1, 1], pad, dataFormat: 'NHWC', dilations, dimRoundingMode: undefined,
  });
}

function heapF32(backend: BackendWasm, info: Info): Float32Array {
  return backend.typedArrayFromHeap(info) as Float32Array;
}

/** Emscripten's live float view of the whole heap (its type declarations omit it). */
function heapF32All(backend: BackendWasm): Float32Array {
  return (backend.wasm as unknown as { HEAPF32: Float32Array }).HEAPF32;
}

/** Index of a float32 tensor's first element in heapF32All. */
function offsetF32(backend: BackendWasm, info: Info): number {
  return backend.dataIdMap.get(info.dataId)!.memoryOffset / 4;
}

function convInfoOf(xShape: number[], filterShape: number[], attrs: Attrs): backend_util.Conv2DInfo {
  const dataFormat = backend_util.convertConv2DDataFormat((attrs.dataFormat as 'NHWC' | 'NCHW') ?? 'NHWC');
  if (dataFormat !== 'channelsLast') throw new Error(`wasm conv gradients support NHWC only, got ${String(attrs.dataFormat)}`);
  return backend_util.computeConv2DInfo(
    xShape as [number, number, number, number],
    filterShape as [number, number, number, number],
    attrs.strides as number | [number, number],
    1,
    attrs.pad as 'same' | 'valid' | number | backend_util.ExplicitPadding,
    attrs.dimRoundingMode as 'floor' | 'round' | 'ceil' | undefined,
    false,
    dataFormat,
  );
}

/**
 * At or below this many input channels the convolution formulations above leave XNNPACK with a
 * degenerate shape (a one-image batch, or a single output channel: e.g. the first layer of an MNIST
 * critic, the last of its generator); an explicit im2col / col2im around one matMul is faster there.
 */
const SMALL_CHANNELS = 4;

/**
 * dW[kh,kw,ci,co] = Σ_{n,oh,ow} x[n, oh·s+kh−pt, ow·s+kw−pl, ci] · dy[n,oh,ow,co]: a convolution of
 * x with batch and channels swapped ([ci,H,W,n]) by dy used as the filter ([OH,OW,n,co]) at stride 1
 * and dilation s, giving [ci,KH,KW,co].
 */
function conv2DBackpropFilter(args: KernelArgs): Info {
  const { backend, attrs } = args;
  const x = args.inputs.x!;
  const dy = args.inputs.dy!;
  const info = convInfoOf(x.shape, attrs.filterShape as number[], attrs);
  if (info.inChannels <= SMALL_CHANNELS) return conv2DBackpropFilterIm2Col(backend, x, dy, info);
  const { strideHeight: sh, strideWidth: sw, filterHeight: kh, filterWidth: kw, inHeight, inWidth } = info;
  const { outHeight, outWidth } = info;
  const { top, left } = info.padInfo;
  // Padding at the far edge so the output is exactly KH×KW; negative means those input rows are unused.
  const bottom = kh + sh * (outHeight - 1) - inHeight - top;
  const right = kw + sw * (outWidth - 1) - inWidth - left;
  let xUsed = x;
  if (bottom < 0 || right < 0) {
    const [n, , , c] = x.shape as [number, number, number, number];
    xUsed = slice(backend, x, [0, 0, 0, 0], [n, inHeight + Math.min(bottom, 0), inWidth + Math.min(right, 0), c]);
  }
  // Transposes merge the spatial axes: rank-3 transposes are much faster than rank-4 on wasm.
  const [n, hx, wx, ci] = xUsed.shape as [number, number, number, number];
  const xT = transpose(backend, { ...xUsed, shape: [n, hx * wx, ci] }, [2, 1, 0]);
  if (xUsed !== x) free(backend, xUsed);
  const co = dy.shape[3]!;
  const dyT = transpose(backend, { ...dy, shape: [n, outHeight * outWidth, co] }, [1, 0, 2]);
  const pad: Pad4 = [[0, 0], [top, Math.max(bottom, 0)], [left, Math.max(right, 0)], [0, 0]];
  const dwT = conv(backend, { ...xT, shape: [ci, hx, wx, n] }, { ...dyT, shape: [outHeight, outWidth, n, co] }, pad, [sh, sw]);
  free(backend, xT, dyT);
  const dw = transpose(backend, { ...dwT, shape: [ci, kh * kw, co] }, [1, 0, 2]);
  free(backend, dwT);
  return { ...dw, shape: [kh, kw, ci, co] };
}

/** First output position o (along one axis) whose filter tap reads inside the input: o·stride + tap − pad ≥ 0. */
function firstInside(tap: number, pad: number, stride: number): number {
  return Math.max(0, Math.ceil((pad - tap) / stride));
}

/** One past the last output position whose tap reads inside an input of `size`: o·stride + tap − pad < size. */
function endInside(tap: number, pad: number, stride: number, size: number, outSize: number): number {
  return Math.min(outSize, Math.floor((size - 1 + pad - tap) / stride) + 1);
}

/**
 * dW via patches: cols[(n,oh,ow), (kh,kw,ci)] = x[n, oh·s+kh−pt, ow·s+kw−pl, ci] (0 in the padding),
 * then dWᵀ[co, (kh,kw,ci)] = dyᵀ · cols as one matMul. cols is a fresh buffer on purpose: wasm caches
 * its matMul operator by the id of `b` only, so `b` must not alias a caller's tensor.
 */
function conv2DBackpropFilterIm2Col(backend: BackendWasm, x: Info, dy: Info, info: backend_util.Conv2DInfo): Info {
  const { strideHeight: sh, strideWidth: sw, filterHeight: kh, filterWidth: kw } = info;
  const { batchSize: n, inHeight: h, inWidth: w, inChannels: ci, outChannels: co, outHeight, outWidth } = info;
  const { top, left } = info.padInfo;
  const taps = kh * kw * ci;
  const positions = n * outHeight * outWidth;
  const cols = backend.makeOutput([1, positions, taps], 'float32');
  const c = heapF32(backend, cols);
  const xs = heapF32(backend, x);
  c.fill(0); // taps in the padding stay 0
  for (let i = 0; i < kh; i++) {
    const ohFirst = firstInside(i, top, sh);
    const ohEnd = endInside(i, top, sh, h, outHeight);
    for (let j = 0; j < kw; j++) {
      const owFirst = firstInside(j, left, sw);
      const owEnd = endInside(j, left, sw, w, outWidth);
      const tapOffset = (i * kw + j) * ci;
      for (let b = 0; b < n; b++) {
        for (let oh = ohFirst; oh < ohEnd; oh++) {
          let src = ((b * h + oh * sh + i - top) * w + owFirst * sw + j - left) * ci;
          let dst = ((b * outHeight + oh) * outWidth + owFirst) * taps + tapOffset;
          for (let ow = owFirst; ow < owEnd; ow++, src += sw * ci, dst += taps) {
            for (let k = 0; k < ci; k++) c[dst + k] = xs[src + k]!;
          }
        }
      }
    }
  }
  const dyT = transpose(backend, { ...dy, shape: [positions, co] }, [1, 0]);
  const dwT = runStock('BatchMatMul', backend, { a: { ...dyT, shape: [1, co, positions] }, b: cols },
    { transposeA: false, transposeB: false });
  free(backend, dyT, cols);
  const dw = transpose(backend, { ...dwT, shape: [co, taps] }, [1, 0]);
  free(backend, dwT);
  return { ...dw, shape: [kh, kw, ci, co] };
}

/** How one output phase r (positions ≡ r mod s) of a strided transposed conv reads the filter along one axis. */
interface AxisPhase {
  /** First filter tap of this phase (taps are firstTap, firstTap+s, ...). */
  firstTap: number;
  taps: number;
  /** Padding before dy along this axis for the stride-1 phase conv; negative means crop dy. */
  padBefore: number;
  padAfter: number;
}

function axisPhase(r: number, stride: number, kernel: number, padStart: number, phaseLen: number, dyLen: number): AxisPhase {
  const firstTap = (r + padStart) % stride;
  const shift = Math.floor((r + padStart) / stride);
  const taps = firstTap < kernel ? Math.ceil((kernel - firstTap) / stride) : 0;
  // Phase output q reads dy[q + shift − m] for m in [0, taps).
  return { firstTap, taps, padBefore: taps - 1 - shift, padAfter: phaseLen - 1 + shift - (dyLen - 1) };
}

/**
 * dx of a strided conv (= forward of conv2dTranspose). Each output phase (rh, rw) — the positions
 * (s·q+rh, s·p+rw) — is a stride-1 convolution of dy with the sub-filter of the taps that land on
 * that phase, flipped and with in/out channels swapped. The phases are then interleaved by a
 * strided copy on the wasm heap. Work per output equals the direct algorithm, but runs in XNNPACK.
 */
function conv2DBackpropInput(args: KernelArgs): Info {
  const { backend, attrs } = args;
  const dy = args.inputs.dy!;
  const filter = args.inputs.filter!;
  const inputShape = attrs.inputShape as [number, number, number, number];
  const info = convInfoOf(inputShape, filter.shape, attrs);
  const { strideHeight: sh, strideWidth: sw, filterHeight: kh, filterWidth: kw } = info;
  const { batchSize: n, inHeight: h, inWidth: w, inChannels: ci, outChannels: co, outHeight, outWidth } = info;
  if (ci <= SMALL_CHANNELS) return conv2DBackpropInputCol2Im(backend, dy, filter, info);
  const dx = backend.makeOutput([n, h, w, ci], 'float32');
  // fT[kh, kw, co, ci]: each tap's [co, ci] block of a sub-filter is then one contiguous copy.
  const fT = transpose(backend, { ...filter, shape: [kh * kw, ci, co] }, [0, 2, 1]);
  // With a kernel smaller than the stride some phases get no filter tap: their outputs stay zero.
  if (kh < sh || kw < sw) heapF32(backend, dx).fill(0);

  for (let rh = 0; rh < sh; rh++) {
    const hq = Math.ceil((h - rh) / sh); // output rows rh, rh+s, ...
    const ph = axisPhase(rh, sh, kh, info.padInfo.top, hq, outHeight);
    for (let rw = 0; rw < sw; rw++) {
      const wq = Math.ceil((w - rw) / sw);
      const pw = axisPhase(rw, sw, kw, info.padInfo.left, wq, outWidth);
      if (hq === 0 || wq === 0 || ph.taps === 0 || pw.taps === 0) continue;
      const sub = backend.makeOutput([ph.taps, pw.taps, co, ci], 'float32');
      writeSubFilter(backend, sub, fT, ph, pw, sh, sw, kw);
      // Crop dy where the phase needs fewer rows/cols than it has (negative padding).
      const cropTop = Math.max(0, -ph.padBefore);
      const cropLeft = Math.max(0, -pw.padBefore);
      const cropBottom = Math.max(0, -ph.padAfter);
      const cropRight = Math.max(0, -pw.padAfter);
      let dyUsed = dy;
      if (cropTop + cropLeft + cropBottom + cropRight > 0) {
        dyUsed = slice(backend, dy, [0, cropTop, cropLeft, 0],
          [n, outHeight - cropTop - cropBottom, outWidth - cropLeft - cropRight, co]);
      }
      const pad: Pad4 = [[0, 0], [Math.max(0, ph.padBefore), Math.max(0, ph.padAfter)],
        [Math.max(0, pw.padBefore), Math.max(0, pw.padAfter)], [0, 0]];
      const phase = conv(backend, dyUsed, sub, pad);
      free(backend, sub);
      if (dyUsed !== dy) free(backend, dyUsed);
      scatterPhase(backend, phase, dx, rh, rw, sh, sw);
      free(backend, phase);
    }
  }
  free(backend, fT);
  return dx;
}

/**
 * dx via columns: cols[n,oh,ow, kh,kw,ci] = Σ_co dy[n,oh,ow,co]·f[kh,kw,ci,co] (one matmul), then
 * each column entry is added to the input position it came from.
 */
function conv2DBackpropInputCol2Im(backend: BackendWasm, dy: Info, filter: Info, info: backend_util.Conv2DInfo): Info {
  const { strideHeight: sh, strideWidth: sw, filterHeight: kh, filterWidth: kw } = info;
  const { batchSize: n, inHeight: h, inWidth: w, inChannels: ci, outChannels: co, outHeight, outWidth } = info;
  const { top, left } = info.padInfo;
  const taps = kh * kw * ci;
  // fT[co, (kh,kw,ci)] = f[(kh,kw,ci), co]
  const fT = backend.makeOutput([1, co, taps], 'float32');
  const f = heapF32(backend, filter);
  const t = heapF32(backend, fT);
  for (let i = 0; i < taps; i++) for (let o = 0; o < co; o++) t[o * taps + i] = f[i * co + o]!;
  const cols = runStock('BatchMatMul', backend, { a: { ...dy, shape: [1, n * outHeight * outWidth, co] }, b: fT },
    { transposeA: false, transposeB: false });
  free(backend, fT);
  const dx = backend.makeOutput([n, h, w, ci], 'float32');
  const out = heapF32(backend, dx);
  const c = heapF32(backend, cols);
  out.fill(0);
  // Tap by tap, over the output positions whose tap lands inside the input (no per-element bounds tests).
  for (let i = 0; i < kh; i++) {
    const ohFirst = firstInside(i, top, sh);
    const ohEnd = endInside(i, top, sh, h, outHeight);
    for (let j = 0; j < kw; j++) {
      const owFirst = firstInside(j, left, sw);
      const owEnd = endInside(j, left, sw, w, outWidth);
      const tapOffset = (i * kw + j) * ci;
      for (let b = 0; b < n; b++) {
        for (let oh = ohFirst; oh < ohEnd; oh++) {
          let dst = ((b * h + oh * sh + i - top) * w + owFirst * sw + j - left) * ci;
          let src = ((b * outHeight + oh) * outWidth + owFirst) * taps + tapOffset;
          for (let ow = owFirst; ow < owEnd; ow++, dst += sw * ci, src += taps) {
            for (let k = 0; k < ci; k++) out[dst + k] += c[src + k]!;
          }
        }
      }
    }
  }
  free(backend, cols);
  return dx;
}

/** Sub-filter g[j, jw] = fT[firstTap_h + s·(taps_h−1−j), firstTap_w + s·(taps_w−1−jw)], fT being [kh, kw, co, ci]. */
function writeSubFilter(backend: BackendWasm, sub: Info, fT: Info, ph: AxisPhase, pw: AxisPhase,
  sh: number, sw: number, kw: number): void {
  const [, , co, ci] = sub.shape as [number, number, number, number];
  const block = co * ci;
  const heap = heapF32All(backend);
  const from = offsetF32(backend, fT);
  let to = offsetF32(backend, sub);
  for (let j = 0; j < ph.taps; j++) {
    const fh = ph.firstTap + sh * (ph.taps - 1 - j);
    for (let jw = 0; jw < pw.taps; jw++, to += block) {
      const fw = pw.firstTap + sw * (pw.taps - 1 - jw);
      const src = from + (fh * kw + fw) * block;
      heap.copyWithin(to, src, src + block);
    }
  }
}

/** Copies phase [n, hq, wq, c] into dx[n, s·q+rh, s·p+rw, c] on the wasm heap. */
function scatterPhase(backend: BackendWasm, phase: Info, dx: Info, rh: number, rw: number, sh: number, sw: number): void {
  const [n, hq, wq, c] = phase.shape as [number, number, number, number];
  const [, h, w] = dx.shape as [number, number, number, number];
  const heap = heapF32All(backend);
  let src = offsetF32(backend, phase);
  const dst0 = offsetF32(backend, dx);
  const step = sw * c;
  for (let b = 0; b < n; b++) {
    for (let q = 0; q < hq; q++) {
      let dst = dst0 + ((b * h + sh * q + rh) * w + rw) * c;
      if (c >= 8) {
        // copyWithin is a native memmove: fast per pixel once channels fill a few SIMD lanes.
        for (let p = 0; p < wq; p++, src += c, dst += step) heap.copyWithin(dst, src, src + c);
      } else {
        for (let p = 0; p < wq; p++, dst += step) for (let k = 0; k < c; k++) heap[dst + k] = heap[src++]!;
      }
    }
  }
}

/** Identity that shares the buffer (as the cpu backend does) instead of copying it: TF.js tensors are
 * immutable, and the engine clones every tensor a gradient saves, so the copies add up. */
function identity({ inputs, backend }: KernelArgs): Info {
  const x = inputs.x!;
  if (x.dtype === 'string') return runStock('Identity', backend, inputs);
  backend.incRef(x.dataId);
  return { dataId: x.dataId, shape: x.shape, dtype: x.dtype };
}

/** Cast to the same dtype shares the buffer; to bool it tests x ≠ 0 (stock wasm stores int 2 as 2). */
function cast(args: KernelArgs): Info {
  const { backend } = args;
  const x = args.inputs.x!;
  if (args.attrs.dtype === x.dtype) return identity(args);
  if (args.attrs.dtype !== 'bool' || x.dtype === 'string') return runStock('Cast', backend, args.inputs, args.attrs);
  const out = backend.makeOutput(x.shape, 'bool');
  const from = backend.typedArrayFromHeap(x);
  const to = backend.typedArrayFromHeap(out);
  for (let i = 0; i < from.length; i++) to[i] = from[i] !== 0 ? 1 : 0;
  return out;
}

/**
 * Swaps the last two axes into a new buffer. Always a copy, even for a unit dimension where a new
 * shape would do: wasm caches its XNNPACK matMul operator by the id of `b` alone, not its shape, so
 * the same buffer must never reach it under two shapes.
 */
function transposeLastTwo(backend: BackendWasm, x: Info): Info {
  const r = x.shape.length;
  const rows = x.shape[r - 2]!;
  const cols = x.shape[r - 1]!;
  const batch = x.shape.slice(0, -2).reduce((a, b) => a * b, 1);
  const t = transpose(backend, { ...x, shape: [batch, rows, cols] }, [0, 2, 1]);
  return { ...t, shape: [...x.shape.slice(0, -2), cols, rows] };
}

/**
 * wasm runs XNNPACK only for a plain (untransposed, unbatched) matMul; with transposeA / transposeB
 * (both in every dense layer's gradient) it falls back to a scalar loop 4–12× slower than an explicit
 * transpose followed by the XNNPACK path.
 */
function batchMatMul({ inputs, attrs, backend }: KernelArgs): Info {
  if (!attrs.transposeA && !attrs.transposeB) return runStock('BatchMatMul', backend, inputs, attrs);
  const a = attrs.transposeA ? transposeLastTwo(backend, inputs.a!) : inputs.a!;
  const b = attrs.transposeB ? transposeLastTwo(backend, inputs.b!) : inputs.b!;
  const out = runStock('BatchMatMul', backend, { a, b }, { ...attrs, transposeA: false, transposeB: false });
  if (a !== inputs.a) free(backend, a);
  if (b !== inputs.b) free(backend, b);
  return out;
}

/**
 * Sum / Mean with neighbouring axes merged first (e.g. [B,H,W,C] over [0,1,2] as [B·H·W, C] over 0,
 * for batch-norm statistics and bias gradients): wasm moves the reduced axes last with a transpose,
 * and a rank-2 transpose is ~2× faster than a rank-4 one. Same memory, so only the shape changes.
 */
function mergedAxesReduction(kernelName: 'Sum' | 'Mean') {
  return ({ inputs, attrs, backend }: KernelArgs): Info => {
    const x = inputs.x!;
    const reduced = new Set(util.parseAxisParam(attrs.axis as number | number[], x.shape));
    const merged: number[] = [];
    const mergedAxes: number[] = [];
    let previous: boolean | undefined;
    x.shape.forEach((d, i) => {
      const isReduced = reduced.has(i);
      if (d === 1 && !isReduced) return; // unit axes change nothing
      if (isReduced === previous) merged[merged.length - 1]! *= d;
      else {
        if (isReduced) mergedAxes.push(merged.length);
        merged.push(d);
        previous = isReduced;
      }
    });
    if (merged.length >= x.shape.length || mergedAxes.length === 0) return runStock(kernelName, backend, inputs, attrs);
    const out = runStock(kernelName, backend, { x: { ...x, shape: merged } }, { axis: mergedAxes, keepDims: false });
    const shape = x.shape.flatMap((d, i) => (reduced.has(i) ? (attrs.keepDims ? [1] : []) : [d]));
    return { ...out, shape };
  };
}

/**
 * Tile (also the kernel of tf.broadcastTo) by block copies on the heap: x is written once into the
 * corner of the output, then, innermost axis first, each filled block is copied after itself until
 * the axis holds its repetitions (memmove at memory speed; wasm's kernel is a per-element loop).
 */
function tile({ inputs, attrs, backend }: KernelArgs): Info {
  const x = inputs.x!;
  if (x.dtype === 'string') return runStock('Tile', backend, inputs, attrs);
  const reps = attrs.reps as number[];
  const inShape = x.shape;
  const outShape = inShape.map((d, i) => d * reps[i]!);
  const out = backend.makeOutput(outShape, x.dtype);
  if (outShape.some((d) => d === 0)) return out;
  const rank = inShape.length;
  const outStrides = outShape.map((_, i) => outShape.slice(i + 1).reduce((p, q) => p * q, 1));
  const mem = backend.wasm as unknown as { HEAPU8: Uint8Array; HEAP32: Int32Array };
  // Element-wise view of the heap: 4-byte dtypes move as int32 (bit-exact for float32 too), bool as bytes.
  const heap = x.dtype === 'bool' ? mem.HEAPU8 : mem.HEAP32;
  const unit = x.dtype === 'bool' ? 1 : 4;
  const src0 = backend.dataIdMap.get(x.dataId)!.memoryOffset / unit;
  const dst0 = backend.dataIdMap.get(out.dataId)!.memoryOffset / unit;
  // Output offsets of the corner block's positions along the axes before `axis`.
  const cornerOffsets = (axis: number): number[] => {
    let offsets = [0];
    for (let k = 0; k < axis; k++) {
      const next: number[] = [];
      for (const o of offsets) for (let i = 0; i < inShape[k]!; i++) next.push(o + i * outStrides[k]!);
      offsets = next;
    }
    return offsets;
  };
  const row = inShape[rank - 1]!;
  let src = src0;
  for (const o of cornerOffsets(rank - 1)) {
    heap.copyWithin(dst0 + o, src, src + row);
    src += row;
  }
  for (let axis = rank - 1; axis >= 0; axis--) {
    if (reps[axis] === 1) continue;
    const block = inShape[axis]! * outStrides[axis]!;
    const total = block * reps[axis]!;
    for (const o of cornerOffsets(axis)) {
      const base = dst0 + o;
      for (let filled = block; filled < total; filled *= 2) {
        heap.copyWithin(base + filled, base, base + Math.min(filled, total - filled));
      }
    }
  }
  return out;
}

function replaceWasmKernel(kernelName: string, kernelFunc: (args: KernelArgs) => Info): void {
  const existing = tf.getKernel(kernelName, 'wasm');
  if (existing) {
    if (!stockKernels.has(kernelName)) stockKernels.set(kernelName, existing);
    tf.unregisterKernel(kernelName, 'wasm');
  }
  // Keep the stock setup (it binds the C++ entry point the stock kernel, called from ours, needs)
  // in case the backend is initialized after this registration.
  tf.registerKernel({
    kernelName,
    backendName: 'wasm',
    kernelFunc: kernelFunc as unknown as tf.KernelFunc,
    setupFunc: existing?.setupFunc,
  });
}

let registered = false;

/** Registers (or replaces) the wasm kernels GAN training needs. Safe to call more than once. */
export function registerWasmTrainingKernels(): void {
  if (registered) return;
  registered = true;
  replaceWasmKernel('Conv2DBackpropFilter', conv2DBackpropFilter);
  replaceWasmKernel('Conv2DBackpropInput', conv2DBackpropInput);
  replaceWasmKernel('BatchMatMul', batchMatMul);
  replaceWasmKernel('Sum', mergedAxesReduction('Sum'));
  replaceWasmKernel('Mean', mergedAxesReduction('Mean'));
  replaceWasmKernel('Tile', tile);
  replaceWasmKernel('Identity', identity);
  replaceWasmKernel('Cast', cast);
}
