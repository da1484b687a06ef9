/**
 * `gantry upscale RUN --in PATH --out PATH`: a super-resolution run's generator on a PNG/JPEG, a folder of
 * them (the same relative names come out, as .png) or a float32 .npy [N, H, W, C] in [−1, 1]. The
 * generator is fully convolutional, so any input size works; each image is processed in overlapping
 * tiles (models/tiled.ts), so memory stays that of one tile however large the image. The generator comes
 * from the run's export, else its checkpoint. Prints throughput (output megapixels/s) and peak RSS.
 */
import fs from 'node:fs';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { encodeImageExact } from '../core/images.ts';
import { encodeNpy } from '../core/npy.ts';
import { isDir, listImageFiles } from '../data/image_folder.ts';
import { bytesToRange } from '../data/resize.ts';
import type { Network } from '../models/network.ts';
import { runTiled, type TileOptions } from '../models/tiled.ts';
import { openRun } from '../train/run.ts';
import { decodeInputImage, loadExportNetwork, readNpyArg, TranslateError } from './translate.ts';

export interface UpscaleOptions extends TileOptions {
  in: string;
  out: string;
}

interface Upscaler {
  net: Network;
  input: string;
  scale: number;
  channels: number;
  outChannels: number;
  dispose(): void;
}

function checkSr(net: Network, input: string, output: string, what: string): { scale: number; channels: number; outChannels: number } {
  const inShape = net.graph.inputs[input]?.shape;
  const outShape = net.shapes[output];
  if (!inShape || !outShape || inShape.length !== 3 || outShape.length !== 3) throw new TranslateError(`${what} is not an image network: upscale needs a super-resolution (srgan) run`);
  const scale = outShape[0]! / inShape[0]!;
  if (!Number.isInteger(scale) || scale < 2) throw new TranslateError(`${what} keeps the image size (${inShape[1]}×${inShape[0]} → ${outShape[1]}×${outShape[0]}): upscale needs a super-resolution run; use 'gantry translate' for image-to-image runs`);
  return { scale, channels: inShape[2]!, outChannels: outShape[2]! };
}

async function loadUpscaler(run: string): Promise<Upscaler> {
  if (!isDir(run)) throw new TranslateError(`run folder ${run} not found`);
  const exported = path.join(run, 'export');
  if (fs.existsSync(path.join(exported, 'model.json'))) {
    const { net, model, input } = loadExportNetwork(exported);
    try {
      return { net, input, ...checkSr(net, input, model.output, `${exported}/model.json`), dispose: () => net.dispose() };
    } catch (e) {
      net.dispose();
      throw e;
    }
  }
  const { cfg, trainer } = await openRun(run);
  try {
    if (cfg.model.family !== 'srgan') throw new TranslateError(`run ${run} is a ${cfg.model.family} run: upscale needs a super-resolution (srgan) run`);
    const net = trainer.sampler;
    return { net, input: net.inputNames[0]!, ...checkSr(net, net.inputNames[0]!, net.graph.outputs[0]!, `run ${run}`), dispose: () => trainer.dispose() };
  } catch (e) {
    trainer.dispose();
    throw e;
  }
}

interface InputImage {
  name: string;
  x: Float32Array;
  shape: [number, number, number];
}

function fromFile(file: string, name: string, channels: number): InputImage {
  const img = decodeInputImage(file);
  const bytes = new Uint8Array(img.width * img.height * channels);
  for (let p = 0; p < img.width * img.height; p++) {
    const [r, g, b] = [img.rgba[4 * p]!, img.rgba[4 * p + 1]!, img.rgba[4 * p + 2]!];
    if (channels === 1) bytes[p] = Math.round(0.299 * r + 0.587 * g + 0.114 * b);
    else bytes.set([r, g, b], 3 * p);
  }
  return { name, x: bytesToRange(bytes, [-1, 1]), shape: [img.height, img.width, channels] };
}

function readInputs(p: string, channels: number): { images: InputImage[]; kind: 'image' | 'folder' | 'npy' } {
  if (!fs.existsSync(p)) throw new TranslateError(`--in: ${p} not found`);
  if (isDir(p)) {
    const files = listImageFiles(p);
    if (files.length === 0) throw new TranslateError(`--in: folder ${p} holds no PNG/JPEG images`);
    return { images: files.map((f) => fromFile(f, path.relative(p, f).replace(/\.[^./\\]+$/, '.png'), channels)), kind: 'folder' };
  }
  if (p.toLowerCase().endsWith('.npy')) {
    const arr = readNpyArg('--in', p);
    const s = arr.shape.length === 3 ? [...arr.shape, 1] : arr.shape;
    if (s.length !== 4 || s[3] !== channels) throw new TranslateError(`--in: ${p} is [${arr.shape}]; expected [N, H, W, ${channels}] in [−1, 1]`);
    for (const v of arr.data) if (!(v >= -1.01 && v <= 1.01)) throw new TranslateError(`--in: ${p} holds ${v}: values must be in [−1, 1]${v > 2 ? ' (0..255 pixels: map them with v / 127.5 − 1)' : ''}`);
    const per = s[1]! * s[2]! * s[3]!;
    return { images: Array.from({ length: s[0]! }, (_, i) => ({ name: String(i), x: arr.data.subarray(i * per, (i + 1) * per), shape: [s[1]!, s[2]!, s[3]!] })), kind: 'npy' };
  }
  if (!/\.(png|jpe?g)$/i.test(p)) throw new TranslateError(`--in: ${p} is not a PNG/JPEG image, a folder or a .npy file`);
  return { images: [fromFile(p, path.basename(p), channels)], kind: 'image' };
}

export interface UpscaleReport {
  images: number;
  scale: number;
  output_megapixels: number;
  seconds: number;
  megapixels_per_second: number;
  peak_rss_mb: number;
}

export async function upscaleCommand(run: string, o: UpscaleOptions): Promise<UpscaleReport> {
  const u = await loadUpscaler(run);
  try {
    const { images, kind } = readInputs(o.in, u.channels);
    const out = o.out;
    const toNpy = out.toLowerCase().endsWith('.npy');
    const toPng = out.toLowerCase().endsWith('.png');
    if (toPng && images.length > 1) throw new TranslateError(`--out ${out} is one image but --in holds ${images.length}: give a folder or a .npy`);
    if (toNpy && images.some((im) => im.shape[0] !== images[0]!.shape[0] || im.shape[1] !== images[0]!.shape[1])) throw new TranslateError('--out .npy needs every input image to have one size; give a folder');
    fs.mkdirSync(toNpy || toPng ? path.dirname(path.resolve(out)) : out, { recursive: true });
    const started = performance.now();
    let pixels = 0;
    const results: Float32Array[] = [];
    for (const im of images) {
      const y = await runTiled((t) => tf.clipByValue(u.net.apply({ [u.input]: t }, { training: false }), -1, 1), im.x, im.shape, u.scale, u.outChannels, o);
      const shape = [im.shape[0] * u.scale, im.shape[1] * u.scale, u.outChannels];
      pixels += shape[0]! * shape[1]!;
      if (toNpy) results.push(y);
      else {
        const file = toPng ? out : path.join(out, kind === 'npy' ? `${im.name.padStart(String(images.length - 1).length, '0')}.png` : im.name);
        fs.mkdirSync(path.dirname(file), { recursive: true });
        fs.writeFileSync(file, encodeImageExact(y, 0, shape, [-1, 1]));
      }
    }
    if (toNpy) {
      const all = new Float32Array(results.reduce((n, r) => n + r.length, 0));
      results.reduce((off, r) => (all.set(r, off), off + r.length), 0);
      const [h, w] = images[0]!.shape;
      fs.writeFileSync(out, encodeNpy(all, [images.length, h * u.scale, w * u.scale, u.outChannels]));
    }
    const seconds = (performance.now() - started) / 1000;
    const report: UpscaleReport = {
      images: images.length,
      scale: u.scale,
      output_megapixels: pixels / 1e6,
      seconds,
      megapixels_per_second: pixels / 1e6 / seconds,
      peak_rss_mb: process.resourceUsage().maxRSS / 1024,
    };
    process.stderr.write(`gantry: upscaled ${images.length} image(s) ×${u.scale} → ${out} (${report.megapixels_per_second.toFixed(3)} MP/s, peak RSS ${report.peak_rss_mb.toFixed(0)} MB)\n`);
    return report;
  } finally {
    u.dispose();
  }
}
