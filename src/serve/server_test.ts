import assert from 'node:assert/strict';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { buildServer, startServer } from './server.ts';
import { thinMetrics, type MetricLine } from './run_store.ts';
import type { TestImages } from './api_types.ts';
import { DEFAULT_TEST_IMAGES, MAX_TEST_IMAGES } from './test_images.ts';

const PNG_BYTES = Buffer.from('89504e470d0a1a0a0000000d49484452', 'hex');

/** A run folder as docs/RUN_FORMAT.md describes it, written by hand. */
function writeRun(runsDir: string, name: string, updatedAt: string, lines: object[]): string {
  const dir = path.join(runsDir, name);
  fs.mkdirSync(path.join(dir, 'samples'), { recursive: true });
  fs.mkdirSync(path.join(dir, 'export'), { recursive: true });
  fs.writeFileSync(
    path.join(dir, 'status.json'),
    JSON.stringify({ name, preset: 'toy-ring', state: 'running', step: 20, totalSteps: 100, startedAt: updatedAt, updatedAt, dataset: 'ring8', conditional: false, numClasses: 0 }),
  );
  fs.writeFileSync(path.join(dir, 'config.yaml'), 'preset: toy-ring\nsteps: 100\n');
  fs.writeFileSync(path.join(dir, 'metrics.jsonl'), lines.map((l) => JSON.stringify(l)).join('\n') + '\n');
  fs.writeFileSync(path.join(dir, 'samples', 'step_000010.png'), PNG_BYTES);
  fs.writeFileSync(path.join(dir, 'samples', 'step_000020.png'), PNG_BYTES);
  fs.writeFileSync(path.join(dir, 'samples', 'latest.png'), PNG_BYTES);
  fs.writeFileSync(path.join(dir, 'export', 'model.json'), '{"format":"gantry-generator/1"}');
  fs.writeFileSync(path.join(dir, 'export', 'weights.bin'), Buffer.alloc(16));
  return dir;
}

function rawGet(url: string, rawPath: string): Promise<{ status: number; body: string }> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    http
      .get({ host: hostname, port, path: rawPath }, (res) => {
        let body = '';
        res.on('data', (c: Buffer) => (body += c.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      })
      .on('error', reject);
  });
}

describe('studio server', () => {
  let tmp: string;
  let runsDir: string;
  let app: Awaited<ReturnType<typeof buildServer>>;
  const lines = [
    { step: 10, d_loss: 1.25, g_loss: 0.75 },
    { kind: 'eval', step: 10, modes_covered: 5 },
    { step: 20, d_loss: 1.0, g_loss: 0.5 },
  ];

  before(async () => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'gantry-serve-'));
    runsDir = path.join(tmp, 'runs');
    writeRun(runsDir, 'older-run', '2026-01-01T00:00:00.000Z', lines);
    writeRun(runsDir, 'newer-run', '2026-02-01T00:00:00.000Z', lines);
    fs.mkdirSync(path.join(runsDir, '.hidden'));
    fs.writeFileSync(path.join(tmp, 'secret.txt'), 'top secret');
    fs.mkdirSync(path.join(tmp, 'outside'));
    fs.symlinkSync(path.join(tmp, 'outside'), path.join(runsDir, 'escape-link'));
    fs.symlinkSync(path.join(tmp, 'secret.txt'), path.join(runsDir, 'newer-run', 'samples', 'leak.png'));
    app = await buildServer({ runsDir, webDir: path.join(tmp, 'no-web') });
  });

  after(async () => {
    await app.close();
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  test('lists runs newest first with their last training and eval lines', async () => {
    const res = await app.inject({ method: 'GET', url: '/api/runs' });
    assert.equal(res.statusCode, 200);
    const body = res.json() as { runs: Array<{ name: string; lastMetrics: MetricLine; lastEval: MetricLine; hasExport: boolean; latestSample: string }> };
    // Hidden folders and symlinks that leave the runs folder are not runs.
    assert.deepEqual(
      body.runs.map((r) => r.name),
      ['newer-run', 'older-run'],
    );
    assert.deepEqual(body.runs[0]!.lastMetrics, lines[2]);
    assert.deepEqual(body.runs[0]!.lastEval, lines[1]);
    assert.equal(body.runs[0]!.hasExport, true);
    assert.equal(body.runs[0]!.latestSample, 'latest.png');
  });

  test('returns a run with config, metrics and sample history', async () => {
    const res = await app.inject({ method: 'GET', url: '/api/runs/older-run' });
    assert.equal(res.statusCode, 200);
    const run = res.json() as { config: string; metrics: MetricLine[]; metricsTotal: number; samples: Array<{ file: string; step: number | null }> };
    assert.equal(run.config, 'preset: toy-ring\nsteps: 100\n');
    assert.deepEqual(run.metrics, lines);
    assert.equal(run.metricsTotal, 3);
    assert.deepEqual(
      run.samples.map((s) => [s.file, s.step]),
      [
        ['step_000010.png', 10],
        ['step_000020.png', 20],
        ['latest.png', null],
      ],
    );
  });

  test('serves sample images and export files with their types', async () => {
    const png = await app.inject({ method: 'GET', url: '/runs/older-run/samples/step_000010.png' });
    assert.equal(png.statusCode, 200);
    assert.equal(png.headers['content-type'], 'image/png');
    assert.deepEqual(png.rawPayload, PNG_BYTES);
    const model = await app.inject({ method: 'GET', url: '/runs/older-run/export/model.json' });
    assert.equal(model.statusCode, 200);
    assert.match(String(model.headers['content-type']), /application\/json/);
    const weights = await app.inject({ method: 'GET', url: '/runs/older-run/export/weights.bin' });
    assert.equal(weights.rawPayload.length, 16);
  });

  test('refuses bad names and traversal with 4xx JSON errors', async () => {
    const cases: Array<[string, number]> = [
      ['/api/runs/..%2F..%2Fetc', 400],
      ['/api/runs/.hidden', 400],
      ['/api/runs/no-such-run', 404],
      ['/api/runs/escape-link', 403],
      ['/api/runs/bad%20name', 400],
      [`/api/runs/${'a'.repeat(200)}`, 400],
      ['/runs/..%2F..%2Fetc/passwd', 400],
      ['/runs/older-run/samples/..%2Fstatus.json', 400],
      ['/runs/older-run/samples/status.json', 400],
      ['/runs/older-run/samples/missing.png', 404],
      ['/runs/newer-run/samples/leak.png', 403],
      ['/runs/older-run/export/config.yaml', 400],
      ['/runs/older-run%5C..%5C..%5Csecret.txt/export/model.json', 400],
      ['/api/runs/older-run/events?since=-1', 400],
      ['/api/nothing', 404],
    ];
    for (const [url, status] of cases) {
      const res = await app.inject({ method: 'GET', url });
      assert.equal(res.statusCode, status, `${url}: ${res.body}`);
      const body = res.json() as { error: unknown };
      assert.equal(typeof body.error, 'string', url);
      assert.doesNotMatch(res.body, /top secret/, url);
    }
  });

  test('refuses requests addressed to a non-loopback host name (DNS rebinding)', async () => {
    const evil = await app.inject({ method: 'GET', url: '/api/runs', headers: { host: 'evil.example:8080' } });
    assert.equal(evil.statusCode, 403);
    assert.match((evil.json() as { error: string }).error, /evil\.example/);
    for (const host of ['127.0.0.1:8080', 'localhost', '[::1]:9000']) {
      assert.equal((await app.inject({ method: 'GET', url: '/api/runs', headers: { host } })).statusCode, 200, host);
    }
  });

  test('says the web app is not built when web/dist is missing', async () => {
    const res = await app.inject({ method: 'GET', url: '/' });
    assert.equal(res.statusCode, 200);
    assert.match(res.body, /npm run build:web/);
  });

  test('thins long metric histories but keeps eval lines and the last line', () => {
    const many: MetricLine[] = Array.from({ length: 1000 }, (_, i) => ({ step: i + 1, d_loss: i }));
    many.splice(500, 0, { kind: 'eval', step: 500, modes_covered: 8 });
    const thin = thinMetrics(many, 100);
    assert.ok(thin.length <= 100, `kept ${thin.length}`);
    assert.ok(thin.some((m) => m.kind === 'eval'));
    assert.equal(thin[thin.length - 1]!.step, 1000);
    assert.deepEqual(thinMetrics(many.slice(0, 50), 100), many.slice(0, 50));
  });

  test('a real server on 127.0.0.1 streams appended metrics and status changes, and closes with a stream open', async () => {
    const server = await startServer({ runsDir, port: 0, pollMs: 50, webDir: path.join(tmp, 'no-web') });
    try {
      assert.match(server.url, /^http:\/\/127\.0\.0\.1:\d+$/);
      // fetch and inject normalize '..'; raw requests show that the server itself refuses it.
      for (const p of ['/api/runs/..', '/api/runs/%2e%2e', '/api/runs/../../etc/passwd', '/runs/../../etc/passwd']) {
        const raw = await rawGet(server.url, p);
        assert.equal(raw.status, 400, `${p}: ${raw.body}`);
        assert.match(raw.body, /"error":"path traversal is not allowed"/);
      }
      const res = await fetch(`${server.url}/api/runs/older-run/events?since=2`);
      assert.equal(res.status, 200);
      const reader = res.body!.getReader();
      let text = '';
      const readUntil = async (needle: string) => {
        const deadline = Date.now() + 5000;
        while (!text.includes(needle) && Date.now() < deadline) {
          const { value, done } = await reader.read();
          if (done) break;
          text += new TextDecoder().decode(value);
        }
      };
      // since=2: the third existing line is sent first, with its 1-based index as the event id.
      await readUntil('"step":20');
      assert.match(text, /id: 3\nevent: metrics\ndata: \{"step":20,"d_loss":1,"g_loss":0.5\}\n\n/);
      const dir = path.join(runsDir, 'older-run');
      fs.appendFileSync(path.join(dir, 'metrics.jsonl'), '{"step":30,"d_loss":0.5,');
      fs.appendFileSync(path.join(dir, 'metrics.jsonl'), '"g_loss":0.25}\n');
      await readUntil('"step":30');
      assert.match(text, /id: 4\nevent: metrics\ndata: \{"step":30,"d_loss":0.5,"g_loss":0.25\}\n\n/);
      const status = JSON.parse(fs.readFileSync(path.join(dir, 'status.json'), 'utf8')) as Record<string, unknown>;
      fs.writeFileSync(path.join(dir, 'status.json'), JSON.stringify({ ...status, state: 'done', step: 100 }));
      await readUntil('event: status');
      assert.match(text, /event: status\ndata: \{[^\n]*"state":"done"/);
      fs.writeFileSync(path.join(dir, 'samples', 'step_000030.png'), PNG_BYTES);
      await readUntil('event: sample');
      assert.match(text, /event: sample\ndata: \{"file":"step_000030.png","step":30\}/);
      const t0 = Date.now();
      await server.close();
      assert.ok(Date.now() - t0 < 3000, 'close() waited on the open event stream');
      const { done } = await reader.read().catch(() => ({ done: true }));
      assert.equal(done, true);
    } finally {
      await server.close().catch(() => undefined);
    }
  });
});

describe('studio server: translation runs', () => {
  let tmp: string;
  let app: Awaited<ReturnType<typeof buildServer>>;

  /** A run folder with only a config.yaml (the test-images route reads nothing else). */
  const writeConfig = (runsDir: string, name: string, config: string) => {
    fs.mkdirSync(path.join(runsDir, name), { recursive: true });
    fs.writeFileSync(path.join(runsDir, name, 'config.yaml'), config);
  };

  before(async () => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'gantry-serve-translate-'));
    const runsDir = path.join(tmp, 'runs');
    writeConfig(runsDir, 'p2p', 'seed: 1\ndata: { name: paired-task, task: edges, from: { name: mnist, limit: 500 } }\nmodel: { family: pix2pix }\n');
    writeConfig(runsDir, 'cyc', 'seed: 1\ndata: { name: unpaired, a: { name: mnist, imageSize: 16 }, b: { name: stacked-mnist, imageSize: 16 } }\nmodel: { family: cyclegan }\n');
    writeConfig(runsDir, 'cyc-toy', 'data: { name: unpaired, a: { name: ring8 }, b: { name: grid25 } }\nmodel: { family: cyclegan }\n');
    writeConfig(runsDir, 'cyc-gone', `data: { name: unpaired, a: { name: folder, dir: ${JSON.stringify(path.join(tmp, 'gone'))} }, b: { name: mnist } }\nmodel: { family: cyclegan }\n`);
    writeConfig(runsDir, 'gan', 'data: { name: mnist }\nmodel: { family: gan, latentDim: 8 }\n');
    fs.mkdirSync(path.join(runsDir, 'cyc', 'export', 'reverse'), { recursive: true });
    fs.writeFileSync(path.join(runsDir, 'cyc', 'export', 'model.json'), '{"reverse":"reverse/"}');
    fs.writeFileSync(path.join(runsDir, 'cyc', 'export', 'reverse', 'model.json'), '{"family":"cyclegan"}');
    app = await buildServer({ runsDir, webDir: path.join(tmp, 'no-web') });
  });

  after(async () => {
    await app.close();
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  test('a run says its family; the reverse generator of a CycleGAN export is served', async () => {
    assert.equal((await app.inject({ method: 'GET', url: '/api/runs/p2p' })).json().family, 'pix2pix');
    assert.equal((await app.inject({ method: 'GET', url: '/api/runs/gan' })).json().family, 'gan');
    const rev = await app.inject({ method: 'GET', url: '/runs/cyc/export/reverse/model.json' });
    assert.equal(rev.statusCode, 200);
    assert.equal(rev.body, '{"family":"cyclegan"}');
    assert.equal((await app.inject({ method: 'GET', url: '/runs/cyc/export/other/model.json' })).statusCode, 404);
  });

  test('test images: pix2pix inputs with their targets, CycleGAN domains A and B, as the data registry loads them', async () => {
    const { loadPairedEvalSet } = await import('../data/registry.ts');
    const res = await app.inject({ method: 'GET', url: '/api/runs/p2p/test-images?n=3' });
    assert.equal(res.statusCode, 200, res.body);
    const p2p = res.json() as TestImages;
    assert.deepEqual([p2p.family, p2p.split, p2p.paired, p2p.a.count, p2p.a.shape, p2p.b.shape], ['pix2pix', 'test', true, 3, [28, 28, 1], [28, 28, 1]]);
    const set = await loadPairedEvalSet({ name: 'paired-task', task: 'edges', from: { name: 'mnist' } }, 'test');
    assert.deepEqual(Buffer.from(p2p.a.pixels, 'base64'), Buffer.from(set.input.pixels.subarray(0, 3 * 784)));
    assert.deepEqual(Buffer.from(p2p.b.pixels, 'base64'), Buffer.from(set.target.pixels.subarray(0, 3 * 784)));
    // Default count; the same request again comes from the cache.
    const def = (await app.inject({ method: 'GET', url: '/api/runs/p2p/test-images' })).json() as TestImages;
    assert.equal(def.a.count, DEFAULT_TEST_IMAGES);
    const cyc = (await app.inject({ method: 'GET', url: '/api/runs/cyc/test-images?n=2' })).json() as TestImages;
    assert.deepEqual([cyc.family, cyc.paired, cyc.a.shape, cyc.b.shape, cyc.b.count], ['cyclegan', false, [16, 16, 1], [16, 16, 3], 2]);
    assert.equal(Buffer.from(cyc.b.pixels, 'base64').length, 2 * 16 * 16 * 3);
  });

  test('test images: a clear error for the wrong family, 2-D data, missing data and a bad count', async () => {
    const cases: Array<[string, number, RegExp]> = [
      ['/api/runs/gan/test-images', 404, /gan run: test images are for translation and inpainting runs/],
      ['/api/runs/cyc-toy/test-images', 404, /2-D points \(ring8 → grid25\)/],
      ['/api/runs/cyc-gone/test-images', 404, /test images of run cyc-gone are unavailable: image folder .*gone not found/],
      ['/api/runs/p2p/test-images?n=0', 400, /n: expected an integer in 1\.\.32/],
      [`/api/runs/p2p/test-images?n=${MAX_TEST_IMAGES + 1}`, 400, /n: expected/],
      ['/api/runs/p2p/test-images?n=abc', 400, /n: expected/],
      ['/api/runs/nope/test-images', 404, /no such run/],
    ];
    for (const [url, status, message] of cases) {
      const res = await app.inject({ method: 'GET', url });
      assert.equal(res.statusCode, status, `${url}: ${res.body}`);
      assert.match((res.json() as { error: string }).error, message, url);
    }
  });
});
