/**
 * Networks for domain translation (CycleGAN, pix2pix): a ResNet-block generator (Johnson et al. 2016, as
 * CycleGAN uses it: reflection padding, instance norm, two stride-2 down and up convolutions), a PatchGAN
 * discriminator that outputs a map of logits (one per overlapping patch), and MLP versions of both for
 * 2-D toy domains. Specs are graphs: residual blocks are `add` nodes over a skip.
 */
import { z } from 'zod';
import type { GraphSpec, LayerSpec, NodeSpec, SequentialSpec } from './network.ts';

export const translationArchSchema = z.discriminatedUnion('arch', [
  z.object({ arch: z.literal('mlp'), hidden: z.number().int().positive().max(8192), depth: z.number().int().min(1).max(16) }).strict(),
  z
    .object({
      arch: z.literal('resnet'),
      /** Channels of G's first convolution (CycleGAN: 64) and of D's first. */
      width: z.number().int().positive().max(512),
      /** Residual blocks at the bottleneck (CycleGAN: 6 at 128 px, 9 at 256). */
      blocks: z.number().int().min(0).max(32),
      /** Stride-2 convolutions in D (CycleGAN's 70×70 PatchGAN: 3). */
      dLayers: z.number().int().min(1).max(6).default(3),
    })
    .strict(),
]);
export type TranslationArch = z.input<typeof translationArchSchema>;

/** A sequential graph builder: nodes chain unless a node names its inputs. */
class GraphBuilder {
  readonly nodes: NodeSpec[] = [];
  private count = 0;
  last: string;

  constructor(first: string) {
    this.last = first;
  }

  add(layer: LayerSpec, inputs?: string[]): string {
    const name = `${this.count++}_${layer.type}`;
    this.nodes.push({ name, layer, inputs: inputs ?? [this.last] });
    this.last = name;
    return name;
  }
}

/** 2-D (or flat) translation: x + MLP(x), so it starts near the identity map. */
function mlpTranslator(arch: Extract<TranslationArch, { arch: 'mlp' }>, dim: number): GraphSpec {
  const g = new GraphBuilder('x');
  for (let i = 0; i < arch.depth; i++) {
    g.add({ type: 'dense', units: arch.hidden });
    g.add({ type: 'act', fn: 'relu' });
  }
  g.add({ type: 'dense', units: dim });
  g.add({ type: 'add' }, ['x', g.last]);
  return { inputs: { x: { shape: [dim] } }, nodes: g.nodes, outputs: [g.last] };
}

function mlpCritic(arch: Extract<TranslationArch, { arch: 'mlp' }>, dim: number): SequentialSpec {
  const layers: LayerSpec[] = [];
  for (let i = 0; i < arch.depth; i++) layers.push({ type: 'dense', units: arch.hidden }, { type: 'act', fn: 'lrelu', alpha: 0.2 });
  layers.push({ type: 'dense', units: 1 });
  return { inputShape: [dim], layers };
}

function convBlock(g: GraphBuilder, filters: number, kernel: number, stride: number, pad: 'same' | 'valid', act: 'relu' | 'lrelu' | null, norm = true): void {
  g.add({ type: 'conv2d', filters, kernel, stride, pad, bias: !norm });
  if (norm) g.add({ type: 'instanceNorm', affine: true });
  if (act === 'relu') g.add({ type: 'act', fn: 'relu' });
  if (act === 'lrelu') g.add({ type: 'act', fn: 'lrelu', alpha: 0.2 });
}

/** CycleGAN's generator at any image size divisible by 4: c7s1-w, d2w, d4w, R4w × blocks, u2w, uw, c7s1-C. */
export function resnetGenerator(arch: Extract<TranslationArch, { arch: 'resnet' }>, inShape: number[], outChannels: number): GraphSpec {
  const [h, w] = inShape as [number, number, number];
  if (inShape.length !== 3 || h % 4 !== 0 || w % 4 !== 0) throw new Error(`resnet generator needs [H, W, C] images with H and W divisible by 4, got [${inShape}]`);
  const g = new GraphBuilder('x');
  g.add({ type: 'reflectPad', pad: 3 });
  convBlock(g, arch.width, 7, 1, 'valid', 'relu');
  convBlock(g, arch.width * 2, 3, 2, 'same', 'relu');
  convBlock(g, arch.width * 4, 3, 2, 'same', 'relu');
  for (let b = 0; b < arch.blocks; b++) {
    const skip = g.last;
    g.add({ type: 'reflectPad', pad: 1 });
    convBlock(g, arch.width * 4, 3, 1, 'valid', 'relu');
    g.add({ type: 'reflectPad', pad: 1 });
    convBlock(g, arch.width * 4, 3, 1, 'valid', null);
    g.add({ type: 'add' }, [skip, g.last]);
  }
  for (const f of [arch.width * 2, arch.width]) {
    g.add({ type: 'conv2dTranspose', filters: f, kernel: 4, stride: 2, bias: false });
    g.add({ type: 'instanceNorm', affine: true });
    g.add({ type: 'act', fn: 'relu' });
  }
  g.add({ type: 'reflectPad', pad: 3 });
  g.add({ type: 'conv2d', filters: outChannels, kernel: 7, stride: 1, pad: 'valid' });
  g.add({ type: 'act', fn: 'tanh' });
  return { inputs: { x: { shape: inShape } }, nodes: g.nodes, outputs: [g.last], initStd: 0.02 };
}

/** PatchGAN (Isola et al. 2017): strided 4×4 convs, instance norm after the first, one logit per patch. */
export function patchDiscriminator(arch: Extract<TranslationArch, { arch: 'resnet' }>, inShape: number[]): GraphSpec {
  const g = new GraphBuilder('x');
  const layers = arch.dLayers ?? 3;
  convBlock(g, arch.width, 4, 2, 'same', 'lrelu', false);
  for (let i = 1; i < layers; i++) convBlock(g, arch.width * 2 ** Math.min(i, 3), 4, 2, 'same', 'lrelu');
  convBlock(g, arch.width * 2 ** Math.min(layers, 3), 4, 1, 'same', 'lrelu');
  g.add({ type: 'conv2d', filters: 1, kernel: 4, stride: 1, pad: 'same' });
  return { inputs: { x: { shape: inShape } }, nodes: g.nodes, outputs: [g.last], initStd: 0.02 };
}

/** G (A → B) and D (on B) for one direction of a translation model. */
export function translationSpecs(arch: TranslationArch, inShape: number[], outShape: number[]): { generator: GraphSpec | SequentialSpec; discriminator: GraphSpec | SequentialSpec } {
  if (arch.arch === 'mlp') {
    if (inShape.length !== 1 || outShape.length !== 1 || inShape[0] !== outShape[0]) {
      throw new Error(`mlp translation needs flat domains of one size, got [${inShape}] and [${outShape}]`);
    }
    return { generator: mlpTranslator(arch, inShape[0]!), discriminator: mlpCritic(arch, outShape[0]!) };
  }
  if (inShape[0] !== outShape[0] || inShape[1] !== outShape[1]) throw new Error(`resnet translation needs images of one size, got [${inShape}] and [${outShape}]`);
  return { generator: resnetGenerator(arch, inShape, outShape[2]!), discriminator: patchDiscriminator(arch, outShape) };
}
