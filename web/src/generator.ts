/** The studio loads exported generators through the library's browser entry (`gantry/browser`). */
import { api } from './api.ts';
import { LoadedGenerator, loadReverseGenerator } from '../../src/browser.ts';

export { LoadedGenerator, checkExportedModel, slerp, EXPORT_FORMAT, type ExportedModel, type SamplerInput } from '../../src/browser.ts';

/** The last run's generators (forward, and reverse once asked for), kept across its pages; another run's replace them. */
let cached: { run: string; forward: Promise<LoadedGenerator>; reverse?: Promise<LoadedGenerator | null> } | null = null;

function disposeCached(): void {
  const old = cached;
  cached = null;
  // A load that failed has nothing to dispose.
  void old?.forward.then((g) => g.dispose(), () => undefined);
  void old?.reverse?.then((g) => g?.dispose(), () => undefined);
}

function entryFor(run: string): NonNullable<typeof cached> {
  if (cached?.run !== run) {
    disposeCached();
    const forward = LoadedGenerator.load(api.exportBase(run));
    cached = { run, forward };
    // A failed load is not kept, so a reload of the page tries again.
    forward.catch(() => cached?.forward === forward && (cached = null));
  }
  return cached!;
}

/** The run's exported generator (`export/`). */
export function runGenerator(run: string): Promise<LoadedGenerator> {
  return entryFor(run).forward;
}

/** The run's reverse generator (CycleGAN's B → A, `export/reverse/`), or null when its export has none. */
export function runReverseGenerator(run: string): Promise<LoadedGenerator | null> {
  const entry = entryFor(run);
  entry.reverse ??= entry.forward.then((g) => loadReverseGenerator(g, api.exportBase(run)));
  return entry.reverse;
}
