/**
 * One writer per run folder: `gantry train` holds `<run>/.lock` ({pid, host, startedAt}) while it writes.
 * The lock file is created with a hard link (atomic, fails when it exists), so two writers cannot both
 * take it. A lock whose process is gone (same host, PID not alive) is stale and taken over; a lock from
 * another host cannot be checked and is reported.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { writeFileChecked } from '../core/fs_safe.ts';

export class RunLockedError extends Error {
  override name = 'RunLockedError';
}

interface LockInfo {
  pid: number;
  host: string;
  startedAt: string;
}

export interface RunLock {
  file: string;
  release(): void;
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    // EPERM: the process exists but belongs to someone else.
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function readLock(file: string): LockInfo | null {
  try {
    const v = JSON.parse(fs.readFileSync(file, 'utf8')) as Partial<LockInfo> | null;
    if (v && typeof v.pid === 'number' && typeof v.host === 'string') return { pid: v.pid, host: v.host, startedAt: String(v.startedAt) };
  } catch {
    // unreadable or torn: treated as stale below
  }
  return null;
}

/** Takes the lock on `runDir` (created if needed) or throws RunLockedError naming the holder. */
export function acquireRunLock(runDir: string): RunLock {
  fs.mkdirSync(runDir, { recursive: true });
  const file = path.join(runDir, '.lock');
  const me: LockInfo = { pid: process.pid, host: os.hostname(), startedAt: new Date().toISOString() };
  // Written in full under a private name first, so a reader never sees a half-written lock.
  const tmp = `${file}.tmp-${process.pid}`;
  writeFileChecked(tmp, JSON.stringify(me));
  try {
    for (let attempt = 0; attempt < 3; attempt++) {
      try {
        fs.linkSync(tmp, file);
        let released = false;
        return {
          file,
          release() {
            if (released) return;
            released = true;
            const held = readLock(file);
            if (held && held.pid === me.pid && held.host === me.host) fs.rmSync(file, { force: true });
          },
        };
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      }
      const held = readLock(file);
      if (held && held.host !== me.host) {
        throw new RunLockedError(
          `${runDir} is locked by process ${held.pid} on host ${held.host} (since ${held.startedAt}); if that run is no longer alive, delete ${file} and retry`,
        );
      }
      if (held && held.pid !== me.pid && pidAlive(held.pid)) {
        throw new RunLockedError(`${runDir} is in use by another gantry process (pid ${held.pid}, since ${held.startedAt}); wait for it to finish or stop it, or choose another --out`);
      }
      // Stale (its process is gone) or unreadable: take it over.
      fs.rmSync(file, { force: true });
    }
    throw new RunLockedError(`${runDir}: could not take the run lock ${file} (another process keeps taking it)`);
  } finally {
    fs.rmSync(tmp, { force: true });
  }
}
