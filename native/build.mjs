#!/usr/bin/env node
// Builds Gantry's native kernel addon (native/build/Release/gantry_native.node) with node-gyp and the
// machine's C++ compiler. Run by `npm install` / `npm ci` / `npm rebuild`; it never fails the
// install: without a compiler (or with GANTRY_SKIP_NATIVE=1) Gantry trains on the wasm kernels, and
// this prints one line saying so. The full compiler output goes to native/build.log.
import { spawnSync } from 'node:child_process';
import process from 'node:process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const nativeDir = path.dirname(fileURLToPath(import.meta.url));
const logFile = path.join(nativeDir, 'build.log');
const notice = (text) => process.stderr.write(`gantry: ${text}\n`);

function nodeGypCommand() {
  // npm puts its bundled node-gyp on PATH for lifecycle scripts; outside npm, look next to npm.
  const bundled = path.join(path.dirname(process.execPath), '..', 'lib', 'node_modules', 'npm', 'node_modules',
    'node-gyp', 'bin', 'node-gyp.js');
  if (fs.existsSync(bundled)) return [process.execPath, [bundled]];
  return ['node-gyp', []];
}

function build() {
  if (process.env.GANTRY_SKIP_NATIVE === '1') {
    notice('GANTRY_SKIP_NATIVE=1: native kernels not built; training will use the wasm kernels');
    return;
  }
  const [command, prefixArgs] = nodeGypCommand();
  // configure + build (not rebuild): a reinstall recompiles only what changed.
  const args = [...prefixArgs, 'configure', 'build', '--directory', nativeDir];
  // Use the headers installed with this node (e.g. /usr/include/node) so nothing is downloaded.
  const prefix = path.resolve(path.dirname(process.execPath), '..');
  if (!process.env.npm_config_nodedir && fs.existsSync(path.join(prefix, 'include', 'node', 'common.gypi'))) {
    args.push(`--nodedir=${prefix}`);
  }
  const result = spawnSync(command, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  const log = `${command} ${args.join(' ')}\n${result.stdout ?? ''}${result.stderr ?? ''}${result.error ?? ''}`;
  fs.writeFileSync(logFile, log);
  if (result.status === 0) {
    notice('built native kernels (native/build/Release/gantry_native.node)');
  } else {
    notice(`native kernels not built (see ${path.relative(process.cwd(), logFile)}); training will use the ` +
      'wasm kernels. Install a C++ compiler, make and python3, then run `npm rebuild` to enable them.');
  }
}

try {
  build();
} catch (err) {
  notice(`native kernels not built (${err instanceof Error ? err.message : String(err)}); training will use the wasm kernels`);
}
process.exitCode = 0;
