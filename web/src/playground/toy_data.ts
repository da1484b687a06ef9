/**
 * The playground's data: the library's toy mixtures (src/data/toy.ts: ring8, grid25), plus Gaussians
 * around points the user draws, each with the half-width of the square view that shows it.
 */
import { getToyMixture, toyRange, type ToyMixture, type ToyName } from '../../../src/data/toy.ts';

export interface Mixture extends ToyMixture {
  /** Half-width of the square view that shows the data with a margin. */
  extent: number;
}

/** Margin of the view around the data, as a factor on its half-width. */
const VIEW_MARGIN = 1.3;

/** A library mixture, with a view that leaves a margin around its modes. */
export function toyMixture(name: ToyName): Mixture {
  const mix = getToyMixture(name);
  const [lo, hi] = toyRange(mix);
  // A copy: the library's mixtures are shared constants.
  return { name: mix.name, modes: mix.modes.map((m) => m.slice()), std: mix.std, extent: VIEW_MARGIN * Math.max(-lo, hi) };
}

/** Gaussians around points drawn by the user, in the coordinates of a view of half-width `extent`. */
export function drawn(points: number[][], extent: number): Mixture {
  return { name: 'drawn', modes: points.map((p) => p.slice()), std: 0.01 * extent, extent };
}
