/**
 * pix2pix, CycleGAN and SRGAN training-step benchmarks: the PyTorch peers' exact models
 * (/work/shared/peer/pix2pix_torch.py, cyclegan_torch.py, srgan_torch.py; see their docstrings), trained by
 * the real `pix2pix` / `cyclegan` / `srgan` family through the generic Trainer on one fixed random batch
 * (throughput only).
 *
 *   node --import tsx bench/translation_step.ts --model pix2pix|cyclegan|srgan [--engine wasm|native] [--threads N]
 *        [--steps N] [--warmup N] [--batch B] [--profile]
 *   /usr/bin/python3 /work/shared/peer/pix2pix_torch.py --threads 1 --batch 16 --steps 20   (the peers)
 *   /usr/bin/python3 /work/shared/peer/cyclegan_torch.py --threads 1 --batch 4 --steps 10
 *   /usr/bin/python3 /work/shared/peer/srgan_torch.py --threads 1 --batch 16 --steps 20
 *
 * The families' network schemas (unetArchSchema, translationArchSchema) describe Gantry's own presets,
 * which differ from the peers' (bias-free convs before norms, affine instance norm, 4×4 transposed convs,
 * a 3×3 output conv after the U-Net's last transposed conv, 'same' stride-1 PatchGAN convs), so each
 * family runs here with the peer's networks put in place of its own (`*-peer` families that call the real
 * family's build with these specs): the phases, losses, optimizers and data path are the family's.
 * Same step as the peers: pix2pix one G forward, D on real and fake pairs, G's loss through a D that gets
 * no weight gradients (TF.js differentiates only the phase's group); CycleGAN six G forwards (fakes,
 * cycles, identities), then both D on real and detached fakes, no image pool. The one difference is a
 * constant: Gantry's LSGAN losses carry the ½ of the LSGAN paper (the peer's MSE does not), which changes
 * no cost. SRGAN needs no substitution: the `srgan` family's own schema builds the peer's SRResNet (8 blocks,
 * BN, one shared PReLU slope per layer) and VGG-style D on 16 → 64 px, and its step is the peer's (D on real HR
 * and detached G(LR), then MSE + 1e-3·BCE through a D that gets no weight gradients). The one difference:
 * 'same' padding of the stride-2 3×3 convs pads (0, 1) where torch pads (1, 1), which changes no cost.
 * Parameter counts are checked against the docstrings'.
 *
 * Prints one JSON line {model, engine, threads, batch, images_per_s, ms_per_step, cpu_ms_per_step,
 * peak_rss_mb, params}; images are image pairs (pix2pix), images per domain (CycleGAN) or HR images (SRGAN),
 * as the peers count.
 */
import * as tf from '@tensorflow/tfjs-core';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { initEngine, type EngineName } from '../src/backend/engine.ts';
import { Rng } from '../src/core/rng.ts';
import type { Batch, DataSource, FieldSpec } from '../src/data/dataset.ts';
import { loadConfig, type RunConfig } from '../src/families/config.ts';
import { cycleganFamily } from '../src/families/cyclegan.ts';
import { registerFamily, type FamilyDefinition } from '../src/families/family.ts';
import { pix2pixFamily } from '../src/families/pix2pix.ts';
import { srganFamily } from '../src/families/srgan.ts';
import type { GraphSpec, LayerSpec, NetworkSpec } from '../src/models/network.ts';
import { Trainer, disposeLosses } from '../src/train/trainer.ts';

const SIDE = 64;
const IMAGE = [SIDE, SIDE, 3];
const ADAM = { type: 'adam', lr: 2e-4, beta1: 0.5, beta2: 0.999 } as const;
const SRGAN_ADAM = { type: 'adam', lr: 1e-4, beta1: 0.9, beta2: 0.999 } as const;

/** Sequential graph builder: each node reads the previous one unless it names its inputs. */
class Graph {
  readonly nodes: GraphSpec['nodes'] = [];
  last: string;
  constructor(first: string) {
    this.last = first;
  }
  add(layer: LayerSpec, inputs?: string[]): string {
    const name = `${this.nodes.length}_${layer.type}`;
    this.nodes.push({ name, layer, inputs: inputs ?? [this.last] });
    return (this.last = name);
  }
}

const lrelu: LayerSpec = { type: 'act', fn: 'lrelu', alpha: 0.2 };
const relu: LayerSpec = { type: 'act', fn: 'relu' };

/** pix2pix_torch.py's U-Net: 6 downsamplings 64 → 1, ngf 32, BN, dropout .5 in the 3 innermost decoder blocks. */
export function pix2pixGenerator(): GraphSpec {
  const ch = [3, 32, 64, 128, 256, 256, 256];
  const g = new Graph('x');
  const skips: string[] = [];
  for (let i = 0; i < 6; i++) {
    if (i > 0) g.add(lrelu);
    g.add({ type: 'conv2d', filters: ch[i + 1]!, kernel: 4, stride: 2, pad: 'same' }); // = 4×4 s2 p1 on even sides
    if (i > 0 && i < 5) g.add({ type: 'batchNorm' });
    skips.push(g.last);
  }
  skips.pop();
  for (let i = 5; i >= 0; i--) {
    if (i < 5) g.add({ type: 'concat' }, [skips.pop()!, g.last]); // skip first, as torch.cat([skip, x], 1)
    g.add(relu);
    g.add({ type: 'conv2dTranspose', filters: ch[i]!, kernel: 4, stride: 2 }); // 'same' = 4×4 s2 p1
    if (i === 0) g.add({ type: 'act', fn: 'tanh' });
    else g.add({ type: 'batchNorm' });
    if (i >= 3) g.add({ type: 'dropout', rate: 0.5 });
  }
  return { inputs: { x: { shape: IMAGE } }, nodes: g.nodes, outputs: [g.last], initStd: 0.02 };
}

/** PatchGAN, n_layers 3, ndf 64, all convs 4×4 p1 (a 6×6 map at 64 px); pix2pix's on cat(input, x) with BN. */
function patchGan(g: Graph, norm: LayerSpec): string {
  g.add({ type: 'conv2d', filters: 64, kernel: 4, stride: 2, pad: 1 });
  g.add(lrelu);
  for (const [filters, stride] of [[128, 2], [256, 2], [512, 1]] as const) {
    g.add({ type: 'conv2d', filters, kernel: 4, stride, pad: 1 });
    g.add(norm);
    g.add(lrelu);
  }
  return g.add({ type: 'conv2d', filters: 1, kernel: 4, stride: 1, pad: 1 });
}

export function pix2pixDiscriminator(): GraphSpec {
  const g = new Graph('input');
  g.add({ type: 'concat' }, ['input', 'x']);
  patchGan(g, { type: 'batchNorm' });
  return { inputs: { input: { shape: IMAGE }, x: { shape: IMAGE } }, nodes: g.nodes, outputs: [g.last], initStd: 0.02 };
}

const IN: LayerSpec = { type: 'instanceNorm' }; // no affine parameters, as InstanceNorm2d's default

/** cyclegan_torch.py's ResNet generator: ngf 32, 6 blocks, reflection padding, IN, 3×3 transposed convs. */
export function cycleganGenerator(): GraphSpec {
  const g = new Graph('x');
  g.add({ type: 'reflectPad', pad: 3 });
  g.add({ type: 'conv2d', filters: 32, kernel: 7, stride: 1, pad: 'valid' });
  g.add(IN);
  g.add(relu);
  for (const filters of [64, 128]) {
    g.add({ type: 'conv2d', filters, kernel: 3, stride: 2, pad: 1 });
    g.add(IN);
    g.add(relu);
  }
  for (let b = 0; b < 6; b++) {
    const skip = g.last;
    g.add({ type: 'reflectPad', pad: 1 });
    g.add({ type: 'conv2d', filters: 128, kernel: 3, stride: 1, pad: 'valid' });
    g.add(IN);
    g.add(relu);
    g.add({ type: 'reflectPad', pad: 1 });
    g.add({ type: 'conv2d', filters: 128, kernel: 3, stride: 1, pad: 'valid' });
    g.add(IN);
    g.add({ type: 'add' }, [skip, g.last]);
  }
  for (const filters of [64, 32]) {
    g.add({ type: 'conv2dTranspose', filters, kernel: 3, stride: 2, pad: 1, outputPadding: 1 });
    g.add(IN);
    g.add(relu);
  }
  g.add({ type: 'reflectPad', pad: 3 });
  g.add({ type: 'conv2d', filters: 3, kernel: 7, stride: 1, pad: 'valid' });
  g.add({ type: 'act', fn: 'tanh' });
  return { inputs: { x: { shape: IMAGE } }, nodes: g.nodes, outputs: [g.last], initStd: 0.02 };
}

export function cycleganDiscriminator(): GraphSpec {
  const g = new Graph('x');
  patchGan(g, IN);
  return { inputs: { x: { shape: IMAGE } }, nodes: g.nodes, outputs: [g.last], initStd: 0.02 };
}

interface PeerModel {
  family: FamilyDefinition;
  name: string;
  /** The family's config (its own network section is built, then replaced by `specs` if given). */
  config(batch: number): RunConfig;
  specs?: Record<string, () => NetworkSpec>;
  /** Trainable parameters per network, from the peer's docstring. */
  params: Record<string, number>;
  /** The data fields the family reads and their [H, W, C] shapes. */
  fields: Record<string, number[]>;
  batch: number;
}

export type BenchModel = 'pix2pix' | 'cyclegan' | 'srgan';
export const BENCH_MODELS: readonly BenchModel[] = ['pix2pix', 'cyclegan', 'srgan'];

export const MODELS: Record<BenchModel, PeerModel> = {
  pix2pix: {
    family: pix2pixFamily,
    name: 'pix2pix-unet64',
    config: (batch) => loadConfig('pix2pix-edges-fashion', {
      model: { network: { arch: 'unet', width: 32, depth: 5, norm: 'batch', dLayers: 3, dropoutBlocks: 3 }, loss: 'nonsaturating', l1Weight: 100, optimizerG: ADAM, optimizerD: ADAM },
      train: { batchSize: batch },
    }),
    specs: { G: pix2pixGenerator, D: pix2pixDiscriminator },
    params: { G: 7_316_483, D: 2_769_601 },
    fields: { input: IMAGE, target: IMAGE },
    batch: 16,
  },
  cyclegan: {
    family: cycleganFamily,
    name: 'cyclegan-resnet64',
    config: (batch) => {
      const cfg = loadConfig('cyclegan-toy', { train: { batchSize: batch } });
      const model = cycleganFamily.modelSchema.parse({
        family: 'cyclegan', network: { arch: 'resnet', width: 32, blocks: 6 }, loss: 'leastsquares',
        cycleWeight: 10, identityWeight: 0.5, poolSize: 0, optimizerG: ADAM, optimizerD: ADAM,
      });
      return { ...cfg, model } as RunConfig;
    },
    specs: { G_AB: cycleganGenerator, G_BA: cycleganGenerator, D_A: cycleganDiscriminator, D_B: cycleganDiscriminator },
    params: { G_AB: 1_965_059, G_BA: 1_965_059, D_A: 2_764_737, D_B: 2_764_737 },
    fields: { a: IMAGE, b: IMAGE },
    batch: 4,
  },
  srgan: {
    family: srganFamily,
    name: 'srgan-x4-16to64',
    config: (batch) => {
      const cfg = loadConfig('srgan-cifar', { train: { batchSize: batch } });
      const model = srganFamily.modelSchema.parse({
        family: 'srgan',
        network: { arch: 'srresnet', width: 64, blocks: 8, norm: 'batch', sharedPrelu: true, inputSkip: 'none', dWidth: 64, dLayers: 4, dDense: 1024 },
        loss: 'nonsaturating', pretrainSteps: 0, pixelLoss: 'mse', pixelWeight: 1, advWeight: 1e-3, optimizerG: SRGAN_ADAM, optimizerD: SRGAN_ADAM,
      });
      return { ...cfg, model } as RunConfig;
    },
    params: { G: 956_558, D: 13_079_745 },
    fields: { input: [16, 16, 3], target: [64, 64, 3] },
    batch: 16,
  },
};

/** The real family's build with the peer's networks in place of the ones its schema describes. */
function peerFamily(m: PeerModel): string {
  const specs = m.specs;
  if (!specs) return m.family.name;
  const name = `${m.family.name}-peer`;
  registerFamily({
    name,
    description: `${m.family.description} (the PyTorch peer's networks)`,
    modelSchema: m.family.modelSchema,
    build: (ctx) => m.family.build({
      ...ctx,
      network: (net, _spec, rng) => {
        const spec = specs[net];
        if (!spec) throw new Error(`${name}: no peer network '${net}'`);
        return ctx.network(net, spec(), rng);
      },
    }),
  });
  return name;
}

/** One fixed batch of N(0, 1) images per field and batch size, as the peers' torch.randn (throughput only). */
function fixedSource(fieldShapes: Record<string, number[]>): DataSource {
  const rng = new Rng(0);
  const cache = new Map<number, Batch>();
  const fields = Object.keys(fieldShapes);
  const spec: Record<string, FieldSpec> = Object.fromEntries(fields.map((f) => [f, { shape: fieldShapes[f]!, dtype: 'float32' }]));
  const first = fieldShapes[fields[0]!]!;
  return {
    name: 'randn',
    shape: first,
    fields: { x: { shape: first, dtype: 'float32' }, ...spec },
    numClasses: 0,
    range: [-1, 1],
    size: Infinity,
    nextBatch: (n: number) => {
      let b = cache.get(n);
      if (!b) {
        const arrays = fields.map((f) => [f, Float32Array.from(rng.normalArray(n * fieldShapes[f]!.reduce((p, d) => p * d, 1)))] as const);
        cache.set(n, (b = { x: arrays[0]![1], ...Object.fromEntries(arrays) }));
      }
      return b;
    },
    getState: () => null,
    setState: () => undefined,
  };
}

/** Time per kernel type over one step (tf.profile), to stderr. */
async function printProfile(step: () => void, msPerStep: number): Promise<void> {
  const info = await tf.profile(step);
  const byKernel = new Map<string, { ms: number; calls: number }>();
  let total = 0;
  for (const k of info.kernels) {
    const key = process.env.GANTRY_PROFILE_SHAPES ? `${k.name} ${JSON.stringify(k.inputShapes)}` : k.name;
    const e = byKernel.get(key) ?? { ms: 0, calls: 0 };
    e.ms += Number(k.kernelTimeMs);
    e.calls += 1;
    byKernel.set(key, e);
    total += Number(k.kernelTimeMs);
  }
  process.stderr.write(`profile: ${info.kernels.length} kernel calls, ${total.toFixed(1)} ms in kernels, step ${msPerStep.toFixed(1)} ms\n`);
  for (const [name, { ms, calls }] of [...byKernel.entries()].sort((a, b) => b[1].ms - a[1].ms).slice(0, 40)) {
    process.stderr.write(`  ${name.padEnd(process.env.GANTRY_PROFILE_SHAPES ? 90 : 24)} ${ms.toFixed(1).padStart(8)} ms ${String(calls).padStart(5)} calls\n`);
  }
}

const round = (x: number) => Math.round(x * 10) / 10;

export async function measure(which: BenchModel, o: { engine: string; threads: number; steps: number; warmup: number; batch?: number; profile?: boolean }): Promise<Record<string, unknown>> {
  const m = MODELS[which];
  const batch = o.batch ?? m.batch;
  const engine = await initEngine(o.engine as EngineName, { threads: o.threads, quiet: true });
  const family = peerFamily(m);
  const base = m.config(batch);
  const cfg = { ...base, model: { ...base.model, family } } as unknown as RunConfig;
  const t = new Trainer(cfg, fixedSource(m.fields));
  const params: Record<string, number> = {};
  for (const [net, want] of Object.entries(m.params)) {
    params[net] = t.network(net).trainable.reduce((s, v) => s + v.size, 0);
    if (params[net] !== want) throw new Error(`${m.name}: ${net} has ${params[net]} parameters, the peer's docstring says ${want}`);
  }
  // Reading a weight back waits for all queued work.
  const sync = () => t.network(Object.keys(m.params)[0]!).trainable[0]!.data();
  for (let i = 0; i < o.warmup; i++) disposeLosses(t.trainStep());
  await sync();
  const start = performance.now();
  const cpuStart = process.cpuUsage();
  for (let i = 0; i < o.steps; i++) disposeLosses(t.trainStep());
  await sync();
  const ms = (performance.now() - start) / o.steps;
  const cpu = process.cpuUsage(cpuStart);
  if (o.profile) await printProfile(() => disposeLosses(t.trainStep()), ms);
  t.dispose();
  return {
    model: m.name, engine, threads: engine === 'native' ? o.threads : 1, batch,
    images_per_s: round(batch / (ms / 1000)), ms_per_step: round(ms), cpu_ms_per_step: round((cpu.user + cpu.system) / 1000 / o.steps),
    peak_rss_mb: Math.round(process.resourceUsage().maxRSS / 1024), params,
  };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const { values } = parseArgs({
    options: {
      model: { type: 'string', default: 'pix2pix' },
      engine: { type: 'string', default: 'native' },
      threads: { type: 'string', default: '1' },
      steps: { type: 'string', default: '5' },
      warmup: { type: 'string', default: '3' },
      batch: { type: 'string' },
      profile: { type: 'boolean', default: false },
    },
  });
  const model = BENCH_MODELS.find((m) => m === values.model);
  if (!model) throw new Error(`--model must be one of ${BENCH_MODELS.join(', ')}, got ${values.model}`);
  const ints = { steps: Number(values.steps), warmup: Number(values.warmup), threads: Number(values.threads), batch: values.batch === undefined ? undefined : Number(values.batch) };
  for (const [k, v] of Object.entries(ints)) {
    if (v !== undefined && (!Number.isInteger(v) || v < (k === 'steps' || k === 'batch' ? 1 : 0))) throw new Error(`--${k} must be a ${k === 'steps' || k === 'batch' ? 'positive' : 'non-negative'} integer, got ${v}`);
  }
  console.log(JSON.stringify(await measure(model, { engine: values.engine, ...ints, profile: values.profile })));
}
