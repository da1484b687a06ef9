/**
 * End-to-end tests of `gantry serve` in headless Chromium: the runs list, a run's generate page drawing
 * from its exported model, the translate page drawing a CycleGAN's outputs in both directions (checked
 * pixel by pixel against `gantry translate` in Node), the inpaint page filling a hole painted with the mouse
 * (checked against `gantry inpaint` in Node), the in-page playground reaching ring8 mode coverage,
 * live SSE metrics, and refused path traversal. Screenshots of the pages go to docs/img/.
 *
 * Needs `npm run build:web` first (`npm run test:e2e` does it) and Chromium at /usr/bin/chromium.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { after, before, describe, test } from 'node:test';
import { startServer } from '../src/serve/server.ts';
import { runSweep } from '../src/sweep/sweep.ts';
import type { Page } from 'playwright-core';
import { PNG } from 'pngjs';
import { CHROMIUM_PATH, launchBrowser, type Browser } from './browser.ts';
import { makeInpaintRun, makeTrainedRun, makeTranslationRun, REPO_ROOT, type MadeRun } from './make_run.ts';
import { encodeNpy, readNpy } from '../src/core/npy.ts';
import { bytesToRange, imageToInput } from '../src/data/resize.ts';
import type { TestImages } from '../src/serve/api_types.ts';

const WEB_DIST = path.join(REPO_ROOT, 'web', 'dist');
const SHOTS = path.join(REPO_ROOT, 'docs', 'img');
const PLAYGROUND_LIMIT_MS = 60_000;
const MAX_SHOT_BYTES = 200_000;

/**
 * Screenshots the page's content (not the empty space below it) into docs/img. A screenshot over the
 * size limit is posterized (fewer levels per channel), which PNG compresses much better.
 */
async function screenshot(page: Page, file: string): Promise<void> {
  const box = await page.locator('main').boundingBox();
  const height = Math.min(860, Math.ceil((box?.y ?? 0) + (box?.height ?? 860)));
  let png = await page.screenshot({ clip: { x: 0, y: 0, width: 1280, height } });
  for (const levels of [32, 16, 8]) {
    if (png.length < MAX_SHOT_BYTES) break;
    png = posterize(png, levels);
  }
  assert.ok(png.length < MAX_SHOT_BYTES, `${file} is ${png.length} bytes, over ${MAX_SHOT_BYTES}`);
  fs.writeFileSync(path.join(SHOTS, file), png);
}

function posterize(buf: Buffer, levels: number): Buffer {
  const img = PNG.sync.read(buf);
  const step = 255 / (levels - 1);
  for (let i = 0; i < img.data.length; i++) if (i % 4 !== 3) img.data[i] = Math.round(Math.round(img.data[i]! / step) * step);
  return PNG.sync.write(img, { deflateLevel: 9 });
}

/** A raw GET that sends the path exactly as written (fetch would normalize `..`). */
function rawGet(url: string, rawPath: string): Promise<{ status: number; body: string; type: string }> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const req = http.request({ host: hostname, port, path: rawPath, method: 'GET' }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body, type: String(res.headers['content-type'] ?? '') }));
    });
    req.on('error', reject);
    req.end();
  });
}

/** A canvas's own pixels (not its CSS-scaled view) as RGB bytes. */
async function canvasRgb(page: Page, id: string): Promise<{ width: number; height: number; rgb: number[] }> {
  return page.evaluate((canvasId) => {
    const c = document.getElementById(canvasId) as HTMLCanvasElement;
    const px = c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data;
    const rgb: number[] = [];
    for (let i = 0; i < px.length; i += 4) rgb.push(px[i]!, px[i + 1]!, px[i + 2]!);
    return { width: c.width, height: c.height, rgb };
  }, id);
}

/** Images [n, h, w, c] in [-1, 1] as the RGB bytes the page draws (grey replicated). */
function toRgbBytes(data: Float32Array, shape: number[], index: number): number[] {
  const [, hgt, wid, ch] = shape as [number, number, number, number];
  const out: number[] = [];
  const base = index * hgt * wid * ch;
  for (let p = 0; p < hgt * wid; p++) for (let k = 0; k < 3; k++) out.push(Math.max(0, Math.min(255, Math.round(((data[base + p * ch + (ch === 3 ? k : 0)]! + 1) / 2) * 255))));
  return out;
}

/** `gantry translate` in Node on images [n, ...shape] (float32 in the data's range); returns its .npy output. */
async function translateInNode(runDir: string, x: Float32Array, shape: number[], reverse: boolean): Promise<{ data: Float32Array; shape: number[] }> {
  const n = x.length / shape.reduce((a, b) => a * b, 1);
  const stem = path.join(runDir, `..`, `node-${reverse ? 'ba' : 'ab'}`);
  fs.writeFileSync(`${stem}-in.npy`, encodeNpy(x, [n, ...shape]));
  await promisify(execFile)(process.execPath, [path.join(REPO_ROOT, 'bin/gantry.js'), 'translate', runDir, '--in', `${stem}-in.npy`, '--out', `${stem}-out.npy`, ...(reverse ? ['--reverse'] : [])], { cwd: REPO_ROOT, timeout: 60_000 });
  return readNpy(`${stem}-out.npy`);
}

/** Largest difference between two byte arrays of the same length. */
function maxDiff(a: number[], b: number[]): number {
  assert.equal(a.length, b.length);
  return a.reduce((m, v, i) => Math.max(m, Math.abs(v - b[i]!)), 0);
}

// Without Chromium (a machine where .ci/run did not install it) the suite reports itself skipped.
const noChromium = fs.existsSync(CHROMIUM_PATH) ? false : `no Chromium at ${CHROMIUM_PATH} (apt-get install -y chromium)`;

describe('studio end to end', { timeout: 400_000, skip: noChromium }, () => {
  let tmp: string;
  let runsDir: string;
  let run: MadeRun;
  let server: { url: string; close(): Promise<void> };
  let browser: Browser;

  before(async () => {
    assert.ok(fs.existsSync(path.join(WEB_DIST, 'index.html')), `${WEB_DIST}/index.html is missing: run npm run build:web`);
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'gantry-e2e-'));
    runsDir = path.join(tmp, 'runs');
    fs.mkdirSync(runsDir);
    run = await makeTrainedRun(runsDir, 'e2e-run');
    // A real (tiny) sweep for the Sweeps page: 2 losses × 2 seeds of toy-ring, 200 steps, on the local pool.
    const sweepFile = path.join(tmp, 'e2e-sweep.yaml');
    fs.writeFileSync(sweepFile, 'name: e2e-sweep\nbase: toy-ring\nseeds: [1, 2]\ngrid: { loss: [nonsaturating, hinge] }\noverrides: { train.steps: 200, train.checkpointEvery: 200, train.sampleEvery: 200, eval.n: 500 }\n');
    await runSweep(sweepFile, { out: path.join(runsDir, 'sweeps', 'e2e-sweep'), workers: 2, log: () => undefined });
    server = await startServer({ runsDir, port: 0, webDir: WEB_DIST, pollMs: 200 });
    browser = await launchBrowser();
    fs.mkdirSync(SHOTS, { recursive: true });
  });

  after(async () => {
    await browser?.close();
    await server?.close();
    if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
  });

  test('the runs list shows the trained run', async () => {
    const page = await browser.context.newPage();
    await page.goto(`${server.url}/#/`);
    const row = page.locator(`tr[data-run="${run.name}"]`);
    await row.waitFor({ timeout: 15_000 });
    const text = await row.innerText();
    assert.match(text, new RegExp(run.preset));
    assert.match(text, /done/);
    assert.equal(await row.locator('a.generate-link').count(), 1);
    await screenshot(page, 'studio-runs.png');
    await page.close();
  });

  test('the run page draws loss curves, updates them live, and shows samples and config', async () => {
    const page = await browser.context.newPage();
    await page.goto(`${server.url}/#/runs/${run.name}`);
    await page.locator('#loss-chart').waitFor({ timeout: 15_000 });
    await page.waitForFunction(() => ((document.getElementById('latest-sample') as HTMLImageElement | null)?.naturalWidth ?? 0) > 0, null, { timeout: 15_000 });
    assert.match(await page.locator('#config').innerText(), /data:[\s\S]*latentDim/);
    // The history slider starts at the newest sample.
    const steps = fs.readdirSync(path.join(run.dir, 'samples')).flatMap((f) => /^step_(\d+)\.png$/.exec(f)?.[1] ?? []).map(Number);
    assert.equal(await page.locator('#history-step').innerText(), `step ${Math.max(...steps)}`);
    // Live: a training line appended to metrics.jsonl reaches the chart through the event stream.
    await page.locator('#live-state', { hasText: 'live' }).waitFor({ timeout: 10_000 });
    const points = Number(await page.locator('#loss-chart').getAttribute('data-points'));
    const lastStep = Math.max(...fs.readFileSync(path.join(run.dir, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => (JSON.parse(l) as { step: number }).step));
    fs.appendFileSync(path.join(run.dir, 'metrics.jsonl'), JSON.stringify({ step: lastStep + 1, time: new Date().toISOString(), elapsed_s: 1, d_loss: 0.5, g_loss: 1.5 }) + '\n');
    await page.locator(`#loss-chart[data-points="${points + 1}"]`).waitFor({ timeout: 10_000 });
    await screenshot(page, 'studio-run.png');
    await page.close();
  });

  test('the generate page draws a non-blank grid from the exported model', async () => {
    const page = await browser.context.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(String(e)));
    await page.goto(`${server.url}/#/runs/${run.name}/generate`);
    await page.locator('#generate-canvas[data-drawn]').waitFor({ timeout: 60_000 });
    const stats = await page.evaluate(() => {
      const c = document.getElementById('generate-canvas') as HTMLCanvasElement;
      const px = c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data;
      let sum = 0;
      let sum2 = 0;
      const n = px.length / 4;
      for (let i = 0; i < px.length; i += 4) {
        const v = (px[i]! + px[i + 1]! + px[i + 2]!) / 3;
        sum += v;
        sum2 += v * v;
      }
      return { w: c.width, h: c.height, std: Math.sqrt(sum2 / n - (sum / n) ** 2) };
    });
    assert.ok(stats.w > 100 && stats.h > 100, `canvas is ${stats.w}×${stats.h}`);
    assert.ok(stats.std > 10, `the grid looks blank: pixel std ${stats.std.toFixed(2)}`);
    // A different seed draws a different grid.
    const before = await page.evaluate(() => (document.getElementById('generate-canvas') as HTMLCanvasElement).toDataURL());
    await page.fill('#seed', '12345');
    await page.click('#draw-seed');
    const afterUrl = await page.evaluate(() => (document.getElementById('generate-canvas') as HTMLCanvasElement).toDataURL());
    assert.notEqual(afterUrl, before);
    await page.locator('#interp-canvas[data-drawn]').waitFor({ timeout: 10_000 });
    assert.deepEqual(errors, []);
    await screenshot(page, 'studio-generate.png');
    await page.close();
  });

  test(`the playground trains ring8 to at least 6 of 8 modes within ${PLAYGROUND_LIMIT_MS / 1000} s`, async () => {
    const page = await browser.context.newPage();
    await page.goto(`${server.url}/#/playground`);
    await page.locator('#play').waitFor({ timeout: 30_000 });
    const backend = await page.locator('#backend-name').getAttribute('data-backend');
    // The untrained generator must not already pass, or the check below would prove nothing.
    const untrained = Number(await page.locator('#modes-covered').getAttribute('data-covered'));
    assert.ok(untrained < 6, `the untrained generator already covers ${untrained} modes`);
    const t0 = Date.now();
    await page.click('#play');
    const handle = await page.waitForFunction(
      () => {
        const el = document.getElementById('modes-covered');
        return el && Number(el.dataset.covered) >= 6 ? { covered: Number(el.dataset.covered), step: Number(el.dataset.step) } : null;
      },
      null,
      { timeout: PLAYGROUND_LIMIT_MS, polling: 250 },
    );
    const reached = (await handle.jsonValue())!;
    const seconds = (Date.now() - t0) / 1000;
    console.log(`playground: untrained ${untrained}/8, then ${reached.covered}/8 modes at step ${reached.step} after ${seconds.toFixed(1)} s (backend ${backend})`);
    assert.ok(reached.covered >= 6);
    // Train on a little for the screenshot: until a fifth of the samples are high quality, at most 10 s.
    await page
      .waitForFunction(() => parseFloat(document.getElementById('pg-hq')!.textContent!) >= 20, null, { timeout: 10_000, polling: 500 })
      .catch(() => undefined);
    await page.click('#play');
    await screenshot(page, 'studio-playground.png');
    await page.close();
  });

  test('the sweeps page lists the sweep; its page shows the per-configuration table and a box plot per metric', async () => {
    const page = await browser.context.newPage();
    await page.goto(`${server.url}/#/sweeps`);
    const row = page.locator('tr[data-sweep="e2e-sweep"]');
    await row.waitFor({ timeout: 15_000 });
    assert.match(await row.innerText(), /done[\s\S]*4 \/ 4 done/);
    await row.locator('a.sweep-link').click();
    await page.locator('#sweep-table tbody tr').first().waitFor({ timeout: 15_000 });
    const rows = await page.locator('#sweep-table tbody tr').allInnerTexts();
    assert.deepEqual(rows.map((r) => r.split('\t')[0]), ['loss=nonsaturating', 'loss=hinge']);
    assert.ok(rows.every((r) => / ± /.test(r)), rows.join('\n'));
    const plot = page.locator('img.sweep-plot').first();
    await plot.waitFor({ timeout: 15_000 });
    await page.waitForFunction(() => [...document.querySelectorAll<HTMLImageElement>('img.sweep-plot')].every((i) => i.complete && i.naturalWidth > 0), null, { timeout: 15_000 });
    assert.ok((await page.locator('img.sweep-plot').count()) >= 1);
    await screenshot(page, 'studio-sweeps.png');
    await page.close();
  });

  test('server-sent events deliver a metrics line appended while connected', async () => {
    const detail = (await (await fetch(`${server.url}/api/runs/${run.name}`)).json()) as { metricsTotal: number };
    const ac = new AbortController();
    const res = await fetch(`${server.url}/api/runs/${run.name}/events?since=${detail.metricsTotal}`, { signal: ac.signal });
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /text\/event-stream/);
    const reader = res.body!.getReader();
    const line = { step: 99_999, time: new Date().toISOString(), elapsed_s: 1, d_loss: 0.125, g_loss: 2.5 };
    fs.appendFileSync(path.join(run.dir, 'metrics.jsonl'), JSON.stringify(line) + '\n');
    let text = '';
    const deadline = Date.now() + 10_000;
    while (!text.includes('event: metrics') && Date.now() < deadline) {
      const { value, done } = await reader.read();
      if (done) break;
      text += new TextDecoder().decode(value);
    }
    ac.abort();
    const event = /id: (\d+)\nevent: metrics\ndata: (.*)\n/.exec(text);
    assert.ok(event, `no metrics event in ${JSON.stringify(text)}`);
    assert.equal(Number(event[1]), detail.metricsTotal + 1);
    assert.deepEqual(JSON.parse(event[2]!), line);
  });

  test('the generate page runs a graph with an image input (a CycleGAN translator) on its shipped example inputs', async () => {
    const dir = path.join(path.dirname(run.dir), 'e2e-cyclegan');
    await promisify(execFile)(process.execPath, [path.join(REPO_ROOT, 'bin/gantry.js'), 'train', 'cyclegan-toy', '--steps', '60', '--out', dir], { cwd: REPO_ROOT, timeout: 120_000 });
    const model = JSON.parse(fs.readFileSync(path.join(dir, 'export', 'model.json'), 'utf8')) as { inputs: Record<string, { kind: string }>; latentDim: number };
    assert.deepEqual(model.inputs, { x: { kind: 'image', shape: [2] } });
    assert.equal(model.latentDim, 0);
    const page = await browser.context.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(String(e)));
    await page.goto(`${server.url}/#/runs/e2e-cyclegan/generate`);
    await page.locator('#generate-canvas[data-drawn]').waitFor({ timeout: 60_000 });
    const info = await page.locator('#model-info').textContent();
    assert.match(info ?? '', /inputs x/);
    // The scatter of translated points marks at least a few dozen pixels.
    const marked = await page.evaluate(() => {
      const c = document.getElementById('generate-canvas') as HTMLCanvasElement;
      const px = c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data;
      let n = 0;
      for (let i = 0; i < px.length; i += 4) if (px[i + 3]! > 0 && px[i]! > 150 && px[i + 2]! < 120) n++;
      return n;
    });
    assert.ok(marked > 30, `only ${marked} marked pixels`);
    assert.equal(await page.locator('#interp-canvas').count(), 0, 'no latent, so no latent interpolation');
    assert.deepEqual(errors, []);
    await page.close();
  });

  test('the generate page of a text-to-image run redraws from the caption as it is typed and flags unknown words', async () => {
    const dir = path.join(runsDir, 'e2e-t2i');
    const cfgFile = path.join(path.dirname(runsDir), 'e2e-t2i.yaml');
    fs.writeFileSync(cfgFile, [
      'name: e2e-t2i', 'description: tiny text-to-image run for the studio test', 'seed: 1',
      'data: { name: shapes, count: 512, maxTokens: 12 }',
      'model: { family: t2i, latentDim: 8, network: { width: 8, wordDim: 8, units: 16, embedDim: 16, caDim: 4, textProj: 16 }, encoder: { steps: 10 } }',
      'train: { steps: 20, batchSize: 8, logEvery: 10, sampleEvery: 20, checkpointEvery: 20 }', '',
    ].join('\n'));
    await promisify(execFile)(process.execPath, [path.join(REPO_ROOT, 'bin/gantry.js'), 'train', cfgFile, '--out', dir], { cwd: REPO_ROOT, timeout: 120_000 });
    const page = await browser.context.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(String(e)));
    await page.goto(`${server.url}/#/runs/e2e-t2i/generate`);
    await page.locator('#generate-canvas[data-drawn]').waitFor({ timeout: 60_000 });
    assert.equal(await page.locator('#caption').inputValue(), 'a large red circle in the center', 'the example caption (all its words are in the vocabulary)');
    const grid = () => page.evaluate(() => (document.getElementById('generate-canvas') as HTMLCanvasElement).toDataURL());
    const before = await grid();
    const drawn = Number(await page.locator('#generate-canvas').getAttribute('data-drawn'));
    await page.locator('#caption').fill('tiny blue square in the top right');
    await page.waitForFunction((n) => Number(document.getElementById('generate-canvas')!.dataset.drawn) > n, drawn);
    assert.notEqual(await grid(), before, 'a new caption draws a new grid');
    assert.equal(await page.locator('#caption-unknown').textContent(), '');
    await page.locator('#caption').fill('a purple zebra');
    assert.match((await page.locator('#caption-unknown').textContent()) ?? '', /not in the vocabulary: purple, zebra/);
    assert.equal(await page.locator('#interp-canvas[data-drawn]').count(), 1, 'the latent strip at the caption');
    assert.deepEqual(errors, []);
    await page.close();
  });

  test('the translate page runs the exported CycleGAN generators on a clicked test image and an uploaded file, both ways, as gantry translate does in Node', { timeout: 180_000 }, async () => {
    const cyc = await makeTranslationRun(runsDir, 'e2e-translate');
    const page = await browser.context.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(String(e)));
    // The run page links translation runs to the page.
    await page.goto(`${server.url}/#/runs/${cyc.name}`);
    await page.locator('#translate-link').click();
    await page.waitForURL(/#\/runs\/e2e-translate\/translate$/);
    await page.locator('#translate-output[data-source="test-ab-0"]').waitFor({ timeout: 60_000 });
    const tests = (await (await fetch(`${server.url}/api/runs/${cyc.name}/test-images?n=12`)).json()) as TestImages;
    assert.deepEqual([tests.a.shape, tests.b.shape, tests.a.count], [[16, 16, 1], [16, 16, 3], 12]);
    const image = (side: 'a' | 'b', i: number) => {
      const b = tests[side];
      const per = b.shape[0] * b.shape[1] * b.shape[2];
      return bytesToRange(Buffer.from(b.pixels, 'base64').subarray(i * per, (i + 1) * per), [-1, 1]);
    };
    // An upload: a colour gradient, wider than tall, so the page crops, resizes and (for A) takes luma.
    const upload = new PNG({ width: 40, height: 24 });
    for (let p = 0; p < 40 * 24; p++) upload.data.set([(p % 40) * 6, Math.floor(p / 40) * 10, 255 - (p % 40) * 6, 255], 4 * p);
    const uploadPng = PNG.sync.write(upload);
    const decoded = { width: 40, height: 24, rgba: new Uint8Array(upload.data) };

    // Node's outputs for the same inputs: test image 2 of each domain and the fitted upload, each direction.
    const ab = await translateInNode(cyc.dir, Float32Array.from([...image('a', 2), ...imageToInput(decoded, [16, 16, 1], [-1, 1])]), [16, 16, 1], false);
    const ba = await translateInNode(cyc.dir, Float32Array.from([...image('b', 2), ...imageToInput(decoded, [16, 16, 3], [-1, 1])]), [16, 16, 3], true);
    const expectOutput = async (source: string, expected: { data: Float32Array; shape: number[] }, index: number) => {
      await page.locator(`#translate-output[data-source="${source}"]`).waitFor({ timeout: 15_000 });
      const got = await canvasRgb(page, 'translate-output');
      assert.deepEqual([got.width, got.height], [16, 16], source);
      const want = toRgbBytes(expected.data, expected.shape, index);
      // The check means something only if the network's output is not flat.
      assert.ok(Math.max(...want) - Math.min(...want) > 20, `${source}: Node's output is flat`);
      const diff = maxDiff(got.rgb, want);
      assert.ok(diff <= 3, `${source}: the page's output differs from Node's by up to ${diff}/255`);
    };

    await page.locator('#test-strip canvas.thumb[data-index="2"]').click();
    await expectOutput('test-ab-2', ab, 0);
    assert.deepEqual((await canvasRgb(page, 'translate-input')).rgb, toRgbBytes(image('a', 2), [1, 16, 16, 1], 0), 'the input shown is the test image');
    await page.click('#direction-ba');
    await expectOutput('test-ba-2', ba, 0);
    await page.setInputFiles('#upload', { name: 'gradient.png', mimeType: 'image/png', buffer: uploadPng });
    await expectOutput('upload-ba', ba, 1);
    await page.click('#direction-ab');
    await expectOutput('upload-ab', ab, 1);
    assert.match(await page.locator('#translate-state').innerText(), /gradient\.png \(40×24 → 16×16×1\)/);
    assert.equal(await page.locator('#translate-target').isVisible(), false, 'CycleGAN has no ground truth');

    await page.locator('#test-strip canvas.thumb[data-index="2"]').click();
    await page.locator('#translate-output[data-source="test-ab-2"]').waitFor({ timeout: 15_000 });
    assert.deepEqual(errors, []);
    await screenshot(page, 'studio-translate.png');
    await page.close();
  });

  test('the translate page shows a pix2pix output beside its input and ground truth, with no direction toggle', { timeout: 120_000 }, async () => {
    const p2p = await makeTranslationRun(runsDir, 'e2e-pix2pix', 'pix2pix');
    const page = await browser.context.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(String(e)));
    await page.goto(`${server.url}/#/runs/${p2p.name}/translate`);
    await page.locator('#translate-output[data-source="test-ab-0"]').waitFor({ timeout: 60_000 });
    await page.locator('#test-strip canvas.thumb[data-index="1"]').click();
    await page.locator('#translate-output[data-source="test-ab-1"]').waitFor({ timeout: 15_000 });
    const tests = (await (await fetch(`${server.url}/api/runs/${p2p.name}/test-images?n=12`)).json()) as TestImages;
    assert.equal(tests.paired, true);
    const image = (side: 'a' | 'b') => bytesToRange(Buffer.from(tests[side].pixels, 'base64').subarray(256, 512), [-1, 1]);
    const want = await translateInNode(p2p.dir, image('a'), [16, 16, 1], false);
    const diff = maxDiff((await canvasRgb(page, 'translate-output')).rgb, toRgbBytes(want.data, want.shape, 0));
    assert.ok(diff <= 3, `the page's output differs from Node's by up to ${diff}/255`);
    assert.deepEqual((await canvasRgb(page, 'translate-target')).rgb, toRgbBytes(image('b'), [1, 16, 16, 1], 0), 'the ground truth shown is the test target');
    assert.equal(await page.locator('#direction-ba').count(), 0, 'pix2pix translates one way');
    assert.deepEqual(errors, []);
    await page.close();
  });

  test('the inpaint page fills a hole painted with the mouse, as gantry inpaint does in Node on the same mask', { timeout: 180_000 }, async () => {
    const ip = await makeInpaintRun(runsDir, 'e2e-inpaint');
    const page = await browser.context.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(String(e)));
    await page.goto(`${server.url}/#/runs/${ip.name}`);
    await page.locator('#inpaint-link').click();
    await page.waitForURL(/#\/runs\/e2e-inpaint\/inpaint$/);
    await page.locator('#inpaint-output[data-source="test-0"]').waitFor({ timeout: 60_000 });
    assert.equal(await page.locator('#inpaint-output').getAttribute('data-missing'), String(14 * 14), 'the page starts with the centre hole');
    await page.locator('#test-strip canvas.thumb[data-index="3"]').click();
    await page.locator('#inpaint-output[data-source="test-3"]').waitFor({ timeout: 15_000 });
    await page.click('#clear-mask');
    await page.locator('#inpaint-output[data-missing="0"]').waitFor({ timeout: 15_000 });
    // Two strokes with the mouse across the editor (256 px on screen for 28 image pixels).
    const box = (await page.locator('#inpaint-editor').boundingBox())!;
    const drawn = Number(await page.locator('#inpaint-output').getAttribute('data-drawn'));
    for (const [from, to] of [[[0.2, 0.3], [0.8, 0.45]], [[0.5, 0.15], [0.45, 0.85]]] as const) {
      await page.mouse.move(box.x + from[0] * box.width, box.y + from[1] * box.height);
      await page.mouse.down();
      await page.mouse.move(box.x + to[0] * box.width, box.y + to[1] * box.height, { steps: 12 });
      await page.mouse.up();
    }
    await page.waitForFunction((n) => Number(document.getElementById('inpaint-output')!.dataset.drawn) >= n + 2, drawn, { timeout: 15_000 });
    // The mask the page used, read back from its mask view (white = missing), and the test image.
    const maskView = await canvasRgb(page, 'inpaint-mask');
    assert.deepEqual([maskView.width, maskView.height], [28, 28]);
    const mask = Float32Array.from({ length: 28 * 28 }, (_, p) => (maskView.rgb[3 * p]! > 127 ? 1 : 0));
    const missing = mask.reduce((a, b) => a + b, 0);
    assert.ok(missing > 40 && missing < 400, `${missing} pixels painted`);
    assert.equal(await page.locator('#inpaint-output').getAttribute('data-missing'), String(missing));
    const tests = (await (await fetch(`${server.url}/api/runs/${ip.name}/test-images?n=12`)).json()) as TestImages;
    const x = bytesToRange(Buffer.from(tests.a.pixels, 'base64').subarray(3 * 784, 4 * 784), [-1, 1]);
    const stem = path.join(tmp, 'inpaint-node');
    fs.writeFileSync(`${stem}-x.npy`, encodeNpy(x, [1, 28, 28, 1]));
    fs.writeFileSync(`${stem}-m.npy`, encodeNpy(mask, [1, 28, 28]));
    await promisify(execFile)(process.execPath, [path.join(REPO_ROOT, 'bin/gantry.js'), 'inpaint', ip.dir, '--in', `${stem}-x.npy`, '--mask', `${stem}-m.npy`, '--out', `${stem}-y.npy`], { cwd: REPO_ROOT, timeout: 60_000 });
    const want = readNpy(`${stem}-y.npy`);
    const got = await canvasRgb(page, 'inpaint-output');
    const wantRgb = toRgbBytes(want.data, want.shape, 0);
    const diff = maxDiff(got.rgb, wantRgb);
    assert.ok(diff <= 3, `the page's completion differs from Node's by up to ${diff}/255`);
    // Known pixels are the test image's; the hole is filled with something other than the original.
    const truth = toRgbBytes(x, [1, 28, 28, 1], 0);
    let holeDiff = 0;
    for (let p = 0; p < 28 * 28; p++) {
      if (!mask[p]) assert.ok(Math.abs(got.rgb[3 * p]! - truth[3 * p]!) <= 1, `known pixel ${p} changed`);
      else holeDiff += Math.abs(wantRgb[3 * p]! - truth[3 * p]!);
    }
    assert.ok(holeDiff > 0, 'the hole came back as the original: the generator saw it');
    assert.deepEqual(errors, []);
    await screenshot(page, 'studio-inpaint.png');
    await page.close();
  });

  test('path traversal is refused with a 4xx JSON error', async () => {
    for (const p of ['/runs/..%2F..%2Fetc/passwd', '/api/runs/..', '/api/runs/..%2F..%2Fetc', `/runs/${run.name}/samples/..%2F..%2F..%2Fetc%2Fpasswd`, '/runs/%2e%2e/export/model.json']) {
      const res = await rawGet(server.url, p);
      assert.ok(res.status >= 400 && res.status < 500, `${p}: status ${res.status}`);
      assert.match(res.type, /application\/json/, p);
      assert.equal(typeof (JSON.parse(res.body) as { error: unknown }).error, 'string', p);
      assert.doesNotMatch(res.body, /root:/, p);
    }
  });
});
