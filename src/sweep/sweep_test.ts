/**
 * A tiny toy sweep end to end: on the local pool (and its re-run skipping finished jobs), then on BullMQ
 * with two `gantry worker` processes, one SIGKILLed mid-job. Every job must finish exactly once, with the
 * local pool's results. Redis: GANTRY_TEST_REDIS (started by .ci/run), else a redis-server started here.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { readResults, runSweep } from './sweep.ts';

const ROOT = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..', '..');
const GANTRY = path.join(ROOT, 'bin', 'gantry.js');

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as net.AddressInfo).port;
      srv.close(() => resolve(port));
    });
    srv.on('error', reject);
  });
}

async function ping(url: string): Promise<boolean> {
  const { Redis } = await import('ioredis');
  const c = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 1, retryStrategy: () => null });
  try {
    await c.connect();
    return (await c.ping()) === 'PONG';
  } catch {
    return false;
  } finally {
    c.disconnect();
  }
}

/** A Redis to test against, or null (skipped outside CI; CI must have one). */
async function testRedis(): Promise<{ url: string; stop(): void } | null> {
  if (process.env.GANTRY_TEST_REDIS) return { url: process.env.GANTRY_TEST_REDIS, stop: () => undefined };
  if (spawnSync('redis-server', ['--version']).status !== 0) return null;
  const port = await freePort();
  const srv = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: 'ignore' });
  const url = `redis://127.0.0.1:${port}`;
  for (let i = 0; i < 50 && !(await ping(url)); i++) await new Promise((r) => setTimeout(r, 100));
  return { url, stop: () => srv.kill('SIGKILL') };
}

const SWEEP = `name: tiny
base: toy-ring
seeds: [1, 2]
grid: { loss: [nonsaturating, hinge] }
overrides: { train.steps: 400, train.checkpointEvery: 100, train.sampleEvery: 400, train.logEvery: 50, eval.n: 500, eval.every: 0 }
`;

function startWorker(url: string, queue: string, runs: string): { proc: ChildProcess; log: () => string } {
  let text = '';
  const proc = spawn(process.execPath, [GANTRY, 'worker', '--redis', url, '--queue', queue, '--runs', runs, '--concurrency', '1', '--lock-ms', '2000'], { stdio: ['ignore', 'ignore', 'pipe'] });
  proc.stderr!.on('data', (d: Buffer) => (text += d.toString()));
  return { proc, log: () => text };
}

async function until(what: string, cond: () => boolean, ms: number): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

test('a sweep runs on the local pool, skips finished jobs on a re-run, and gives the same results on BullMQ with a worker killed mid-job', { timeout: 240_000 }, async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gantry-sweep-'));
  const redis = await testRedis();
  const workers: ChildProcess[] = [];
  try {
    const file = path.join(dir, 'tiny.yaml');
    fs.writeFileSync(file, SWEEP);
    const logs: string[] = [];
    const local = await runSweep(file, { out: path.join(dir, 'local'), workers: 2, log: (l) => logs.push(l) });
    assert.equal(local.state.state, 'done');
    assert.equal(local.results.length, 4);
    assert.ok(local.results.every((r) => r.status === 'done' && r.attempts === 1), JSON.stringify(local.results));
    const byId = new Map(local.results.map((r) => [r.id, r.metrics]));
    for (const m of byId.values()) assert.equal(m.num_modes, 8);
    for (const f of ['report.json', 'report.csv', 'report.md', 'plots/high_quality_pct.png']) assert.ok(fs.existsSync(path.join(dir, 'local', f)), f);

    // Re-running skips every finished job: nothing is trained or appended.
    logs.length = 0;
    const again = await runSweep(file, { out: path.join(dir, 'local'), workers: 2, log: (l) => logs.push(l) });
    assert.ok(logs.some((l) => l.includes('4 of 4 jobs already done')), logs.join('\n'));
    assert.equal(readResults(path.join(dir, 'local', 'results.jsonl')).length, 4);
    assert.deepEqual(again.results.map((r) => r.metrics), local.results.map((r) => r.metrics));

    if (!redis) {
      if (process.env.CI) assert.fail('no Redis: install redis-server or set GANTRY_TEST_REDIS (.ci/run does)');
      t.diagnostic('skipped the BullMQ half: no redis-server on this machine');
      return;
    }
    const queue = `gantry-test-${process.pid}-${Date.now()}`;
    const runs = path.join(dir, 'shared-runs');
    const w1 = startWorker(redis.url, queue, runs);
    const w2 = startWorker(redis.url, queue, runs);
    workers.push(w1.proc, w2.proc);
    await until('both workers to connect', () => w1.log().includes('waiting for jobs') && w2.log().includes('waiting for jobs'), 60_000);
    const sweepDone = runSweep(file, { out: path.join(dir, 'redis'), redis: redis.url, queue, pollMs: 200, log: () => undefined });
    // Kill worker 1 once its job has checkpointed part of the way.
    let victimDir = '';
    await until('worker 1 to start a job', () => {
      const m = /started, attempt 1 → (\S+)/.exec(w1.log());
      if (m) victimDir = m[1]!;
      return !!m;
    }, 60_000);
    await until('the job to pass step 150', () => {
      try {
        const st = JSON.parse(fs.readFileSync(path.join(victimDir, 'status.json'), 'utf8')) as { step: number; state: string };
        return st.state === 'running' && st.step >= 150;
      } catch {
        return false;
      }
    }, 60_000);
    w1.proc.kill('SIGKILL');
    const res = await sweepDone;
    assert.equal(res.state.state, 'done');
    const lines = readResults(path.join(dir, 'redis', 'results.jsonl'));
    assert.equal(lines.length, 4, 'every job finished exactly once');
    assert.equal(new Set(lines.map((r) => r.id)).size, 4);
    for (const r of lines) {
      assert.equal(r.status, 'done', JSON.stringify(r));
      assert.deepEqual(r.metrics, byId.get(r.id), `job ${r.id} (${r.label}, seed ${r.seed}): BullMQ and the local pool disagree`);
    }
    const victim = lines.find((r) => r.runDir === victimDir);
    assert.ok(victim, `the killed job ${victimDir} has a result`);
    assert.ok(victim.attempts! >= 2, `the killed job was retried (attempts ${victim.attempts})`);
    assert.match(w2.log(), new RegExp(`${path.basename(victimDir).replace(/\./g, '\\.')} .*started, attempt [2-9]`), 'worker 2 took over the killed job');
  } finally {
    for (const w of workers) w.kill('SIGKILL');
    redis?.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
