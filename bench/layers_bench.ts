/**
 * Layer benchmark: forward + backward ms of one layer at [64, 32, 32, 64] (NHWC) for instance norm
 * (affine), AdaIN, a 3×3 modulated conv, nearest and bilinear ×2 upsampling, and a plain 3×3 conv2d
 * 64 → 64 as the reference, plus CycleGAN's instance norm without affine, reflection padding 1 and 3×3
 * stride-2 transposed conv (64 → 64 at 64×64 out); on `wasm` and `native` (1 and, with 2+ cores, 2 threads), each engine in its
 * own process. Prints one JSON line {shape, reps, engines: [{engine, threads, isa?, layers: {name:
 * {best_ms, median_ms, best_cpu_ms}}}]}: wall-clock best and median of N, and the least CPU time of all
 * threads (the least noisy measure on a shared machine). Wired into `npm run bench` as `layers`.
 *
 *   node --import tsx bench/layers_bench.ts [--reps N] [--only name,name]
 *   node --import tsx bench/layers_bench.ts --child native --threads 2 [--profile]
 *
 * --profile (with --child) adds the time per kernel type over one forward + backward on stderr.
 */
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import * as tf from '@tensorflow/tfjs-core';
import { initEngine } from '../src/backend/engine.ts';
import { nativeAddon } from '../src/backend/native_kernels.ts';
import { Rng } from '../src/core/rng.ts';
import '../src/models/layers.ts';
import { applyTestLayer, buildTestLayer, disposeLayer, type AnySpec } from '../src/models/layer_testing.ts';
import { child } from './bench.ts';

const SELF = fileURLToPath(import.meta.url);
const [B, H, W, C] = [64, 32, 32, 64];

/** name → spec and the style length of a second input (0: none). */
const LAYERS: Record<string, { spec: AnySpec; style: number }> = {
  instanceNorm: { spec: { type: 'instanceNorm', affine: true }, style: 0 },
  adain: { spec: { type: 'adain' }, style: 2 * C },
  modConv3x3: { spec: { type: 'modConv', filters: C, kernel: 3 }, style: C },
  upsampleNearest2: { spec: { type: 'upsample', factor: 2, mode: 'nearest' }, style: 0 },
  upsampleBilinear2: { spec: { type: 'upsample', factor: 2, mode: 'bilinear' }, style: 0 },
  conv2d3x3: { spec: { type: 'conv2d', filters: C, kernel: 3, stride: 1, pad: 'same' }, style: 0 },
  // CycleGAN's (cyclegan_torch.py): instance norm without affine, reflection padding 1, 3×3 stride-2 transposed conv.
  instanceNormPlain: { spec: { type: 'instanceNorm' }, style: 0 },
  reflectPad1: { spec: { type: 'reflectPad', pad: 1 }, style: 0 },
  conv2dTranspose3x3: { spec: { type: 'conv2dTranspose', filters: C, kernel: 3, stride: 2, pad: 1, outputPadding: 1 }, style: 0 },
};

const round = (x: number) => Math.round(x * 10) / 10;

/** One forward + backward (gradients for the inputs and every parameter), with an upstream gradient dy. */
function makeStep(name: string): { step: () => void; dispose: () => void } {
  const { spec, style } = LAYERS[name]!;
  const inShapes = style ? [[H, W, C], [style]] : [[H, W, C]];
  const layer = buildTestLayer(spec, inShapes, { seed: 3 });
  const rng = new Rng(7);
  const inputs = [tf.tensor(rng.normalArray(B * H * W * C), [B, H, W, C])];
  if (style) inputs.push(tf.tensor(rng.normalArray(B * style, 0, 0.5), [B, style]));
  const dy = tf.tensor(rng.normalArray(B * layer.outShape.reduce((a, b) => a * b, 1)), [B, ...layer.outShape]);
  const wrt = [...inputs, ...Object.values(layer.params)];
  const step = () => {
    const grads = tf.grads(() => applyTestLayer(layer, inputs, { training: true }))(wrt, dy);
    for (const g of grads) g.dataSync();
    tf.dispose(grads);
  };
  return { step, dispose: () => { tf.dispose([...inputs, dy]); disposeLayer(layer); } };
}

async function printProfile(name: string, step: () => void): Promise<void> {
  const info = await tf.profile(step);
  const byKernel = new Map<string, { ms: number; calls: number }>();
  for (const k of info.kernels) {
    const key = process.env.GANTRY_PROFILE_SHAPES ? `${k.name} ${JSON.stringify(k.inputShapes)}` : k.name;
    const entry = byKernel.get(key) ?? { ms: 0, calls: 0 };
    entry.ms += Number(k.kernelTimeMs);
    entry.calls += 1;
    byKernel.set(key, entry);
  }
  process.stderr.write(`profile ${name}: ${info.kernels.length} kernel calls\n`);
  for (const [key, { ms, calls }] of [...byKernel.entries()].sort((a, b) => b[1].ms - a[1].ms)) {
    process.stderr.write(`  ${key.padEnd(process.env.GANTRY_PROFILE_SHAPES ? 70 : 24)} ${ms.toFixed(1).padStart(8)} ms ${String(calls).padStart(4)} calls\n`);
  }
}

async function measureEngine(engine: string, threads: number, reps: number, names: string[], profile: boolean): Promise<Record<string, unknown>> {
  const active = await initEngine(engine as 'native', { threads });
  const layers: Record<string, { best_ms: number; median_ms: number; best_cpu_ms: number }> = {};
  for (const name of names) {
    const { step, dispose } = makeStep(name);
    step();
    const times: number[] = [];
    const cpu: number[] = [];
    for (let i = 0; i < reps; i++) {
      const start = performance.now();
      const cpuStart = process.cpuUsage();
      step();
      times.push(performance.now() - start);
      const used = process.cpuUsage(cpuStart);
      cpu.push((used.user + used.system) / 1000);
    }
    if (profile) await printProfile(name, step);
    dispose();
    times.sort((a, b) => a - b);
    layers[name] = { best_ms: round(times[0]!), median_ms: round(times[Math.floor(times.length / 2)]!), best_cpu_ms: round(Math.min(...cpu)) };
  }
  const isa = active === 'native' ? nativeAddon()?.info().isa : undefined;
  return { engine: active, threads: active === 'native' ? threads : 1, ...(isa ? { isa } : {}), layers };
}

/** Every engine configuration in its own process. */
export function runLayersBench(opts: { reps?: number; only?: string[] } = {}): Record<string, unknown> {
  const reps = opts.reps ?? 5;
  const configs: Array<[string, number]> = [['wasm', 1], ['native', 1]];
  if (os.availableParallelism() > 1) configs.push(['native', 2]);
  const only = opts.only?.length ? ['--only', opts.only.join(',')] : [];
  const engines = configs.map(([engine, threads]) =>
    child(process.execPath, ['--import', 'tsx', SELF, '--child', engine, '--threads', String(threads), '--reps', String(reps), ...only]));
  return { shape: [B, H, W, C], reps, engines };
}

if (process.argv[1] === SELF) {
  const { values } = parseArgs({
    options: {
      child: { type: 'string' }, threads: { type: 'string', default: '1' }, reps: { type: 'string', default: '5' },
      only: { type: 'string', default: '' }, profile: { type: 'boolean', default: false },
    },
  });
  const reps = Number(values.reps);
  if (!Number.isInteger(reps) || reps < 1) throw new Error(`--reps must be a positive integer, got ${values.reps}`);
  const only = values.only ? values.only.split(',') : [];
  for (const name of only) if (!(name in LAYERS)) throw new Error(`--only: unknown layer '${name}' (one of ${Object.keys(LAYERS).join(', ')})`);
  if (values.child) {
    const names = only.length ? only : Object.keys(LAYERS);
    console.log(JSON.stringify(await measureEngine(values.child, Number(values.threads), reps, names, values.profile)));
  } else {
    console.log(JSON.stringify(runLayersBench({ reps, only })));
  }
}
