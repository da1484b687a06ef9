/**
 * Unpaired two-domain data (CycleGAN): two sources, each any single dataset, drawn side by side but
 * independently (each keeps its own permutation or generator stream and its own augmentation).
 * Batches carry `a`, `b` and `x` (the same array as `a`).
 */
import { Rng } from '../core/rng.ts';
import { stateError, type Batch, type DataSource } from './dataset.ts';

interface UnpairedState {
  kind: 'unpaired';
  a: unknown;
  b: unknown;
}

/** Seeds for the two domains, derived from the run's seed so that a and b never share a stream. */
export function domainSeeds(seed: number): { a: number; b: number } {
  const root = new Rng(seed);
  return { a: root.fork('domain-a').nextU32(), b: root.fork('domain-b').nextU32() };
}

export function unpairedSource(a: DataSource, b: DataSource): DataSource {
  const name = `unpaired(${a.name}, ${b.name})`;
  return {
    name,
    shape: [...a.shape],
    fields: { x: a.fields.x!, a: a.fields.x!, b: b.fields.x! },
    numClasses: 0,
    // Both domains fit in it (plots of translations in either direction).
    range: [Math.min(a.range[0], b.range[0]), Math.max(a.range[1], b.range[1])],
    // An epoch of the pair: the larger domain's (Infinity when either is generated).
    size: Math.max(a.size, b.size),
    nextBatch(batchSize: number): Batch {
      const xa = a.nextBatch(batchSize).x;
      return { x: xa, a: xa, b: b.nextBatch(batchSize).x };
    },
    getState(): UnpairedState {
      return { kind: 'unpaired', a: a.getState(), b: b.getState() };
    },
    setState(state: unknown): void {
      const s = state as Partial<UnpairedState> | null;
      if (typeof s !== 'object' || s === null || s.kind !== 'unpaired') throw stateError(name, "expected kind 'unpaired'", state);
      a.setState(s.a);
      b.setState(s.b);
    },
  };
}
