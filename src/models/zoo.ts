/**
 * Architecture builders: turn a short, readable description from a preset (arch + a few sizes) into the
 * NetworkSpecs of a generator and a discriminator.
 */
import { z } from 'zod';
import type { LayerSpec, SequentialSpec } from './network.ts';

/** How labels reach the networks: concat (G and D inputs), acgan (G input, D classifies), projection (G input, D's head). */
export const conditioningSchema = z.enum(['none', 'concat', 'acgan', 'projection']);
export type Conditioning = z.infer<typeof conditioningSchema>;

export const archSchema = z.discriminatedUnion('arch', [
  z
    .object({
      arch: z.literal('mlp'),
      hidden: z.number().int().positive().max(8192),
      depth: z.number().int().min(1).max(16),
      /** PacGAN packing degree for the discriminator (1 = none). */
      pack: z.number().int().min(1).max(16).default(1),
      /** Batch norm after each hidden layer of G (as in PacGAN's toy generator). */
      gNorm: z.enum(['batch', 'none']).default('none'),
      /**
       * D's input map sends the data range onto [−s, s] (default 1). Values above 1 let D's first layer
       * resolve clusters much smaller than the range (grid25's std is 1% of it) without large weights.
       */
      dInputScale: z.number().positive().max(1000).default(1),
      /**
       * Size of a categorical code at the front of G's latent (0 = none): the first k latent entries become
       * a one-hot (see the 'discreteLatent' layer), so G can place each code on its own mode.
       */
      latentComponents: z.number().int().min(0).max(4096).default(0),
      /** Scale of the continuous latent entries that follow the categorical code (default 1). */
      latentNoiseScale: z.number().positive().max(100).default(1),
    })
    .strict(),
  z
    .object({
      arch: z.literal('dcgan'),
      /** Base channel width: G's last hidden layer and D's first. */
      width: z.number().int().positive().max(1024),
      dNorm: z.enum(['batch', 'none', 'spectral']).default('batch'),
      /** D's layout: DCGAN's strided convs (default) or SNGAN's deeper "standard CNN". */
      dStyle: z.enum(['dcgan', 'sngan-cnn']).default('dcgan'),
      /**
       * Group size of a minibatch-std feature map appended before D's head (ProGAN; 0 = none): D sees how
       * much the samples of a group differ, so a generator that repeats itself is easy to tell apart.
       */
      minibatchStd: z.number().int().min(0).max(64).optional(),
    })
    .strict(),
]);

/** An architecture as written in a config (defaults may be missing). */
export type ArchConfig = z.input<typeof archSchema>;
export type MlpArch = Extract<ArchConfig, { arch: 'mlp' }>;
export type DcganArch = Extract<ArchConfig, { arch: 'dcgan' }>;
export type DiscriminatorNorm = NonNullable<DcganArch['dNorm']>;

export interface ModelShapes {
  latentDim: number;
  dataShape: number[];
  numClasses: number;
  conditioning: Conditioning;
  /** Value range of the data; MLPs work in [−1, 1] and map to and from it with fixed affine layers. */
  dataRange?: [number, number];
  /**
   * InfoGAN's categorical code: G's first k latent entries become a one-hot code ('discreteLatent') and D
   * gets k more outputs, the code's logits (0 = none).
   */
  codeComponents?: number;
}

export interface GanSpecs {
  generator: SequentialSpec;
  discriminator: SequentialSpec;
}

export function buildGanSpecs(arch: ArchConfig, shapes: ModelShapes): GanSpecs {
  switch (arch.arch) {
    case 'mlp':
      return mlpSpecs(arch, shapes);
    case 'dcgan':
      return dcganSpecs(arch, shapes);
  }
}

function conditionInput(shapes: ModelShapes, forD: boolean): LayerSpec[] {
  if (shapes.conditioning === 'concat') return [{ type: 'concatLabel' }];
  if ((shapes.conditioning === 'acgan' || shapes.conditioning === 'projection') && !forD) return [{ type: 'concatLabel' }];
  return [];
}

function dOutputs(shapes: ModelShapes): number {
  return (shapes.conditioning === 'acgan' ? 1 + shapes.numClasses : 1) + (shapes.codeComponents ?? 0);
}

/** G's first layer for an InfoGAN code, if the model has one. */
function codeInput(shapes: ModelShapes): LayerSpec[] {
  const k = shapes.codeComponents ?? 0;
  if (k > 0 && shapes.conditioning === 'projection') throw new Error('an InfoGAN code needs a D with a plain output head: it does not combine with projection conditioning');
  return k > 0 ? [{ type: 'discreteLatent', components: k }] : [];
}

function mlpSpecs(arch: MlpArch, shapes: ModelShapes): GanSpecs {
  const outDim = shapes.dataShape.reduce((a, b) => a * b, 1);
  const gLayers: LayerSpec[] = codeInput(shapes);
  if ((arch.latentComponents ?? 0) > 0 && gLayers.length) throw new Error('network.latentComponents and an InfoGAN code both make a categorical latent: use one');
  if ((arch.latentComponents ?? 0) > 0) gLayers.push({ type: 'discreteLatent', components: arch.latentComponents!, noiseScale: arch.latentNoiseScale ?? 1 });
  gLayers.push(...conditionInput(shapes, false));
  for (let i = 0; i < arch.depth; i++) {
    gLayers.push({ type: 'dense', units: arch.hidden });
    if (arch.gNorm === 'batch') gLayers.push({ type: 'batchNorm' });
    gLayers.push({ type: 'act', fn: 'relu' });
  }
  gLayers.push({ type: 'dense', units: outDim });
  // Networks train best on unit-scale values: G ends in, and D starts with, a fixed map between [−1, 1]
  // and the data's range (e.g. ±4.2 for grid25), so every dataset looks alike to the optimizer.
  const [lo, hi] = shapes.dataRange ?? [-1, 1];
  const half = (hi - lo) / 2;
  const mid = (hi + lo) / 2;
  const rescale = half !== 1 || mid !== 0;
  if (rescale) gLayers.push({ type: 'affine', scale: half, offset: mid });
  if (shapes.dataShape.length > 1) gLayers.push({ type: 'reshape', shape: shapes.dataShape });

  const dLayers: LayerSpec[] = [];
  const dScale = arch.dInputScale ?? 1;
  if (rescale || dScale !== 1) dLayers.push({ type: 'affine', scale: dScale / half, offset: (-mid * dScale) / half });
  if (shapes.dataShape.length > 1) dLayers.push({ type: 'flatten' });
  dLayers.push(...conditionInput(shapes, true));
  if ((arch.pack ?? 1) > 1) dLayers.push({ type: 'pack', n: arch.pack! });
  for (let i = 0; i < arch.depth; i++) dLayers.push({ type: 'dense', units: arch.hidden }, { type: 'act', fn: 'lrelu', alpha: 0.2 });
  dLayers.push(shapes.conditioning === 'projection' ? { type: 'projectLabel' } : { type: 'dense', units: dOutputs(shapes) });
  const numClasses = shapes.conditioning === 'none' ? 0 : shapes.numClasses;
  return {
    generator: { inputShape: [shapes.latentDim], layers: gLayers, numClasses },
    discriminator: { inputShape: shapes.dataShape, layers: dLayers, numClasses },
  };
}

/**
 * DCGAN (Radford et al. 2016): G projects the latent to a 7×7 (28-pixel images) or 4×4 map and doubles it
 * with 4×4 stride-2 transposed convs, batch norm and ReLU, tanh out; D mirrors it with strided convs and
 * LeakyReLU 0.2, no pooling. At 28×28 with width 64 this is exactly the peer benchmark's model.
 */
function dcganSpecs(arch: DcganArch, shapes: ModelShapes): GanSpecs {
  const [h, w, c] = shapes.dataShape as [number, number, number];
  if (shapes.dataShape.length !== 3 || h !== w) throw new Error(`dcgan needs square [H, W, C] images, got [${shapes.dataShape}]`);
  const start = h % 7 === 0 ? 7 : 4;
  const ups = Math.log2(h / start);
  if (!Number.isInteger(ups) || ups < 1) throw new Error(`dcgan supports sizes 7·2^k or 4·2^k (28, 32, 64), got ${h}`);
  const width = arch.width;
  const chans = (i: number) => width * 2 ** (ups - 1 - i); // channels after up-block i (i = 0 .. ups-2)

  const g: LayerSpec[] = [...codeInput(shapes), ...conditionInput(shapes, false)];
  const first = width * 2 ** (ups - 1);
  g.push({ type: 'dense', units: start * start * first, bias: false }, { type: 'batchNorm' }, { type: 'act', fn: 'relu' });
  g.push({ type: 'reshape', shape: [start, start, first] });
  for (let i = 0; i < ups - 1; i++) {
    g.push({ type: 'conv2dTranspose', filters: chans(i), kernel: 4, stride: 2, bias: false }, { type: 'batchNorm' }, { type: 'act', fn: 'relu' });
  }
  g.push({ type: 'conv2dTranspose', filters: c, kernel: 4, stride: 2 }, { type: 'act', fn: 'tanh' });

  const norm = arch.dNorm ?? 'batch';
  const sn = norm === 'spectral';
  const d: LayerSpec[] = [...conditionInput(shapes, true)];
  // 'sngan-cnn' is the "standard CNN" of Miyato et al. 2018: a 3×3 stride-1 conv before each strided one
  // and one at the end, LeakyReLU 0.1. With only DCGAN's 4×4 stride-2 convs, a spectrally normalized D
  // drove G to one checkerboard texture for every z (measured with several losses, learning rates and
  // inits); with the stride-1 layers the same G trains to varied samples.
  const cnn = arch.dStyle === 'sngan-cnn';
  const alpha = cnn ? 0.1 : 0.2;
  for (let i = 0; i < ups; i++) {
    const filters = width * 2 ** i;
    if (cnn) d.push({ type: 'conv2d', filters, kernel: 3, stride: 1, pad: 'same', sn }, { type: 'act', fn: 'lrelu', alpha });
    d.push({ type: 'conv2d', filters, kernel: 4, stride: 2, pad: 'same', sn });
    if (i > 0 && norm === 'batch') d.push({ type: 'batchNorm' });
    d.push({ type: 'act', fn: 'lrelu', alpha });
  }
  if ((arch.minibatchStd ?? 0) > 0) d.push({ type: 'minibatchStd', group: arch.minibatchStd });
  if (cnn) d.push({ type: 'conv2d', filters: width * 2 ** ups, kernel: 3, stride: 1, pad: 'same', sn }, { type: 'act', fn: 'lrelu', alpha });
  d.push({ type: 'flatten' }, shapes.conditioning === 'projection' ? { type: 'projectLabel', sn } : { type: 'dense', units: dOutputs(shapes), sn });
  const numClasses = shapes.conditioning === 'none' ? 0 : shapes.numClasses;
  // A spectrally normalized D starts from fan-in-scaled weights, as SNGAN does: its output depends only
  // on W's direction, and Adam's fixed-size steps turn DCGAN's tiny N(0, 0.02) weights around too fast.
  return {
    generator: { inputShape: [shapes.latentDim], layers: g, numClasses, initStd: 0.02 },
    discriminator: { inputShape: shapes.dataShape, layers: d, numClasses, ...(sn ? {} : { initStd: 0.02 }) },
  };
}
