import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { initBackend } from '../backend/backend.ts';
import { loadConfig } from '../families/config.ts';
import type { DataSource } from '../data/dataset.ts';
import { toySource } from '../data/toy.ts';
import { loadCheckpoint } from './checkpoint.ts';
import { TrainingDivergedError, trainRun } from './run.ts';

await initBackend('wasm', { quiet: true });

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'run-'));
after(() => fs.rmSync(tmp, { recursive: true, force: true }));

/** Ring data that turns to NaN after `goodBatches` batches, as corrupt input would. */
function poisonedSource(goodBatches: number): DataSource {
  const inner = toySource('ring8', 1);
  let n = 0;
  return Object.assign(Object.create(inner) as DataSource, {
    nextBatch(b: number) {
      const batch = inner.nextBatch(b);
      if (++n > goodBatches) batch.x.fill(NaN);
      return batch;
    },
  });
}

test('a NaN loss stops training with a clear error and leaves the last good checkpoint intact', async () => {
  const cfg = loadConfig('toy-ring', {
    train: { steps: 300, batchSize: 32, logEvery: 25, sampleEvery: 1000, checkpointEvery: 100 },
    // No R1: its lazy phase draws batches of its own, which would move the poisoned batch to another step.
    model: { latentDim: 4, network: { arch: 'mlp', hidden: 16, depth: 2, pack: 1, latentComponents: 0 }, regularizer: { type: 'none' } },
    eval: { every: 0 },
  });
  const out = path.join(tmp, 'nan');
  await assert.rejects(
    trainRun({ config: cfg, preset: 'toy-ring', outDir: out, dataSource: poisonedSource(150) }),
    (e: Error) => e instanceof TrainingDivergedError && /\w+ is NaN at step 175/.test(e.message) && /last good checkpoint \(step 100\) is intact/.test(e.message),
  );
  const { meta, tensors } = loadCheckpoint(path.join(out, 'checkpoints', 'latest'));
  assert.equal(meta.step, 100);
  for (const [name, t] of Object.entries(tensors)) {
    assert.ok((t.dataSync() as Float32Array).every(Number.isFinite), `${name} holds non-finite values`);
    t.dispose();
  }
  const status = JSON.parse(fs.readFileSync(path.join(out, 'status.json'), 'utf8')) as { state: string; error: string };
  assert.equal(status.state, 'failed');
  assert.match(status.error, /NaN/);
});
