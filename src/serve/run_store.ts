/**
 * Read-only access to a runs folder (docs/RUN_FORMAT.md) for the studio server. Every name that comes
 * from the network is checked against a strict pattern and every resolved path is checked, after
 * following symlinks, to stay inside the runs folder; file reads are bounded in size.
 */
import fs from 'node:fs/promises';
import path from 'node:path';

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
    const runs = await Promise.all(names.map((n) => this.summary(n)));
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
    return {
      ...summary,
      config: await readSmallText(path.join(dir, 'config.yaml')),
      metrics: thinMetrics(all, MAX_METRIC_POINTS),
      metricsTotal: all.length,
      samples: await listSamples(dir),
    };
  }
}

async function exists(file: string): Promise<boolean> {
  try {
    await fs.access(file);
    return true;
  } catch {
    return false;
  }
}

async function readSmallText(file: string): Promise<string | null> {
  let handle: fs.FileHandle;
  try {
    handle = await fs.open(file, 'r');
  } catch {
    return null;
  }
  try {
    const { size } = await handle.stat();
    const buf = Buffer.alloc(Math.min(size, MAX_SMALL_FILE_BYTES));
    await handle.read(buf, 0, buf.length, 0);
    return buf.toString('utf8');
  } finally {
    await handle.close();
  }
}

export async function readStatus(dir: string): Promise<{ status: RunStatus | null; error?: string }> {
  const text = await readSmallText(path.join(dir, 'status.json'));
  if (text === null) return { status: null, error: 'status.json is missing' };
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
  let handle: fs.FileHandle;
  try {
    handle = await fs.open(file, 'r');
  } catch {
    return null;
  }
  try {
    const { size } = await handle.stat();
    const start = Math.max(0, size - maxBytes);
    const buf = Buffer.alloc(size - start);
    await handle.read(buf, 0, buf.length, start);
    let text = buf.toString('utf8');
    if (start > 0) text = text.slice(text.indexOf('\n') + 1); // drop the cut first line
    return text;
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
