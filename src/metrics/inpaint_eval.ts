/**
 * `gantry eval` (and the periodic evaluator) for inpainting runs: the first n images of a split, each with
 * the split's fixed evaluation mask of a kind (inpaint.ts `evalMasks`: the same holes for every run and
 * baseline), are completed by the run's generator and scored in the hole and on the whole image (PSNR,
 * SSIM, L1 in the hole; metrics/inpaint.ts), beside the mean-fill and diffusion-fill baselines on the same
 * masks, and, where a feature network exists for the images (mnist, fashion-mnist, cifar10 at their own
 * size), the FID of the completed images against real images of that split. Keys carry the protocol:
 * `psnr_hole_center_test1k`, `ssim_full_boxes_test1k_meanfill`, `fid1k_test_cifarnet_center_diffusion`.
 */
import { Rng } from '../core/rng.ts';
import { imageSetToUnit } from '../data/dataset.ts';
import { evalMasks, MASK_KINDS, type MaskKind } from '../data/inpaint.ts';
import { loadEvalSet } from '../data/registry.ts';
import type { RunConfig } from '../families/config.ts';
import type { Trainer } from '../train/trainer.ts';
import { evaluate, type MetricRecord } from './evaluate.ts';
import type { FeatureNetOptions } from './feature_net.ts';
import { diffusionFill, inpaintScores, meanFill } from './inpaint.ts';
import { countTag, pairedFeatureDataset } from './paired_eval.ts';

export const INPAINT_METRICS = ['inpaint', 'fid'] as const;
/** The masks `gantry eval` scores by default: the done-when protocol. */
export const DEFAULT_EVAL_MASKS: readonly MaskKind[] = ['center', 'boxes'];
export const INPAINT_BASELINES = ['meanfill', 'diffusion'] as const;

export interface InpaintEvalOptions {
  metrics: string[];
  n: number;
  split: 'test' | 'train';
  seed: number;
  masks?: readonly MaskKind[];
  /** Also score the mean-fill and diffusion-fill baselines (default true). */
  baselines?: boolean;
  featureNetOptions?: FeatureNetOptions;
}

/** The metrics `gantry eval` picks for an inpainting run: FID too where a feature network applies. */
export function defaultInpaintMetrics(cfg: RunConfig): string[] {
  return pairedFeatureDataset(cfg) ? ['inpaint', 'fid'] : ['inpaint'];
}

export async function evaluateInpaint(t: Trainer, cfg: RunConfig, opts: InpaintEvalOptions): Promise<MetricRecord> {
  const started = performance.now();
  const unknown = opts.metrics.filter((m) => !(INPAINT_METRICS as readonly string[]).includes(m));
  if (unknown.length) throw new Error(`metric(s) ${unknown.join(', ')} do not apply to an inpainting run; choose from ${INPAINT_METRICS.join(', ')}`);
  const kinds = opts.masks ?? DEFAULT_EVAL_MASKS;
  const badKind = kinds.filter((k) => !(MASK_KINDS as readonly string[]).includes(k));
  if (badKind.length) throw new Error(`inpaint eval: unknown mask kind(s) ${badKind.join(', ')}; expected ${MASK_KINDS.join(', ')}`);
  const images = await loadEvalSet(cfg.data, opts.split);
  const n = Math.min(opts.n, images.count);
  if (n < 1) throw new Error('inpaint eval: the split has no images');
  const shape = images.shape;
  const [h, w] = shape;
  const x = imageSetToUnit(images, 0, n);
  const holeSize = (cfg.data as { holeSize?: number }).holeSize;
  const proto = `${opts.split}${countTag(n)}`;
  const feat = opts.metrics.includes('fid') ? pairedFeatureDataset(cfg) : undefined;
  if (opts.metrics.includes('fid') && !feat) throw new Error(`fid: no feature network for this run's images (built-in ones: mnist, fashion-mnist, cifar10 at their own size); ask for --metrics inpaint`);
  const out: MetricRecord = {};
  let generate_seconds = 0;
  for (const kind of kinds) {
    const masks = evalMasks(kind, opts.split, n, h, w, { holeSize });
    const g0 = performance.now();
    const filled = await t.generate(n, new Rng(opts.seed), { inputs: { x, mask: masks } });
    generate_seconds += (performance.now() - g0) / 1000;
    const methods: [string, Float32Array][] = [['', filled]];
    if (opts.baselines !== false) methods.push(['_meanfill', meanFill(x, masks, n, shape)], ['_diffusion', diffusionFill(x, masks, n, shape)]);
    let hole = 0;
    for (let i = 0; i < masks.length; i++) hole += masks[i]!;
    out[`hole_fraction_${kind}_${proto}`] = hole / masks.length;
    for (const [suffix, y] of methods) {
      if (opts.metrics.includes('inpaint')) {
        const s = inpaintScores(y, x, masks, n, shape);
        out[`psnr_hole_${kind}_${proto}${suffix}`] = s.psnrHole;
        out[`ssim_hole_${kind}_${proto}${suffix}`] = s.ssimHole;
        out[`psnr_full_${kind}_${proto}${suffix}`] = s.psnrFull;
        out[`ssim_full_${kind}_${proto}${suffix}`] = s.ssimFull;
        out[`l1_hole_${kind}_${proto}${suffix}`] = s.l1Hole;
        if (suffix === '') out[`ssim_hole_images_${kind}_${proto}`] = s.ssimHoleImages;
      }
      if (feat && n >= 2) {
        const r = await evaluate({ metrics: ['fid'], samples: y, count: n, shape, dataset: feat.dataset, ref: opts.split, n, seed: opts.seed, dataDir: feat.dataDir, featureNetOptions: opts.featureNetOptions });
        for (const [k, v] of Object.entries(r)) if (k.startsWith('fid')) out[`${k}_${kind}${suffix}`] = v;
      }
    }
  }
  if (opts.metrics.includes('inpaint')) out.metric_range = '[0,1]';
  return { ...out, n_images: n, split: opts.split, generate_seconds, eval_seconds: (performance.now() - started) / 1000 };
}
