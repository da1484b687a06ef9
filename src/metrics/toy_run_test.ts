/**
 * A short real training run through `trainRun` with the evaluator `gantry train` uses: it must reach a
 * coverage threshold that an untrained or broken trainer misses.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { initBackend } from '../backend/backend.ts';
import { loadConfig } from '../families/config.ts';
import { trainRun } from '../train/run.ts';
import { runEvaluator } from './run_eval.ts';

await initBackend('wasm', { quiet: true });

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'toy-run-'));
after(() => fs.rmSync(tmp, { recursive: true, force: true }));

test('a short real ring8 run covers most modes (threshold test)', async () => {
  const cfg = loadConfig('toy-ring', {
    seed: 2,
    train: { steps: 1500, batchSize: 128, logEvery: 500, sampleEvery: 100000, checkpointEvery: 100000 },
    model: { latentDim: 24, network: { arch: 'mlp', hidden: 64, depth: 2, pack: 1, latentComponents: 16 } },
    eval: { every: 0 },
  });
  const out = path.join(tmp, 'ring');
  const res = await trainRun({ config: cfg, preset: 'toy-ring', outDir: out, evaluator: runEvaluator(cfg) });
  assert.ok(res.finalEval!.modes_covered! >= 6, `covered ${res.finalEval!.modes_covered}/8 modes`);
  for (const f of ['config.yaml', 'status.json', 'metrics.jsonl', 'samples/latest.png', 'export/model.json', 'export/weights.bin']) {
    assert.ok(fs.existsSync(path.join(out, f)), `${f} missing from the run folder`);
  }
});
