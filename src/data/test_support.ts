/** Fixtures for the data tests: PNG files written into temp folders. */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { PNG } from 'pngjs';

export type Rgba = [number, number, number, number];

/** A width × height PNG whose pixel (x, y) is at(x, y). */
export function pngOf(width: number, height: number, at: (x: number, y: number) => Rgba): Buffer {
  const png = new PNG({ width, height });
  for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) png.data.set(at(x, y), (y * width + x) * 4);
  return PNG.sync.write(png);
}

/** An opaque grey PNG. */
export function solidPng(width: number, height: number, grey: number): Buffer {
  return pngOf(width, height, () => [grey, grey, grey, 255]);
}

/** Writes a file, making its folders. */
export function put(path: string, bytes: Buffer | string): void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, bytes);
}

/** A fresh temp folder and the function that removes it (for after()). */
export function tempDir(prefix: string): { dir: string; remove: () => void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/** The byte a [-1, 1] float came from. */
export const byteOf = (v: number): number => Math.round((v + 1) * 127.5);
