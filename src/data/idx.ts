/**
 * Reader for the IDX format of MNIST and Fashion-MNIST: a 4-byte magic (0, 0, type, ndims), then
 * ndims big-endian uint32 dimensions, then the data. Only unsigned bytes (type 0x08) are used by
 * these datasets: images are magic 0x00000803 [count, rows, cols], labels 0x00000801 [count].
 * Files may be gzipped (detected by the 1f 8b header, not the name).
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';

export const IDX_IMAGES_MAGIC = 0x00000803;
export const IDX_LABELS_MAGIC = 0x00000801;

export interface IdxArray {
  dims: number[];
  data: Uint8Array;
}

export interface IdxImages {
  count: number;
  rows: number;
  cols: number;
  /** count × rows × cols bytes, row-major. */
  pixels: Uint8Array;
}

/** Reads a file, gunzipping it when it starts with the gzip magic; errors name the file. */
export function readMaybeGzip(path: string): Buffer {
  if (!existsSync(path)) throw new Error(`${path}: file not found`);
  const raw = readFileSync(path);
  if (raw.length >= 2 && raw[0] === 0x1f && raw[1] === 0x8b) {
    try {
      return gunzipSync(raw);
    } catch (err) {
      throw new Error(`${path}: corrupt gzip data (${(err as Error).message})`, { cause: err });
    }
  }
  return raw;
}

/** Parses an unsigned-byte IDX file with the expected magic number. */
export function readIdx(path: string, expectedMagic: number): IdxArray {
  const buf = readMaybeGzip(path);
  const hex = (v: number) => '0x' + (v >>> 0).toString(16).padStart(8, '0');
  if (buf.length < 4) throw new Error(`${path}: truncated IDX file, ${buf.length} bytes is shorter than the 4-byte magic`);
  const magic = buf.readUInt32BE(0);
  if (magic !== expectedMagic) {
    throw new Error(`${path}: bad magic number ${hex(magic)}, expected ${hex(expectedMagic)} (is this an IDX ${expectedMagic === IDX_IMAGES_MAGIC ? 'images' : 'labels'} file?)`);
  }
  const ndims = magic & 0xff;
  const headerBytes = 4 + 4 * ndims;
  if (buf.length < headerBytes) throw new Error(`${path}: truncated IDX header, ${buf.length} bytes, expected at least ${headerBytes}`);
  const dims: number[] = [];
  for (let d = 0; d < ndims; d++) dims.push(buf.readUInt32BE(4 + 4 * d));
  const expectedData = dims.reduce((a, b) => a * b, 1);
  const actualData = buf.length - headerBytes;
  if (actualData !== expectedData) {
    const problem = actualData < expectedData ? 'truncated' : 'has trailing bytes';
    throw new Error(`${path}: size mismatch (${problem}): dims ${dims.join('×')} need ${expectedData} data bytes, file has ${actualData}`);
  }
  return { dims, data: new Uint8Array(buf.buffer, buf.byteOffset + headerBytes, expectedData) };
}

export function readIdxImages(path: string): IdxImages {
  const { dims, data } = readIdx(path, IDX_IMAGES_MAGIC);
  return { count: dims[0]!, rows: dims[1]!, cols: dims[2]!, pixels: data };
}

export function readIdxLabels(path: string): Uint8Array {
  return readIdx(path, IDX_LABELS_MAGIC).data;
}

/** An images file and its labels file, checked to agree in count and label range. */
export function readIdxPair(imagesPath: string, labelsPath: string, numClasses: number): { images: IdxImages; labels: Uint8Array } {
  const images = readIdxImages(imagesPath);
  const labels = readIdxLabels(labelsPath);
  if (labels.length !== images.count) {
    throw new Error(`image/label count mismatch: ${imagesPath} has ${images.count} images, ${labelsPath} has ${labels.length} labels`);
  }
  for (let i = 0; i < labels.length; i++) {
    if (labels[i]! >= numClasses) throw new Error(`${labelsPath}: label ${labels[i]} at index ${i} is outside 0..${numClasses - 1}`);
  }
  return { images, labels };
}

/** `dir/base` or `dir/base.gz`, whichever exists; errors list both names. */
export function findIdxFile(dir: string, base: string): string {
  for (const name of [base, `${base}.gz`]) {
    const path = join(dir, name);
    if (existsSync(path)) return path;
  }
  throw new Error(`${join(dir, base)}: file not found (looked for ${base} and ${base}.gz in ${dir})`);
}
