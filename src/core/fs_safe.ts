/**
 * Checked file writes for run folders: every write loops on fs.writeSync's return value (short writes),
 * every failure names the file, and atomic replacement cleans its temporary file when it fails.
 * A test hook (GANTRY_FAULT_WRITE=n, or setWriteFault) makes the n-th write fail with ENOSPC.
 */
import fs from 'node:fs';
import path from 'node:path';

export class WriteError extends Error {
  override name = 'WriteError';
  constructor(
    readonly file: string,
    readonly code: string | undefined,
    message: string,
  ) {
    super(message);
  }
}

const REASONS: Record<string, string> = {
  ENOSPC: 'no space left on device',
  EDQUOT: 'disk quota exceeded',
  EACCES: 'permission denied',
  EROFS: 'read-only file system',
  EIO: 'input/output error',
};

/** Wraps a failed file operation in a WriteError that names the file (and says what a code means). */
export function writeError(file: string, e: unknown): WriteError {
  if (e instanceof WriteError) return e;
  const err = e as NodeJS.ErrnoException;
  const reason = err.code && REASONS[err.code] ? `${REASONS[err.code]} (${err.code})` : err.message;
  return new WriteError(file, err.code, `cannot write ${file}: ${reason}`);
}

type WriteFn = (fd: number, buf: Uint8Array, offset: number, length: number) => number;
let writeImpl: WriteFn = (fd, buf, offset, length) => fs.writeSync(fd, buf, offset, length);
let writesLeft = parseFault(process.env.GANTRY_FAULT_WRITE);
let faultsInjected = 0;

function parseFault(v: string | undefined): number {
  const n = Number(v);
  return v && Number.isInteger(n) && n > 0 ? n : 0;
}

/** Test hooks: replace the raw write (to simulate short writes), or fail the n-th write from now with ENOSPC (0: never). */
export function setWriteImpl(fn: WriteFn | null): void {
  writeImpl = fn ?? ((fd, buf, offset, length) => fs.writeSync(fd, buf, offset, length));
}
export function setWriteFault(n: number): void {
  writesLeft = n;
}
export function injectedFaults(): number {
  return faultsInjected;
}

/** Writes all of `data` to `fd`, looping over short writes; a write that makes no progress is an error. */
export function writeAll(fd: number, data: string | Uint8Array, file: string): void {
  const buf = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
  let off = 0;
  try {
    while (off < buf.byteLength) {
      if (writesLeft > 0 && --writesLeft === 0) {
        faultsInjected++;
        throw Object.assign(new Error('ENOSPC: no space left on device, write (injected)'), { code: 'ENOSPC' });
      }
      const n = writeImpl(fd, buf, off, buf.byteLength - off);
      if (!Number.isInteger(n) || n <= 0) throw new WriteError(file, 'EIO', `cannot write ${file}: short write (${off} of ${buf.byteLength} bytes written, then no progress)`);
      off += n;
    }
  } catch (e) {
    throw writeError(file, e);
  }
}

/** Creates (or truncates) `file` and writes `data` completely; `fsync` flushes it to disk before closing. */
export function writeFileChecked(file: string, data: string | Uint8Array, opts: { fsync?: boolean; flag?: string } = {}): void {
  let fd: number;
  try {
    fd = fs.openSync(file, opts.flag ?? 'w');
  } catch (e) {
    throw writeError(file, e);
  }
  try {
    writeAll(fd, data, file);
    if (opts.fsync) fs.fsyncSync(fd);
  } catch (e) {
    throw writeError(file, e);
  } finally {
    fs.closeSync(fd);
  }
}

/** Appends `data` to `file` completely (the metrics log). */
export function appendFileChecked(file: string, data: string): void {
  writeFileChecked(file, data, { flag: 'a' });
}

/** Writes `file` through a temporary twin and a rename; on failure the twin is removed and `file` is untouched. */
export function writeFileAtomic(file: string, data: string | Uint8Array): void {
  const tmp = `${file}.tmp-${process.pid}`;
  try {
    writeFileChecked(tmp, data);
    fs.renameSync(tmp, file);
  } catch (e) {
    fs.rmSync(tmp, { force: true });
    // Name the file the caller asked for; the temporary twin is an implementation detail.
    const code = (e as NodeJS.ErrnoException).code ?? (e as WriteError).code;
    const reason = code && REASONS[code] ? `${REASONS[code]} (${code})` : (e as Error).message.replace(/^cannot write \S+: /, '');
    throw new WriteError(file, code, `cannot write ${file}: ${reason}`);
  }
}

/** Temporary files a killed or failed writer can leave in a run folder (see docs/RUN_FORMAT.md). */
const TEMP_NAME = /(^\..+\.tmp-|\.tmp-\d+$)/;

/** Removes leftover temporary files and folders in `dir` and its `checkpoints/` and `samples/`; returns what it removed. */
export function cleanTempFiles(dir: string): string[] {
  const removed: string[] = [];
  for (const sub of ['', 'checkpoints', 'samples', 'export']) {
    const d = path.join(dir, sub);
    let names: string[];
    try {
      names = fs.readdirSync(d);
    } catch {
      continue;
    }
    for (const n of names) {
      if (!TEMP_NAME.test(n)) continue;
      fs.rmSync(path.join(d, n), { recursive: true, force: true });
      removed.push(path.join(d, n));
    }
  }
  return removed;
}
