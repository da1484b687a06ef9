/** NumPy .npy (format 1.0) read/write for float32 arrays, so samples can be fed to and from other tools. */
import fs from 'node:fs';

export function encodeNpy(data: Float32Array, shape: number[]): Buffer {
  const shapeStr = shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(', ')})`;
  let header = `{'descr': '<f4', 'fortran_order': False, 'shape': ${shapeStr}, }`;
  // Magic (6) + version (2) + header length (2) + header, padded with spaces to a multiple of 64, ending in \n.
  const pad = 64 - ((10 + header.length + 1) % 64);
  header = header + ' '.repeat(pad % 64) + '\n';
  const head = Buffer.alloc(10);
  head.write('\x93NUMPY', 0, 'latin1');
  head[6] = 1;
  head[7] = 0;
  head.writeUInt16LE(header.length, 8);
  return Buffer.concat([head, Buffer.from(header, 'latin1'), Buffer.from(data.buffer, data.byteOffset, data.byteLength)]);
}

export function readNpy(file: string): { data: Float32Array; shape: number[] } {
  const buf = fs.readFileSync(file);
  if (buf.length < 10 || buf.toString('latin1', 0, 6) !== '\x93NUMPY') throw new Error(`${file} is not a .npy file (bad magic)`);
  const major = buf[6]!;
  const hlen = major === 1 ? buf.readUInt16LE(8) : buf.readUInt32LE(8);
  const start = major === 1 ? 10 : 12;
  const header = buf.toString('latin1', start, start + hlen);
  const descr = /'descr':\s*'([^']+)'/.exec(header)?.[1];
  const shapeText = /'shape':\s*\(([^)]*)\)/.exec(header)?.[1];
  if (/'fortran_order':\s*True/.test(header)) throw new Error(`${file}: Fortran-ordered arrays are not supported`);
  if (descr !== '<f4' && descr !== '<f8' && descr !== '|u1') throw new Error(`${file}: dtype ${descr} not supported (need float32, float64 or uint8)`);
  if (shapeText === undefined) throw new Error(`${file}: header has no shape`);
  const shape = shapeText.split(',').map((s) => s.trim()).filter(Boolean).map(Number);
  if (!shape.every((d) => Number.isSafeInteger(d) && d >= 0)) throw new Error(`${file}: header shape (${shapeText}) must be non-negative integers`);
  const count = shape.reduce((a, b) => a * b, 1);
  const body = buf.subarray(start + hlen);
  const width = descr === '<f8' ? 8 : descr === '<f4' ? 4 : 1;
  if (body.length < count * width) throw new Error(`${file}: truncated: shape [${shape}] needs ${count * width} bytes, file has ${body.length}`);
  const data = new Float32Array(count);
  for (let i = 0; i < count; i++) {
    data[i] = width === 4 ? body.readFloatLE(i * 4) : width === 8 ? body.readDoubleLE(i * 8) : body[i]! / 127.5 - 1;
  }
  return { data, shape };
}
