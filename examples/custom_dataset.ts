/**
 * A custom dataset from an array of images: 28×28 grey squares of random size and position, held as
 * 8-bit pixels (an ImageSet) and served by `arraySource` as seeded, resumable batches. The trainer is
 * driven step by step, without a run folder.
 *
 *   npx tsx --tsconfig examples/tsconfig.json examples/custom_dataset.ts     GANTRY_EXAMPLE_STEPS=4 for a smoke run
 */
import { arraySource, disposeLosses, initEngine, loadConfig, Rng, Trainer, type ImageSet } from 'gantry';

const steps = Number(process.env.GANTRY_EXAMPLE_STEPS ?? 500);

/** Your images, e.g. decoded from files or a canvas: count × H × W × C bytes, 0..255. */
function makeSquares(count: number, size: number, rng: Rng): ImageSet {
  const pixels = new Uint8Array(count * size * size);
  for (let i = 0; i < count; i++) {
    const side = 6 + rng.int(12);
    const x0 = rng.int(size - side);
    const y0 = rng.int(size - side);
    for (let y = y0; y < y0 + side; y++) pixels.fill(255, i * size * size + y * size + x0, i * size * size + y * size + x0 + side);
  }
  return { pixels, labels: null, count, shape: [size, size, 1], numClasses: 0 };
}

await initEngine('auto');
const data = arraySource('squares', makeSquares(2000, 28, new Rng(3)), 1);

// The model and training settings come from a preset; the data section only describes the images'
// shape (the trainer reads its batches from `data`, never from this section). The preset conditions on
// k-means pseudo-classes, which `data.clusters` makes for stored datasets only; this unlabeled array
// trains unconditionally (`clusteredSource(name, set, k, clusterSeed, seed)` would self-condition it).
const config = loadConfig('dcgan-mnist', {
  data: { name: 'folder', imageSize: 28, channels: 1 },
  model: { conditioning: 'none', network: { arch: 'dcgan', width: 16, dNorm: 'batch' } },
  train: { steps, batchSize: 32 },
});

const trainer = new Trainer(config, data);
try {
  for (let s = 0; s < steps; s++) {
    const losses = trainer.trainStep();
    if (trainer.step % Math.max(1, Math.floor(steps / 4)) === 0 || trainer.step === steps) {
      const values = Object.fromEntries(await Promise.all(Object.entries(losses).map(async ([k, v]) => [k, +(await v.data())[0]!.toFixed(3)])));
      console.log(`step ${trainer.step}`, values);
    }
    disposeLosses(losses);
  }
  const samples = await trainer.generate(16, new Rng(0));
  const mean = samples.reduce((a, b) => a + b, 0) / samples.length;
  console.log(JSON.stringify({ step: trainer.step, samples: 16, shape: trainer.sampleShape, mean: +mean.toFixed(4) }));
} finally {
  trainer.dispose();
}
