/**
 * Picks the TF.js backend for a page. Generating images prefers WebGL (convolutions on the GPU), then
 * WebAssembly (SIMD build, single thread), then plain JS; the playground's tiny MLPs are bound by
 * per-op overhead, where WebAssembly beats WebGL, so it asks for wasm first. `?backend=wasm` (or cpu,
 * webgl) in the page URL overrides both.
 */
import * as tf from '@tensorflow/tfjs-core';
// The playground trains in the page; tfjs-core registers no gradient functions on its own.
import '@tensorflow/tfjs-core/dist/register_all_gradients.js';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-webgl';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import wasmPlainUrl from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm?url';
import wasmSimdUrl from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm?url';
import wasmThreadedUrl from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-threaded-simd.wasm?url';

export const BACKEND_ORDER = ['webgl', 'wasm', 'cpu'] as const;
export const SMALL_MODEL_ORDER = ['wasm', 'cpu', 'webgl'] as const;
type BackendName = (typeof BACKEND_ORDER)[number];

let wasmPathsSet = false;
let pending: Promise<string> = Promise.resolve('');
const listeners: Array<(name: string) => void> = [];

/** Called with the backend's name whenever a page switches backend. */
export function onBackendChange(fn: (name: string) => void): void {
  listeners.push(fn);
}

function requestedBackend(): BackendName | null {
  const fromUrl = new URLSearchParams(location.search).get('backend');
  return fromUrl && (BACKEND_ORDER as readonly string[]).includes(fromUrl) ? (fromUrl as BackendName) : null;
}

/** Switches to the first backend of `preferred` that starts (the URL's choice first); resolves to its name. */
export function useBackend(preferred: readonly BackendName[] = BACKEND_ORDER): Promise<string> {
  // One switch at a time; a failed switch does not block the next.
  pending = pending.catch(() => '').then(() => switchBackend(preferred));
  return pending;
}

async function switchBackend(preferred: readonly BackendName[]): Promise<string> {
  if (!wasmPathsSet) {
    wasmPathsSet = true;
    setWasmPaths({
      'tfjs-backend-wasm.wasm': wasmPlainUrl,
      'tfjs-backend-wasm-simd.wasm': wasmSimdUrl,
      'tfjs-backend-wasm-threaded-simd.wasm': wasmThreadedUrl,
    });
  }
  const wanted = requestedBackend();
  const order = wanted ? [wanted, ...preferred.filter((b) => b !== wanted)] : [...preferred];
  for (const name of order) {
    if (tf.getBackend() === name) return announce(name);
    try {
      if (await tf.setBackend(name)) {
        await tf.ready();
        // A tiny op proves the backend really runs (WebGL can hand out a context that fails later).
        tf.tidy(() => tf.add(tf.scalar(1), tf.scalar(1)).dataSync());
        return announce(name);
      }
    } catch (err) {
      console.warn(`TF.js backend ${name} is unavailable:`, err);
    }
  }
  throw new Error(`no TF.js backend could start (tried ${order.join(', ')})`);
}

function announce(name: string): string {
  for (const fn of listeners) fn(name);
  return name;
}
