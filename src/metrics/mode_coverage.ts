/**
 * Mode-collapse measurements as PacGAN (Lin et al. 2018) and VEEGAN (Srivastava et al. 2017) report
 * them: modes covered and high-quality samples on 2-D Gaussian mixtures, and modes plus
 * KL(p̂ ‖ uniform) on Stacked MNIST's 1,000 digit triples.
 */

export interface ModeCoverageResult {
  /** Modes with at least one high-quality sample assigned to them. */
  modes_covered: number;
  num_modes: number;
  /** Percentage (0–100) of samples within 3 std of their nearest mode. */
  high_quality_pct: number;
  /** Number of samples measured. */
  n: number;
  /** High-quality samples assigned to each mode (nearest-mode assignment). */
  per_mode: number[];
}

/**
 * A sample is high quality when its distance to the nearest mode is below 3 std; a mode is covered
 * when at least one high-quality sample has it as nearest mode. The PacGAN protocol uses 2,500 samples.
 * @param samples row-major n×2 points (n×d in general; d is taken from the modes)
 */
export function modeCoverage(samples: Float32Array, modes: number[][], std: number): ModeCoverageResult {
  if (modes.length === 0) throw new Error('modeCoverage: modes is empty');
  const dim = modes[0]!.length;
  for (const [i, m] of modes.entries()) {
    if (m.length !== dim) throw new Error(`modeCoverage: mode ${i} has ${m.length} coordinates, expected ${dim}`);
  }
  if (!(std > 0)) throw new Error(`modeCoverage: std must be > 0, got ${std}`);
  if (samples.length % dim !== 0) {
    throw new Error(`modeCoverage: samples has ${samples.length} values, not a multiple of the mode dimension ${dim}`);
  }
  const n = samples.length / dim;
  const perMode = new Array<number>(modes.length).fill(0);
  const threshold2 = (3 * std) ** 2;
  let highQuality = 0;
  for (let i = 0; i < n; i++) {
    let best = -1;
    let bestDist2 = Infinity;
    for (let m = 0; m < modes.length; m++) {
      const mode = modes[m]!;
      let d2 = 0;
      for (let j = 0; j < dim; j++) {
        const diff = samples[i * dim + j]! - mode[j]!;
        d2 += diff * diff;
      }
      if (d2 < bestDist2) {
        bestDist2 = d2;
        best = m;
      }
    }
    // NaN samples (a diverged generator) never count as high quality.
    if (best >= 0 && bestDist2 < threshold2) {
      highQuality++;
      perMode[best]!++;
    }
  }
  return {
    modes_covered: perMode.filter((c) => c > 0).length,
    num_modes: modes.length,
    high_quality_pct: n === 0 ? 0 : (100 * highQuality) / n,
    n,
    per_mode: perMode,
  };
}

export const STACKED_MNIST_MODES = 1000;

/**
 * Stacked MNIST: each sample's three channels are classified as digits d0 d1 d2, giving the mode
 * 100·d0 + 10·d1 + d2. Returns the number of distinct modes hit and KL(p̂ ‖ uniform) in nats, where p̂
 * is the empirical mode distribution (0 for perfect uniformity, ln 1000 ≈ 6.91 for a single mode).
 */
export function stackedMnistModes(predictedLabels: Int32Array): { modes: number; kl_to_uniform: number } {
  if (predictedLabels.length === 0) throw new Error('stackedMnistModes: no predicted labels');
  const counts = new Float64Array(STACKED_MNIST_MODES);
  for (let i = 0; i < predictedLabels.length; i++) {
    const label = predictedLabels[i]!;
    if (!(label >= 0 && label < STACKED_MNIST_MODES)) {
      throw new Error(`stackedMnistModes: label at index ${i} is ${label}, expected an integer in 0..999`);
    }
    counts[label]!++;
  }
  let modes = 0;
  let kl = 0;
  for (const c of counts) {
    if (c === 0) continue;
    modes++;
    const p = c / predictedLabels.length;
    kl += p * Math.log(p * STACKED_MNIST_MODES);
  }
  return { modes, kl_to_uniform: kl };
}

/** Combines three per-channel digit predictions into Stacked-MNIST mode labels 0..999. */
export function stackedMnistLabels(d0: Int32Array, d1: Int32Array, d2: Int32Array): Int32Array {
  if (d0.length !== d1.length || d1.length !== d2.length) {
    throw new Error(`stackedMnistLabels: channel predictions differ in length (${d0.length}, ${d1.length}, ${d2.length})`);
  }
  const out = new Int32Array(d0.length);
  for (let i = 0; i < out.length; i++) out[i] = 100 * d0[i]! + 10 * d1[i]! + d2[i]!;
  return out;
}
