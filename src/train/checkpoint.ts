/**
 * Checkpoints hold the whole training state: G, D, G_ema (weights and batch-norm/spectral-norm state),
 * both optimizers' moments, every RNG stream, the data cursor and the step counter. A checkpoint is a
 * folder with `state.json` and `tensors.bin`; it is written to a temporary folder, fsynced, then swapped
 * in by rename, so a crash at any moment leaves the previous checkpoint intact and loadable.
 */
import fs from 'node:fs';
import path from 'node:path';
import { createHash } from 'node:crypto';
import * as tf from '@tensorflow/tfjs-core';

export const CHECKPOINT_FORMAT = 'gantry-checkpoint/1';

export interface TensorEntry {
  name: string;
  shape: number[];
  dtype: 'float32' | 'int32';
  offset: number;
  length: number;
}

export interface CheckpointMeta {
  format: string;
  step: number;
  savedAt: string;
  /** Free-form JSON the trainer needs besides tensors (RNG states, data cursor, config). */
  extra: Record<string, unknown>;
  tensors: TensorEntry[];
  sha256: string;
}

export class CheckpointError extends Error {
  override name = 'CheckpointError';
}

function fsyncFile(file: string, data: Buffer | string): void {
  const fd = fs.openSync(file, 'w');
  try {
    if (typeof data === 'string') fs.writeSync(fd, data);
    else fs.writeSync(fd, data);
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}

function fsyncDir(dir: string): void {
  try {
    const fd = fs.openSync(dir, 'r');
    fs.fsyncSync(fd);
    fs.closeSync(fd);
  } catch {
    // Some filesystems refuse fsync on directories; the rename is still atomic.
  }
}

/** Writes tensors + extra state atomically to `dir` (which is replaced as a whole). */
export async function saveCheckpoint(dir: string, step: number, tensors: Record<string, tf.Tensor>, extra: Record<string, unknown>): Promise<void> {
  const entries: TensorEntry[] = [];
  const chunks: Buffer[] = [];
  let offset = 0;
  for (const [name, t] of Object.entries(tensors)) {
    const dtype = t.dtype === 'int32' ? 'int32' : 'float32';
    const values = await t.data();
    const typed = dtype === 'int32' ? Int32Array.from(values as Int32Array) : Float32Array.from(values as Float32Array);
    const buf = Buffer.from(typed.buffer, typed.byteOffset, typed.byteLength);
    entries.push({ name, shape: t.shape.slice(), dtype, offset, length: buf.byteLength });
    chunks.push(buf);
    offset += buf.byteLength;
  }
  const blob = Buffer.concat(chunks);
  const meta: CheckpointMeta = {
    format: CHECKPOINT_FORMAT,
    step,
    savedAt: new Date().toISOString(),
    extra,
    tensors: entries,
    sha256: createHash('sha256').update(blob).digest('hex'),
  };
  const parent = path.dirname(dir);
  fs.mkdirSync(parent, { recursive: true });
  const tmp = fs.mkdtempSync(path.join(parent, `.${path.basename(dir)}.tmp-`));
  fsyncFile(path.join(tmp, 'tensors.bin'), blob);
  fsyncFile(path.join(tmp, 'state.json'), JSON.stringify(meta));
  fsyncDir(tmp);
  const old = `${dir}.old`;
  fs.rmSync(old, { recursive: true, force: true });
  if (fs.existsSync(dir)) fs.renameSync(dir, old);
  fs.renameSync(tmp, dir);
  fsyncDir(parent);
  fs.rmSync(old, { recursive: true, force: true });
}

/** Resolves the checkpoint to load: `dir`, or its `.old` twin when a crash hit between the two renames. */
export function findCheckpoint(dir: string): string | null {
  if (fs.existsSync(path.join(dir, 'state.json'))) return dir;
  if (fs.existsSync(path.join(`${dir}.old`, 'state.json'))) return `${dir}.old`;
  return null;
}

export interface LoadedCheckpoint {
  meta: CheckpointMeta;
  tensors: Record<string, tf.Tensor>;
}

export function loadCheckpoint(dir: string): LoadedCheckpoint {
  const found = findCheckpoint(dir);
  if (!found) throw new CheckpointError(`no checkpoint found in ${dir} (missing state.json)`);
  let meta: CheckpointMeta;
  try {
    meta = JSON.parse(fs.readFileSync(path.join(found, 'state.json'), 'utf8')) as CheckpointMeta;
  } catch (e) {
    throw new CheckpointError(`corrupt checkpoint ${found}/state.json: ${(e as Error).message}`);
  }
  if (meta.format !== CHECKPOINT_FORMAT) throw new CheckpointError(`checkpoint ${found} has format '${meta.format}', expected '${CHECKPOINT_FORMAT}'`);
  const binPath = path.join(found, 'tensors.bin');
  if (!fs.existsSync(binPath)) throw new CheckpointError(`corrupt checkpoint ${found}: tensors.bin is missing`);
  const blob = fs.readFileSync(binPath);
  const digest = createHash('sha256').update(blob).digest('hex');
  if (digest !== meta.sha256) throw new CheckpointError(`corrupt checkpoint ${found}: tensors.bin checksum mismatch (file damaged or truncated)`);
  const tensors: Record<string, tf.Tensor> = {};
  for (const e of meta.tensors) {
    const bytes = blob.subarray(e.offset, e.offset + e.length);
    const copy = new Uint8Array(bytes).buffer;
    const values = e.dtype === 'int32' ? new Int32Array(copy) : new Float32Array(copy);
    tensors[e.name] = tf.tensor(values, e.shape, e.dtype);
  }
  return { meta, tensors };
}
