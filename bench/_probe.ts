import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import { loadNativeKernels, registerNativeKernels } from '../src/backend/native_kernels.ts';
setWasmPaths('/work/main/node_modules/@tensorflow/tfjs-backend-wasm/dist/');
await tf.setBackend('wasm');
console.log(loadNativeKernels({threads: Number(process.argv[2] ?? 1)}));
if (process.argv[3] !== 'wasm') registerNativeKernels();
function bench(name: string, flops: number, f: () => tf.Tensor) {
  for (let i = 0; i < 2; i++) f().dispose();
  const n = 10; const t0 = performance.now(); const c0 = process.cpuUsage();
  for (let i = 0; i < n; i++) { const y = f(); y.dispose(); }
  const ms = (performance.now() - t0) / n; const c = process.cpuUsage(c0); const cpuMs = (c.user + c.system) / 1000 / n;
  console.log(name.padEnd(40), ms.toFixed(2), 'ms', (flops / ms / 1e6).toFixed(1), 'GFLOP/s wall; cpu', cpuMs.toFixed(2), 'ms', (flops / cpuMs / 1e6).toFixed(1), 'GFLOP/s');
}
const r = (s: number[]) => tf.randomUniform(s, -1, 1);
const x2 = r([64,14,14,64]), w2 = r([4,4,64,128]), y2 = r([64,7,7,128]);
const x1 = r([64,28,28,1]), w1 = r([4,4,1,64]), y1 = r([64,14,14,64]);
const f2 = 2*64*49*128*1024, f1 = 2*64*196*64*16;
bench('D2 conv', f2, () => tf.conv2d(x2 as tf.Tensor4D, w2 as tf.Tensor4D, 2, 'same'));
bench('D2 bpInput (convT1)', f2, () => tf.conv2dTranspose(y2 as tf.Tensor4D, w2 as tf.Tensor4D, [64,14,14,64], 2, 'same'));
bench('D2 bpFilter', f2, () => tf.engine().runKernel('Conv2DBackpropFilter', {x: x2, dy: y2}, {strides: 2, pad: 'same', dataFormat: 'NHWC', filterShape: [4,4,64,128]}) as tf.Tensor);
bench('D1 conv', f1, () => tf.conv2d(x1 as tf.Tensor4D, w1 as tf.Tensor4D, 2, 'same'));
bench('D1 bpInput (convT2)', f1, () => tf.conv2dTranspose(y1 as tf.Tensor4D, w1 as tf.Tensor4D, [64,28,28,1], 2, 'same'));
bench('D1 bpFilter', f1, () => tf.engine().runKernel('Conv2DBackpropFilter', {x: x1, dy: y1}, {strides: 2, pad: 'same', dataFormat: 'NHWC', filterShape: [4,4,1,64]}) as tf.Tensor);
const z = r([64,100]), wd = r([100,6272]);
bench('dense G', 2*64*100*6272, () => tf.matMul(z, wd));
const a5 = r([512,512]);
bench('matmul 512', 2*512**3, () => tf.matMul(a5, a5));
