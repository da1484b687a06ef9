/**
 * `gantry upscale` throughput: presets/srgan-cifar.yaml's generator (SRResNet ×4, width 64, 8 blocks, no
 * batch norm, bilinear global skip; built for its 8×8 LR inputs, fully convolutional) on one 256×256
 * RGB image → 1024×1024, through the same tiled runner as the CLI (models/tiled.ts, its default 96 px
 * tiles with 12 px of overlap). Throughput depends only on the architecture, so the weights are a fresh
 * initialisation; PNG decoding and encoding are left out. One 96×96 tile first as the warm-up.
 *
 *   node --import tsx bench/upscale_bench.ts [--engine wasm|native] [--threads N] [--side 256] [--tile 96] [--overlap 12]
 *
 * Prints one JSON line {model, engine, threads, input, output, tiles, seconds, megapixels_per_second, peak_rss_mb}.
 */
import * as tf from '@tensorflow/tfjs-core';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { initEngine, type EngineName } from '../src/backend/engine.ts';
import { Rng } from '../src/core/rng.ts';
import { loadConfig } from '../src/families/config.ts';
import { Network } from '../src/models/network.ts';
import { srresnetGenerator, type SrArch } from '../src/models/sr_nets.ts';
import { runTiled, tileStarts } from '../src/models/tiled.ts';

const SCALE = 4;
const round = (x: number, digits = 1) => Math.round(x * 10 ** digits) / 10 ** digits;

export async function measureUpscale(o: { engine: string; threads: number; side: number; tile: number; overlap: number }): Promise<Record<string, unknown>> {
  const engine = await initEngine(o.engine as EngineName, { threads: o.threads, quiet: true });
  const network = loadConfig('srgan-cifar').model.network as SrArch;
  // srgan-cifar trains on CIFAR's 32×32 images shrunk ×4: 8×8 LR inputs.
  const G = new Network('G', srresnetGenerator(network, [32 / SCALE, 32 / SCALE, 3], SCALE), new Rng(1));
  const run = (t: tf.Tensor4D) => G.apply({ x: t }, { training: false });
  const rng = new Rng(2);
  const side = o.side;
  const image = Float32Array.from(rng.uniformArray(side * side * 3, -1, 1));
  const warm = Math.min(o.tile, side);
  await runTiled(run, image.subarray(0, warm * warm * 3), [warm, warm, 3], SCALE, 3, o);
  const start = performance.now();
  const out = await runTiled(run, image, [side, side, 3], SCALE, 3, o);
  const seconds = (performance.now() - start) / 1000;
  let finite = true;
  for (let i = 0; i < out.length; i += 997) finite &&= Number.isFinite(out[i]!);
  if (!finite || out.length !== side * SCALE * side * SCALE * 3) throw new Error('upscale bench: bad output');
  G.dispose();
  const megapixels = (side * SCALE) ** 2 / 1e6;
  return {
    model: 'srgan-cifar-G-x4', engine, threads: engine === 'native' ? o.threads : 1,
    input: `${side}x${side}`, output: `${side * SCALE}x${side * SCALE}`, tile: o.tile, overlap: o.overlap,
    tiles: tileStarts(side, o.tile, o.overlap).length ** 2, seconds: round(seconds, 2),
    megapixels_per_second: round(megapixels / seconds, 3), peak_rss_mb: Math.round(process.resourceUsage().maxRSS / 1024),
  };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const { values } = parseArgs({
    options: {
      engine: { type: 'string', default: 'native' },
      threads: { type: 'string', default: '1' },
      side: { type: 'string', default: '256' },
      tile: { type: 'string', default: '96' },
      overlap: { type: 'string', default: '12' },
    },
  });
  const ints = { threads: Number(values.threads), side: Number(values.side), tile: Number(values.tile), overlap: Number(values.overlap) };
  for (const [k, v] of Object.entries(ints)) {
    if (!Number.isInteger(v) || v < (k === 'threads' || k === 'overlap' ? 0 : 1)) throw new Error(`--${k} must be a ${k === 'threads' || k === 'overlap' ? 'non-negative' : 'positive'} integer, got ${v}`);
  }
  console.log(JSON.stringify(await measureUpscale({ engine: values.engine, ...ints })));
}
