/** `gantry eval`: one JSON object of metrics whose keys carry their protocol. */
import { readSamples } from '../metrics/samples_io.ts';

// Kept here (not imported from evaluate.ts) so that argument errors come before TensorFlow.js loads.
const IMAGE_METRICS = ['fid', 'kid', 'is', 'pr', 'dc', 'conf', 'stacked', 'acc', 'paired', 'labels', 'cycle', 'sr', 'inpaint'];

export async function evalCommand(run: string | undefined, o: Record<string, unknown>): Promise<Record<string, unknown>> {
  let metrics = String(o.metrics ?? 'auto').split(',').map((m) => m.trim()).filter(Boolean);
  const unknown = metrics.filter((m) => m !== 'modes' && m !== 'auto' && !IMAGE_METRICS.includes(m));
  if (unknown.length) throw new Error(`unknown metric(s) ${unknown.join(', ')}; choose from modes, ${IMAGE_METRICS.join(', ')}`);
  const ref = String(o.ref ?? 'test');
  if (ref !== 'test' && ref !== 'train') throw new Error(`--ref must be 'test' or 'train', got '${ref}'`);
  const seed = Number(o.seed ?? 0);
  const dataDir = o.dataDir === undefined ? undefined : String(o.dataDir);
  const { evaluate, realVsReal, DEFAULT_IMAGE_METRICS } = await import('../metrics/evaluate.ts');
  if (metrics.includes('auto') && (o.realVsReal || o.samples)) metrics = [...DEFAULT_IMAGE_METRICS];
  if (o.realVsReal) {
    if (!o.dataset) throw new Error('--real-vs-real needs --dataset');
    return realVsReal(o.dataset as never, Number(o.n ?? 10000), { metrics: metrics.filter((m) => m !== 'modes'), seed, dataDir });
  }
  if (o.samples) {
    if (!o.dataset) throw new Error('--samples needs --dataset (mnist, fashion-mnist, cifar10) to pick the reference and feature network');
    const s = readSamples(String(o.samples));
    const n = Math.min(s.count, Number(o.n ?? s.count));
    return evaluate({ metrics, samples: s.x, count: n, shape: s.shape, dataset: o.dataset as never, ref: ref as 'test' | 'train', n, seed, dataDir });
  }
  if (o.srDir !== undefined || o.hrDir !== undefined) {
    if (o.srDir === undefined || o.hrDir === undefined) throw new Error('give both --sr-dir (the upscaled images) and --hr-dir (their originals)');
    if (o.scale === undefined) throw new Error('--sr-dir/--hr-dir need --scale N: the border cropped before Y-PSNR/SSIM is the scale factor');
    const { evaluateSrFolders } = await import('../metrics/sr_eval.ts');
    return evaluateSrFolders(String(o.srDir), String(o.hrDir), Number(o.scale));
  }
  if (!run) throw new Error('give a run folder, or --samples PATH --dataset NAME, or --real-vs-real --dataset NAME, or --sr-dir OUT --hr-dir HR --scale N');
  const { evaluateRun } = await import('../metrics/run_eval.ts');
  return evaluateRun(run, { metrics, n: o.n === undefined ? undefined : Number(o.n), seed, ref: ref as 'test' | 'train', peer: o.peer === undefined ? undefined : String(o.peer) });
}
