/**
 * Networks of the text-to-image family (GAN-INT-CLS with StackGAN's conditioning augmentation):
 *
 * - **G** (the exported sampler, so one graph runs from words to pixels): token ids → word embedding →
 *   GRU (padding masked) → dense `text` embedding; `text` → dense `ca` (mean and log σ² of the condition)
 *   → `cond` = mean + σ·`eps`; [z, cond] → dense 4×4 map → transposed-conv ×2 stages (batch norm, ReLU)
 *   → tanh image (mapped to the data range). Outputs `image`, `ca` (for the KL term) and `text`.
 *   The text part is trained by the dual-encoder phase; the adversarial phases feed `text` as a node
 *   (computed outside the gradient tape), so they never move it.
 * - **E**: image → convs → dense embedding in the same space as `text` (the dual encoder's image side,
 *   also the R-precision scorer, as AttnGAN's DAMSM).
 * - **D**: a projection discriminator (Miyato & Koyama 2018) on a continuous condition: image → convs
 *   (spectrally normalized by default) → features φ; logit = w·φ + ⟨φ, P·norm(text)⟩, so whether an image
 *   fits its text is a learned inner product, as the matching-aware loss needs.
 */
import { z } from 'zod';
import { chain, type NodeChain } from './graph_builder.ts';
import type { GraphSpec, LayerSpec } from './network.ts';

export const t2iArchSchema = z
  .object({
    /** Channels of G's last hidden stage and D's first conv; each stage doubles them. */
    width: z.number().int().positive().max(512).default(64),
    /** Word embedding size. */
    wordDim: z.number().int().positive().max(1024).default(64),
    /** GRU state size. */
    units: z.number().int().positive().max(2048).default(128),
    /** Size of the shared text/image embedding. */
    embedDim: z.number().int().positive().max(2048).default(128),
    /** Size of the augmented condition G sees. */
    caDim: z.number().int().positive().max(1024).default(64),
    /** Size of D's features φ and of its text projection. */
    textProj: z.number().int().positive().max(2048).default(128),
    /** Spectral normalization of D's layers. */
    dNorm: z.enum(['sn', 'none']).default('sn'),
  })
  .strict();
export type T2iArch = z.infer<typeof t2iArchSchema>;

export interface T2iShapes {
  latentDim: number;
  /** [H, W, C] with H = W = 4·2^k, k ≥ 1. */
  dataShape: number[];
  vocabSize: number;
  maxTokens: number;
  dataRange: [number, number];
}

export interface T2iSpecs {
  generator: GraphSpec;
  discriminator: GraphSpec;
  imageEncoder: GraphSpec;
}

const lrelu: LayerSpec = { type: 'act', fn: 'lrelu', alpha: 0.2 };

/** Number of 2× stages between the 4×4 map and the image. */
function stagesOf(shape: number[]): number {
  const [h, w] = shape as [number, number, number];
  const k = Math.log2(h / 4);
  if (shape.length !== 3 || h !== w || !Number.isInteger(k) || k < 1) {
    throw new Error(`t2i networks need square images of side 4·2^k (8, 16, 32, 64, …), got [${shape}]`);
  }
  return k;
}

/** Stride-2 convs from the image down to 4×4. */
function convTrunk(c: NodeChain, width: number, stages: number, sn: boolean): void {
  for (let i = 0; i < stages; i++) {
    c.push({ type: 'conv2d', filters: width * 2 ** i, kernel: 4, stride: 2, pad: 'same', ...(sn ? { sn: true } : {}) });
    c.push(lrelu);
  }
}

export function buildT2iSpecs(arch: T2iArch, shapes: T2iShapes): T2iSpecs {
  const stages = stagesOf(shapes.dataShape);
  const channels = shapes.dataShape[2]!;
  const [lo, hi] = shapes.dataRange;
  const sn = arch.dNorm === 'sn';

  const g = chain('tokens');
  g.push({ type: 'embedding', vocab: shapes.vocabSize, dim: arch.wordDim }, 'word', ['tokens']);
  g.push({ type: 'gru', units: arch.units }, 'gru', ['word', 'tokens']);
  g.push({ type: 'dense', units: arch.embedDim }, 'text');
  // The dual encoder fixes only the embedding's direction (its loss is on cosines): normalize its scale.
  g.push({ type: 'layerNorm' }, 'text_norm');
  g.push({ type: 'dense', units: 2 * arch.caDim }, 'ca');
  g.push({ type: 'reparameterize' }, 'cond', ['ca', 'eps']);
  g.push({ type: 'concat' }, 'zc', ['z', 'cond']);
  const top = arch.width * 2 ** (stages - 1);
  g.push({ type: 'dense', units: 16 * top });
  g.push({ type: 'reshape', shape: [4, 4, top] });
  g.push({ type: 'batchNorm' });
  g.push({ type: 'act', fn: 'relu' });
  for (let i = stages - 2; i >= 0; i--) {
    g.push({ type: 'conv2dTranspose', filters: arch.width * 2 ** i, kernel: 4, stride: 2, pad: 'same' });
    g.push({ type: 'batchNorm' });
    g.push({ type: 'act', fn: 'relu' });
  }
  g.push({ type: 'conv2dTranspose', filters: channels, kernel: 4, stride: 2, pad: 'same' });
  g.push({ type: 'act', fn: 'tanh' }, lo === -1 && hi === 1 ? 'image' : undefined);
  if (lo !== -1 || hi !== 1) g.push({ type: 'affine', scale: (hi - lo) / 2, offset: (hi + lo) / 2 }, 'image');
  const generator: GraphSpec = {
    inputs: { tokens: { shape: [shapes.maxTokens], dtype: 'int32' }, z: { shape: [shapes.latentDim] }, eps: { shape: [arch.caDim] } },
    nodes: g.nodes,
    outputs: ['image', 'ca', 'text'],
    initStd: 0.02,
  };

  const toUnit = (c: NodeChain) => {
    if (lo !== -1 || hi !== 1) c.push({ type: 'affine', scale: 2 / (hi - lo), offset: -(hi + lo) / (hi - lo) });
  };
  const d = chain('x');
  toUnit(d);
  convTrunk(d, arch.width, stages, sn);
  d.push({ type: 'flatten' });
  d.push({ type: 'dense', units: arch.textProj, ...(sn ? { sn: true } : {}) }, 'features');
  d.push(lrelu, 'phi');
  d.push({ type: 'dense', units: 1, ...(sn ? { sn: true } : {}) }, 'unconditional', ['phi']);
  d.push({ type: 'layerNorm' }, 'text_norm', ['text']);
  d.push({ type: 'dense', units: arch.textProj, ...(sn ? { sn: true } : {}) }, 'text_proj');
  d.push({ type: 'dot' }, 'match', ['phi', 'text_proj']);
  d.push({ type: 'add' }, 'logit', ['unconditional', 'match']);
  const discriminator: GraphSpec = {
    inputs: { x: { shape: shapes.dataShape }, text: { shape: [arch.embedDim] } },
    nodes: d.nodes,
    outputs: ['logit'],
    initStd: 0.02,
  };

  const e = chain('x');
  toUnit(e);
  convTrunk(e, Math.max(16, arch.width / 2), stages, false);
  e.push({ type: 'flatten' });
  e.push({ type: 'dense', units: arch.embedDim }, 'embedding');
  const imageEncoder: GraphSpec = { inputs: { x: { shape: shapes.dataShape } }, nodes: e.nodes, outputs: ['embedding'] };
  return { generator, discriminator, imageEncoder };
}
