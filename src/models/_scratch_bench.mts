import * as tf from '@tensorflow/tfjs-core';
import './layers.ts';
import { applyTestLayer, buildTestLayer, disposeLayer, useProductionEngine, type AnySpec } from './layer_testing.ts';
console.log(await useProductionEngine());
const B = 64, H = 32, W = 32, C = 64;
const x = tf.randomNormal([B, H, W, C]);
const style = tf.randomNormal([B, C]);
function time(name: string, fn: (xs: tf.Tensor[]) => tf.Tensor, inputs: tf.Tensor[], vars: tf.Variable[]) {
  const ts: number[] = [];
  for (let i = 0; i < 4; i++) {
    const t0 = performance.now();
    tf.tidy(() => {
      const { grads } = tf.engine().gradients(() => tf.sum(fn(inputs)) as tf.Scalar, [...inputs, ...vars]);
      grads.forEach((g) => g.dataSync());
    });
    ts.push(performance.now() - t0);
  }
  console.log(`${name.padEnd(28)} ${Math.min(...ts).toFixed(0)} ms (runs ${ts.map((t) => t.toFixed(0)).join(', ')})`);
}
const kernel = tf.variable(tf.randomNormal([3, 3, C, C], 0, 0.05));
const which = process.argv.slice(2);
if (which.includes('conv')) time('conv2d 3x3 64->64', ([a]) => tf.conv2d(a as tf.Tensor4D, kernel as tf.Tensor4D, 1, 'same'), [x], [kernel]);
const cases: [string, AnySpec, tf.Tensor[]][] = [
  ['instanceNorm affine', { type: 'instanceNorm', affine: true }, [x]],
  ['modConv 3x3 64->64', { type: 'modConv', filters: 64, kernel: 3 }, [x, style]],
  ['upsample nearest x2', { type: 'upsample', factor: 2 }, [x]],
  ['upsample bilinear x2', { type: 'upsample', factor: 2, mode: 'bilinear' }, [x]],
  ['downsample x2', { type: 'downsample', factor: 2 }, [x]],
  ['reflectPad 1', { type: 'reflectPad', pad: 1 }, [x]],
];
for (const [name, spec, inputs] of cases) {
  if (!which.includes(spec.type as string) && !which.includes(name)) continue;
  const layer = buildTestLayer(spec, inputs.map((t) => t.shape.slice(1)));
  time(name, (xs) => applyTestLayer(layer, xs, { training: true }), inputs, Object.values(layer.params));
  disposeLayer(layer);
}
