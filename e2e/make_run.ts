/**
 * Creates a real, trained run folder for the end-to-end tests with the `gantry` CLI: a small conditional
 * DCGAN on MNIST (so the generate page shows its class picker), trained for a couple of hundred steps.
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

/** Trains a run into `runsDir/name` with the real CLI. */
export async function makeTrainedRun(runsDir: string, name: string): Promise<MadeRun> {
  const dir = path.join(runsDir, name);
  const cfgFile = path.join(runsDir, `${E2E_PRESET}.yaml`);
  fs.writeFileSync(cfgFile, CONFIG);
  await promisify(execFile)(process.execPath, [path.join(REPO_ROOT, 'bin/gantry.js'), 'train', cfgFile, '--out', dir], {
    cwd: REPO_ROOT,
    timeout: 300_000,
  });
  fs.rmSync(cfgFile);
  return { name, dir, preset: E2E_PRESET };
}
