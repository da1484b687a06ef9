/**
 * A custom model family in your own file, registered with `defineFamily` without touching Gantry's
 * sources: a BiGAN (Donahue et al. 2017; ALI, Dumoulin et al. 2017). Besides the generator G: z → x it
 * learns an encoder E: x → z, and the discriminator judges joint pairs, (x, E(x)) against (G(z), z).
 * Trained here on the 8-Gaussian ring; the trainer, checkpoints, resume, sample grids and the exported
 * generator work unchanged, since the family only declares networks, optimizer groups and phases.
 *
 *   npx tsx --tsconfig examples/tsconfig.json examples/custom_family.ts      GANTRY_EXAMPLE_STEPS=20 for a smoke run
 */
import path from 'node:path';
import {
  defineFamily,
  evaluateToy,
  getLoss,
  initEngine,
  openRun,
  optimizerSchema,
  Rng,
  tf,
  trainRun,
  validateConfig,
  z,
  type GraphSpec,
  type Phase,
  type SequentialSpec,
  type StepContext,
} from 'gantry';

const biganSchema = z
  .object({
    family: z.literal('bigan'),
    latentDim: z.number().int().positive().default(8),
    hidden: z.number().int().positive().default(128),
    optimizer: optimizerSchema.default({ type: 'adam', lr: 0.0005, beta1: 0.5, beta2: 0.999 }),
  })
  .strict();

const mlp = (inputDim: number, hidden: number, out: number): SequentialSpec => ({
  inputShape: [inputDim],
  layers: [
    { type: 'dense', units: hidden },
    { type: 'act', fn: 'relu' },
    { type: 'dense', units: hidden },
    { type: 'act', fn: 'relu' },
    { type: 'dense', units: out },
  ],
});

/** D(x, z): the pair concatenated, then an MLP with leaky ReLUs, one logit. */
const jointCritic = (dataDim: number, latentDim: number, hidden: number): GraphSpec => ({
  inputs: { x: { shape: [dataDim] }, z: { shape: [latentDim] } },
  nodes: [
    { name: 'xz', layer: { type: 'concat' }, inputs: ['x', 'z'] },
    { name: 'h1', layer: { type: 'dense', units: hidden } },
    { name: 'a1', layer: { type: 'act', fn: 'lrelu', alpha: 0.2 } },
    { name: 'h2', layer: { type: 'dense', units: hidden } },
    { name: 'a2', layer: { type: 'act', fn: 'lrelu', alpha: 0.2 } },
    { name: 'logit', layer: { type: 'dense', units: 1 } },
  ],
  outputs: ['logit'],
});

export const bigan = defineFamily('bigan', 'BiGAN: generator, encoder and a joint (x, z) discriminator', biganSchema, (model, ctx) => {
  const dataDim = ctx.data.shape.reduce((a, b) => a * b, 1);
  const G = ctx.network('G', mlp(model.latentDim, model.hidden, dataDim));
  const E = ctx.network('E', mlp(dataDim, model.hidden, model.latentDim));
  const D = ctx.network('D', jointCritic(dataDim, model.latentDim, model.hidden));
  const latentRng = ctx.stream('latent');
  const loss = getLoss('nonsaturating');
  const latents = (n: number, rng: Rng) => tf.tensor2d(rng.normalArray(n * model.latentDim), [n, model.latentDim]);
  /** A real batch and a batch of latents. */
  type Pairs = { x: tf.Tensor; z: tf.Tensor };
  const draw = (c: StepContext): Pairs => ({ x: tf.tensor2d(c.nextBatch().x, [c.batchSize, dataDim]), z: latents(c.batchSize, latentRng) });

  const dPhase: Phase<Pairs & { ex: tf.Tensor; gz: tf.Tensor }> = {
    name: 'd',
    group: 'D',
    // E(x) and G(z) are only inputs for D's update: computed outside the gradient tape.
    prepare(c) {
      const { x, z: zs } = draw(c);
      return { x, z: zs, ex: E.apply(x, c.applyOptions), gz: G.apply(zs, c.applyOptions) };
    },
    loss(c, p) {
      const real = D.run({ x: p.x, z: p.ex }, c.applyOptions).logit!;
      const fake = D.run({ x: p.gz, z: p.z }, c.applyOptions).logit!;
      return { total: loss.discriminator(real, fake) };
    },
  };
  const gePhase: Phase<Pairs> = {
    name: 'ge',
    group: 'GE',
    reportAs: 'g_loss',
    prepare: draw,
    loss(c, { x, z: zs }) {
      // G and E fool D with the labels swapped: (x, E(x)) should look generated, (G(z), z) real.
      const real = D.run({ x, z: E.apply(x, c.applyOptions) }, c.applyOptions).logit!;
      const fake = D.run({ x: G.apply(zs, c.applyOptions), z: zs }, c.applyOptions).logit!;
      return { total: loss.discriminator(fake, real) };
    },
  };

  return {
    networks: { G, E, D },
    groups: [
      { name: 'D', networks: ['D'], optimizer: model.optimizer },
      { name: 'GE', networks: ['G', 'E'], optimizer: model.optimizer },
    ],
    phases: [dPhase, gePhase] as Phase<never>[],
    numClasses: 0,
    sampler: { network: 'G', inputs: { x: { kind: 'latent', shape: [model.latentDim] } } },
    sampleInputs: (n, rng, opts = {}) => ({ x: opts.inputs?.x ? tf.tensor2d(opts.inputs.x, [n, model.latentDim]) : latents(n, rng) }),
  };
});

// ── train it like any built-in family ─────────────────────────────────────────────────────────────
const steps = Number(process.env.GANTRY_EXAMPLE_STEPS ?? 3000);
const outDir = process.env.GANTRY_EXAMPLE_OUT ?? path.join('runs', `example-bigan-${Date.now()}`);
const backend = await initEngine('auto');
const config = validateConfig(
  {
    name: 'bigan-ring',
    seed: 1,
    data: { name: 'ring8' },
    model: { family: 'bigan', latentDim: 8, hidden: 64 },
    train: { steps, batchSize: 128, logEvery: Math.max(1, Math.floor(steps / 5)), sampleEvery: steps, checkpointEvery: steps },
  },
  'examples/custom_family.ts',
);
await trainRun({
  config,
  preset: 'bigan-ring',
  outDir,
  backend,
  progress: { start() {}, update: (s, l) => console.log(`step ${s}`, l), stop() {} },
});

// The run folder reopens like any other (the family is registered in this process).
const { trainer, cfg } = await openRun(outDir);
try {
  const modes = await evaluateToy(trainer, cfg);
  console.log(JSON.stringify({ run: outDir, step: trainer.step, networks: Object.keys(trainer.networks), ...modes }));
} finally {
  trainer.dispose();
}
