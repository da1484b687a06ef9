/**
 * 2-D Gaussian mixtures, the standard mode-collapse probes: ring8 (8 modes on the unit circle) and
 * grid25 (a 5×5 grid). Samples are generated fresh for every batch, so the set is infinite.
 */
import { Rng } from '../core/rng.ts';
import { checkBatchSize, sampleFields, isRngState, stateError, type Batch, type DataSource } from './dataset.ts';

export interface ToyMixture {
  name: string;
  /** Mode centres, each of the sample dimension. */
  modes: number[][];
  /** Isotropic standard deviation around each mode. */
  std: number;
}

export type ToyName = 'ring8' | 'grid25';

function ringModes(count: number, radius: number): number[][] {
  // Angles 2πk/count for k < count: linspace(0, 2π, count) would put k=0 and k=count-1 on the same point.
  return Array.from({ length: count }, (_, k) => {
    const angle = (2 * Math.PI * k) / count;
    return [radius * Math.cos(angle), radius * Math.sin(angle)];
  });
}

function gridModes(coords: number[]): number[][] {
  return coords.flatMap((x) => coords.map((y) => [x, y]));
}

export const TOY_MIXTURES: Record<ToyName, ToyMixture> = {
  ring8: { name: 'ring8', modes: ringModes(8, 1), std: 0.01 },
  grid25: { name: 'grid25', modes: gridModes([-4, -2, 0, 2, 4]), std: 0.05 },
};

export function isToyName(name: string): name is ToyName {
  return Object.prototype.hasOwnProperty.call(TOY_MIXTURES, name);
}

export function getToyMixture(name: string): ToyMixture {
  if (!isToyName(name)) {
    throw new Error(`unknown toy dataset '${name}', expected one of ${Object.keys(TOY_MIXTURES).join(', ')}`);
  }
  return TOY_MIXTURES[name];
}

/** Bounding box of all mode coordinates ± 4 std (for plotting). */
export function toyRange(mixture: ToyMixture): [number, number] {
  let lo = Infinity;
  let hi = -Infinity;
  for (const mode of mixture.modes) {
    for (const c of mode) {
      lo = Math.min(lo, c);
      hi = Math.max(hi, c);
    }
  }
  return [lo - 4 * mixture.std, hi + 4 * mixture.std];
}

/** n samples with the index of the mode each was drawn from. */
export function sampleToyWithModes(mixture: ToyMixture, n: number, rng: Rng): { x: Float32Array; modes: Int32Array } {
  const dim = mixture.modes[0]!.length;
  const x = rng.normalArray(n * dim, 0, mixture.std);
  const modes = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const k = rng.int(mixture.modes.length);
    modes[i] = k;
    const centre = mixture.modes[k]!;
    for (let d = 0; d < dim; d++) x[i * dim + d]! += centre[d]!;
  }
  return { x, modes };
}

/** n samples, [n, dim] row-major: a uniformly chosen mode plus Gaussian noise. */
export function sampleToy(mixture: ToyMixture, n: number, rng: Rng): Float32Array {
  return sampleToyWithModes(mixture, n, rng).x;
}

/** Index of the nearest mode and the distance to it, for each sample of x ([n, dim]). */
export function nearestModes(mixture: ToyMixture, x: Float32Array): { modes: Int32Array; distances: Float32Array } {
  const dim = mixture.modes[0]!.length;
  const n = Math.floor(x.length / dim);
  const modes = new Int32Array(n);
  const distances = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    let best = -1;
    let bestSq = Infinity;
    mixture.modes.forEach((centre, k) => {
      let sq = 0;
      for (let d = 0; d < dim; d++) sq += (x[i * dim + d]! - centre[d]!) ** 2;
      if (sq < bestSq) {
        bestSq = sq;
        best = k;
      }
    });
    modes[i] = best;
    distances[i] = Math.sqrt(bestSq);
  }
  return { modes, distances };
}

interface ToySourceState {
  kind: 'toy';
  name: string;
  rng: [number, number, number, number];
}

/** Infinite stream of fresh samples from a toy mixture; unlabeled. Its Rng is forked from `seed` with label 'data'. */
export function toySource(name: string, seed: number): DataSource {
  const mixture = getToyMixture(name);
  const rng = new Rng(seed).fork('data');
  const shape = [mixture.modes[0]!.length];
  return {
    name: mixture.name,
    shape,
    fields: sampleFields(shape, false),
    numClasses: 0,
    range: toyRange(mixture),
    size: Infinity,
    nextBatch(batchSize: number): Batch {
      checkBatchSize(mixture.name, batchSize);
      return { x: sampleToy(mixture, batchSize, rng) };
    },
    getState(): ToySourceState {
      return { kind: 'toy', name: mixture.name, rng: rng.getState() };
    },
    setState(state: unknown): void {
      const s = state as Partial<ToySourceState> | null;
      if (typeof s !== 'object' || s === null || s.kind !== 'toy') throw stateError(mixture.name, "expected kind 'toy'", state);
      if (s.name !== mixture.name) throw stateError(mixture.name, `it is for '${s.name}'`, state);
      if (!isRngState(s.rng)) throw stateError(mixture.name, 'rng must be four uint32 words', state);
      rng.setState(s.rng);
    },
  };
}
