/**
 * Super-resolution networks (Ledig et al. 2017): the SRResNet generator — a 9×9 head, residual blocks
 * (conv–norm–PReLU–conv–norm + skip), a global skip around them, ×2 (or ×3) pixel-shuffle stages with
 * PReLU, a 9×9 tail and tanh — and SRGAN's VGG-style discriminator (3×3 convs that double the channels
 * every other layer and halve the size on the others, then dense 1024 and one logit). The generator is
 * fully convolutional: built for the training LR size, it runs on any input size (`gantry upscale`).
 * `norm: 'none'` drops batch norm from the generator, as EDSR does (better PSNR, no train/test gap).
 */
import { z } from 'zod';
import type { GraphSpec, LayerSpec, NodeSpec } from './network.ts';

export const srArchSchema = z
  .object({
    arch: z.literal('srresnet'),
    /** Generator channels (SRGAN: 64). */
    width: z.number().int().positive().max(512).default(64),
    /** Residual blocks (SRGAN: 16). */
    blocks: z.number().int().min(0).max(64).default(16),
    /** Normalization in the generator's blocks (SRGAN: batch; EDSR: none). */
    norm: z.enum(['batch', 'none']).default('batch'),
    /** One PReLU slope per layer (PyTorch's nn.PReLU(), as SRGAN) or one per channel. */
    sharedPrelu: z.boolean().default(true),
    /**
     * 'bilinear': the output is the bilinearly enlarged input plus what the network adds (no tanh), so G
     * starts at interpolation and learns only the missing detail (VDSR's global residual); 'none': SRGAN's tanh output.
     */
    inputSkip: z.enum(['none', 'bilinear']).default('none'),
    /** Discriminator channels of its first convolution (SRGAN: 64). */
    dWidth: z.number().int().positive().max(512).default(64),
    /** Stride-2 convolutions in the discriminator (SRGAN: 4, each after a stride-1 one that doubles the channels). */
    dLayers: z.number().int().min(1).max(6).default(4),
    /** Units of the discriminator's hidden dense layer (SRGAN: 1024). */
    dDense: z.number().int().positive().max(4096).default(1024),
  })
  .strict();
export type SrArch = z.input<typeof srArchSchema>;

class Chain {
  readonly nodes: NodeSpec[] = [];
  private count = 0;
  constructor(public last: string) {}
  add(layer: LayerSpec, inputs?: string[]): string {
    const name = `${this.count++}_${layer.type}`;
    this.nodes.push({ name, layer, inputs: inputs ?? [this.last] });
    this.last = name;
    return name;
  }
}

/** Pixel-shuffle stages for a scale: ×2 repeated, or one ×3. */
export function upscaleStages(scale: number): number[] {
  if (scale === 3) return [3];
  const stages: number[] = [];
  for (let s = scale; s > 1; s /= 2) {
    if (s % 2 !== 0) throw new Error(`SRResNet upscales by 2, 3, 4 or 8, not ${scale}`);
    stages.push(2);
  }
  if (stages.length === 0) throw new Error(`SRResNet needs a scale ≥ 2, got ${scale}`);
  return stages;
}

/** SRResNet for [h, w, c] LR inputs at `scale`, `outChannels` out in [−1, 1]. */
export function srresnetGenerator(arch: SrArch, inShape: number[], scale: number, outChannels = inShape[2]!): GraphSpec {
  if (inShape.length !== 3) throw new Error(`SRResNet needs [H, W, C] images, got [${inShape}]`);
  const a = srArchSchema.parse(arch);
  const g = new Chain('x');
  const norm = () => {
    if (a.norm === 'batch') g.add({ type: 'batchNorm' });
  };
  const prelu: LayerSpec = { type: 'prelu', shared: a.sharedPrelu };
  g.add({ type: 'conv2d', filters: a.width, kernel: 9, stride: 1, pad: 'same' });
  const head = g.add(prelu);
  for (let b = 0; b < a.blocks; b++) {
    const skip = g.last;
    g.add({ type: 'conv2d', filters: a.width, kernel: 3, stride: 1, pad: 'same' });
    norm();
    g.add(prelu);
    g.add({ type: 'conv2d', filters: a.width, kernel: 3, stride: 1, pad: 'same' });
    norm();
    g.add({ type: 'add' }, [skip, g.last]);
  }
  g.add({ type: 'conv2d', filters: a.width, kernel: 3, stride: 1, pad: 'same' });
  norm();
  g.add({ type: 'add' }, [head, g.last]);
  for (const r of upscaleStages(scale)) {
    g.add({ type: 'conv2d', filters: a.width * r * r, kernel: 3, stride: 1, pad: 'same' });
    g.add({ type: 'pixelShuffle', factor: r });
    g.add(prelu);
  }
  const tail = g.add({ type: 'conv2d', filters: outChannels, kernel: 9, stride: 1, pad: 'same' });
  if (a.inputSkip === 'bilinear') {
    if (outChannels !== inShape[2]) throw new Error(`SRResNet: inputSkip 'bilinear' needs as many output channels as input ones (${inShape[2]} → ${outChannels})`);
    const up = g.add({ type: 'upsample', factor: scale, mode: 'bilinear' }, ['x']);
    g.add({ type: 'add' }, [up, tail]);
  } else g.add({ type: 'act', fn: 'tanh' });
  // N(0, 0.02) weights: with He-scaled ones the un-normalized residual stack starts with the tanh saturated
  // (output variance ≈ 0.95), where MSE training stalls.
  return { inputs: { x: { shape: inShape } }, nodes: g.nodes, outputs: [g.last], initStd: 0.02 };
}

/** SRGAN's discriminator on [H, W, C] HR images (H and W divisible by 2^dLayers). */
export function srDiscriminator(arch: SrArch, hrShape: number[]): GraphSpec {
  const a = srArchSchema.parse(arch);
  const [h, w] = hrShape as [number, number, number];
  const unit = 2 ** a.dLayers;
  if (hrShape.length !== 3 || h % unit !== 0 || w % unit !== 0) throw new Error(`SRGAN discriminator: ${a.dLayers} stride-2 layers need HR sides divisible by ${unit}, got [${hrShape}]`);
  const g = new Chain('x');
  const lrelu: LayerSpec = { type: 'act', fn: 'lrelu', alpha: 0.2 };
  g.add({ type: 'conv2d', filters: a.dWidth, kernel: 3, stride: 1, pad: 'same' });
  g.add(lrelu);
  for (let i = 0; i < a.dLayers; i++) {
    const filters = a.dWidth * 2 ** i;
    if (i > 0) {
      g.add({ type: 'conv2d', filters, kernel: 3, stride: 1, pad: 'same' });
      g.add({ type: 'batchNorm' });
      g.add(lrelu);
    }
    g.add({ type: 'conv2d', filters, kernel: 3, stride: 2, pad: 'same' });
    g.add({ type: 'batchNorm' });
    g.add(lrelu);
  }
  g.add({ type: 'flatten' });
  g.add({ type: 'dense', units: a.dDense });
  g.add(lrelu);
  g.add({ type: 'dense', units: 1 });
  return { inputs: { x: { shape: hrShape } }, nodes: g.nodes, outputs: [g.last] };
}
