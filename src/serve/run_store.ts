/**
 * Read-only access to a runs folder (docs/RUN_FORMAT.md) for the studio server. Every name that comes
 * from the network is checked against a strict pattern and every resolved path is checked, after
 * following symlinks, to stay inside the runs folder; file reads are bounded in size. Files are opened only
 * when they are regular files that are not symlinks (O_NOFOLLOW, then fstat), without blocking (O_NONBLOCK:
 * a FIFO cannot hang the server), and every read has a time limit.
 */
import { constants } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import { parse as parseYaml } from 'yaml';

/** A run folder name: starts with a letter or digit, then letters, digits, '.', '_' or '-'. */
export const RUN_NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;
/** A sample image in `samples/`. */
export const SAMPLE_FILE_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}\.png$/;
/** A file of the exported generator in `export/` (model.json and its weight shards). */
export const EXPORT_FILE_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}\.(json|bin)$/;

/** Largest status.json / config.yaml the server reads. */
export const MAX_SMALL_FILE_BYTES = 1 << 20;
/** Largest metrics.jsonl the server reads whole; larger files are read from their last bytes. */
export const MAX_METRICS_BYTES = 64 << 20;
/** Most metric lines one detail response carries; longer histories are thinned evenly. */
export const MAX_METRIC_POINTS = 5000;

/** An error whose message is safe to send to the client, with the HTTP status to send. */
export class HttpError extends Error {
  constructor(
    readonly statusCode: number,
    message: string,
  ) {
    super(message);
  }
}

export type { MetricLine, RunDetail, RunStatus, RunSummary, SampleEntry } from './api_types.ts';
import type { MetricLine, RunDetail, RunStatus, RunSummary, SampleEntry } from './api_types.ts';

export function checkRunName(name: string): void {
  if (!RUN_NAME_PATTERN.test(name)) {
    throw new HttpError(400, `invalid run name: expected ${RUN_NAME_PATTERN.source}, got ${JSON.stringify(name.slice(0, 200))}`);
  }
}

function isInside(root: string, target: string): boolean {
  const rel = path.relative(root, target);
  return rel !== '' && !rel.startsWith('..') && !path.isAbsolute(rel);
}

/** Longest a single file read may take before the server gives up on it. */
export const FILE_READ_TIMEOUT_MS = 2000;
const OPEN_FLAGS = constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK;

export function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout;
  return Promise.race([
    p,
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new HttpError(504, `timed out reading ${what}`)), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}

/**
 * Opens `file` for reading only if it is a regular file and not a symlink. Returns the handle, or why not
 * ('missing', or a message such as "status.json is a symlink").
 */
export async function openRegular(file: string): Promise<{ handle: fs.FileHandle; size: number } | { error: string; missing?: true }> {
  const name = path.basename(file);
  let handle: fs.FileHandle;
  try {
    handle = await withTimeout(fs.open(file, OPEN_FLAGS), FILE_READ_TIMEOUT_MS, name);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return { error: `${name} is missing`, missing: true };
    if (code === 'ELOOP') return { error: `${name} is a symlink (not served)` };
    return { error: `${name}: ${e instanceof HttpError ? e.message : `cannot open (${code ?? 'error'})`}` };
  }
  const st = await handle.stat();
  if (!st.isFile()) {
    await handle.close();
    return { error: `${name} is not a regular file (${st.isDirectory() ? 'a directory' : st.isFIFO() ? 'a FIFO' : 'a special file'})` };
  }
  return { handle, size: st.size };
}

export class RunStore {
  readonly root: string;
  private realRoot: string | null = null;

  constructor(runsDir: string) {
    this.root = path.resolve(runsDir);
  }

  private async resolvedRoot(): Promise<string> {
    if (this.realRoot === null) {
      try {
        this.realRoot = await fs.realpath(this.root);
      } catch {
        return this.root; // not created yet: there are no runs to resolve into it
      }
    }
    return this.realRoot;
  }

  /**
   * The real path of `name/...rest` inside the runs folder. Throws 400 for a bad name, 404 when it does
   * not exist, 403 when it (through a symlink) lies outside the runs folder.
   */
  async resolve(name: string, ...rest: string[]): Promise<string> {
    checkRunName(name);
    const root = await this.resolvedRoot();
    const target = path.resolve(root, name, ...rest);
    if (!isInside(root, target)) throw new HttpError(403, `path escapes the runs folder: ${name}/${rest.join('/')}`);
    let real: string;
    try {
      real = await fs.realpath(target);
    } catch {
      throw new HttpError(404, rest.length ? `not found: ${name}/${rest.join('/')}` : `no such run: ${name}`);
    }
    if (!isInside(root, real)) throw new HttpError(403, `path escapes the runs folder: ${name}/${rest.join('/')}`);
    return real;
  }

  /**
   * A file to serve inside a run folder: every component below the run folder must be a real directory
   * and the file itself a regular file, none of them a symlink (404 otherwise, 403 for a symlink).
   */
  async resolveFile(name: string, ...rest: string[]): Promise<string> {
    let cur = await this.resolve(name);
    for (let i = 0; i < rest.length; i++) {
      cur = path.join(cur, rest[i]!);
      let st: import('node:fs').Stats;
      try {
        st = await fs.lstat(cur);
      } catch {
        throw new HttpError(404, `not found: ${name}/${rest.join('/')}`);
      }
      if (st.isSymbolicLink()) throw new HttpError(403, `${name}/${rest.slice(0, i + 1).join('/')} is a symlink (not served)`);
      const last = i === rest.length - 1;
      if (last ? !st.isFile() : !st.isDirectory()) throw new HttpError(404, `not a ${last ? 'regular file' : 'folder'}: ${name}/${rest.slice(0, i + 1).join('/')}`);
    }
    return cur;
  }

  async listRunNames(): Promise<string[]> {
    let entries: import('node:fs').Dirent[];
    try {
      entries = await fs.readdir(this.root, { withFileTypes: true });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw err;
    }
    const names: string[] = [];
    for (const e of entries) {
      if (!RUN_NAME_PATTERN.test(e.name) || !(e.isDirectory() || e.isSymbolicLink())) continue;
      // The sweeps folder (runs/sweeps/<name>, listed by the Sweeps page) is not a run unless it is one.
      if (e.name === 'sweeps' && !(await exists(path.join(this.root, e.name, 'status.json')))) continue;
      try {
        const dir = await this.resolve(e.name);
        if ((await fs.stat(dir)).isDirectory()) names.push(e.name);
      } catch {
        // a symlink leading outside the runs folder or nowhere is not listed
      }
    }
    return names;
  }

  async listRuns(): Promise<RunSummary[]> {
    const names = await this.listRunNames();
    // One unreadable run folder is reported in its entry, never fails the list.
    const runs = await Promise.all(
      names.map((n) =>
        this.summary(n).catch(
          (e: unknown): RunSummary => ({ name: n, status: null, statusError: `unreadable run folder: ${(e as Error).message}`, lastMetrics: null, lastEval: null, hasExport: false, latestSample: null }),
        ),
      ),
    );
    const updated = (r: RunSummary) => r.status?.updatedAt ?? r.status?.startedAt ?? '';
    return runs.sort((a, b) => updated(b).localeCompare(updated(a)) || a.name.localeCompare(b.name));
  }

  async summary(name: string): Promise<RunSummary> {
    const dir = await this.resolve(name);
    const { status, error } = await readStatus(dir);
    const tail = await readMetricsTail(path.join(dir, 'metrics.jsonl'));
    const samples = await listSamples(dir);
    return {
      name,
      status,
      ...(error ? { statusError: error } : {}),
      lastMetrics: [...tail].reverse().find((m) => m.kind === undefined) ?? null,
      lastEval: [...tail].reverse().find((m) => m.kind === 'eval') ?? null,
      hasExport: await exists(path.join(dir, 'export', 'model.json')),
      latestSample: latestSampleOf(samples),
    };
  }

  async detail(name: string): Promise<RunDetail> {
    const dir = await this.resolve(name);
    const summary = await this.summary(name);
    const all = await readMetrics(path.join(dir, 'metrics.jsonl'));
    const config = await readSmallText(path.join(dir, 'config.yaml'));
    return {
      ...summary,
      config,
      family: config === null ? null : familyOf(config),
      metrics: thinMetrics(all, MAX_METRIC_POINTS),
      metricsTotal: all.length,
      samples: await listSamples(dir),
    };
  }
}

/** `model.family` of a config.yaml's text ('gan' when the model names none), or null when it does not parse. */
export function familyOf(configText: string): string | null {
  try {
    const cfg = parseYaml(configText) as { model?: { family?: unknown } } | null;
    if (typeof cfg?.model !== 'object' || cfg.model === null) return null;
    return typeof cfg.model.family === 'string' ? cfg.model.family : 'gan';
  } catch {
    return null;
  }
}

async function exists(file: string): Promise<boolean> {
  try {
    return (await fs.lstat(file)).isFile();
  } catch {
    return false;
  }
}

async function readSmallText(file: string): Promise<string | null> {
  const r = await readSmallFile(file);
  return 'text' in r ? r.text : null;
}

/** A small regular file's text (its first MAX_SMALL_FILE_BYTES), or why it was not read. */
export async function readSmallFile(file: string): Promise<{ text: string } | { error: string; missing?: true }> {
  const opened = await openRegular(file);
  if ('error' in opened) return opened;
  const { handle, size } = opened;
  try {
    const buf = Buffer.alloc(Math.min(size, MAX_SMALL_FILE_BYTES));
    const { bytesRead } = await withTimeout(handle.read(buf, 0, buf.length, 0), FILE_READ_TIMEOUT_MS, path.basename(file));
    return { text: buf.subarray(0, bytesRead).toString('utf8') };
  } catch (e) {
    return { error: `${path.basename(file)}: ${(e as Error).message}` };
  } finally {
    await handle.close();
  }
}

export async function readStatus(dir: string): Promise<{ status: RunStatus | null; error?: string }> {
  const r = await readSmallFile(path.join(dir, 'status.json'));
  if ('error' in r) return { status: null, error: r.error };
  const text = r.text;
  try {
    const parsed: unknown = JSON.parse(text);
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
      return { status: null, error: 'status.json: expected a JSON object' };
    }
    return { status: parsed as RunStatus };
  } catch (err) {
    return { status: null, error: `status.json: ${(err as Error).message}` };
  }
}

/** Parses complete JSONL lines, skipping blank and malformed ones (a line being written). */
export function parseMetricLines(text: string): MetricLine[] {
  const out: MetricLine[] = [];
  for (const line of text.split('\n')) {
    if (!line.trim()) continue;
    try {
      const v: unknown = JSON.parse(line);
      if (typeof v === 'object' && v !== null && !Array.isArray(v)) out.push(v as MetricLine);
    } catch {
      // a partial last line while training appends; it is read again when complete
    }
  }
  return out;
}

async function readRange(file: string, maxBytes: number): Promise<string | null> {
  const opened = await openRegular(file);
  if ('error' in opened) return null;
  const { handle, size } = opened;
  try {
    const start = Math.max(0, size - maxBytes);
    const buf = Buffer.alloc(size - start);
    const { bytesRead } = await withTimeout(handle.read(buf, 0, buf.length, start), FILE_READ_TIMEOUT_MS, path.basename(file));
    let text = buf.subarray(0, bytesRead).toString('utf8');
    if (start > 0) text = text.slice(text.indexOf('\n') + 1); // drop the cut first line
    return text;
  } catch {
    return null;
  } finally {
    await handle.close();
  }
}

export async function readMetrics(file: string): Promise<MetricLine[]> {
  const text = await readRange(file, MAX_METRICS_BYTES);
  return text === null ? [] : parseMetricLines(text);
}

/** The last metric lines (from the file's last 64 KB), enough for the latest training and eval line. */
async function readMetricsTail(file: string): Promise<MetricLine[]> {
  const text = await readRange(file, 64 << 10);
  return text === null ? [] : parseMetricLines(text);
}

/** Keeps every eval line and an even stride of training lines (always the last one) within `max` lines. */
export function thinMetrics(lines: MetricLine[], max: number): MetricLine[] {
  if (lines.length <= max) return lines;
  const evals = lines.filter((m) => m.kind !== undefined);
  const train = lines.filter((m) => m.kind === undefined);
  const budget = Math.max(2, max - evals.length);
  const stride = Math.ceil(train.length / budget);
  const keep = new Set<MetricLine>(evals.slice(-max));
  train.forEach((m, i) => {
    if (i % stride === 0 || i === train.length - 1) keep.add(m);
  });
  return lines.filter((m) => keep.has(m));
}

const STEP_FILE = /^step_(\d+)\.png$/;

export async function listSamples(dir: string): Promise<SampleEntry[]> {
  let files: string[];
  try {
    files = await fs.readdir(path.join(dir, 'samples'));
  } catch {
    return [];
  }
  return files
    .filter((f) => SAMPLE_FILE_PATTERN.test(f))
    .map((file) => {
      const m = STEP_FILE.exec(file);
      return { file, step: m ? Number(m[1]) : null };
    })
    .sort((a, b) => (a.step ?? Infinity) - (b.step ?? Infinity) || a.file.localeCompare(b.file));
}

function latestSampleOf(samples: SampleEntry[]): string | null {
  if (samples.some((s) => s.file === 'latest.png')) return 'latest.png';
  const stepped = samples.filter((s) => s.step !== null);
  return stepped.length ? stepped[stepped.length - 1]!.file : null;
}
