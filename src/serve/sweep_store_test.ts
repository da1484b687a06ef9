import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import type { JobResult, SweepState } from '../sweep/report.ts';
import { buildServer } from './server.ts';

function result(label: string, seed: number, hq: number): JobResult {
  return { id: `study.${label}.s${seed}`, sweep: 'study', label, configHash: label, seed, status: 'done', metrics: { high_quality_pct: hq, num_modes: 25 } };
}

test('the studio lists sweeps, serves a live report from results.jsonl and box plots as SVG; the sweeps folder is not a run', async () => {
  const runsDir = fs.mkdtempSync(path.join(os.tmpdir(), 'gantry-sweeps-srv-'));
  const dir = path.join(runsDir, 'sweeps', 'study');
  fs.mkdirSync(dir, { recursive: true });
  fs.mkdirSync(path.join(runsDir, 'sweeps', 'not-a-sweep'));
  const state: SweepState = {
    name: 'study', file: '/x/study.yaml', base: 'toy-grid', executor: 'redis', workers: 2, state: 'running', startedAt: new Date().toISOString(),
    updatedAt: new Date().toISOString(), jobs: [1, 2, 3].flatMap((s) => ['a', 'b'].map((l) => ({ id: `study.${l}.s${s}`, label: l, seed: s }))),
    done: 3, failed: 0, running: [{ id: 'study.b.s2', step: 40, total: 100, attempt: 2 }], etaSeconds: 12,
  };
  fs.writeFileSync(path.join(dir, 'sweep.json'), JSON.stringify(state));
  // The last line is torn (being written): it is skipped.
  fs.writeFileSync(path.join(dir, 'results.jsonl'), [result('a', 1, 90), result('a', 2, 96), result('b', 1, 80)].map((r) => JSON.stringify(r)).join('\n') + '\n{"id": "stu');
  const app = await buildServer({ runsDir, webDir: path.join(runsDir, 'no-web') });
  try {
    const runs = (await app.inject({ method: 'GET', url: '/api/runs' })).json() as { runs: unknown[] };
    assert.equal(runs.runs.length, 0, 'runs/sweeps is not listed as a run');
    const list = (await app.inject({ method: 'GET', url: '/api/sweeps' })).json() as { sweeps: { name: string; status: SweepState }[] };
    assert.deepEqual(list.sweeps.map((s) => s.name), ['study']);
    assert.equal(list.sweeps[0]!.status.running[0]!.attempt, 2);
    const detail = (await app.inject({ method: 'GET', url: '/api/sweeps/study' })).json() as { report: { done: number; configs: { label: string; metrics: Record<string, { mean: number }> }[] }; plots: string[] };
    assert.equal(detail.report.done, 3);
    assert.equal(detail.report.configs[0]!.metrics.high_quality_pct!.mean, 93);
    assert.deepEqual(detail.plots, ['high_quality_pct']);
    const svg = await app.inject({ method: 'GET', url: '/sweeps/study/plots/high_quality_pct.svg' });
    assert.equal(svg.statusCode, 200);
    assert.match(String(svg.headers['content-type']), /image\/svg\+xml/);
    assert.match(svg.body, /^<svg /);
    assert.equal((await app.inject({ method: 'GET', url: '/sweeps/study/plots/num_modes.svg' })).statusCode, 404, 'no plot of a constant');
    assert.equal((await app.inject({ method: 'GET', url: '/api/sweeps/not-a-sweep' })).statusCode, 404);
    assert.equal((await app.inject({ method: 'GET', url: '/api/sweeps/..%2F..%2Fetc' })).statusCode, 400);
    assert.equal((await app.inject({ method: 'GET', url: '/sweeps/study/plots/%3Cscript%3E' })).statusCode, 400);
  } finally {
    await app.close();
    fs.rmSync(runsDir, { recursive: true, force: true });
  }
});
