/**
 * `gantry inpaint RUN --in IMAGE|DIR|.npy --mask MASK|DIR|.npy|center|random --out PATH [--grid] [--seed S]`:
 * fills the holes of images with an inpainting run's generator (its export, `export/model.json`; without
 * one, the checkpoint). A mask is 1 where pixels are missing:
 *  - `center`: the square hole the run was evaluated on (half the image side, or the run's holeSize);
 *  - `random`: 1–3 random boxes per image, seeded by --seed (the evaluation's box masks' kind);
 *  - a PNG/JPEG (one image: every input gets it; a folder: matched to the input folder by relative name),
 *    missing where the pixel is bright (luma > 127), of the same width × height as its input image (both
 *    are centre-cropped and resized to the network's size alike);
 *  - a float32 .npy [N, H, W] or [N, H, W, 1] of 0/1 at the network's size, N matching --in (or N = 1: one
 *    mask for all).
 * Images are read as `gantry translate` reads them (PNG/JPEG, a folder, a .npy [N, H, W, C] in the data
 * range). Output as translate writes it: a .png, a .npy, or a folder of the same names; `--grid` writes
 * masked input | completion side by side. Known pixels come back exactly as given (the output is composited).
 */
import fs from 'node:fs';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { parseYaml } from '../core/config.ts';
import { encodeImageExact, encodeImageGrid } from '../core/images.ts';
import { encodeNpy } from '../core/npy.ts';
import { Rng } from '../core/rng.ts';
import { decodeImageFile, isDir, listImageFiles } from '../data/image_folder.ts';
import { drawMasks } from '../data/inpaint.ts';
import { imageToInput } from '../data/resize.ts';
import { runInBatches } from '../models/batched.ts';
import type { Network } from '../models/network.ts';
import { openRun } from '../train/run.ts';
import { loadExportedNetwork, readExportModel, readInputs, readNpyArg, TranslateError, type Inputs } from './translate.ts';

export interface InpaintOptions {
  in: string;
  mask: string;
  out: string;
  grid?: boolean;
  seed?: number;
}

interface Inpainter {
  net: Network;
  shape: [number, number, number];
  range: [number, number];
  output: string;
  holeSize?: number;
  dispose(): void;
}

const BATCH = 64;

function checkNet(net: Network, what: string): [number, number, number] {
  const x = net.graph.inputs.x?.shape;
  const m = net.graph.inputs.mask?.shape;
  if (!x || !m || x.length !== 3 || m.length !== 3 || m[2] !== 1) throw new TranslateError(`${what} does not take an image and a mask: inpaint needs an inpaint run`);
  return x as [number, number, number];
}

async function loadInpainter(run: string): Promise<Inpainter> {
  if (!isDir(run)) throw new TranslateError(`run folder ${run} not found`);
  const dir = path.join(run, 'export');
  const cfgFile = path.join(run, 'config.yaml');
  const holeSize = fs.existsSync(cfgFile) ? (parseYaml(fs.readFileSync(cfgFile, 'utf8'), cfgFile) as { data?: { holeSize?: number } }).data?.holeSize : undefined;
  if (fs.existsSync(path.join(dir, 'model.json'))) {
    const model = readExportModel(path.join(dir, 'model.json'));
    if (model.family !== 'inpaint') throw new TranslateError(`run ${run} is a ${model.family} run: inpaint needs an inpaint run (use 'gantry translate' for pix2pix and cyclegan)`);
    const net = loadExportedNetwork(dir, model);
    return { net, shape: checkNet(net, `${dir}/model.json`), range: model.range, output: model.output, holeSize, dispose: () => net.dispose() };
  }
  const { cfg, trainer } = await openRun(run);
  if (cfg.model.family !== 'inpaint') {
    trainer.dispose();
    throw new TranslateError(`run ${run} is a ${cfg.model.family} run: inpaint needs an inpaint run`);
  }
  const net = trainer.sampler;
  return { net, shape: checkNet(net, `run ${run}'s generator`), range: trainer.data.range, output: net.graph.outputs[0]!, holeSize, dispose: () => trainer.dispose() };
}

function imageFiles(p: string): { files: string[]; root: string | null } {
  if (isDir(p)) return { files: listImageFiles(p), root: p };
  return { files: [p], root: null };
}

function decode(file: string, flag: string) {
  try {
    return decodeImageFile(file);
  } catch (e) {
    throw new TranslateError(`${flag}: ${(e as Error).message}`);
  }
}

/** Masks [count, H, W] of 0/1 at the network's size. */
function readMasks(spec: string, inputs: Inputs, inPath: string, t: Inpainter, seed: number): Float32Array {
  const [h, w] = t.shape;
  const n = inputs.count;
  if (spec === 'center' || spec === 'centre') return drawMasks('center', n, h, w, new Rng(0), { holeSize: t.holeSize });
  if (spec === 'random') return drawMasks('boxes', n, h, w, new Rng(seed).fork('boxes'));
  if (!fs.existsSync(spec)) throw new TranslateError(`--mask: ${spec} not found (give a PNG/JPEG, a folder, a .npy, 'center' or 'random')`);
  if (spec.toLowerCase().endsWith('.npy')) {
    const arr = readNpyArg('--mask', spec);
    const s = arr.shape;
    const ok = (s.length === 3 || (s.length === 4 && s[3] === 1)) && s[1] === h && s[2] === w;
    if (!ok) throw new TranslateError(`--mask: ${spec} has shape [${s}]; expected [N, ${h}, ${w}] or [N, ${h}, ${w}, 1] (the network's ${w}×${h}, 1 where a pixel is missing)`);
    if (s[0] !== n && s[0] !== 1) throw new TranslateError(`--mask: ${spec} holds ${s[0]} mask(s) but --in holds ${n} image(s)`);
    for (const v of arr.data) if (v !== 0 && v !== 1) throw new TranslateError(`--mask: ${spec} holds ${v}: a mask is 0 (known) or 1 (missing)`);
    return s[0] === n ? arr.data : Float32Array.from({ length: n * h * w }, (_, i) => arr.data[i % (h * w)]!);
  }
  if (inputs.kind === 'npy' && !isDir(spec)) {
    // One mask image for every array image: it must be at the network's size (there is no image to match).
    return maskFromImage(spec, null, t, n);
  }
  const { files: inFiles, root: inRoot } = imageFiles(inPath);
  const { files: maskFiles, root: maskRoot } = imageFiles(spec);
  if (maskRoot && !inRoot) throw new TranslateError(`--mask: ${spec} is a folder but --in is one image: give one mask image`);
  if (maskFiles.length === 0) throw new TranslateError(`--mask: folder ${spec} holds no PNG/JPEG images`);
  const byName = new Map(maskFiles.map((f) => [(maskRoot ? path.relative(maskRoot, f) : '').replace(/\.[^./\\]+$/, ''), f]));
  const out = new Float32Array(n * h * w);
  inFiles.forEach((file, i) => {
    const key = inRoot ? path.relative(inRoot, file).replace(/\.[^./\\]+$/, '') : '';
    const maskFile = maskRoot ? byName.get(key) : maskFiles[0]!;
    if (!maskFile) throw new TranslateError(`--mask: no mask for ${path.relative(inRoot!, file)} in ${spec} (masks are matched by file name, any extension)`);
    const img = decode(file, '--in');
    out.set(maskFromImage(maskFile, [img.width, img.height], t, 1), i * h * w);
  });
  return out;
}

/** A mask image as 0/1 at the network's size (missing where luma > 127), repeated `n` times. */
function maskFromImage(file: string, size: [number, number] | null, t: Inpainter, n: number): Float32Array {
  const [h, w] = t.shape;
  const img = decode(file, '--mask');
  if (size && (img.width !== size[0] || img.height !== size[1])) throw new TranslateError(`--mask: ${file} is ${img.width}×${img.height} but its image is ${size[0]}×${size[1]}: a mask must have its image's size`);
  if (!size && (img.width !== w || img.height !== h)) throw new TranslateError(`--mask: ${file} is ${img.width}×${img.height}; with a .npy --in a mask image must be the network's ${w}×${h}`);
  const luma = imageToInput(img, [h, w, 1], [-1, 1]);
  const one = Float32Array.from(luma, (v) => (v > 0 ? 1 : 0));
  const out = new Float32Array(n * h * w);
  for (let i = 0; i < n; i++) out.set(one, i * h * w);
  return out;
}

/** Completions of `n` images with their masks (inference mode). */
function fill(t: Inpainter, x: Float32Array, masks: Float32Array, n: number): Promise<Float32Array> {
  const [h, w, c] = t.shape;
  return runInBatches(n, h * w * c, BATCH, (i, m) => {
    const feed = { x: tf.tensor(x.subarray(i * h * w * c, (i + m) * h * w * c), [m, h, w, c]), mask: tf.tensor(masks.subarray(i * h * w, (i + m) * h * w), [m, h, w, 1]) };
    return t.net.run(feed, { training: false }, [t.output])[t.output]!;
  });
}

/** (masked input, completion) of images `indices`: the hole shown at the range's midpoint. */
function pairs(x: Float32Array, masks: Float32Array, y: Float32Array, t: Inpainter, indices: number[]): Float32Array {
  const [h, w, c] = t.shape;
  const per = h * w * c;
  const mid = (t.range[0] + t.range[1]) / 2;
  const out = new Float32Array(2 * indices.length * per);
  indices.forEach((i, j) => {
    for (let p = 0; p < per; p++) out[2 * j * per + p] = masks[i * h * w + Math.floor(p / c)] ? mid : x[i * per + p]!;
    out.set(y.subarray(i * per, (i + 1) * per), (2 * j + 1) * per);
  });
  return out;
}

export async function inpaintCommand(run: string, o: InpaintOptions): Promise<void> {
  const t = await loadInpainter(run);
  try {
    const inputs = readInputs(o.in, t.shape, t.range);
    const masks = readMasks(o.mask, inputs, o.in, t, o.seed ?? 0);
    const y = await fill(t, inputs.x, masks, inputs.count);
    const out = o.out;
    fs.mkdirSync(path.dirname(path.resolve(out)), { recursive: true });
    const idx = Array.from({ length: inputs.count }, (_, i) => i);
    if (out.toLowerCase().endsWith('.npy')) {
      if (o.grid) throw new TranslateError('--grid writes images: give --out a .png or a folder');
      fs.writeFileSync(out, encodeNpy(y, [inputs.count, ...t.shape]));
    } else if (out.toLowerCase().endsWith('.png')) {
      if (inputs.count > 1 && !o.grid) throw new TranslateError(`--out ${out} is one image but --in holds ${inputs.count}: give a folder or a .npy, or --grid for one image of masked | filled rows`);
      fs.writeFileSync(out, o.grid ? encodeImageGrid(pairs(inputs.x, masks, y, t, idx), 2 * inputs.count, t.shape, t.range, 2) : encodeImageExact(y, 0, t.shape, t.range));
    } else {
      fs.mkdirSync(out, { recursive: true });
      const names = inputs.names.length ? inputs.names : idx.map((i) => `${String(i).padStart(String(inputs.count - 1).length, '0')}.png`);
      names.forEach((name, i) => {
        const file = path.join(out, name);
        fs.mkdirSync(path.dirname(file), { recursive: true });
        fs.writeFileSync(file, o.grid ? encodeImageGrid(pairs(inputs.x, masks, y, t, [i]), 2, t.shape, t.range, 2) : encodeImageExact(y, i, t.shape, t.range));
      });
    }
    let holes = 0;
    for (const v of masks) holes += v;
    process.stderr.write(`gantry: filled ${inputs.count} image(s) (${((100 * holes) / masks.length).toFixed(1)}% of pixels missing) → ${out}\n`);
  } finally {
    t.dispose();
  }
}
