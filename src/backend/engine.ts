/**
 * Engine selection for the CLI and library users: a TF.js backend plus, on wasm, Gantry's native C++
 * kernels when the addon is built. Names: 'auto' (tfjs-node if installed, else wasm with native kernels
 * when available), 'native' (wasm + native kernels, an error if the addon is missing), 'wasm' (pure wasm
 * kernels), 'cpu', 'tensorflow'.
 */
import { initBackend } from './backend.ts';
import { loadNativeKernels, registerNativeKernels, unregisterNativeKernels } from './native_kernels.ts';

export type EngineName = 'auto' | 'native' | 'wasm' | 'cpu' | 'tensorflow';
export const ENGINE_NAMES: readonly EngineName[] = ['auto', 'native', 'wasm', 'cpu', 'tensorflow'];

/** Activates an engine and returns what runs: 'native', 'wasm', 'cpu' or 'tensorflow'. */
export async function initEngine(name: EngineName = 'auto', opts: { threads?: number; quiet?: boolean } = {}): Promise<string> {
  if (!ENGINE_NAMES.includes(name)) throw new Error(`unknown engine '${String(name)}': choose one of ${ENGINE_NAMES.join(', ')}`);
  if (name === 'cpu' || name === 'tensorflow') return initBackend(name, { quiet: opts.quiet ?? true });
  const active = await initBackend(name === 'auto' ? 'auto' : 'wasm', { quiet: opts.quiet ?? true });
  if (active !== 'wasm') return active;
  if (name === 'wasm') {
    unregisterNativeKernels();
    return 'wasm';
  }
  const native = loadNativeKernels({ threads: opts.threads });
  if (!native.loaded) {
    if (name === 'native') throw new Error(`--backend native: ${native.reason}`);
    return 'wasm';
  }
  registerNativeKernels();
  return 'native';
}
