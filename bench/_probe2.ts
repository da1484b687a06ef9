import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import { loadNativeKernels, registerNativeKernels } from '../src/backend/native_kernels.ts';
setWasmPaths('/work/main/node_modules/@tensorflow/tfjs-backend-wasm/dist/');
await tf.setBackend('wasm');
await tf.setBackend('cpu');
loadNativeKernels({threads: 1}); registerNativeKernels();
const xd = new Float32Array(64*28*28).map(() => Math.random()), wd = new Float32Array(16*64).map(() => Math.random());
for (const be of ['wasm', 'wasm', 'cpu', 'wasm', 'wasm']) {
  const t0 = performance.now();
  await tf.setBackend(be);
  const t1 = performance.now();
  const r = tf.tidy(() => {
    const x = tf.tensor(xd, [64,28,28,1]); const w = tf.tensor(wd, [4,4,1,64]);
    const t2 = performance.now();
    const y = tf.engine().runKernel('Conv2D', {x, filter: w}, {strides: 2, pad: 'same', dilations: 1, dataFormat: 'NHWC'}) as tf.Tensor;
    const t3 = performance.now();
    const d = y.dataSync();
    console.log(be, 'setBackend', (t1-t0).toFixed(1), 'create', (t2-t1).toFixed(1), 'kernel', (t3-t2).toFixed(1), 'read', (performance.now()-t3).toFixed(1));
    return d;
  });
}
