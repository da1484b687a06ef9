/**
 * `gantry translate RUN --in PATH --out PATH [--reverse] [--grid]`: runs a translation run's generator
 * (pix2pix's G, CycleGAN's G_AB, or with --reverse CycleGAN's G_BA) on an image (PNG/JPEG), a folder of
 * them (the same relative names come out, as .png) or a float32 .npy [N, H, W, C] in the data's range.
 * The generators come from the run's export (`export/model.json`, and CycleGAN's G_BA from
 * `export/reverse/`; no dataset needed); without an export (or, for --reverse, an older export without
 * `reverse/`), from the checkpoint. Images of another size are centre-cropped and resized
 * to the network's input size (said on stderr); a colour image for a 1-channel network is refused, a
 * grayscale one for a 3-channel network is replicated. `--grid` writes input | output side by side.
 */
import fs from 'node:fs';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { encodeImageExact, encodeImageGrid } from '../core/images.ts';
import { encodeNpy, readNpy } from '../core/npy.ts';
import { Rng } from '../core/rng.ts';
import { decodeImageFile, isDir, listImageFiles, type DecodedImage } from '../data/image_folder.ts';
import { imageToInput } from '../data/resize.ts';
import { runInBatches } from '../models/batched.ts';
import { Network } from '../models/network.ts';
import { EXPORT_FORMAT, REVERSE_DIR_PATTERN, type ExportedModel } from '../train/run_format.ts';
import { openRun } from '../train/run.ts';

export interface TranslateOptions {
  in: string;
  out: string;
  reverse?: boolean;
  grid?: boolean;
}

export class TranslateError extends Error {
  override name = 'UsageError';
}

/** A loaded generator: its network, which input and output to use, shapes and value range. */
interface Translator {
  run(x: Float32Array, n: number): Promise<Float32Array>;
  inShape: [number, number, number];
  outShape: [number, number, number];
  range: [number, number];
  dispose(): void;
}

const BATCH = 64;

function imageShape(shape: number[] | undefined, what: string): [number, number, number] {
  if (!shape || shape.length !== 3) throw new TranslateError(`${what} is not an image network (its shape is [${shape}]); translate needs an image-to-image run`);
  return shape as [number, number, number];
}

function fromNetwork(net: Network, input: string, output: string, range: [number, number], dispose: () => void): Translator {
  const inShape = imageShape(net.graph.inputs[input]?.shape, `network ${net.name}'s input '${input}'`);
  const outShape = imageShape(net.shapes[output], `network ${net.name}'s output`);
  return {
    inShape,
    outShape,
    range,
    run: (x, n) => runInBatches(n, outShape[0] * outShape[1] * outShape[2], BATCH, (i, m) => {
      const per = inShape[0] * inShape[1] * inShape[2];
      const feed = tf.tensor(x.subarray(i * per, (i + m) * per), [m, ...inShape]);
      return net.run({ [input]: feed }, { training: false }, [output])[output]!;
    }),
    dispose,
  };
}

/** A .npy file for a command-line flag; a malformed file is a usage error naming the flag. */
export function readNpyArg(flag: string, file: string): ReturnType<typeof readNpy> {
  try {
    return readNpy(file);
  } catch (e) {
    throw new TranslateError(`${flag}: ${(e as Error).message}`);
  }
}

/** The exported sampler network (export/model.json + weights), built without the dataset. */
export function readExportModel(file: string): ExportedModel {
  let model: ExportedModel;
  try {
    model = JSON.parse(fs.readFileSync(file, 'utf8')) as ExportedModel;
  } catch (e) {
    throw new TranslateError(`${file}: unreadable exported model (${(e as Error).message})`);
  }
  if (model.format !== EXPORT_FORMAT) throw new TranslateError(`${file}: format ${JSON.stringify(model.format)}, expected "${EXPORT_FORMAT}"`);
  return model;
}

/** An exported one-image generator network with its weights, the export's description and its input's name. */
export function loadExportNetwork(dir: string): { net: Network; model: ExportedModel; input: string } {
  const file = path.join(dir, 'model.json');
  const model = readExportModel(file);
  const imageInputs = Object.entries(model.inputs).filter(([, i]) => i.kind === 'image');
  if (imageInputs.length !== 1 || Object.keys(model.inputs).length !== 1) {
    const hint = model.family === 'inpaint' ? "use 'gantry inpaint' for inpainting runs" : "use 'gantry sample' for generators";
    throw new TranslateError(`${file}: the exported ${model.family ?? ''} generator takes ${Object.entries(model.inputs).map(([k, i]) => `${k} (${i.kind})`).join(', ')}, not one image: translate needs a pix2pix or cyclegan run, upscale an srgan run (${hint})`);
  }
  return { net: loadExportedNetwork(dir, model), model, input: imageInputs[0]![0] };
}

function loadExport(dir: string): Translator {
  const { net, model, input } = loadExportNetwork(dir);
  return fromNetwork(net, input, model.output, model.range, () => net.dispose());
}

/** The exported network of `dir` (its model.json already read as `model`), weights loaded and checked. */
export function loadExportedNetwork(dir: string, model: ExportedModel): Network {
  const file = path.join(dir, 'model.json');
  const entries = model.weightsManifest.flatMap((g) => g.weights);
  const blob = fs.readFileSync(path.join(dir, model.weightsManifest[0]!.paths[0]!));
  const net = new Network(`translate${process.pid}`, model.network, new Rng(0));
  try {
    let offset = 0;
    const byName = new Map<string, Float32Array>();
    for (const w of entries) {
      const size = w.shape.reduce((a, b) => a * b, 1);
      byName.set(w.name.slice(w.name.indexOf('/') + 1), new Float32Array(blob.buffer.slice(blob.byteOffset + offset, blob.byteOffset + offset + size * 4)));
      offset += size * 4;
    }
    if (offset !== blob.length) throw new TranslateError(`${dir}: weights.bin holds ${blob.length} bytes, the manifest lists ${offset}`);
    for (const v of net.variables()) {
      const key = net.keyOfVariable(v).slice(net.keyOfVariable(v).indexOf('/') + 1);
      const values = byName.get(key);
      if (!values || values.length !== v.size) throw new TranslateError(`${file}: weight ${key} is missing or has the wrong size`);
      v.assign(tf.tensor(values, v.shape));
    }
  } catch (e) {
    net.dispose();
    throw e;
  }
  return net;
}

async function loadTranslator(run: string, reverse: boolean): Promise<Translator> {
  if (!isDir(run)) throw new TranslateError(`run folder ${run} not found`);
  const exported = path.join(run, 'export');
  if (fs.existsSync(path.join(exported, 'model.json'))) {
    if (!reverse) return loadExport(exported);
    // CycleGAN exports G_BA too (older exports do not: then the checkpoint, which also explains a pix2pix --reverse).
    const sub = readExportModel(path.join(exported, 'model.json')).reverse;
    if (sub !== undefined && REVERSE_DIR_PATTERN.test(sub)) return loadExport(path.join(exported, sub));
  }
  const { cfg, trainer } = await openRun(run);
  try {
    const family = cfg.model.family;
    if (reverse && family !== 'cyclegan') {
      throw new TranslateError(family === 'pix2pix' ? `--reverse: run ${run} is pix2pix, which learns one direction only (input → target); --reverse needs a cyclegan run (it has a B → A generator)` : `--reverse needs a cyclegan run; ${run} is a ${family} run`);
    }
    if (family !== 'pix2pix' && family !== 'cyclegan') throw new TranslateError(`run ${run} is a ${family} run: translate needs a pix2pix or cyclegan run (use 'gantry sample' for generators)`);
    const net = reverse ? trainer.network('G_BA') : trainer.sampler;
    return fromNetwork(net, net.inputNames[0]!, net.graph.outputs[0]!, trainer.data.range, () => trainer.dispose());
  } catch (e) {
    trainer.dispose();
    throw e;
  }
}

export interface Inputs {
  x: Float32Array;
  count: number;
  /** Output names (relative, .png) for folder output; one entry for a single image. */
  names: string[];
  kind: 'image' | 'folder' | 'npy';
}

function isGray(rgba: ArrayLike<number>): boolean {
  for (let k = 0; k < rgba.length; k += 4) if (rgba[k] !== rgba[k + 1] || rgba[k] !== rgba[k + 2]) return false;
  return true;
}

/** An --in image file, decoded; unreadable or empty files are usage errors naming the file. */
export function decodeInputImage(file: string): DecodedImage {
  let img;
  try {
    img = decodeImageFile(file);
  } catch (e) {
    throw new TranslateError(`--in: ${(e as Error).message}`);
  }
  if (img.width < 1 || img.height < 1) throw new TranslateError(`--in: ${file} has no pixels`);
  return img;
}

function readImages(files: string[], root: string | null, shape: [number, number, number], range: [number, number]): Inputs {
  const [h, w, c] = shape;
  const per = h * w * c;
  const x = new Float32Array(files.length * per);
  let resized = 0;
  files.forEach((file, i) => {
    const img = decodeInputImage(file);
    if (c === 1 && !isGray(img.rgba)) throw new TranslateError(`--in: ${file} is a colour image, but the network takes 1-channel (grayscale) images: convert it to grayscale first`);
    if (img.width !== w || img.height !== h) resized++;
    x.set(imageToInput(img, shape, range), i * per);
  });
  if (resized) process.stderr.write(`gantry: ${resized} image(s) not ${w}×${h} were centre-cropped and resized to the network's ${w}×${h}\n`);
  const names = files.map((f) => (root ? path.relative(root, f) : path.basename(f)).replace(/\.[^./\\]+$/, '.png'));
  return { x, count: files.length, names, kind: root ? 'folder' : 'image' };
}

export function readInputs(p: string, shape: [number, number, number], range: [number, number]): Inputs {
  if (!fs.existsSync(p)) throw new TranslateError(`--in: ${p} not found`);
  if (isDir(p)) {
    const files = listImageFiles(p);
    if (files.length === 0) throw new TranslateError(`--in: folder ${p} holds no PNG/JPEG images`);
    return readImages(files, p, shape, range);
  }
  if (p.toLowerCase().endsWith('.npy')) {
    const arr = readNpyArg('--in', p);
    const s = arr.shape.length === 3 ? [...arr.shape, 1] : arr.shape;
    if (s.length !== 4) throw new TranslateError(`--in: ${p} has shape [${arr.shape}]; expected [N, H, W, C]`);
    if (s[1] !== shape[0] || s[2] !== shape[1] || s[3] !== shape[2]) {
      const what = s[3] !== shape[2] ? `${s[3]} channel(s), the network takes ${shape[2]}` : `${s[2]}×${s[1]} images, the network takes ${shape[1]}×${shape[0]}`;
      throw new TranslateError(`--in: ${p} is [${arr.shape}]: ${what} (expected [N, ${shape.join(', ')}])`);
    }
    let lo = Infinity;
    let hi = -Infinity;
    for (const v of arr.data) {
      if (!Number.isFinite(v)) throw new TranslateError(`--in: ${p} holds ${v}: values must be finite`);
      lo = Math.min(lo, v);
      hi = Math.max(hi, v);
    }
    const slack = 0.01 * (range[1] - range[0]);
    if (lo < range[0] - slack || hi > range[1] + slack) {
      const hint = hi > 2 ? ' — they look like 0..255 pixels: map them with v / 127.5 − 1' : '';
      throw new TranslateError(`--in: ${p} values span [${lo.toPrecision(4)}, ${hi.toPrecision(4)}], outside the data range [${range}]${hint}`);
    }
    return { x: arr.data, count: s[0]!, names: [], kind: 'npy' };
  }
  if (!/\.(png|jpe?g)$/i.test(p)) throw new TranslateError(`--in: ${p} is not a PNG/JPEG image, a folder or a .npy file`);
  return readImages([p], null, shape, range);
}

/** Image i of x [.., H, W, C] as [H, W, C'] (gray ↔ colour by replication / BT.601 luma) for side-by-side display. */
function asChannels(x: Float32Array, i: number, shape: [number, number, number], to: number): Float32Array {
  const [h, w, c] = shape;
  const src = x.subarray(i * h * w * c, (i + 1) * h * w * c);
  if (c === to) return src;
  const out = new Float32Array(h * w * to);
  for (let p = 0; p < h * w; p++) {
    if (c === 1) for (let k = 0; k < to; k++) out[p * to + k] = src[p]!;
    else out[p] = 0.299 * src[3 * p]! + 0.587 * src[3 * p + 1]! + 0.114 * src[3 * p + 2]!;
  }
  return out;
}

/** Pairs (input, output) of images `indices`, as 2·k images of the output's shape (input first). */
function pairs(inputs: Inputs, inShape: [number, number, number], y: Float32Array, outShape: [number, number, number], indices: number[]): Float32Array {
  const per = outShape[0] * outShape[1] * outShape[2];
  const out = new Float32Array(2 * indices.length * per);
  indices.forEach((i, j) => {
    out.set(asChannels(inputs.x, i, inShape, outShape[2]), 2 * j * per);
    out.set(y.subarray(i * per, (i + 1) * per), (2 * j + 1) * per);
  });
  return out;
}

export async function translateCommand(run: string, o: TranslateOptions): Promise<void> {
  const t = await loadTranslator(run, !!o.reverse);
  try {
    if (t.inShape[0] !== t.outShape[0] || t.inShape[1] !== t.outShape[1]) throw new TranslateError(`translate: the network changes the image size (${t.inShape[1]}×${t.inShape[0]} → ${t.outShape[1]}×${t.outShape[0]}); for a super-resolution run use 'gantry upscale'`);
    const inputs = readInputs(o.in, t.inShape, t.range);
    const y = await t.run(inputs.x, inputs.count);
    const out = o.out;
    fs.mkdirSync(path.dirname(path.resolve(out)), { recursive: true });
    if (out.toLowerCase().endsWith('.npy')) {
      if (o.grid) throw new TranslateError('--grid writes images: give --out a .png or a folder');
      fs.writeFileSync(out, encodeNpy(y, [inputs.count, ...t.outShape]));
    } else if (out.toLowerCase().endsWith('.png')) {
      if (inputs.count > 1 && !o.grid) throw new TranslateError(`--out ${out} is one image but --in holds ${inputs.count}: give a folder or a .npy, or --grid for one image of input | output rows`);
      const idx = Array.from({ length: inputs.count }, (_, i) => i);
      fs.writeFileSync(out, o.grid ? encodeImageGrid(pairs(inputs, t.inShape, y, t.outShape, idx), 2 * inputs.count, t.outShape, t.range, 2) : encodeImageExact(y, 0, t.outShape, t.range));
    } else {
      fs.mkdirSync(out, { recursive: true });
      const names = inputs.names.length ? inputs.names : Array.from({ length: inputs.count }, (_, i) => `${String(i).padStart(String(inputs.count - 1).length, '0')}.png`);
      names.forEach((name, i) => {
        const file = path.join(out, name);
        fs.mkdirSync(path.dirname(file), { recursive: true });
        fs.writeFileSync(file, o.grid ? encodeImageGrid(pairs(inputs, t.inShape, y, t.outShape, [i]), 2, t.outShape, t.range, 2) : encodeImageExact(y, i, t.outShape, t.range));
      });
    }
    process.stderr.write(`gantry: translated ${inputs.count} image(s) → ${out}\n`);
  } finally {
    t.dispose();
  }
}
