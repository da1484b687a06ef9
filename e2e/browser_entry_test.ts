/**
 * `gantry/browser` must run in a page: src/browser.ts and everything it imports bundle for the browser
 * platform (esbuild refuses Node built-ins there), and none of Gantry's own modules in that bundle
 * import a Node module. The pack test then loads the compiled entry in Chromium.
 */
import assert from 'node:assert/strict';
import { builtinModules } from 'node:module';
import path from 'node:path';
import { test } from 'node:test';
import * as esbuild from 'esbuild';
import { REPO_ROOT } from './make_run.ts';

test('src/browser.ts bundles for the browser with no Node imports', async () => {
  const res = await esbuild.build({
    entryPoints: [path.join(REPO_ROOT, 'src', 'browser.ts')],
    absWorkingDir: REPO_ROOT,
    bundle: true,
    platform: 'browser',
    format: 'esm',
    write: false,
    metafile: true,
    logLevel: 'silent',
  });
  const node = new Set([...builtinModules, ...builtinModules.map((m) => `node:${m}`)]);
  const own = Object.entries(res.metafile.inputs).filter(([f]) => !f.includes('node_modules'));
  assert.ok(own.some(([f]) => f === 'src/models/network.ts'), 'the bundle should hold the network code');
  for (const [file, input] of own) {
    const bad = input.imports.filter((i) => node.has(i.path) || node.has(i.original ?? ''));
    assert.deepEqual(bad, [], `${file} imports Node modules`);
  }
  assert.doesNotMatch(res.outputFiles[0]!.text, /from\s*["']node:/);
});
