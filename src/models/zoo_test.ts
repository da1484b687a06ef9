import { test } from 'node:test';
import assert from 'node:assert/strict';
import { archSchema, buildGanSpecs } from './zoo.ts';

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
  const net = (extra: object) => archSchema.safeParse({ arch: 'mlp', hidden: 8, depth: 2, ...extra });
  const ok = net({});
  assert.ok(ok.success && ok.data.arch === 'mlp' && ok.data.dInputScale === 1);
  assert.equal(net({ dInputScale: 0 }).success, false);
  assert.equal(net({ dInputScale: -2 }).success, false);
});

test("dcgan dStyle 'sngan-cnn' puts a 3×3 stride-1 conv before each strided one and one at the end, all spectrally normalized", () => {
  const shapes = { latentDim: 8, dataShape: [32, 32, 3], numClasses: 0, conditioning: 'none' as const };
  const convs = (spec: ReturnType<typeof buildGanSpecs>['discriminator']) =>
    spec.layers.flatMap((l) => (l.type === 'conv2d' ? [`${l.kernel}/${l.stride}/${l.filters}${l.sn ? '/sn' : ''}`] : []));
  const cnn = buildGanSpecs({ arch: 'dcgan', width: 8, dNorm: 'spectral', dStyle: 'sngan-cnn' }, shapes).discriminator;
  // Miyato et al.'s standard CNN at width 8: 8, 8, 16, 16, 32, 32, 64 channels.
  assert.deepEqual(convs(cnn), ['3/1/8/sn', '4/2/8/sn', '3/1/16/sn', '4/2/16/sn', '3/1/32/sn', '4/2/32/sn', '3/1/64/sn']);
  assert.ok(cnn.layers.every((l) => l.type !== 'batchNorm'));
  assert.equal(cnn.initStd, undefined, 'a spectrally normalized D starts from fan-in-scaled weights');
  const plain = buildGanSpecs({ arch: 'dcgan', width: 8 }, shapes).discriminator;
  assert.deepEqual(convs(plain), ['4/2/8', '4/2/16', '4/2/32']);
  assert.equal(plain.initStd, 0.02);
  const parsed = archSchema.safeParse({ arch: 'dcgan', width: 8 });
  assert.ok(parsed.success && parsed.data.arch === 'dcgan' && parsed.data.dStyle === 'dcgan');
  assert.equal(archSchema.safeParse({ arch: 'dcgan', width: 8, dStyle: 'resnet' }).success, false);
});

test('dcgan minibatchStd adds the feature map after the last strided conv; an InfoGAN code adds a discreteLatent front and k D outputs', () => {
  const shapes = { latentDim: 16, dataShape: [28, 28, 1], numClasses: 0, conditioning: 'none' as const };
  const types = (spec: ReturnType<typeof buildGanSpecs>['discriminator']) => spec.layers.map((l) => l.type);
  const mb = buildGanSpecs({ arch: 'dcgan', width: 8, minibatchStd: 4 }, shapes).discriminator;
  assert.deepEqual(types(mb).slice(-3), ['minibatchStd', 'flatten', 'dense']);
  assert.deepEqual(mb.layers.find((l) => l.type === 'minibatchStd'), { type: 'minibatchStd', group: 4 });
  assert.ok(!types(buildGanSpecs({ arch: 'dcgan', width: 8 }, shapes).discriminator).includes('minibatchStd'));

  const info = buildGanSpecs({ arch: 'dcgan', width: 8 }, { ...shapes, codeComponents: 5 });
  assert.deepEqual(info.generator.layers[0], { type: 'discreteLatent', components: 5 });
  assert.deepEqual(info.discriminator.layers.at(-1), { type: 'dense', units: 6, sn: false });
  const acgan = buildGanSpecs({ arch: 'dcgan', width: 8 }, { ...shapes, numClasses: 10, conditioning: 'acgan', codeComponents: 5 });
  assert.equal((acgan.discriminator.layers.at(-1) as { units: number }).units, 1 + 10 + 5);
  assert.throws(() => buildGanSpecs({ arch: 'dcgan', width: 8 }, { ...shapes, numClasses: 10, conditioning: 'projection', codeComponents: 5 }), /projection/);
  assert.throws(() => buildGanSpecs({ arch: 'mlp', hidden: 8, depth: 1, latentComponents: 4 }, { ...toyShapes, latentDim: 16, codeComponents: 5 }), /use one/);
});
