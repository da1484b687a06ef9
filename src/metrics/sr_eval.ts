/**
 * `gantry eval` for super-resolution: the first n pairs of a split (HR images and their bicubic LR inputs,
 * data/super_resolution.ts) are upscaled by the run's generator, by bicubic interpolation and, with
 * `peer`, by the pretrained esrgan-slim models (sr_peer.ts), and all three are scored against the HR
 * images on the same pixels: Y-channel PSNR/SSIM with `scale` pixels of border cropped
 * (`psnr_y_crop4_test1k`, `…_bicubic`, `…_esrgan_slim`; super_resolution.ts) and, where a feature network
 * exists for the HR images (CIFAR-10 at 32×32), FID/KID of the outputs against real HR images.
 * Also `evaluateSrFolders`: the same scores for any SR outputs on disk against their HR originals.
 */
import * as tf from '@tensorflow/tfjs-core';
import { imageSetToUnit } from '../data/dataset.ts';
import { decodeImageFile, listImageFiles } from '../data/image_folder.ts';
import { loadPairedEvalSet } from '../data/registry.ts';
import { bytesToRange } from '../data/resize.ts';
import type { RunConfig } from '../families/config.ts';
import type { Network } from '../models/network.ts';
import { runInBatches } from '../models/batched.ts';
import type { Trainer } from '../train/trainer.ts';
import type { MetricRecord } from './evaluate.ts';
import type { FeatureNetOptions } from './feature_net.ts';
import { countTag, outputFidKid, pairedFeatureDataset } from './paired_eval.ts';
import { bicubicUpscale, srScores } from './super_resolution.ts';
import { loadSrPeer } from './sr_peer.ts';

export const SR_METRICS = ['sr', 'fid', 'kid'] as const;
/** LR pixels per generator batch at eval: small images go many at a time, large ones few. */
const EVAL_LR_PIXELS = 16_384 * 4;

export interface SrEvalOptions {
  metrics: string[];
  n: number;
  split: 'test' | 'train';
  seed: number;
  /** Also score a pretrained peer on the same images ('esrgan-slim'). */
  peer?: string;
  featureNetOptions?: FeatureNetOptions;
}

export function defaultSrMetrics(cfg: RunConfig): string[] {
  return pairedFeatureDataset(cfg) ? ['sr', 'fid', 'kid'] : ['sr'];
}

/** A fully convolutional generator on LR images of any size [count, ...lrShape], in batches, clipped to [−1, 1] (a skip-connected output can overshoot). */
export function upscaleImages(net: Network, lr: Float32Array, count: number, lrShape: readonly number[], scale: number, outChannels: number): Promise<Float32Array> {
  const [h, w, c] = lrShape as [number, number, number];
  const per = h * w * c;
  const batch = Math.max(1, Math.floor(EVAL_LR_PIXELS / (h * w)));
  return runInBatches(count, per * scale * scale * (outChannels / c), batch, (i, m) => tf.clipByValue(net.apply(tf.tensor(lr.subarray(i * per, (i + m) * per), [m, h, w, c]), { training: false }), -1, 1));
}

export async function evaluateSr(t: Trainer, cfg: RunConfig, opts: SrEvalOptions): Promise<MetricRecord> {
  const started = performance.now();
  const unknown = opts.metrics.filter((m) => !(SR_METRICS as readonly string[]).includes(m));
  if (unknown.length) throw new Error(`metric(s) ${unknown.join(', ')} do not apply to a super-resolution run; choose from ${SR_METRICS.join(', ')}`);
  if (cfg.data.name !== 'sr') throw new Error(`super-resolution eval needs data { name: sr }, the run has '${cfg.data.name}'`);
  const scale = cfg.data.scale;
  const pairs = await loadPairedEvalSet(cfg.data, opts.split);
  const n = Math.min(opts.n, pairs.target.count);
  if (n < 1) throw new Error('SR eval: the split has no images');
  const lrShape = pairs.input.shape;
  const hrShape = pairs.target.shape;
  const lr = imageSetToUnit(pairs.input, 0, n);
  const hr = imageSetToUnit(pairs.target, 0, n);
  const outputs: Record<string, Float32Array> = {
    '': await upscaleImages(t.sampler, lr, n, lrShape, scale, hrShape[2]!),
    _bicubic: bicubicUpscale(lr, n, lrShape, scale),
  };
  if (opts.peer) {
    const peer = await loadSrPeer(opts.peer, scale);
    try {
      outputs[`_${opts.peer.replace(/-/g, '_')}`] = await peer.upscale(lr, n, lrShape);
    } finally {
      peer.dispose();
    }
  }
  const proto = `${opts.split}${countTag(n)}`;
  const out: MetricRecord = {};
  if (opts.metrics.includes('sr')) {
    for (const [suffix, y] of Object.entries(outputs)) {
      const s = srScores(y, hr, n, hrShape, scale);
      out[`psnr_y_crop${scale}_${proto}${suffix}`] = s.psnrY;
      out[`ssim_y_crop${scale}_${proto}${suffix}`] = s.ssimY;
    }
    out.sr_protocol = `x${scale}; LR by MATLAB-style bicubic; outputs quantized to 8 bits; Y of BT.601 (16–235); ${scale}-px border cropped`;
  }
  const dist = opts.metrics.filter((m) => m === 'fid' || m === 'kid');
  if (dist.length) {
    for (const [suffix, y] of Object.entries(outputs)) {
      const r = await outputFidKid(cfg, dist, y, n, hrShape, opts);
      for (const [k, v] of Object.entries(r)) out[/^(fid|kid)/.test(k) ? `${k}${suffix}` : k] = v;
    }
  }
  return { ...out, n_images: n, lr_shape: lrShape.join('x'), hr_shape: hrShape.join('x'), split: opts.split, eval_seconds: (performance.now() - started) / 1000 };
}

/**
 * Y-PSNR/SSIM of SR outputs in `srDir` against the HR originals in `hrDir`, matched by relative path
 * (the extension may differ), `border` pixels cropped; each pair must have one size.
 */
export function evaluateSrFolders(srDir: string, hrDir: string, border: number): MetricRecord {
  const hrFiles = new Map(listImageFiles(hrDir).map((f) => [f.slice(hrDir.length).replace(/\.[^./\\]+$/, ''), f]));
  const srFiles = listImageFiles(srDir);
  if (srFiles.length === 0) throw new Error(`--sr-dir ${srDir} holds no PNG/JPEG images`);
  let psnr = 0;
  let ssim = 0;
  for (const f of srFiles) {
    const key = f.slice(srDir.length).replace(/\.[^./\\]+$/, '');
    const h = hrFiles.get(key);
    if (!h) throw new Error(`--hr-dir ${hrDir} has no original for ${f} (matched by relative path, any extension)`);
    const a = decodeImageFile(f);
    const b = decodeImageFile(h);
    if (a.width !== b.width || a.height !== b.height) throw new Error(`${f} is ${a.width}×${a.height} but its original ${h} is ${b.width}×${b.height}`);
    const rgb = (img: typeof a) => bytesToRange(Uint8Array.from({ length: img.width * img.height * 3 }, (_, k) => img.rgba[Math.floor(k / 3) * 4 + (k % 3)]!), [-1, 1]);
    const s = srScores(rgb(a), rgb(b), 1, [a.height, a.width, 3], border);
    psnr += s.psnrY;
    ssim += s.ssimY;
  }
  const tag = countTag(srFiles.length);
  return { [`psnr_y_crop${border}_dir${tag}`]: psnr / srFiles.length, [`ssim_y_crop${border}_dir${tag}`]: ssim / srFiles.length, n_images: srFiles.length };
}
