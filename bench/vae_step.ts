/**
 * VAE-MNIST training-step benchmark through the real Trainer: the vae-mnist preset, which is the PyTorch
 * peer's model (/work/shared/peer/vae_torch.py: 2-conv encoder → μ, log σ² of 16, dense + 2 transposed
 * convs, Bernoulli likelihood summed over pixels + KL, Adam 1e-3), one forward, backward and Adam
 * update per step, batch 64, one fixed batch of uniform pixels standing in for data (throughput only;
 * the family's ε draws and batch upload are part of the step, as in training).
 *
 *   node --import tsx bench/vae_step.ts [--engine wasm|native] [--threads N] [--steps N] [--batch B]
 *   /usr/bin/python3 /work/shared/peer/vae_torch.py --threads 1 --batch 64 --steps 40   (the peer)
 *
 * Prints one JSON line {model, engine, threads, batch, images_per_s, ms_per_step, cpu_ms_per_step, peak_rss_mb}.
 */
import { parseArgs } from 'node:util';
import { initEngine, type EngineName } from '../src/backend/engine.ts';
import { Rng } from '../src/core/rng.ts';
import { sampleFields, type DataSource } from '../src/data/dataset.ts';
import { loadConfig } from '../src/families/config.ts';
import { Trainer, disposeLosses } from '../src/train/trainer.ts';

const { values } = parseArgs({
  options: {
    engine: { type: 'string', default: 'native' },
    threads: { type: 'string', default: '1' },
    steps: { type: 'string', default: '20' },
    batch: { type: 'string', default: '64' },
  },
});
const steps = Number(values.steps);
const threads = Number(values.threads);
const batch = Number(values.batch);
for (const [flag, v] of [['--steps', steps], ['--threads', threads], ['--batch', batch]] as const) {
  if (!Number.isInteger(v) || v < (flag === '--threads' ? 0 : 1)) throw new Error(`${flag} must be a positive integer, got ${v}`);
}

const engine = await initEngine(values.engine as EngineName, { threads, quiet: true });
const shape = [28, 28, 1];
const fixed = new Rng(0).uniformArray(batch * 28 * 28, -1, 1);
// The peer trains on one random batch too: the same pixels every step.
const data: DataSource = {
  name: 'uniform-28',
  shape,
  fields: sampleFields(shape, false),
  numClasses: 0,
  range: [-1, 1],
  size: Infinity,
  nextBatch: () => ({ x: fixed }),
  getState: () => null,
  setState: () => undefined,
};
const cfg = loadConfig('vae-mnist', { train: { batchSize: batch, steps: steps + 5 } });
const t = new Trainer(cfg, data);
// Reading a weight back waits for all queued work.
const sync = () => t.network('decoder').trainable[0]!.data();
for (let i = 0; i < 5; i++) disposeLosses(t.trainStep());
await sync();
const start = performance.now();
const cpuStart = process.cpuUsage();
for (let i = 0; i < steps; i++) disposeLosses(t.trainStep());
await sync();
const ms = (performance.now() - start) / steps;
const cpu = process.cpuUsage(cpuStart);
t.dispose();
const round = (x: number) => Math.round(x * 10) / 10;
console.log(JSON.stringify({
  model: 'vae-mnist', engine, threads: engine === 'native' ? threads : 1, batch,
  images_per_s: round(batch / (ms / 1000)), ms_per_step: round(ms), cpu_ms_per_step: round((cpu.user + cpu.system) / 1000 / steps),
  peak_rss_mb: Math.round(process.resourceUsage().maxRSS / 1024),
}));
