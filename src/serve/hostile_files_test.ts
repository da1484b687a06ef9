/**
 * The studio against hostile run folders: symlinks for every file it serves (config.yaml, status.json,
 * metrics.jsonl, samples, export), FIFOs, and a status.json that is a directory. None may leak a file
 * outside the runs folder, hang a request, or break /api/runs for the other runs.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { buildServer } from './server.ts';

const STATUS = { name: 'x', preset: 'toy-ring', state: 'done', step: 2, totalSteps: 2, startedAt: '2026-01-01T00:00:00.000Z', updatedAt: '2026-01-01T00:00:00.000Z', dataset: 'ring8', conditional: false, numClasses: 0 };

function writeRun(runsDir: string, name: string): string {
  const dir = path.join(runsDir, name);
  fs.mkdirSync(path.join(dir, 'samples'), { recursive: true });
  fs.mkdirSync(path.join(dir, 'export'), { recursive: true });
  fs.writeFileSync(path.join(dir, 'status.json'), JSON.stringify({ ...STATUS, name }));
  fs.writeFileSync(path.join(dir, 'config.yaml'), 'seed: 1\n');
  fs.writeFileSync(path.join(dir, 'metrics.jsonl'), '{"step":2,"d_loss":1}\n');
  fs.writeFileSync(path.join(dir, 'samples', 'latest.png'), 'png');
  fs.writeFileSync(path.join(dir, 'export', 'model.json'), '{}');
  return dir;
}

describe('studio: hostile files in a run folder', () => {
  let tmp: string;
  let app: Awaited<ReturnType<typeof buildServer>>;
  const SECRET = 'root:x:0:0:secret-marker';

  before(async () => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'gantry-hostile-'));
    const runs = path.join(tmp, 'runs');
    const secret = path.join(tmp, 'passwd');
    fs.writeFileSync(secret, SECRET);
    writeRun(runs, 'good');
    const links = writeRun(runs, 'links');
    for (const f of ['config.yaml', 'status.json', 'metrics.jsonl', 'samples/latest.png', 'export/model.json']) {
      fs.rmSync(path.join(links, f));
      fs.symlinkSync(secret, path.join(links, f));
    }
    // A symlinked folder below the run folder, pointing inside the runs folder, is refused too.
    const linkedDir = writeRun(runs, 'linked-dir');
    fs.rmSync(path.join(linkedDir, 'samples'), { recursive: true });
    fs.symlinkSync(path.join(runs, 'good', 'samples'), path.join(linkedDir, 'samples'));
    const dirStatus = writeRun(runs, 'dir-status');
    fs.rmSync(path.join(dirStatus, 'status.json'));
    fs.mkdirSync(path.join(dirStatus, 'status.json'));
    const fifo = writeRun(runs, 'fifo');
    for (const f of ['status.json', 'metrics.jsonl', 'config.yaml', 'samples/latest.png']) {
      fs.rmSync(path.join(fifo, f));
      execFileSync('mkfifo', [path.join(fifo, f)]);
    }
    app = await buildServer({ runsDir: runs, webDir: path.join(tmp, 'no-web') });
  });
  after(async () => {
    await app.close();
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  test('/api/runs lists every run, each bad one with its reason, and never the secret', async () => {
    // Many times: a FIFO used to hang the server after a few requests.
    for (let i = 0; i < 8; i++) {
      const res = await app.inject({ method: 'GET', url: '/api/runs' });
      assert.equal(res.statusCode, 200, res.body);
      assert.ok(!res.body.includes('secret-marker'), 'a symlinked file was followed');
      const runs = (res.json() as { runs: { name: string; status: unknown; statusError?: string }[] }).runs;
      const by = Object.fromEntries(runs.map((r) => [r.name, r]));
      assert.deepEqual(Object.keys(by).sort(), ['dir-status', 'fifo', 'good', 'linked-dir', 'links']);
      assert.ok(by.good!.status);
      assert.match(by['dir-status']!.statusError!, /status\.json is not a regular file \(a directory\)/);
      assert.match(by.links!.statusError!, /status\.json is a symlink/);
      assert.match(by.fifo!.statusError!, /status\.json is not a regular file \(a FIFO\)/);
    }
  });

  test('run details never follow a symlinked config.yaml or metrics.jsonl, nor block on FIFOs', async () => {
    assert.equal((await app.inject({ method: 'GET', url: '/api/runs/dir-status' })).statusCode, 200);
    for (const name of ['links', 'fifo']) {
      const res = await app.inject({ method: 'GET', url: `/api/runs/${name}` });
      assert.equal(res.statusCode, 200, res.body);
      assert.ok(!res.body.includes('secret-marker'));
      const d = res.json() as { config: string | null; metrics: unknown[] };
      assert.equal(d.config, null);
      assert.deepEqual(d.metrics, []);
    }
  });

  test('served files: symlinks (file or folder) are refused with 403, FIFOs and folders are not served', async () => {
    let res = await app.inject({ method: 'GET', url: '/runs/links/samples/latest.png' });
    assert.equal(res.statusCode, 403);
    assert.ok(!res.body.includes('secret-marker'));
    res = await app.inject({ method: 'GET', url: '/runs/links/export/model.json' });
    assert.equal(res.statusCode, 403);
    res = await app.inject({ method: 'GET', url: '/runs/linked-dir/samples/latest.png' });
    assert.equal(res.statusCode, 403);
    res = await app.inject({ method: 'GET', url: '/runs/fifo/samples/latest.png' });
    assert.equal(res.statusCode, 404);
    res = await app.inject({ method: 'GET', url: '/runs/good/samples/latest.png' });
    assert.equal(res.statusCode, 200);
    assert.equal(res.body, 'png');
  });
});
