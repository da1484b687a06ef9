/** Reads samples made elsewhere — a .npy array [N, H, W, C] or a folder of PNGs — for `gantry eval --samples`. */
import fs from 'node:fs';
import path from 'node:path';
import { PNG } from 'pngjs';
import { readNpy } from '../core/npy.ts';

export interface SampleSet {
  x: Float32Array;
  count: number;
  shape: number[];
}

export function readSamples(p: string): SampleSet {
  if (!fs.existsSync(p)) throw new Error(`samples not found: ${p}`);
  if (p.endsWith('.npy')) {
    const { data, shape } = readNpy(p);
    if (shape.length === 3) return { x: data, count: shape[0]!, shape: [shape[1]!, shape[2]!, 1] };
    if (shape.length !== 4) throw new Error(`${p}: expected an array [N, H, W, C], got shape [${shape}]`);
    return { x: data, count: shape[0]!, shape: shape.slice(1) };
  }
  const files = fs.readdirSync(p).filter((f) => f.toLowerCase().endsWith('.png')).sort();
  if (files.length === 0) throw new Error(`${p}: no .png files found`);
  let shape: number[] | null = null;
  let out: Float32Array | null = null;
  files.forEach((f, i) => {
    let png: PNG;
    try {
      png = PNG.sync.read(fs.readFileSync(path.join(p, f)));
    } catch (e) {
      throw new Error(`${path.join(p, f)}: not a readable PNG (${(e as Error).message})`, { cause: e });
    }
    if (!shape) {
      // Grayscale when every pixel of the first image has R = G = B.
      let gray = true;
      for (let k = 0; k < png.width * png.height && gray; k++) gray = png.data[4 * k] === png.data[4 * k + 1] && png.data[4 * k] === png.data[4 * k + 2];
      shape = [png.height, png.width, gray ? 1 : 3];
      out = new Float32Array(files.length * png.width * png.height * shape[2]!);
    }
    if (png.height !== shape[0] || png.width !== shape[1]) throw new Error(`${f}: size ${png.width}×${png.height} differs from the first image's ${shape[1]}×${shape[0]}`);
    const c = shape[2]!;
    const per = shape[0]! * shape[1]! * c;
    for (let k = 0; k < png.width * png.height; k++) {
      for (let ch = 0; ch < c; ch++) out![i * per + k * c + ch] = png.data[4 * k + ch]! / 127.5 - 1;
    }
  });
  return { x: out!, count: files.length, shape: shape! };
}
