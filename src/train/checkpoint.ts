/**
 * Checkpoints hold the whole training state: G, D, G_ema (weights and batch-norm/spectral-norm state),
 * both optimizers' moments, every RNG stream, the data cursor and the step counter. A checkpoint is a
 * folder with `state.json` and `tensors.bin`; it is written to a temporary folder, fsynced, then swapped
 * in by rename, so a crash at any moment leaves the previous checkpoint intact and loadable. The sha256 in
 * `state.json` covers the metadata (every other key of state.json) and tensors.bin, so neither can be edited unseen.
 */
import fs from 'node:fs';
import path from 'node:path';
import { createHash } from 'node:crypto';
import * as tf from '@tensorflow/tfjs-core';
import { writeError, writeFileChecked } from '../core/fs_safe.ts';

/** Format 2: the checksum covers state.json's metadata as well as tensors.bin. Format 1 (tensors only) still loads. */
export const CHECKPOINT_FORMAT = 'gantry-checkpoint/2';
const CHECKPOINT_FORMAT_V1 = 'gantry-checkpoint/1';

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

/** sha256 over the metadata (state.json without its sha256 key, as JSON) and then the tensor bytes. */
function checkpointDigest(meta: Omit<CheckpointMeta, 'sha256'>, blob: Uint8Array): string {
  const { format, step, savedAt, extra, tensors } = meta;
  return createHash('sha256').update(JSON.stringify({ format, step, savedAt, extra, tensors })).update('\n').update(blob).digest('hex');
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

/**
 * Test hook for the fault-injection suite: GANTRY_FAULT_KILL_CHECKPOINT=<phase>:<n> SIGKILLs this process
 * in the n-th checkpoint save, after `tensors` (tensors.bin written), `state` (state.json written) or `swap`
 * (between the two renames).
 */
const killAt = /^(tensors|state|swap):(\d+)$/.exec(process.env.GANTRY_FAULT_KILL_CHECKPOINT ?? '');
let saves = 0;
function faultPoint(phase: string): void {
  if (killAt && killAt[1] === phase && Number(killAt[2]) === saves) process.kill(process.pid, 'SIGKILL');
}

/** Writes tensors + extra state atomically to `dir` (which is replaced as a whole). */
export async function saveCheckpoint(dir: string, step: number, tensors: Record<string, tf.Tensor>, extra: Record<string, unknown>): Promise<void> {
  saves++;
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
  const body = { format: CHECKPOINT_FORMAT, step, savedAt: new Date().toISOString(), extra, tensors: entries };
  // Round-trip the metadata so the digest is over exactly what a reader will parse (undefined keys dropped).
  const normalized = JSON.parse(JSON.stringify(body)) as Omit<CheckpointMeta, 'sha256'>;
  const meta: CheckpointMeta = { ...normalized, sha256: checkpointDigest(normalized, blob) };
  const parent = path.dirname(dir);
  let tmp: string | null = null;
  try {
    fs.mkdirSync(parent, { recursive: true });
    tmp = fs.mkdtempSync(path.join(parent, `.${path.basename(dir)}.tmp-`));
    writeFileChecked(path.join(tmp, 'tensors.bin'), blob, { fsync: true });
    faultPoint('tensors');
    writeFileChecked(path.join(tmp, 'state.json'), JSON.stringify(meta), { fsync: true });
    faultPoint('state');
    fsyncDir(tmp);
    const old = `${dir}.old`;
    // A crash between the two renames of the last save left only `dir.old`: put it back before dropping `.old`.
    if (!fs.existsSync(path.join(dir, 'state.json')) && fs.existsSync(path.join(old, 'state.json'))) {
      fs.rmSync(dir, { recursive: true, force: true });
      fs.renameSync(old, dir);
    }
    fs.rmSync(old, { recursive: true, force: true });
    if (fs.existsSync(dir)) fs.renameSync(dir, old);
    faultPoint('swap');
    fs.renameSync(tmp, dir);
    tmp = null;
    fsyncDir(parent);
    fs.rmSync(old, { recursive: true, force: true });
  } catch (e) {
    // The previous checkpoint is still `dir` (or `dir.old`, which findCheckpoint falls back to).
    if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
    throw writeError(tmp ?? dir, e);
  }
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

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Checks state.json's shape key by key, so a damaged file gives an error naming the file and the key. */
export function validateMeta(raw: unknown, file: string, blobBytes: number): CheckpointMeta {
  const bad = (what: string) => new CheckpointError(`corrupt checkpoint ${file}: ${what}`);
  if (!isObject(raw)) throw bad(`expected a JSON object, got ${raw === null ? 'null' : Array.isArray(raw) ? 'an array' : typeof raw}`);
  if (raw.format !== CHECKPOINT_FORMAT && raw.format !== CHECKPOINT_FORMAT_V1) {
    throw new CheckpointError(`checkpoint ${file} has format ${JSON.stringify(raw.format)}, expected '${CHECKPOINT_FORMAT}'`);
  }
  if (typeof raw.step !== 'number' || !Number.isInteger(raw.step) || raw.step < 0) throw bad(`'step' must be a non-negative integer, got ${JSON.stringify(raw.step)}`);
  if (typeof raw.savedAt !== 'string') throw bad(`'savedAt' must be a string`);
  if (!isObject(raw.extra)) throw bad(`'extra' must be an object`);
  if (typeof raw.sha256 !== 'string' || !/^[0-9a-f]{64}$/.test(raw.sha256)) throw bad(`'sha256' must be a hex sha256 digest`);
  if (!Array.isArray(raw.tensors)) throw bad(`'tensors' must be an array`);
  const names = new Set<string>();
  raw.tensors.forEach((t: unknown, i) => {
    const at = `tensors[${i}]`;
    if (!isObject(t)) throw bad(`${at} must be an object`);
    if (typeof t.name !== 'string' || !t.name) throw bad(`${at}.name must be a non-empty string`);
    if (names.has(t.name)) throw bad(`${at}: duplicate tensor name '${t.name}'`);
    names.add(t.name);
    if (t.dtype !== 'float32' && t.dtype !== 'int32') throw bad(`${at} (${t.name}): dtype must be float32 or int32, got ${JSON.stringify(t.dtype)}`);
    if (!Array.isArray(t.shape) || !t.shape.every((d) => Number.isInteger(d) && d >= 0)) throw bad(`${at} (${t.name}): shape must be an array of non-negative integers`);
    const count = (t.shape as number[]).reduce((a, b) => a * b, 1);
    for (const k of ['offset', 'length'] as const) {
      if (typeof t[k] !== 'number' || !Number.isInteger(t[k]) || t[k] < 0) throw bad(`${at} (${t.name}): ${k} must be a non-negative integer`);
    }
    const offset = t.offset as number;
    const length = t.length as number;
    if (length !== count * 4) throw bad(`${at} (${t.name}): length ${length} does not match shape [${(t.shape as number[]).join(', ')}] (${count * 4} bytes)`);
    if (offset % 4 !== 0 || offset + length > blobBytes) throw bad(`${at} (${t.name}): bytes ${offset}..${offset + length} lie outside tensors.bin (${blobBytes} bytes)`);
  });
  return raw as unknown as CheckpointMeta;
}

export function loadCheckpoint(dir: string): LoadedCheckpoint {
  const found = findCheckpoint(dir);
  if (!found) throw new CheckpointError(`no checkpoint found in ${dir} (missing state.json)`);
  const stateFile = path.join(found, 'state.json');
  let raw: unknown;
  try {
    raw = JSON.parse(fs.readFileSync(stateFile, 'utf8'));
  } catch (e) {
    throw new CheckpointError(`corrupt checkpoint ${stateFile}: ${(e as Error).message}`);
  }
  const binPath = path.join(found, 'tensors.bin');
  let blob: Buffer;
  try {
    blob = fs.readFileSync(binPath);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new CheckpointError(`corrupt checkpoint ${found}: ${code === 'ENOENT' ? 'tensors.bin is missing' : `cannot read ${binPath}: ${(e as Error).message}`}`);
  }
  // The checksum first (a damaged file is the likely cause of anything odd), then every key on its own.
  if (isObject(raw) && typeof raw.sha256 === 'string' && (raw.format === CHECKPOINT_FORMAT || raw.format === CHECKPOINT_FORMAT_V1)) {
    const digest = raw.format === CHECKPOINT_FORMAT_V1 ? createHash('sha256').update(blob).digest('hex') : checkpointDigest(raw as unknown as CheckpointMeta, blob);
    if (digest !== raw.sha256) {
      throw new CheckpointError(`corrupt checkpoint ${found}: checksum mismatch over state.json and tensors.bin (file damaged, truncated or edited)`);
    }
  }
  const meta = validateMeta(raw, stateFile, blob.byteLength);
  const tensors: Record<string, tf.Tensor> = {};
  for (const e of meta.tensors) {
    const bytes = blob.subarray(e.offset, e.offset + e.length);
    const copy = new Uint8Array(bytes).buffer;
    const values = e.dtype === 'int32' ? new Int32Array(copy) : new Float32Array(copy);
    tensors[e.name] = tf.tensor(values, e.shape, e.dtype);
  }
  return { meta, tensors };
}
