/**
 * Picks the TF.js backend for the page: WebGL when the browser gives a context, else WebAssembly
 * (SIMD build, single thread), else plain JS. `?backend=wasm` (or cpu, webgl) in the page URL asks for
 * one first.
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

let ready: Promise<string> | null = null;

function requestedBackend(): string | null {
  const fromUrl = new URLSearchParams(location.search).get('backend');
  return fromUrl && (BACKEND_ORDER as readonly string[]).includes(fromUrl) ? fromUrl : null;
}

/** Initializes the best available backend once; resolves to its name. */
export function initBackend(): Promise<string> {
  ready ??= (async () => {
    setWasmPaths({
      'tfjs-backend-wasm.wasm': wasmPlainUrl,
      'tfjs-backend-wasm-simd.wasm': wasmSimdUrl,
      'tfjs-backend-wasm-threaded-simd.wasm': wasmThreadedUrl,
    });
    const wanted = requestedBackend();
    const order = wanted ? [wanted, ...BACKEND_ORDER.filter((b) => b !== wanted)] : [...BACKEND_ORDER];
    for (const name of order) {
      try {
        if (await tf.setBackend(name)) {
          await tf.ready();
          // A tiny op proves the backend really runs (WebGL can hand out a context that fails later).
          tf.tidy(() => tf.add(tf.scalar(1), tf.scalar(1)).dataSync());
          return name;
        }
      } catch (err) {
        console.warn(`TF.js backend ${name} is unavailable:`, err);
      }
    }
    throw new Error(`no TF.js backend could start (tried ${order.join(', ')})`);
  })();
  return ready;
}
