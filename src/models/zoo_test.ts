import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildGanSpecs } from './zoo.ts';
import { configSchema } from '../core/config.ts';

const toyShapes = { latentDim: 4, dataShape: [2], numClasses: 0, conditioning: 'none' as const, dataRange: [-4.2, 4.2] as [number, number] };

test('mlp D input map sends the data range onto [-1, 1] by default and [-s, s] with dInputScale', () => {
  const plain = buildGanSpecs({ arch: 'mlp', hidden: 8, depth: 2 }, toyShapes).discriminator.layers[0];
  assert.deepEqual(plain, { type: 'affine', scale: 1 / 4.2, offset: -0 / 4.2 });
  const scaled = buildGanSpecs({ arch: 'mlp', hidden: 8, depth: 2, dInputScale: 3 }, { ...toyShapes, dataRange: [0, 2] }).discriminator.layers[0];
  // [0, 2] → [−3, 3]: x ↦ 3(x − 1)
  assert.deepEqual(scaled, { type: 'affine', scale: 3, offset: -3 });
  // A unit data range needs no map unless a scale is asked for.
  assert.notEqual(buildGanSpecs({ arch: 'mlp', hidden: 8, depth: 1 }, { ...toyShapes, dataRange: [-1, 1] }).discriminator.layers[0]?.type, 'affine');
  assert.deepEqual(buildGanSpecs({ arch: 'mlp', hidden: 8, depth: 1, dInputScale: 2 }, { ...toyShapes, dataRange: [-1, 1] }).discriminator.layers[0], { type: 'affine', scale: 2, offset: -0 });
});

test('mlp config: dInputScale defaults to 1 and must be positive', () => {
  const net = (extra: object) => configSchema.shape.model.shape.network.safeParse({ arch: 'mlp', hidden: 8, depth: 2, ...extra });
  const ok = net({});
  assert.ok(ok.success && ok.data.arch === 'mlp' && ok.data.dInputScale === 1);
  assert.equal(net({ dInputScale: 0 }).success, false);
  assert.equal(net({ dInputScale: -2 }).success, false);
});
