/**
 * `npm run bench` / `gantry bench`: one JSON object with, per engine and thread count, the DCGAN-MNIST
 * step of the PyTorch peer (images/s, ms/step, peak RSS), the toy-grid MLP step (steps/s) and generation
 * throughput (images/s over 1,000 samples); plus the PyTorch peer itself at 1 and 2 threads when Debian's
 * system Python can import torch, and Gantry's ratio to PyTorch's best. Each measurement runs in its own
 * process so engines and thread pools do not interfere. `layers` holds bench/layers_bench.ts's output
 * (forward + backward ms of single layers per engine). `translation` holds the pix2pix and CycleGAN
 * training steps of ../shared/peer/pix2pix_torch.py and cyclegan_torch.py (bench/translation_step.ts:
 * the peers' exact networks trained by the real families), per engine and thread count, beside the
 * peers at 1 and 2 threads, with the same ratios; `srgan` the same for ../shared/peer/srgan_torch.py's
 * SRGAN ×4 step (16 → 64 px, batch 16). `upscale` holds `gantry upscale`'s throughput (output
 * megapixels/s, peak RSS) per engine and thread count for a 256×256 → 1024×1024 image through
 * presets/srgan-cifar.yaml's generator (bench/upscale_bench.ts).
 *
 *   node --import tsx bench/bench.ts [--quick] [--only dcgan,layers,pix2pix,cyclegan,srgan,upscale]
 */
import { spawnSync } from 'node:child_process';
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import * as tf from '@tensorflow/tfjs-core';
import { initEngine } from '../src/backend/engine.ts';
import { Rng } from '../src/core/rng.ts';
import { toySource } from '../src/data/toy.ts';
import { loadConfig } from '../src/families/config.ts';
import { Network } from '../src/models/network.ts';
import { buildGanSpecs } from '../src/models/zoo.ts';
import { Trainer, disposeLosses } from '../src/train/trainer.ts';

const SELF = fileURLToPath(import.meta.url);
const DCGAN_STEP = fileURLToPath(new URL('./dcgan_step.ts', import.meta.url));
const LAYERS_BENCH = fileURLToPath(new URL('./layers_bench.ts', import.meta.url));
const TRANSLATION_STEP = fileURLToPath(new URL('./translation_step.ts', import.meta.url));
const UPSCALE_BENCH = fileURLToPath(new URL('./upscale_bench.ts', import.meta.url));
const PEER_DIR = fileURLToPath(new URL('../../shared/peer/', import.meta.url));
const PEER = `${PEER_DIR}dcgan_torch.py`;
/** Rows `--only` can pick; all by default. `dcgan` is the DCGAN, toy-grid and generation measurements. */
export const BENCH_ROWS = ['dcgan', 'layers', 'pix2pix', 'cyclegan', 'srgan', 'upscale'] as const;
export type BenchRow = (typeof BENCH_ROWS)[number];
const round = (x: number) => Math.round(x * 10) / 10;

export function child(command: string, args: string[]): Record<string, unknown> {
  const r = spawnSync(command, args, { encoding: 'utf8' });
  const line = r.stdout.trim().split('\n').filter((l) => l.startsWith('{')).pop();
  if (r.status !== 0 || !line) return { error: (r.stderr || `exit ${r.status}`).trim().split('\n').pop() };
  return JSON.parse(line) as Record<string, unknown>;
}

/** The toy-grid preset's training step, and generation of 1,000 DCGAN-MNIST images (child process). */
async function measureInProcess(engine: string, threads: number, steps: number): Promise<Record<string, unknown>> {
  const active = await initEngine(engine as 'native', { threads });
  const cfg = loadConfig('toy-grid');
  const t = new Trainer(cfg, toySource('grid25', 1));
  for (let i = 0; i < 20; i++) disposeLosses(t.trainStep());
  let start = performance.now();
  for (let i = 0; i < steps; i++) disposeLosses(t.trainStep());
  await t.network('G').trainable[0]!.data();
  const toySteps = steps / ((performance.now() - start) / 1000);
  t.dispose();

  const specs = buildGanSpecs({ arch: 'dcgan', width: 64 }, { latentDim: 100, dataShape: [28, 28, 1], numClasses: 0, conditioning: 'none' });
  const G = new Network('Gbench', specs.generator, new Rng(1));
  const rng = new Rng(2);
  const gen = async (n: number) => {
    for (let i = 0; i < n; i += 250) {
      const y = tf.tidy(() => G.apply(tf.tensor2d(rng.normalArray(250 * 100), [250, 100]), { training: false }));
      await y.data();
      y.dispose();
    }
  };
  await gen(250);
  start = performance.now();
  await gen(1000);
  const genRate = 1000 / ((performance.now() - start) / 1000);
  G.dispose();
  return { engine: active, threads, toy_grid_steps_per_s: round(toySteps), generate_images_per_s: round(genRate), peak_rss_mb: Math.round(process.resourceUsage().maxRSS / 1024) };
}

function torchAvailable(): boolean {
  return spawnSync('/usr/bin/python3', ['-c', 'import torch'], { encoding: 'utf8' }).status === 0;
}

/** Gantry's images/s on the default engine (native, all cores) and on its fastest, over PyTorch's best. */
function ratios(engines: Record<string, unknown>[], peer: Record<string, unknown>[], cores: number, imagesOf: (e: Record<string, unknown>) => number,
  peerImages: (p: Record<string, unknown>) => number = (p) => Number(p.images_per_s ?? 0), digits = 2): Record<string, number | null> {
  const best = Math.max(...peer.map(peerImages));
  const ours = engines.find((e) => e.engine === 'native' && e.threads === cores) ?? engines[engines.length - 1]!;
  const ratio = (img: number) => (best > 0 && img > 0 ? Math.round((img / best) * 10 ** digits) / 10 ** digits : null);
  return {
    ratio_default_engine_to_pytorch_best: ratio(imagesOf(ours)),
    ratio_best_engine_to_pytorch_best: ratio(Math.max(...engines.map(imagesOf))),
  };
}

const NO_TORCH = 'not run: Debian python3 cannot import torch (apt-get install -y python3-torch libopenblas0-pthread)';

/** The peers' batch sizes (their docstrings' commands). */
const PEER_BATCH = { pix2pix: 16, cyclegan: 4, srgan: 16 } as const;

/**
 * The pix2pix (batch 16), CycleGAN (batch 4) or SRGAN (batch 16) step of the peer: Gantry per engine and
 * thread count, then the peer at 1 and 2 threads, the same warm-up (3 steps) and timed steps on both sides.
 */
function translationRow(model: keyof typeof PEER_BATCH, configs: Array<[string, number]>, cores: number, steps: number, torch: boolean): Record<string, unknown> {
  const batch = PEER_BATCH[model];
  const engines = configs.map(([engine, threads]) => ({
    engine, threads,
    ...child(process.execPath, ['--import', 'tsx', TRANSLATION_STEP, '--model', model, '--engine', engine, '--threads', String(threads),
      '--steps', String(steps), '--warmup', '3', '--batch', String(batch)]),
  }));
  const row: Record<string, unknown> = { batch, steps, warmup: 3, engines };
  if (!torch) return { ...row, pytorch_peer: NO_TORCH };
  const peer = [1, 2].map((t): Record<string, unknown> => ({
    threads: t, ...child('/usr/bin/python3', [`${PEER_DIR}${model}_torch.py`, '--threads', String(t), '--batch', String(batch), '--steps', String(steps)]),
  }));
  // From ms/step (same batch on both sides): the printed images/s are rounded to 0.1, coarse at CycleGAN's ~4/s.
  const images = (e: Record<string, unknown>) => (Number(e.ms_per_step) > 0 ? (batch * 1000) / Number(e.ms_per_step) : 0);
  return { ...row, pytorch_peer: peer, ...ratios(engines, peer, cores, images, images, 3) };
}

export async function runBench(opts: { quick?: boolean; only?: readonly string[] } = {}): Promise<Record<string, unknown>> {
  const only = new Set(opts.only && opts.only.length > 0 ? opts.only : BENCH_ROWS);
  for (const r of only) if (!(BENCH_ROWS as readonly string[]).includes(r)) throw new Error(`bench: unknown row '${r}'; rows: ${BENCH_ROWS.join(', ')}`);
  const steps = opts.quick ? 10 : 30;
  const cores = os.availableParallelism();
  const configs: Array<[string, number]> = [['wasm', 1], ['native', 1]];
  if (cores > 1) configs.push(['native', cores]);
  const torch = torchAvailable();
  const result: Record<string, unknown> = { machine: { cpus: cores, model: os.cpus()[0]?.model } };
  if (only.has('dcgan')) {
    const engines: Record<string, unknown>[] = [];
    for (const [engine, threads] of configs) {
      const dcgan = child(process.execPath, ['--import', 'tsx', DCGAN_STEP, '--engine', engine, '--threads', String(threads), '--steps', String(steps)]);
      const other = child(process.execPath, ['--import', 'tsx', SELF, '--child', engine, '--threads', String(threads), '--steps', String(steps * 10)]);
      engines.push({ engine, threads, dcgan_mnist_step: dcgan, ...other, engine_active: other.engine });
    }
    Object.assign(result, { batch: 64, engines });
  }
  // Forward + backward of single layers at [64, 32, 32, 64] per engine (bench/layers_bench.ts).
  if (only.has('layers')) result.layers = child(process.execPath, ['--import', 'tsx', LAYERS_BENCH, '--reps', opts.quick ? '3' : '5']);
  if (only.has('dcgan')) {
    if (torch) {
      const peer = [1, 2].map((t): Record<string, unknown> => ({ threads: t, ...child('/usr/bin/python3', [PEER, '--threads', String(t), '--steps', String(steps)]) }));
      result.pytorch_peer = peer;
      const dcganImages = (e: Record<string, unknown>) => Number((e.dcgan_mnist_step as Record<string, unknown>).images_per_s ?? 0);
      result.ratio_default_engine_to_pytorch_best = ratios(result.engines as Record<string, unknown>[], peer, cores, dcganImages).ratio_default_engine_to_pytorch_best;
    } else {
      result.pytorch_peer = NO_TORCH;
    }
  }
  const translation: Record<string, unknown> = {};
  // Seconds a step (CycleGAN's wasm step: ~15 s), so fewer steps than the DCGAN row.
  if (only.has('pix2pix')) translation.pix2pix = translationRow('pix2pix', configs, cores, opts.quick ? 5 : 10, torch);
  if (only.has('cyclegan')) translation.cyclegan = translationRow('cyclegan', configs, cores, opts.quick ? 3 : 5, torch);
  // SRGAN: ~1.5 s a step natively, ~5 s for the peer; the 20 steps of its docstring's command.
  if (only.has('srgan')) translation.srgan = translationRow('srgan', configs, cores, opts.quick ? 5 : 20, torch);
  if (Object.keys(translation).length > 0) result.translation = translation;
  if (only.has('upscale')) {
    result.upscale = {
      model: 'presets/srgan-cifar.yaml generator (SRResNet x4, width 64, 8 blocks)', input: '256x256', output: '1024x1024', tile: 96, overlap: 12,
      engines: configs.map(([engine, threads]) => ({
        engine, threads, ...child(process.execPath, ['--import', 'tsx', UPSCALE_BENCH, '--engine', engine, '--threads', String(threads), '--side', '256']),
      })),
    };
  }
  return result;
}

if (process.argv[1] === SELF) {
  const { values } = parseArgs({ options: { child: { type: 'string' }, threads: { type: 'string', default: '1' }, steps: { type: 'string', default: '200' }, quick: { type: 'boolean', default: false }, only: { type: 'string' } } });
  if (values.child) console.log(JSON.stringify(await measureInProcess(values.child, Number(values.threads), Number(values.steps))));
  else console.log(JSON.stringify(await runBench({ quick: values.quick, only: values.only?.split(',').map((r) => r.trim()).filter(Boolean) }), null, 2));
}
