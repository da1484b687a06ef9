/**
 * Backend selection. In Node the fastest TF.js backend is libtensorflow through
 * `@tensorflow/tfjs-node-gpu` / `@tensorflow/tfjs-node`, when the user has installed one; otherwise
 * the wasm backend (XNNPACK, ~25× the plain-JS `cpu` backend) with Gantry's training kernels.
 */
import { createRequire } from 'node:module';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { setThreadsCount, setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
// tfjs-core's Node bundle registers no gradient functions; tfjs-layers' bundle registers them all
// (into the global registry) when loaded. It must load before registerGradientFixes overrides some.
import '@tensorflow/tfjs-layers';
import { registerGradientFixes } from './ops.ts';
import { registerWasmTrainingKernels } from './wasm_kernels.ts';

export type BackendName = 'auto' | 'tensorflow' | 'wasm' | 'cpu';

export interface BackendOptions {
  /** Silence TF.js's "install tfjs-node" banner. */
  quiet?: boolean;
  /**
   * Threads for the wasm backend's multi-threaded build. Node loads the single-threaded SIMD build
   * (TF.js reports no thread support there), which ignores it.
   */
  threads?: number;
}

/**
 * Run right after Gantry's wasm kernels are registered, before initBackend switches to wasm: other
 * modules (e.g. a native-kernel addon) push functions here to register or replace kernels of their
 * own. Each runs once; hooks pushed after a wasm initBackend run on its next call.
 */
export const wasmKernelHooks: Array<() => void> = [];

const BACKEND_NAMES: readonly BackendName[] = ['auto', 'tensorflow', 'wasm', 'cpu'];
/** Packages providing the `tensorflow` backend, fastest first. */
const TFJS_NODE_PACKAGES = ['@tensorflow/tfjs-node-gpu', '@tensorflow/tfjs-node'];

let initialized: { requested: BackendName; active: string } | undefined;
let wasmPrepared = false;
let hooksRun = 0;

/** The backend TF.js is using now. */
export function activeBackend(): string {
  return tf.getBackend();
}

/**
 * Makes `name` the TF.js backend and returns the name actually active ('tensorflow', 'wasm', 'cpu').
 * 'auto' takes tfjs-node(-gpu) when installed, else wasm. Cheap when called again with the same name.
 */
export async function initBackend(name: BackendName = 'auto', opts: BackendOptions = {}): Promise<string> {
  if (!BACKEND_NAMES.includes(name)) {
    throw new Error(`unknown backend '${String(name)}': expected one of ${BACKEND_NAMES.join(', ')}`);
  }
  if (opts.threads !== undefined && !(Number.isInteger(opts.threads) && opts.threads >= 1)) {
    throw new Error(`backend option threads must be an integer >= 1, got ${opts.threads}`);
  }
  const hooksPending = initialized?.active === 'wasm' && hooksRun < wasmKernelHooks.length;
  if (initialized?.requested === name && tf.getBackend() === initialized.active && !hooksPending) return initialized.active;
  registerGradientFixes();
  if (opts.quiet) silenceNodeBanner();

  let active: string | undefined;
  if (name === 'auto' || name === 'tensorflow') {
    active = await tryTfjsNode();
    if (!active && name === 'tensorflow') {
      throw new Error(
        `backend 'tensorflow' needs ${TFJS_NODE_PACKAGES.join(' or ')}, and neither could be loaded; ` +
          `install one, or use --backend wasm`,
      );
    }
  }
  if (!active && (name === 'auto' || name === 'wasm')) active = await useWasm(opts.threads);
  if (!active && name === 'cpu') active = (await setBackendOrThrow('cpu')) ? 'cpu' : undefined;
  if (!active) throw new Error(`backend '${name}' could not be initialized`);
  initialized = { requested: name, active };
  return active;
}

async function tryTfjsNode(): Promise<string | undefined> {
  for (const pkg of TFJS_NODE_PACKAGES) {
    try {
      // A variable specifier: these packages are optional and usually absent.
      await import(pkg);
    } catch {
      continue;
    }
    if (tf.findBackendFactory('tensorflow') && (await tf.setBackend('tensorflow'))) return 'tensorflow';
  }
  return undefined;
}

async function useWasm(threads: number | undefined): Promise<string> {
  if (!wasmPrepared) {
    // Point the loader at the package's own .wasm files by file path, so it works from any cwd
    // and under bundlers that move the JS.
    const require = createRequire(import.meta.url);
    const distDir = path.dirname(require.resolve('@tensorflow/tfjs-backend-wasm'));
    setWasmPaths(distDir + path.sep);
    registerWasmTrainingKernels();
    wasmPrepared = true;
  }
  // Hooks added since the last call run too, in order, once each.
  while (hooksRun < wasmKernelHooks.length) wasmKernelHooks[hooksRun++]!();
  if (threads !== undefined) setThreadsCount(threads);
  await setBackendOrThrow('wasm');
  return 'wasm';
}

async function setBackendOrThrow(name: string): Promise<boolean> {
  if (!(await tf.setBackend(name))) throw new Error(`TF.js could not initialize the '${name}' backend`);
  await tf.ready();
  return true;
}

/** The cpu backend prints an "install tfjs-node" banner on its first tensor in Node. */
function silenceNodeBanner(): void {
  const cpu = tf.findBackend('cpu') as { firstUse?: boolean } | null;
  if (cpu) cpu.firstUse = false;
}
