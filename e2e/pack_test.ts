/**
 * The package as a user gets it: `npm pack` this checkout (which runs `prepare`: tsc into dist/), install
 * the tarball into a fresh project outside the repository, type-check a TypeScript file that imports
 * `gantry` against the shipped .d.ts, compile and run it (train toy-ring for a few steps, sample), run
 * the custom-family example there (a family registered from outside the package), then bundle the
 * browser example against `gantry/browser` and load the run's exported generator in headless Chromium.
 *
 * The install sets GANTRY_SKIP_NATIVE=1 (the wasm fallback; compiling the addon would double the time)
 * unless GANTRY_PACK_NATIVE=1. GANTRY_SKIP_PACK=1 skips the whole test (local runs without a registry).
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { after, before, describe, test } from 'node:test';
import { CHROMIUM_PATH, launchBrowser } from './browser.ts';
import { REPO_ROOT } from './make_run.ts';

const run = promisify(execFile);
const NPM = process.platform === 'win32' ? 'npm.cmd' : 'npm';
const skip = process.env.GANTRY_SKIP_PACK === '1' ? 'GANTRY_SKIP_PACK=1' : false;
const versionOf = (pkg: string) => (JSON.parse(fs.readFileSync(path.join(REPO_ROOT, 'node_modules', pkg, 'package.json'), 'utf8')) as { version: string }).version;
const timings: Record<string, number> = {};

async function timed<T>(what: string, fn: () => Promise<T>): Promise<T> {
  const t0 = Date.now();
  try {
    return await fn();
  } finally {
    timings[what] = +((Date.now() - t0) / 1000).toFixed(1);
  }
}

async function sh(cmd: string, args: string[], cwd: string, env: Record<string, string> = {}, withStderr = false): Promise<string> {
  try {
    const { stdout, stderr } = await run(cmd, args, { cwd, env: { ...process.env, ...env }, maxBuffer: 64 << 20 });
    return withStderr ? stdout + stderr : stdout;
  } catch (e) {
    const err = e as { stdout?: string; stderr?: string; message: string };
    throw new Error(`${cmd} ${args.join(' ')} failed in ${cwd}:\n${err.message}\n${err.stdout ?? ''}\n${err.stderr ?? ''}`, { cause: e });
  }
}

/** The user's script: every call through the public API, types from the shipped declarations. */
const MAIN_TS = `
import { initEngine, loadConfig, openRun, Rng, trainRun, type ProgressReporter, type RunConfig } from 'gantry';
import { Rng as BrowserRng, checkExportedModel } from 'gantry/browser';

const backend = await initEngine('auto');
const config: RunConfig = loadConfig('toy-ring', { train: { steps: 20, logEvery: 5, sampleEvery: 20, checkpointEvery: 20 } });
const steps: number = config.train.steps;
// The types are real (from the zod schemas), not any:
// @ts-expect-error batchSize is a number
config.train.batchSize = 'large';
config.train.batchSize = 64;
const updates: number[] = [];
const progress: ProgressReporter = { start() {}, update: (step) => void updates.push(step), stop() {} };
const { status } = await trainRun({ config, preset: 'toy-ring', outDir: 'run', progress, backend });
const { trainer } = await openRun('run');
const points = await trainer.generate(16, new Rng(0));
trainer.dispose();
void BrowserRng;
void checkExportedModel;
console.log(JSON.stringify({ backend, steps, step: status.step, state: status.state, updates, n: points.length, finite: points.every(Number.isFinite) }));
`;

const TSCONFIG = {
  compilerOptions: {
    target: 'ES2022',
    module: 'NodeNext',
    moduleResolution: 'NodeNext',
    strict: true,
    skipLibCheck: true,
    outDir: 'out',
    types: ['node'],
    lib: ['ES2022', 'DOM'],
  },
  include: ['*.ts'],
};

/** A static server for the bundled page and the run's export folder. */
function serve(routes: Record<string, string>): Promise<{ url: string; close(): Promise<void> }> {
  const types: Record<string, string> = { '.html': 'text/html', '.js': 'text/javascript', '.json': 'application/json', '.wasm': 'application/wasm' };
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    const prefix = Object.keys(routes).sort((a, b) => b.length - a.length).find((p) => url.pathname.startsWith(p))!;
    const file = path.join(routes[prefix]!, decodeURIComponent(url.pathname.slice(prefix.length)) || 'index.html');
    if (!file.startsWith(routes[prefix]!) || !fs.existsSync(file) || fs.statSync(file).isDirectory()) {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { 'content-type': types[path.extname(file)] ?? 'application/octet-stream' });
    fs.createReadStream(file).pipe(res);
  });
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      resolve({ url: `http://127.0.0.1:${port}`, close: () => new Promise<void>((r) => server.close(() => r())) });
    }),
  );
}

describe('npm pack → install in a fresh project', { timeout: 240_000, skip }, () => {
  let tmp = '';
  let app = '';
  let installLog = '';
  const t0 = Date.now();

  before(async () => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'gantry-pack-'));
    app = path.join(tmp, 'app');
    fs.mkdirSync(app);
    const packed = await timed('pack', () => sh(NPM, ['pack', '--json', '--pack-destination', tmp], REPO_ROOT));
    const tarball = path.join(tmp, (JSON.parse(packed.slice(packed.indexOf('['))) as { filename: string }[])[0]!.filename);
    // npm ≥ 11.19 runs a dependency's install script (Gantry's native build) only when the project allows it.
    fs.writeFileSync(path.join(app, 'package.json'), JSON.stringify({ name: 'gantry-user', private: true, type: 'module', allowScripts: { gantry: true } }, null, 2));
    const env: Record<string, string> = process.env.GANTRY_PACK_NATIVE === '1' ? {} : { GANTRY_SKIP_NATIVE: '1' };
    const deps = [tarball, `typescript@${versionOf('typescript')}`, `@types/node@${versionOf('@types/node')}`];
    installLog = await timed('install', () => sh(NPM, ['install', '--no-audit', '--no-fund', '--prefer-offline', '--foreground-scripts', ...deps], app, env, true));
  });

  after(() => {
    process.stderr.write(`pack test: ${JSON.stringify({ ...timings, total: +((Date.now() - t0) / 1000).toFixed(1) })}\n`);
    if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
  });

  test('ships compiled code, declarations and what the CLI needs, not sources or tests', () => {
    const pkg = path.join(app, 'node_modules', 'gantry');
    for (const f of ['dist/index.js', 'dist/index.d.ts', 'dist/browser.js', 'dist/browser.d.ts', 'bin/gantry.js', 'presets/toy-ring.yaml', 'native/binding.gyp', 'native/build.mjs']) {
      assert.ok(fs.existsSync(path.join(pkg, f)), `${f} is missing from the package`);
    }
    for (const f of ['src', 'e2e', 'bench', 'dist/.tsbuildinfo', 'tsconfig.json']) assert.ok(!fs.existsSync(path.join(pkg, f)), `${f} should not be in the package`);
    const shipped = fs.readdirSync(path.join(pkg, 'dist'), { recursive: true }) as string[];
    assert.deepEqual(shipped.filter((f) => /_test\.|test_support|_testing\./.test(f)), []);
  });

  test('a TypeScript file type-checks against the .d.ts, trains toy-ring and samples', async () => {
    fs.writeFileSync(path.join(app, 'main.ts'), MAIN_TS);
    fs.copyFileSync(path.join(REPO_ROOT, 'examples', 'custom_family.ts'), path.join(app, 'custom_family.ts'));
    fs.writeFileSync(path.join(app, 'tsconfig.json'), JSON.stringify(TSCONFIG, null, 2));
    await timed('tsc', () => sh(process.execPath, [path.join(app, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', '.'], app));
    const out = await timed('train', () => sh(process.execPath, ['out/main.js'], app));
    const res = JSON.parse(out.trim().split('\n').pop()!) as { step: number; state: string; updates: number[]; n: number; finite: boolean };
    assert.equal(res.step, 20);
    assert.equal(res.state, 'done');
    assert.deepEqual(res.updates, [5, 10, 15, 20]);
    assert.equal(res.n, 32);
    assert.ok(res.finite);
    assert.ok(fs.existsSync(path.join(app, 'run', 'export', 'model.json')));
  });

  test('the custom-family example registers a family from outside the package and trains it', async () => {
    const out = await timed('custom_family', () => sh(process.execPath, ['out/custom_family.js'], app, { GANTRY_EXAMPLE_STEPS: '10', GANTRY_EXAMPLE_OUT: 'bigan-run' }));
    const res = JSON.parse(out.trim().split('\n').pop()!) as { step: number; networks: string[] };
    assert.equal(res.step, 10);
    assert.deepEqual(res.networks, ['G', 'E', 'D']);
  });

  test("the package's install script ran (native build, or the wasm fallback notice)", () => {
    assert.match(installLog, /gantry: (GANTRY_SKIP_NATIVE=1|built native kernels|native kernels not built)/);
  });

  test('the CLI runs from the installed package', async () => {
    const bin = path.join(app, 'node_modules', '.bin', 'gantry');
    assert.match(await sh(process.execPath, [bin, 'presets'], app), /toy-ring/);
    // Start-up of the compiled CLI, best of 3 (reported with the timings below).
    const help: number[] = [];
    for (let i = 0; i < 3; i++) {
      const t = Date.now();
      assert.match(await sh(process.execPath, [bin, '--help'], app), /Usage: gantry/);
      help.push((Date.now() - t) / 1000);
    }
    timings.help_best = Math.min(...help);
  });

  test('gantry/browser loads the exported generator in a Chromium page', { skip: fs.existsSync(CHROMIUM_PATH) ? false : `no Chromium at ${CHROMIUM_PATH}` }, async () => {
    const web = path.join(app, 'web');
    fs.mkdirSync(web);
    for (const f of ['index.html', 'main.ts']) fs.copyFileSync(path.join(REPO_ROOT, 'examples', 'browser', f), path.join(web, f));
    // The user's bundler (Vite here) resolves `gantry/browser` through the installed package's exports map.
    const { build } = await import('vite');
    await timed('bundle', () => build({ root: web, configFile: false, logLevel: 'error', build: { outDir: path.join(web, 'dist'), target: 'es2022', chunkSizeWarningLimit: 1 << 20 } }));
    const bundled = fs.readdirSync(path.join(web, 'dist', 'assets')).map((f) => fs.readFileSync(path.join(web, 'dist', 'assets', f), 'utf8')).join('\n');
    assert.doesNotMatch(bundled, /from\s*["']node:/, 'the browser bundle imports a node: module');
    const srv = await serve({ '/export/': path.join(app, 'run', 'export'), '/': path.join(web, 'dist') });
    const browser = await launchBrowser();
    try {
      const page = await browser.context.newPage();
      const errors: string[] = [];
      page.on('pageerror', (e) => errors.push(String(e)));
      await timed('browser', async () => {
        await page.goto(`${srv.url}/?model=/export/`);
        await page.waitForFunction(() => (window as unknown as { gantryResult?: unknown }).gantryResult !== undefined, undefined, { timeout: 60_000 });
      });
      const result = (await page.evaluate(() => (window as unknown as { gantryResult: unknown }).gantryResult)) as { error?: string; shape: number[]; finite: boolean; backend: string };
      assert.equal(result.error, undefined, `page failed: ${result.error}`);
      assert.deepEqual(result.shape, [64, 2]);
      assert.ok(result.finite);
      assert.ok(['webgl', 'cpu'].includes(result.backend));
      assert.deepEqual(errors, []);
    } finally {
      await browser.close();
      await srv.close();
    }
  });
});
