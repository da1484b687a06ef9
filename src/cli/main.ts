/**
 * The `gantry` command line: thin wrappers over the library (train, sample, translate, upscale, inpaint, eval, presets, serve, bench, sweep, worker).
 * Every command returns an exit code; errors print one clear message, never a stack trace for user errors.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Command, CommanderError, InvalidArgumentError } from 'commander';
import type { EngineName } from '../backend/engine.ts';
// TF.js, the families and the metrics load inside the commands that use them, so `gantry --help`,
// `--version` and `presets` start without them.

const BACKENDS = ['auto', 'tensorflow', 'native', 'wasm', 'cpu'];

function intArg(name: string, min = 0, max = Number.MAX_SAFE_INTEGER, why = '') {
  return (v: string) => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < min) throw new InvalidArgumentError(`${name} must be an integer ≥ ${min}, got '${v}'`);
    if (n > max) throw new InvalidArgumentError(`${name} ${v} is more than the limit of ${max}${why}`);
    return n;
  };
}

/** Beyond these a value is a typo, not a plan: 1e7 steps is weeks of training; threads past 4× the cores only thrash. */
export const MAX_STEPS = 10_000_000;
export const MAX_THREADS = 4 * Math.max(1, os.availableParallelism());

function version(): string {
  const pkg = JSON.parse(fs.readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
  return pkg.version;
}

function backendArg(v: string): string {
  if (!BACKENDS.includes(v)) throw new InvalidArgumentError(`unknown backend '${v}'; choose one of ${BACKENDS.join(', ')}`);
  return v;
}

export async function setupBackend(name: string | undefined, threads?: number): Promise<string> {
  const { initEngine } = await import('../backend/engine.ts');
  return initEngine((name ?? 'auto') as EngineName, { threads, quiet: true });
}

function timestamp(): string {
  const d = new Date();
  const p = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}${p(d.getMonth() + 1)}${p(d.getDate())}-${p(d.getHours())}${p(d.getMinutes())}${p(d.getSeconds())}`;
}

export function buildProgram(): Command {
  const program = new Command('gantry')
    .description('Train, evaluate and serve GANs on TensorFlow.js')
    .version(version(), '-V, --version', 'print the version')
    .exitOverride()
    .showHelpAfterError(false);

  program
    .command('train')
    .description('train a GAN from a preset or YAML config (default: dcgan-mnist)')
    .argument('[preset]', 'preset name or path to a config.yaml (default dcgan-mnist; with --resume, the saved config)')
    .option('--out <dir>', 'run folder (default runs/<preset>-<time>)')
    .option('--steps <n>', 'number of training steps (with --resume: the new budget; the LR schedule keeps its saved length)', intArg('--steps', 1, MAX_STEPS, ' (a run that long is almost certainly a typo)'))
    .option('--seed <s>', 'random seed', intArg('--seed', 0))
    .option('--batch-size <n>', 'batch size', intArg('--batch-size', 1))
    .option('--data-dir <dir>', 'dataset folder (CIFAR-10 batches, Fashion-MNIST idx files, an image folder)')
    .option('--backend <name>', `tensor engine: ${BACKENDS.join(', ')}`, backendArg, 'auto')
    .option('--threads <n>', 'threads for native kernels (default: all cores)', intArg('--threads', 1, MAX_THREADS, ` (4 × the ${os.availableParallelism()} cores of this machine)`))
    .option('--data-a <dir>', 'paired / unpaired presets: the input (domain A) image folder')
    .option('--data-b <dir>', 'paired / unpaired presets: the target (domain B) image folder, files named as in --data-a for paired data')
    .option('--image-size <n>', 'image height = width to load the data at', intArg('--image-size', 1, 1024))
    .option('--channels <n>', '1 or 3: image channels to load the data with', intArg('--channels', 1, 3))
    .option('--scale <n>', 'super-resolution presets: the upscaling factor (2, 3, 4 or 8)', intArg('--scale', 2, 8))
    .option('--resume', 'continue the run in --out from its last checkpoint, with its saved config')
    .action(async (presetArg: string | undefined, o: { out?: string; steps?: number; seed?: number; batchSize?: number; dataDir?: string; dataA?: string; dataB?: string; imageSize?: number; channels?: number; scale?: number; backend: string; threads?: number; resume?: boolean }) => {
      if (o.resume && !o.out) throw new UsageError('--resume needs --out <run folder>');
      const { trainRun, readRunConfig } = await import('../train/run.ts');
      // A resumed run takes its saved config; flags are only compared with it (trainRun names any that differ).
      const saved = o.resume && fs.existsSync(path.join(o.out!, 'config.yaml')) ? readRunConfig(path.resolve(o.out!)) : null;
      const preset = presetArg ?? 'dcgan-mnist';
      const overrides: Record<string, unknown> = {};
      if (o.seed !== undefined) overrides.seed = o.seed;
      const train: Record<string, unknown> = {};
      if (o.steps !== undefined) train.steps = o.steps;
      if (o.batchSize !== undefined) train.batchSize = o.batchSize;
      if (Object.keys(train).length) overrides.train = train;
      const { loadConfig } = await import('../families/config.ts');
      const dataFlags = { dataDir: o.dataDir && path.resolve(o.dataDir), dataA: o.dataA && path.resolve(o.dataA), dataB: o.dataB && path.resolve(o.dataB), imageSize: o.imageSize, channels: o.channels, scale: o.scale };
      if (o.channels === 2) throw new UsageError('--channels must be 1 or 3, got 2');
      if (Object.values(dataFlags).some((v) => v !== undefined) && !(saved && presetArg === undefined)) {
        const { dataFlagOverrides } = await import('../data/registry.ts');
        const data = dataFlagOverrides(loadConfig(preset, overrides).data, dataFlags);
        if (data) overrides.data = data;
      }
      const cfg = saved && presetArg === undefined ? saved : loadConfig(preset, overrides);
      const backend = await setupBackend(o.backend, o.threads);
      const presetName = path.basename(preset).replace(/\.ya?ml$/, '');
      const out = o.out ?? path.join('runs', `${presetName}-s${cfg.seed}-${timestamp()}`);
      process.stderr.write(saved ? `gantry: resuming ${out} on ${backend}\n` : `gantry: training ${presetName} on ${backend} → ${out}\n`);
      const { runEvaluator } = await import('../metrics/run_eval.ts');
      await (await import('../metrics/content_net.ts')).loadContentNetworks(saved ?? cfg);
      const resumeFlags = { preset: presetArg, seed: o.seed, batchSize: o.batchSize, dataDir: o.dataDir };
      const res = await trainRun({
        config: cfg,
        preset: presetName,
        outDir: out,
        resume: o.resume,
        steps: o.steps,
        resumeFlags,
        progress: (await import('./progress.ts')).createProgress(),
        backend,
        evaluator: runEvaluator(saved ?? cfg),
        handleSignals: true,
      });
      const summary = { run: out, step: res.status.step, ...(res.finalEval ?? {}) };
      process.stdout.write(JSON.stringify(summary) + '\n');
    });

  program
    .command('sample')
    .description('generate samples from a trained run')
    .argument('<run>', 'run folder')
    .requiredOption('--out <path>', 'a .png (one grid), a .npy (float32 array) or a folder (one PNG per sample)')
    .option('--n <n>', 'number of samples', intArg('--n', 1), 64)
    .option('--seed <s>', 'random seed', intArg('--seed', 0), 0)
    .option('--class <k>', 'class to generate (conditional models)', intArg('--class', 0))
    .option('--text <caption>', 'text-to-image: the caption of every sample')
    .option('--texts <file>', 'text-to-image: one caption a line, one sample each, in order (sets --n)')
    .option('--backend <name>', 'tensor engine', backendArg, 'auto')
    .action(async (run: string, o: { out: string; n: number; seed: number; class?: number; text?: string; texts?: string; backend: string }) => {
      await setupBackend(o.backend);
      const { sampleCommand } = await import('./sample.ts');
      await sampleCommand(run, o);
    });

  program
    .command('translate')
    .description('translate images with a pix2pix or cyclegan run (an image, a folder or a .npy [N, H, W, C])')
    .argument('<run>', 'run folder')
    .requiredOption('--in <path>', 'a PNG/JPEG image, a folder of them, or a float32 .npy [N, H, W, C] in the data range')
    .requiredOption('--out <path>', 'a .png (one image, or with --grid one image of input | output rows), a .npy, or a folder (same file names)')
    .option('--reverse', "cyclegan: run the B → A generator")
    .option('--grid', 'write input | output side by side')
    .option('--backend <name>', 'tensor engine', backendArg, 'auto')
    .action(async (run: string, o: { in: string; out: string; reverse?: boolean; grid?: boolean; backend: string }) => {
      await setupBackend(o.backend);
      const { translateCommand } = await import('./translate.ts');
      await translateCommand(run, o);
    });

  program
    .command('upscale')
    .description("upscale images with a super-resolution run's generator (any size, in overlapping tiles); prints one JSON object with throughput and peak RSS")
    .argument('<run>', 'run folder (its export, else its checkpoint)')
    .requiredOption('--in <path>', 'a PNG/JPEG image, a folder of them, or a .npy [N, H, W, C] in [-1, 1]')
    .requiredOption('--out <path>', 'a .png (one image), a folder (same names, .png), or a .npy')
    .option('--tile <n>', 'tile side in input pixels (memory grows with its square)', intArg('--tile', 16, 4096), 96)
    .option('--overlap <n>', 'context pixels kept around each tile', intArg('--overlap', 0, 512), 12)
    .option('--backend <name>', 'tensor engine', backendArg, 'auto')
    .option('--threads <n>', 'threads for native kernels (default: all cores)', intArg('--threads', 1, MAX_THREADS, ` (4 × the ${os.availableParallelism()} cores of this machine)`))
    .action(async (run: string, o: { in: string; out: string; tile: number; overlap: number; backend: string; threads?: number }) => {
      if (2 * o.overlap >= o.tile) throw new UsageError(`--overlap ${o.overlap} leaves no interior in --tile ${o.tile} tiles: keep 2·overlap < tile`);
      await setupBackend(o.backend, o.threads);
      const { upscaleCommand } = await import('./upscale.ts');
      const report = await upscaleCommand(run, o);
      process.stdout.write(JSON.stringify(report) + '\n');
    });

  program
    .command('inpaint')
    .description('fill the holes of images with an inpaint run (a mask is 1 where pixels are missing)')
    .argument('<run>', 'run folder')
    .requiredOption('--in <path>', 'a PNG/JPEG image, a folder of them, or a float32 .npy [N, H, W, C] in the data range')
    .requiredOption('--mask <mask>', "center, random (seeded boxes), a PNG/JPEG (white = missing; a folder: matched by name), or a .npy [N, H, W] / [N, H, W, 1] of 0/1")
    .requiredOption('--out <path>', 'a .png (one image, or with --grid one image of masked | filled rows), a .npy, or a folder (same file names)')
    .option('--grid', 'write masked input | completion side by side')
    .option('--seed <s>', "seed of --mask random", intArg('--seed', 0), 0)
    .option('--backend <name>', 'tensor engine', backendArg, 'auto')
    .action(async (run: string, o: { in: string; mask: string; out: string; grid?: boolean; seed: number; backend: string }) => {
      await setupBackend(o.backend);
      const { inpaintCommand } = await import('./inpaint.ts');
      await inpaintCommand(run, o);
    });

  program
    .command('eval')
    .description('measure a run (or a folder/.npy of samples) and print one JSON object')
    .argument('[run]', 'run folder')
    .option('--metrics <list>', 'comma-separated: modes,fid,kid,is,pr,dc,stacked,acc,paired,labels,cycle,sr,inpaint (default: modes on 2-D data, stacked on Stacked MNIST, fid,kid,is,pr,dc on images, plus acc for conditional runs; paired,fid,kid for pix2pix runs; labels,cycle,fid,kid for CycleGAN runs between image domains; sr (Y-PSNR/SSIM beside bicubic) plus fid,kid where a feature net applies for SRGAN runs; inpaint,fid for inpaint runs)', 'auto')
    .option('--peer <name>', 'super-resolution runs: also score a pretrained peer on the same images (esrgan-slim)')
    .option('--sr-dir <dir>', 'score any upscaled images in this folder against --hr-dir (Y-PSNR/SSIM, --scale px of border cropped)')
    .option('--hr-dir <dir>', 'the originals of --sr-dir, matched by relative path')
    .option('--scale <n>', 'with --sr-dir: the upscaling factor (also the border cropped)', intArg('--scale', 1, 16))
    .option('--n <n>', 'number of generated samples', intArg('--n', 1))
    .option('--ref <split>', 'reference split: test or train', 'test')
    .option('--samples <path>', 'evaluate a folder of PNGs or a .npy file instead of a run')
    .option('--dataset <name>', 'dataset of --samples / --real-vs-real')
    .option('--real-vs-real', 'the floor: train split against test split')
    .option('--data-dir <dir>', 'dataset folder for --samples / --real-vs-real (a run uses its own)')
    .option('--seed <s>', 'random seed', intArg('--seed', 0), 0)
    .option('--backend <name>', 'tensor engine', backendArg, 'auto')
    .option('--threads <n>', 'threads for native kernels (default: all cores)', intArg('--threads', 1, MAX_THREADS, ` (4 × the ${os.availableParallelism()} cores of this machine)`))
    .action(async (run: string | undefined, o: Record<string, unknown>) => {
      await setupBackend(o.backend as string, o.threads as number | undefined);
      const { evalCommand } = await import('./eval.ts');
      const result = await evalCommand(run, o);
      process.stdout.write(JSON.stringify(result) + '\n');
    });

  program
    .command('sweep')
    .description('run a sweep file (grid × seeds) on a local pool, or on BullMQ workers with --redis; prints one JSON object')
    .argument('<file>', 'sweep.yaml: base, seeds, grid, list, overrides, metrics (see README "Sweeps")')
    .option('--out <dir>', 'results folder (default runs/sweeps/<name>); a re-run skips the jobs finished there')
    .option('--workers <n>', 'local job processes at once (default one per 2 cores)', intArg('--workers', 1, MAX_THREADS))
    .option('--redis <url>', 'enqueue on BullMQ at this Redis (redis://host:port) and wait for `gantry worker`s')
    .option('--queue <name>', 'BullMQ queue with --redis', 'gantry-sweep')
    .option('--threads <n>', 'threads per local job (default: cores / workers)', intArg('--threads', 1, MAX_THREADS))
    .option('--backend <name>', 'tensor engine of local jobs', backendArg, 'auto')
    .action(async (file: string, o: { out?: string; workers?: number; redis?: string; queue: string; threads?: number; backend: string }) => {
      const { sweepCommand } = await import('./sweep.ts');
      process.stdout.write(JSON.stringify(await sweepCommand(file, o)) + '\n');
    });

  program
    .command('worker')
    .description('take sweep jobs from BullMQ (Redis) and train them until stopped')
    .requiredOption('--redis <url>', 'Redis URL, e.g. redis://127.0.0.1:6379')
    .option('--queue <name>', 'BullMQ queue to take jobs from', 'gantry-sweep')
    .option('--concurrency <n>', 'jobs at once', intArg('--concurrency', 1, MAX_THREADS), 1)
    .option('--runs <dir>', 'runs root: jobs train in <runs>/sweeps/<sweep>/runs/<job>; share it to resume a dead worker\'s job', 'runs')
    .option('--threads <n>', 'threads per job (default: cores / concurrency)', intArg('--threads', 1, MAX_THREADS))
    .option('--backend <name>', 'tensor engine', backendArg, 'auto')
    .option('--lock-ms <ms>', 'job lock; renewed every half of it, a dead worker\'s job is retried after about twice it', intArg('--lock-ms', 1000), 30000)
    .action(async (o: { redis: string; queue: string; concurrency: number; runs: string; threads?: number; backend: string; lockMs: number }) => {
      const { workerCommand } = await import('./sweep.ts');
      await workerCommand(o);
    });

  program
    .command('sweep-report')
    .description('per-configuration mean ± std, min/max of every metric over seeds: JSON, CSV, Markdown and box plots')
    .argument('<results>', 'a sweep folder or its results.jsonl')
    .option('--out <dir>', 'where the report goes (default: beside the results)')
    .action(async (results: string, o: { out?: string }) => {
      const { sweepReportCommand } = await import('./sweep.ts');
      process.stdout.write(await sweepReportCommand(results, o));
    });

  program
    .command('presets')
    .description('list the presets')
    .action(async () => {
      const { listPresets } = await import('../core/config.ts');
      for (const p of listPresets()) process.stdout.write(`${p.name.padEnd(22)} ${p.description}\n`);
    });

  program
    .command('serve')
    .description('the studio: watch runs live and generate in the browser')
    .option('--runs <dir>', 'runs folder', 'runs')
    .option('--port <p>', 'port', intArg('--port', 0), 5173)
    .option('--host <h>', 'address to bind', '127.0.0.1')
    .action(async (o: { runs: string; port: number; host: string }) => {
      const { startServer, DEFAULT_WEB_DIR } = await import('../serve/server.ts');
      if (!fs.existsSync(path.join(DEFAULT_WEB_DIR, 'index.html'))) {
        // First start on a fresh clone: build the web app once (Vite, a few seconds).
        process.stderr.write('gantry: building the studio web app (npm run build:web)…\n');
        const { spawnSync } = await import('node:child_process');
        const built = spawnSync('npm', ['run', 'build:web'], { cwd: path.resolve(DEFAULT_WEB_DIR, '..', '..'), stdio: 'inherit' });
        if (built.status !== 0) throw new UsageError('building the web app failed; run `npm run build:web` to see why');
      }
      const srv = await startServer({ runsDir: path.resolve(o.runs), port: o.port, host: o.host });
      process.stderr.write(`gantry studio on ${srv.url}\n`);
      await new Promise<void>((resolve) => {
        const stop = () => void srv.close().then(resolve);
        process.once('SIGINT', stop);
        process.once('SIGTERM', stop);
      });
    });

  program
    .command('bench')
    .description('benchmark training and generation speed; prints one JSON object')
    .option('--quick', 'fewer steps')
    .option('--only <rows>', 'comma-separated rows to run: dcgan, layers, pix2pix, cyclegan, srgan, upscale (default all)')
    .action(async (o: { quick?: boolean; only?: string }) => {
      const benchFile = new URL('../../bench/bench.ts', import.meta.url);
      if (!fs.existsSync(benchFile)) throw new UsageError('bench/bench.ts is missing from this install');
      const { runBench } = (await import(benchFile.href)) as { runBench: (o: { quick: boolean; only?: string[] }) => Promise<unknown> };
      const result = await runBench({ quick: !!o.quick, only: o.only?.split(',').map((r) => r.trim()).filter(Boolean) });
      process.stdout.write(JSON.stringify(result, null, 2) + '\n');
    });

  return program;
}

export class UsageError extends Error {
  override name = 'UsageError';
}

const USER_ERRORS = new Set(['ConfigError', 'CheckpointError', 'UsageError', 'TrainingDivergedError', 'DataError', 'RunUsageError', 'RunLockedError', 'RunInterruptedError', 'WriteError', 'SweepError']);

export async function main(argv: string[]): Promise<number> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv, { from: 'user' });
    return 0;
  } catch (e) {
    if (e instanceof CommanderError) return e.exitCode === 0 ? 0 : 2;
    const err = e as Error;
    if (err.name === 'RunInterruptedError') {
      // Not a failure of gantry: the conventional 128 + signal code, with the resume hint.
      process.stderr.write(`gantry: ${err.message}\n`);
      return (err as Error & { signal?: string }).signal === 'SIGTERM' ? 143 : 130;
    }
    process.stderr.write(`gantry: error: ${err.message}\n`);
    if (!USER_ERRORS.has(err.name) && process.env.GANTRY_DEBUG) process.stderr.write(`${err.stack}\n`);
    return 1;
  }
}
