/**
 * Evaluation of a training run's sampler while it trains and at the end: mode coverage for the 2-D toy
 * mixtures (keys as modeCoverage gives them, on a fixed sample seed so successive evals compare).
 */
import { Rng } from '../core/rng.ts';
import { getToyMixture, isToyName } from '../data/toy.ts';
import type { RunConfig } from '../families/config.ts';
import type { RunEvaluator } from '../train/run.ts';
import type { Trainer } from '../train/trainer.ts';
import { modeCoverage } from './mode_coverage.ts';

/** Mode coverage of n samples (drawn with `seed`) from a toy run's sampler. */
export async function evaluateToy(t: Trainer, cfg: RunConfig, n = 2500, seed = cfg.seed + 104729): Promise<Record<string, number>> {
  const mix = getToyMixture(cfg.data.name);
  const pts = await t.generate(n, new Rng(seed));
  const r = modeCoverage(pts, mix.modes, mix.std);
  return { modes_covered: r.modes_covered, num_modes: r.num_modes, high_quality_pct: r.high_quality_pct, n_samples: n };
}

/** The evaluator `gantry train` runs for a config (none for data without a cheap in-training metric). */
export function runEvaluator(cfg: RunConfig): RunEvaluator | undefined {
  if (isToyName(cfg.data.name)) return (t, c) => evaluateToy(t, c, c.eval.n);
  return undefined;
}
