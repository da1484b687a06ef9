/**
 * Per-kernel timings on wasm, stock kernel vs Gantry's, at DCGAN-MNIST sizes (batch 64).
 * Run: node --import tsx src/backend/kernel_bench.ts [reps]. Each figure is the best of `reps` calls on
 * fresh inputs (weights change every training step, so nothing XNNPACK caches by tensor is reused).
 */
import * as tf from '@tensorflow/tfjs-core';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { initBackend } from './backend.ts';
import { stockWasmKernel } from './wasm_kernels.ts';

interface BenchCase {
  label: string;
  kernel: string;
  inputs: () => Record<string, tf.Tensor>;
  attrs: Record<string, unknown>;
  /** A kernel Gantry leaves stock, timed as a yardstick for the others. */
  reference?: boolean;
}

const B = 64;
const rnd = (shape: number[]) => tf.randomNormal(shape);
const convAttrs = { strides: 2, pad: 'same', dataFormat: 'NHWC' };

const CASES: BenchCase[] = [
  { label: 'dW conv 1→64 k4 s2 28×28', kernel: 'Conv2DBackpropFilter', inputs: () => ({ x: rnd([B, 28, 28, 1]), dy: rnd([B, 14, 14, 64]) }), attrs: { ...convAttrs, filterShape: [4, 4, 1, 64] } },
  { label: 'dW conv 64→128 k4 s2 14×14', kernel: 'Conv2DBackpropFilter', inputs: () => ({ x: rnd([B, 14, 14, 64]), dy: rnd([B, 7, 7, 128]) }), attrs: { ...convAttrs, filterShape: [4, 4, 64, 128] } },
  { label: 'convT 128→64 7→14 (dx of conv 64→128)', kernel: 'Conv2DBackpropInput', inputs: () => ({ dy: rnd([B, 7, 7, 128]), filter: rnd([4, 4, 64, 128]) }), attrs: { ...convAttrs, inputShape: [B, 14, 14, 64] } },
  { label: 'convT 64→1 14→28 (dx of conv 1→64)', kernel: 'Conv2DBackpropInput', inputs: () => ({ dy: rnd([B, 14, 14, 64]), filter: rnd([4, 4, 1, 64]) }), attrs: { ...convAttrs, inputShape: [B, 28, 28, 1] } },
  { label: 'forward conv 1→64 k4 s2 (reference)', kernel: 'Conv2D', inputs: () => ({ x: rnd([B, 28, 28, 1]), filter: rnd([4, 4, 1, 64]) }), attrs: { ...convAttrs, dilations: 1 }, reference: true },
  { label: 'forward conv 64→128 k4 s2 (reference)', kernel: 'Conv2D', inputs: () => ({ x: rnd([B, 14, 14, 64]), filter: rnd([4, 4, 64, 128]) }), attrs: { ...convAttrs, dilations: 1 }, reference: true },
  { label: 'matMul dy·Wᵀ [64,6272]·[100,6272]ᵀ', kernel: 'BatchMatMul', inputs: () => ({ a: rnd([1, B, 6272]), b: rnd([1, 100, 6272]) }), attrs: { transposeA: false, transposeB: true } },
  { label: 'matMul zᵀ·dy [64,100]ᵀ·[64,6272]', kernel: 'BatchMatMul', inputs: () => ({ a: rnd([1, B, 100]), b: rnd([1, B, 6272]) }), attrs: { transposeA: true, transposeB: false } },
  { label: 'Sum [64,14,14,64] over [0,1,2]', kernel: 'Sum', inputs: () => ({ x: rnd([B, 14, 14, 64]) }), attrs: { axis: [0, 1, 2], keepDims: false } },
  { label: 'Mean [64,7,7,128] over [0,1,2]', kernel: 'Mean', inputs: () => ({ x: rnd([B, 7, 7, 128]) }), attrs: { axis: [0, 1, 2], keepDims: false } },
  { label: 'Tile [1,1,1,64] × [64,14,14,1]', kernel: 'Tile', inputs: () => ({ x: rnd([1, 1, 1, 64]) }), attrs: { reps: [B, 14, 14, 1] } },
  { label: 'Identity (clone) [64,14,14,64]', kernel: 'Identity', inputs: () => ({ x: rnd([B, 14, 14, 64]) }), attrs: {} },
];

function bestMs(config: tf.KernelConfig, c: BenchCase, backend: BackendWasm, reps: number): number {
  let best = Infinity;
  for (let i = 0; i <= reps; i++) {
    const inputs = c.inputs();
    const start = performance.now();
    const out = config.kernelFunc({ inputs, attrs: c.attrs as tf.NamedAttrMap, backend }) as tf.TensorInfo;
    const elapsed = performance.now() - start;
    backend.disposeData(out.dataId);
    tf.dispose(Object.values(inputs));
    if (i > 0) best = Math.min(best, elapsed); // the first call warms up
  }
  return best;
}

await initBackend('wasm', { quiet: true });
const reps = Number(process.argv[2] ?? 5);
const backend = tf.backend() as BackendWasm;
console.log(`${'kernel'.padEnd(42)} ${'stock ms'.padStart(9)} ${'gantry ms'.padStart(10)}`);
for (const c of CASES) {
  const ours = tf.getKernel(c.kernel, 'wasm')!;
  const stock = stockWasmKernel(c.kernel);
  // The stock transposed conv takes ~1 s per call at these sizes: two calls suffice.
  const stockMs = stock ? bestMs(stock, c, backend, c.kernel === 'Conv2DBackpropInput' ? 2 : reps) : undefined;
  const oursMs = bestMs(ours, c, backend, reps);
  const fmt = (ms: number | undefined) => (ms === undefined ? 'missing' : ms.toFixed(2));
  const stockText = c.reference ? '(same)' : fmt(stockMs);
  console.log(`${c.label.padEnd(42)} ${stockText.padStart(9)} ${fmt(oursMs).padStart(10)}`);
}
