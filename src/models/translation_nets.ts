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

/** pix2pix networks (Isola et al. 2017) sized for small images: a U-Net generator and a PatchGAN on (input, output) pairs. */
export const unetArchSchema = z
  .object({
    arch: z.literal('unet'),
    /** Channels of the first encoder convolution (pix2pix: 64); doubled per level up to 8×. */
    width: z.number().int().positive().max(512),
    /** Stride-2 encoder levels (pix2pix at 256 px: 8). The image (padded to a multiple of 2^depth) must stay ≥ 2 px at the bottom. */
    depth: z.number().int().min(1).max(8).default(4),
    /** Decoder blocks nearest the bottleneck that get dropout 0.5 (pix2pix: 3 of 8), G's only noise. */
    dropoutBlocks: z.number().int().min(0).max(8).default(2),
    dropoutRate: z.number().min(0).max(0.9).default(0.5),
    /** Normalization in G and D (pix2pix: batch norm at batch size 1, i.e. instance norm). */
    norm: z.enum(['instance', 'batch', 'none']).default('instance'),
    /** Stride-2 convolutions in D (2 at 32 px: 34×34 receptive field, an 8×8 map of patch logits). */
    dLayers: z.number().int().min(1).max(6).default(2),
    dWidth: z.number().int().positive().max(512).optional(),
    /**
     * Gray → colour: the output keeps the input as its BT.601 luma exactly and G learns only the chroma (a
     * `replaceLuma` node after the tanh, clipped to [−1, 1]), as pix2pix colourizes in Lab (L in, ab out).
     */
    keepInputLuma: z.boolean().default(false),
  })
  .strict();
export type UnetArch = z.input<typeof unetArchSchema>;

function normLayer(g: GraphBuilder, norm: 'instance' | 'batch' | 'none'): void {
  if (norm === 'instance') g.add({ type: 'instanceNorm', affine: true });
  if (norm === 'batch') g.add({ type: 'batchNorm' });
}

/**
 * U-Net (pix2pix's generator) for [H, W, C] images: encoder 4×4 stride-2 convs + LeakyReLU 0.2 (no norm on
 * the first and the innermost), decoder 4×4 stride-2 transposed convs + norm + ReLU, each concatenated with
 * the encoder features of its size (the skips), dropout in the first `dropoutBlocks` decoder blocks, tanh
 * out ([−1, 1], the data's range). A side that is not a multiple of 2^depth is reflection-padded by p on each
 * side up to one (28 → 32 at depth 4, p = 2) and the last convolution is (2p+1)×(2p+1) 'valid', which
 * brings it back to H × W; otherwise the last convolution is 3×3 'same'. With `keepInputLuma` (gray →
 * colour) the output's luma is the input.
 */
export function unetGenerator(arch: UnetArch, inShape: number[], outChannels: number): GraphSpec {
  const g = new GraphBuilder('x');
  unetNodes(g, arch, inShape, outChannels);
  if (arch.keepInputLuma) {
    if (inShape[2] !== 1 || outChannels !== 3) throw new Error(`unet generator: keepInputLuma needs a 1-channel input and a 3-channel output, got ${inShape[2]} → ${outChannels}`);
    g.add({ type: 'replaceLuma', clip: [-1, 1] }, [g.last, 'x']);
  }
  return { inputs: { x: { shape: inShape } }, nodes: g.nodes, outputs: [g.last], initStd: 0.02 };
}

/** The U-Net's nodes from `g.last` (an [H, W, C] image of `inShape`) to its tanh output. */
function unetNodes(g: GraphBuilder, arch: UnetArch, inShape: number[], outChannels: number): void {
  if (inShape.length !== 3 || inShape[0] !== inShape[1]) throw new Error(`unet generator needs square [H, W, C] images, got [${inShape}]`);
  const depth = arch.depth ?? 4;
  const norm = arch.norm ?? 'instance';
  const unit = 2 ** depth;
  const side = inShape[0]!;
  const padded = Math.ceil(side / unit) * unit;
  if ((padded - side) % 2 !== 0) throw new Error(`unet generator: ${side} px pads to ${padded} unevenly; use an even image size`);
  const pad = (padded - side) / 2;
  if (padded / unit < 2) throw new Error(`unet generator: depth ${depth} takes ${side} px (padded ${padded}) below 2 px at the bottleneck; use depth ≤ ${Math.floor(Math.log2(padded)) - 1}`);
  const filters = (level: number) => arch.width * 2 ** Math.min(level, 3);
  if (pad > 0) g.add({ type: 'reflectPad', pad });
  const skips: string[] = [];
  for (let level = 0; level < depth; level++) {
    g.add({ type: 'conv2d', filters: filters(level), kernel: 4, stride: 2, pad: 'same', bias: level === 0 || level === depth - 1 || norm === 'none' });
    if (level > 0 && level < depth - 1) normLayer(g, norm);
    g.add({ type: 'act', fn: 'lrelu', alpha: 0.2 });
    skips.push(g.last);
  }
  for (let level = depth - 2; level >= -1; level--) {
    const block = depth - 2 - level;
    g.add({ type: 'conv2dTranspose', filters: filters(Math.max(level, 0)), kernel: 4, stride: 2, bias: norm === 'none' });
    normLayer(g, norm);
    if (block < (arch.dropoutBlocks ?? 2) && level >= 0) g.add({ type: 'dropout', rate: arch.dropoutRate ?? 0.5 });
    g.add({ type: 'act', fn: 'relu' });
    if (level >= 0) g.add({ type: 'concat' }, [g.last, skips[level]!]);
  }
  g.add(pad > 0 ? { type: 'conv2d', filters: outChannels, kernel: 2 * pad + 1, stride: 1, pad: 'valid' } : { type: 'conv2d', filters: outChannels, kernel: 3, stride: 1, pad: 'same' });
  g.add({ type: 'act', fn: 'tanh' });
}

/**
 * The inpainting generator: inputs the image `x` [H, W, C] (its hole's values are never read) and `mask`
 * [H, W, 1] (1 = missing). The hole is zeroed (`fill` 'zero') or filled smoothly from its surroundings
 * ('smooth': push-pull interpolation, a `smoothFill` node), the mask concatenated as an extra channel, a U-Net
 * fills the image ('smooth': its output is a correction added to the smooth fill), and the output is
 * composited, x·(1 − mask) + U-Net·mask, so known pixels pass through exactly.
 */
export function inpaintGenerator(arch: UnetArch, shape: number[], fill: 'zero' | 'smooth' = 'zero'): GraphSpec {
  if (arch.keepInputLuma) throw new Error('inpaint generator: keepInputLuma is for gray → colour translation');
  const [h, w, c] = shape as [number, number, number];
  const g = new GraphBuilder('x');
  const first = g.add(fill === 'smooth' ? { type: 'smoothFill' } : { type: 'maskComposite' }, ['x', 'mask']);
  g.add({ type: 'concat' }, [first, 'mask']);
  unetNodes(g, arch, [h, w, c + 1], c);
  // 'smooth': the U-Net's tanh output is a correction added to the smooth fill (clipped to the data range).
  if (fill === 'smooth') g.add({ type: 'add' }, [first, g.last]);
  g.add(fill === 'smooth' ? { type: 'maskComposite', clip: [-1, 1] } : { type: 'maskComposite' }, ['x', 'mask', g.last]);
  return { inputs: { x: { shape }, mask: { shape: [h, w, 1] } }, nodes: g.nodes, outputs: [g.last], initStd: 0.02 };
}

/**
 * pix2pix's conditional PatchGAN: the input image (`input`) and the real or generated output (`x`) are
 * concatenated along channels, then strided 4×4 convs + LeakyReLU (norm after the first), a stride-1 conv
 * and a 1-channel map of patch logits.
 */
export function pairDiscriminator(arch: UnetArch, inShape: number[], outShape: number[]): GraphSpec {
  if (inShape[0] !== outShape[0] || inShape[1] !== outShape[1]) throw new Error(`pix2pix needs input and target of one size, got [${inShape}] and [${outShape}]`);
  const norm = arch.norm ?? 'instance';
  const width = arch.dWidth ?? arch.width;
  const layers = arch.dLayers ?? 2;
  const g = new GraphBuilder('input');
  g.add({ type: 'concat' }, ['input', 'x']);
  const block = (filters: number, stride: number, withNorm: boolean) => {
    g.add({ type: 'conv2d', filters, kernel: 4, stride, pad: 'same', bias: !withNorm || norm === 'none' });
    if (withNorm) normLayer(g, norm);
    g.add({ type: 'act', fn: 'lrelu', alpha: 0.2 });
  };
  block(width, 2, false);
  for (let i = 1; i < layers; i++) block(width * 2 ** Math.min(i, 3), 2, true);
  block(width * 2 ** Math.min(layers, 3), 1, true);
  g.add({ type: 'conv2d', filters: 1, kernel: 4, stride: 1, pad: 'same' });
  return { inputs: { input: { shape: inShape }, x: { shape: outShape } }, nodes: g.nodes, outputs: [g.last], initStd: 0.02 };
}
