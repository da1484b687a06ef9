/**
 * Creates real, trained run folders for the end-to-end tests with the `gantry` CLI: a small conditional
 * DCGAN on MNIST (so the generate page shows its class picker), trained for a couple of hundred steps,
 * a tiny image CycleGAN and pix2pix (for the Translate page), trained for a hundred and sixty steps, and a
 * tiny inpainting run (for the Inpaint page).
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';

export const REPO_ROOT = path.resolve(import.meta.dirname, '..');

export interface MadeRun {
  name: string;
  dir: string;
  preset: string;
}

export const E2E_PRESET = 'e2e-cgan-mnist';

const CONFIG = `name: ${E2E_PRESET}
description: small conditional DCGAN on MNIST for the studio's end-to-end tests
seed: 1
data: { name: mnist, labeled: true }
model:
  latentDim: 32
  conditioning: concat
  network: { arch: dcgan, width: 16, dNorm: batch }
loss: nonsaturating
train:
  steps: 240
  batchSize: 32
  optimizerG: { type: adam, lr: 0.001, beta1: 0.5 }
  optimizerD: { type: adam, lr: 0.0005, beta1: 0.5 }
  emaDecay: 0.99
  logEvery: 20
  sampleEvery: 60
  checkpointEvery: 120
`;

export const E2E_TRANSLATE_PRESET = 'e2e-cyclegan-mnist';

// MNIST digits (A, 1 channel) ↔ Stacked MNIST (B, 3 channels) at 16 px: the two directions differ in channel
// count, so the page's channel conversion is exercised; outputs after 100 steps (about 10 s) are crude but digit-like.
const TRANSLATE_CONFIG = `name: ${E2E_TRANSLATE_PRESET}
description: tiny image CycleGAN for the studio's Translate page test
seed: 1
data:
  name: unpaired
  a: { name: mnist, imageSize: 16, limit: 256 }
  b: { name: stacked-mnist, imageSize: 16 }
model:
  family: cyclegan
  network: { arch: resnet, width: 8, blocks: 1, dLayers: 1 }
  optimizerG: { type: adam, lr: 0.002, beta1: 0.5 }
  optimizerD: { type: adam, lr: 0.002, beta1: 0.5 }
train: { steps: 100, batchSize: 8, logEvery: 20, sampleEvery: 100, checkpointEvery: 100 }
`;

export const E2E_PIX2PIX_PRESET = 'e2e-pix2pix-edges';

// MNIST edges → digits at 16 px, so the Translate page shows a ground truth beside each output.
const PIX2PIX_CONFIG = `name: ${E2E_PIX2PIX_PRESET}
description: tiny pix2pix for the studio's Translate page test
seed: 1
data: { name: paired-task, task: edges, from: { name: mnist, imageSize: 16, limit: 256 } }
model:
  family: pix2pix
  network: { arch: unet, width: 8, depth: 3, dLayers: 1 }
  optimizerG: { type: adam, lr: 0.002, beta1: 0.5 }
train: { steps: 60, batchSize: 8, logEvery: 20, sampleEvery: 60, checkpointEvery: 60 }
`;

export const E2E_INPAINT_PRESET = 'e2e-inpaint-fashion';

// Fashion-MNIST at its own 28 px (padded to 32 inside the U-Net), trained on mixed masks for the Inpaint page; the
// smooth input fill (as inpaint-cifar), so the browser's push-pull fill is checked against Node's too.
const INPAINT_CONFIG = `name: ${E2E_INPAINT_PRESET}
description: tiny inpainting run for the studio's Inpaint page test
seed: 1
data: { name: inpaint, from: { name: fashion-mnist, limit: 512 }, masks: mixed }
model:
  family: inpaint
  network: { arch: unet, width: 8, depth: 3, dropoutBlocks: 0, dLayers: 1 }
  inputFill: smooth
  optimizerG: { type: adam, lr: 0.002, beta1: 0.5 }
train: { steps: 100, batchSize: 16, logEvery: 20, sampleEvery: 100, checkpointEvery: 100 }
`;

/** Trains `config` (YAML text, its preset name `preset`) into `runsDir/name` with the real CLI. */
async function trainWithCli(runsDir: string, name: string, preset: string, config: string): Promise<MadeRun> {
  const dir = path.join(runsDir, name);
  const cfgFile = path.join(runsDir, `${preset}.yaml`);
  fs.writeFileSync(cfgFile, config);
  await promisify(execFile)(process.execPath, [path.join(REPO_ROOT, 'bin/gantry.js'), 'train', cfgFile, '--out', dir], {
    cwd: REPO_ROOT,
    timeout: 300_000,
  });
  fs.rmSync(cfgFile);
  return { name, dir, preset };
}

/** Trains the conditional DCGAN into `runsDir/name`. */
export function makeTrainedRun(runsDir: string, name: string): Promise<MadeRun> {
  return trainWithCli(runsDir, name, E2E_PRESET, CONFIG);
}

/** Trains the tiny image CycleGAN (or pix2pix) into `runsDir/name`. */
export function makeTranslationRun(runsDir: string, name: string, family: 'cyclegan' | 'pix2pix' = 'cyclegan'): Promise<MadeRun> {
  return family === 'cyclegan' ? trainWithCli(runsDir, name, E2E_TRANSLATE_PRESET, TRANSLATE_CONFIG) : trainWithCli(runsDir, name, E2E_PIX2PIX_PRESET, PIX2PIX_CONFIG);
}

/** Trains the tiny inpainting run into `runsDir/name`. */
export function makeInpaintRun(runsDir: string, name: string): Promise<MadeRun> {
  return trainWithCli(runsDir, name, E2E_INPAINT_PRESET, INPAINT_CONFIG);
}
