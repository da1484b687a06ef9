#!/usr/bin/env node
// Launcher. An installed package (no src/) runs the compiled CLI in dist/; a checkout runs the TypeScript
// sources through tsx's loader, so no build step is needed and a stale dist/ is never what runs.
// GANTRY_RUN=dist or GANTRY_RUN=src picks one explicitly. `gantry bench` runs from the sources (the
// benchmark is TypeScript in bench/, which a checkout has and the package does not ship).
import fs from 'node:fs';
import path from 'node:path';
import process from 'node:process';
import { fileURLToPath } from 'node:url';

const root = path.join(path.dirname(fileURLToPath(import.meta.url)), '..');
const compiled = path.join(root, 'dist', 'cli', 'main.js');
const source = path.join(root, 'src', 'cli', 'main.ts');
const args = process.argv.slice(2);
const hasSource = fs.existsSync(source);
const wanted = process.env.GANTRY_RUN ?? (hasSource ? 'src' : 'dist');
const fromSource = hasSource && (wanted === 'src' || args[0] === 'bench' || !fs.existsSync(compiled));
let entry = compiled;
if (fromSource) {
  const { register } = await import('tsx/esm/api');
  register();
  entry = source;
}
const { main } = await import(entry);
process.exitCode = await main(args);
