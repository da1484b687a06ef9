/**
 * Networks of a variational autoencoder: an encoder graph x → features → two dense heads `mu` and
 * `logVar` (log σ²), and a decoder graph z → image whose primary output `image` is already in the data's
 * range (so an exported decoder samples as is), with the raw likelihood parameters beside it: `logits`
 * (Bernoulli) or `mean` in [−1, 1] (Gaussian), and for a learned Gaussian variance one scalar `logVar`.
 *
 * `conv` at 28×28×1 with width 32 and 2 downsamplings is exactly the PyTorch peer's model
 * (/work/shared/peer/vae_torch.py: conv 32, conv 64 (4×4, s2, p1) → flatten → dense 2·latent; dense →
 * 7×7×64 → convT 32, convT 1): its one dense of 2·latent units is written as two dense heads of latent
 * units on the same features, the same map and the same parameter count (133,760 + 86,625). Any
 * H, W divisible by 2^downsamples works (32×32×3: 8×8 maps). `mlp` is for flat data (and small images).
 */
import { z } from 'zod';
import { chain } from './graph_builder.ts';
import type { GraphSpec } from './network.ts';

export const vaeArchSchema = z.discriminatedUnion('arch', [
  z
    .object({
      arch: z.literal('conv'),
      /** Channels of the first conv (peer: 32); each further downsampling doubles them. */
      width: z.number().int().positive().max(512).default(32),
      /** Stride-2 4×4 convs in the encoder, transposed convs in the decoder (peer: 2). */
      downsamples: z.number().int().min(1).max(5).default(2),
    })
    .strict(),
  z
    .object({
      arch: z.literal('mlp'),
      hidden: z.number().int().positive().max(8192),
      depth: z.number().int().min(1).max(16),
    })
    .strict(),
]);
export type VaeArch = z.input<typeof vaeArchSchema>;

export type VaeLikelihood = 'bernoulli' | 'gaussian';

export interface VaeShapes {
  latentDim: number;
  dataShape: number[];
  /** Value range of the data (default [−1, 1]); `image` comes out in it. */
  dataRange?: [number, number];
  likelihood: VaeLikelihood;
  /** Gaussian only: the decoder carries one learned log σ² (output `logVar`). */
  learnedLogVar?: boolean;
}

export interface VaeSpecs {
  encoder: GraphSpec;
  decoder: GraphSpec;
  /** The decoder output the likelihood reads: `logits` (Bernoulli) or `mean` in [−1, 1] (Gaussian). */
  head: 'logits' | 'mean';
}

const size = (shape: number[]) => shape.reduce((a, b) => a * b, 1);

export function buildVaeSpecs(arch: VaeArch, shapes: VaeShapes): VaeSpecs {
  const { latentDim, dataShape, likelihood } = shapes;
  const [lo, hi] = shapes.dataRange ?? [-1, 1];
  const half = (hi - lo) / 2;
  const mid = (hi + lo) / 2;
  const conv = arch.arch === 'conv';
  const downs = conv ? (arch.downsamples ?? 2) : 0;
  const width = conv ? (arch.width ?? 32) : 0;
  if (conv) {
    const [h, w] = dataShape as [number, number, number];
    const f = 2 ** downs;
    if (dataShape.length !== 3 || h % f !== 0 || w % f !== 0) {
      throw new Error(`vae conv with ${downs} downsamplings needs [H, W, C] images with H and W divisible by ${f}, got [${dataShape}]`);
    }
  }

  // Encoder: the data range mapped onto [−1, 1] first, so every dataset looks alike to the first layer.
  const enc = chain('x');
  if (half !== 1 || mid !== 0) enc.push({ type: 'affine', scale: 1 / half, offset: -mid / half });
  if (conv) {
    for (let i = 0; i < downs; i++) {
      enc.push({ type: 'conv2d', filters: width * 2 ** i, kernel: 4, stride: 2, pad: 'same' });
      enc.push({ type: 'act', fn: 'relu' });
    }
    enc.push({ type: 'flatten' });
  } else {
    if (dataShape.length > 1) enc.push({ type: 'flatten' });
    for (let i = 0; i < arch.depth; i++) {
      enc.push({ type: 'dense', units: arch.hidden });
      enc.push({ type: 'act', fn: 'relu' });
    }
  }
  const features = enc.last();
  enc.push({ type: 'dense', units: latentDim }, 'mu', [features]);
  enc.push({ type: 'dense', units: latentDim }, 'logVar', [features]);
  const encoder: GraphSpec = { inputs: { x: { shape: dataShape } }, nodes: enc.nodes, outputs: ['mu', 'logVar'] };

  const dec = chain('z');
  if (conv) {
    const [h, w, c] = dataShape as [number, number, number];
    const f = 2 ** downs;
    const top = width * 2 ** (downs - 1);
    dec.push({ type: 'dense', units: (h / f) * (w / f) * top });
    dec.push({ type: 'act', fn: 'relu' });
    dec.push({ type: 'reshape', shape: [h / f, w / f, top] });
    for (let i = downs - 2; i >= 0; i--) {
      dec.push({ type: 'conv2dTranspose', filters: width * 2 ** i, kernel: 4, stride: 2 });
      dec.push({ type: 'act', fn: 'relu' });
    }
    dec.push({ type: 'conv2dTranspose', filters: c, kernel: 4, stride: 2 }, likelihood === 'bernoulli' ? 'logits' : undefined);
  } else {
    for (let i = 0; i < arch.depth; i++) {
      dec.push({ type: 'dense', units: arch.hidden });
      dec.push({ type: 'act', fn: 'relu' });
    }
    const raw = likelihood === 'bernoulli' ? 'logits' : undefined;
    if (dataShape.length > 1) {
      dec.push({ type: 'dense', units: size(dataShape) });
      dec.push({ type: 'reshape', shape: dataShape }, raw);
    } else {
      dec.push({ type: 'dense', units: size(dataShape) }, raw);
    }
  }
  let head: VaeSpecs['head'];
  if (likelihood === 'bernoulli') {
    // Samples are the pixel probabilities, mapped from [0, 1] to the data range.
    head = 'logits';
    dec.push({ type: 'act', fn: 'sigmoid' }, 'probs');
    dec.push({ type: 'affine', scale: hi - lo, offset: lo }, 'image');
  } else {
    head = 'mean';
    dec.push({ type: 'act', fn: 'tanh' }, 'mean');
    dec.push({ type: 'affine', scale: half, offset: mid }, 'image');
  }
  const outputs = ['image', head];
  if (likelihood === 'gaussian' && shapes.learnedLogVar) {
    // One learned scalar: a dense layer's bias (starts at 0) read off an all-zero input, so it lives
    // in the decoder and is checkpointed and updated with it. The kernel sees zeros and gets no gradient.
    dec.push({ type: 'affine', scale: 0, offset: 0 }, 'zeros', ['z']);
    dec.push({ type: 'dense', units: 1 }, 'logVar');
    outputs.push('logVar');
  }
  const decoder: GraphSpec = { inputs: { z: { shape: [latentDim] } }, nodes: dec.nodes, outputs };
  return { encoder, decoder, head };
}
