/**
 * 2-D toy distributions for the playground: Gaussian mixtures whose modes are known, so that mode
 * coverage can be counted (PacGAN's protocol).
 */
import { Rng } from '../../../src/core/rng.ts';

export interface Mixture {
  name: string;
  modes: number[][];
  std: number;
  /** Half-width of the square view that shows the data with a margin. */
  extent: number;
}

/** 8 Gaussians on a circle of radius 2, std 0.02 (the ring of Metz et al. 2017). */
export function ring8(): Mixture {
  const modes = Array.from({ length: 8 }, (_, i) => [2 * Math.cos((2 * Math.PI * i) / 8), 2 * Math.sin((2 * Math.PI * i) / 8)]);
  return { name: 'ring8', modes, std: 0.02, extent: 3 };
}

/** 25 Gaussians on a 5×5 grid at −4, −2, 0, 2, 4, std 0.05 (PacGAN's 2D-grid). */
export function grid25(): Mixture {
  const modes: number[][] = [];
  for (let i = -2; i <= 2; i++) for (let j = -2; j <= 2; j++) modes.push([2 * i, 2 * j]);
  return { name: 'grid25', modes, std: 0.05, extent: 5.5 };
}

/** Gaussians around points drawn by the user, in the coordinates of a view of half-width `extent`. */
export function drawn(points: number[][], extent: number): Mixture {
  return { name: 'drawn', modes: points.map((p) => p.slice()), std: 0.01 * extent, extent };
}

/** n points from the mixture, row-major n×2; each point picks a mode uniformly. */
export function sampleMixture(mix: Mixture, n: number, rng: Rng): Float32Array {
  const out = new Float32Array(n * 2);
  const noise = rng.normalArray(n * 2, 0, mix.std);
  for (let i = 0; i < n; i++) {
    const m = mix.modes[rng.int(mix.modes.length)]!;
    out[2 * i] = m[0]! + noise[2 * i]!;
    out[2 * i + 1] = m[1]! + noise[2 * i + 1]!;
  }
  return out;
}
