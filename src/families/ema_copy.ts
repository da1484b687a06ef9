/** The EMA copy of a generator that most families sample from: built, initialized equal, and declared. */
import type { NetworkSpec, Network } from '../models/network.ts';
import type { EmaCopy, FamilyBuildContext } from './family.ts';

export interface EmaGenerator {
  /** The copy (named `${source}_ema`), or null when decay is 0. */
  copy: Network | null;
  ema: EmaCopy[];
  /** The network to sample from: the copy when there is one. */
  sampler: string;
}

export function emaGenerator(ctx: FamilyBuildContext<unknown>, source: Network, spec: NetworkSpec, decay: number, after = 'G'): EmaGenerator {
  if (decay <= 0) return { copy: null, ema: [], sampler: source.name };
  const name = `${source.name}_ema`;
  const copy = ctx.network(name, spec);
  copy.copyFrom(source);
  return { copy, ema: [{ target: name, source: source.name, decay, after }], sampler: name };
}
