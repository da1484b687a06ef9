import assert from 'node:assert/strict';
import { test } from 'node:test';
import { svgToPng } from './plot_png.ts';
import { boxPlotSvg, reportCsv, reportMarkdown, stats, summarize, varyingMetrics, type JobResult } from './report.ts';

const r = (label: string, seed: number, metrics: Record<string, number>, extra: Partial<JobResult> = {}): JobResult => ({
  id: `s.${label}.s${seed}`, sweep: 's', label, configHash: label, seed, status: 'done', metrics, ...extra,
});

test('stats: mean, sample std (n − 1), min, max', () => {
  const s = stats([2, 4, 4, 4, 5, 5, 7, 9]);
  assert.equal(s.mean, 5);
  assert.ok(Math.abs(s.std - Math.sqrt(32 / 7)) < 1e-12);
  assert.equal(s.min, 2);
  assert.equal(s.max, 9);
  assert.equal(stats([3]).std, 0);
});

test('summarize groups seeds by configuration; failures are counted, not averaged; the last result of an id wins', () => {
  const results = [
    r('a', 1, { hq: 90, modes: 25, n: 2500 }),
    r('a', 2, { hq: 96, modes: 24, n: 2500 }),
    r('b', 1, {}, { status: 'failed', error: 'training diverged' }),
    r('b', 2, { hq: 50, modes: 10, n: 2500 }),
    r('b', 1, { hq: 70, modes: 20, n: 2500 }, { attempts: 2 }),
    r('b', 3, {}, { status: 'failed', error: 'training diverged at step 9' }),
  ];
  const rep = summarize(results);
  assert.equal(rep.jobs, 5);
  assert.equal(rep.done, 4);
  assert.equal(rep.failed, 1);
  assert.deepEqual(rep.configs.map((c) => c.label), ['a', 'b']);
  assert.deepEqual(rep.configs[1]!.seeds, [1, 2]);
  assert.deepEqual(rep.configs[1]!.failed, [{ seed: 3, error: 'training diverged at step 9' }]);
  assert.equal(rep.configs[0]!.metrics.hq!.mean, 93);
  assert.equal(rep.configs[1]!.metrics.modes!.mean, 15);
  assert.deepEqual(varyingMetrics(rep), ['hq', 'modes'], 'a metric equal everywhere (n) is left out of tables and plots');
  const md = reportMarkdown(rep);
  assert.match(md, /\| a \| 2 \| 93\.00 ± 4\.24 \(90\.00–96\.00\) \| 24\.50 ± 0\.7071 \(24\.00–25\.00\) \|/);
  assert.match(md, /\| b \| 2 \(\+1 failed\) \| 60\.00 ± 14\.14/);
  const csv = reportCsv(rep).trim().split('\n');
  assert.equal(csv[0], 'configuration,config_hash,metric,n,mean,std,min,max,failed_seeds');
  assert.ok(csv.includes('a,a,hq,2,93,4.242640687119285,90,96,'));
  assert.ok(csv.some((l) => l.startsWith('b,b,hq,2,60,') && l.endsWith(',3')));
});

test('box plot: one box per configuration, a dot per seed, labels escaped; renders to a PNG', async () => {
  const rep = summarize([r('x<1>', 1, { fid: 10 }), r('x<1>', 2, { fid: 12 }), r('y', 1, { fid: 30 }), r('y', 2, { fid: 20 }), r('y', 3, { fid: 25 })]);
  const svg = boxPlotSvg(rep, 'fid');
  assert.equal((svg.match(/<rect x=/g) ?? []).length, 2);
  assert.equal((svg.match(/<circle /g) ?? []).length, 5);
  assert.ok(svg.includes('x&lt;1&gt;') && !svg.includes('x<1>'));
  const png = await svgToPng(svg);
  assert.deepEqual([...png.subarray(1, 4)].map((c) => String.fromCharCode(c)).join(''), 'PNG');
  assert.ok(png.length > 1000);
});
