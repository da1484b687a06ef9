import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../src/backend/backend.ts';
import { loadNativeKernels, registerNativeKernels } from '../src/backend/native_kernels.ts';
await initBackend('wasm', { quiet: true });
console.log(loadNativeKernels({threads: Number(process.argv[2] ?? 1)})); registerNativeKernels();
function best(name: string, f: () => tf.Tensor) {
  let b = 1e9; for (let i = 0; i < 15; i++) { const t0 = performance.now(); const y = f(); const dt = performance.now() - t0; y.dispose(); b = Math.min(b, dt); }
  console.log(name.padEnd(30), b.toFixed(3), 'ms');
}
const z = tf.randomNormal([64,100]), W = tf.randomNormal([100,6272]), dy = tf.randomNormal([64,6272]);
best('z W', () => tf.matMul(z, W));
best('z^T dy', () => tf.matMul(z, dy, true, false));
const big = tf.randomNormal([64,14,14,64]), big2 = tf.randomNormal([64,14,14,64]), ch = tf.randomNormal([64]);
best('mul big', () => tf.mul(big, big2));
best('add big ch', () => tf.add(big, ch));
best('step big', () => tf.step(big, 0.2));
best('square big', () => tf.square(big));
best('sum big', () => tf.sum(big, [0,1,2]));
best('relu big', () => tf.relu(big));
