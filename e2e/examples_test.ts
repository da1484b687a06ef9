/**
 * The examples in examples/ type-check and run in a short form (GANTRY_EXAMPLE_STEPS), importing
 * `gantry` as user code does (examples/tsconfig.json maps it to this checkout's sources). The browser
 * example runs against the installed package in pack_test.ts.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { after, describe, test } from 'node:test';
import { REPO_ROOT } from './make_run.ts';

const run = promisify(execFile);
const TSCONFIG = path.join(REPO_ROOT, 'examples', 'tsconfig.json');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'gantry-examples-'));

async function example(file: string, steps: number): Promise<Record<string, unknown>> {
  const { stdout } = await run(process.execPath, ['--import', 'tsx', path.join(REPO_ROOT, 'examples', file)], {
    cwd: REPO_ROOT,
    env: { ...process.env, TSX_TSCONFIG_PATH: TSCONFIG, GANTRY_EXAMPLE_STEPS: String(steps), GANTRY_EXAMPLE_OUT: path.join(tmp, file.replace('.ts', '')) },
    maxBuffer: 16 << 20,
  });
  return JSON.parse(stdout.trim().split('\n').pop()!) as Record<string, unknown>;
}

describe('examples', { timeout: 180_000 }, () => {
  after(() => fs.rmSync(tmp, { recursive: true, force: true }));

  test('type-check against the public API', async () => {
    const tsc = path.join(REPO_ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
    await run(process.execPath, [tsc, '-p', TSCONFIG, '--noEmit'], { cwd: REPO_ROOT }).catch((e: { stdout?: string }) => {
      throw new Error(`tsc -p examples/tsconfig.json:\n${e.stdout ?? ''}`);
    });
  });

  test('train_dcgan.ts: DCGAN from a script with a progress callback, then a sample grid', async () => {
    const res = await example('train_dcgan.ts', 4);
    assert.equal(res.step, 4);
    assert.ok(fs.existsSync(res.grid as string));
  });

  test('custom_dataset.ts: training on an array of images through arraySource', async () => {
    const res = await example('custom_dataset.ts', 4);
    assert.equal(res.step, 4);
    assert.deepEqual(res.shape, [28, 28, 1]);
  });

  test('custom_family.ts: a BiGAN defined and registered in user code, trained and reopened', async () => {
    const res = await example('custom_family.ts', 10);
    assert.equal(res.step, 10);
    assert.deepEqual(res.networks, ['G', 'E', 'D']);
    assert.equal(res.num_modes, 8);
  });
});
