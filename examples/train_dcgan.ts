/**
 * Train DCGAN on MNIST from a script with a custom progress callback, then sample a grid from the run.
 *
 *   npx tsx --tsconfig examples/tsconfig.json examples/train_dcgan.ts        (in a project: npx tsx train_dcgan.ts)
 *   GANTRY_EXAMPLE_STEPS=4 …                                                 a short smoke run
 */
import fs from 'node:fs';
import path from 'node:path';
import { encodeImageGrid, initEngine, loadConfig, openRun, Rng, trainRun, type ProgressReporter } from 'gantry';

const steps = Number(process.env.GANTRY_EXAMPLE_STEPS ?? 3000);
const outDir = process.env.GANTRY_EXAMPLE_OUT ?? path.join('runs', `example-dcgan-${Date.now()}`);

const backend = await initEngine('auto');
// A preset plus overrides, validated by the same schema as `gantry train dcgan-mnist --steps …`.
const logEvery = Math.max(1, Math.min(50, Math.floor(steps / 4)));
const config = loadConfig('dcgan-mnist', { train: { steps, batchSize: steps < 50 ? 16 : 64, logEvery, sampleEvery: steps, checkpointEvery: steps } });

/** The callback: trainRun calls update every `logEvery` steps with that step's losses. */
function consoleProgress(): ProgressReporter {
  let t0 = 0;
  let first = 0;
  return {
    start(total, startStep) {
      t0 = Date.now();
      first = startStep;
      console.log(`training ${total - startStep} steps on ${backend}`);
    },
    update(step, losses) {
      const rate = (step - first) / ((Date.now() - t0) / 1000);
      const parts = Object.entries(losses).map(([k, v]) => `${k} ${v.toFixed(3)}`).join('  ');
      console.log(`step ${step}  ${parts}  (${rate.toFixed(1)} steps/s)`);
    },
    stop() {
      console.log(`done in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    },
  };
}

const { status } = await trainRun({ config, preset: 'dcgan-mnist', outDir, progress: consoleProgress(), backend });

// Reopen the run from disk (config + last checkpoint) and sample 64 digits.
const { trainer } = await openRun(outDir);
try {
  const images = await trainer.generate(64, new Rng(7));
  const file = path.join(outDir, 'example-grid.png');
  fs.writeFileSync(file, encodeImageGrid(images, 64, trainer.sampleShape, trainer.data.range, 8, 2));
  console.log(JSON.stringify({ run: outDir, step: status.step, grid: file }));
} finally {
  trainer.dispose();
}
