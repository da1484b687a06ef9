/**
 * Sweep results → per-configuration statistics over seeds (mean, sample std, min, max) as JSON, CSV and
 * a Markdown table, plus an SVG box plot per metric (rendered to PNG by plot_png.ts). Pure: no TF.js,
 * no file access, so the studio server uses it as well.
 */

/** One finished (or failed) job, as written to results.jsonl. */
export interface JobResult {
  id: string;
  sweep: string;
  label: string;
  configHash: string;
  seed: number;
  status: 'done' | 'failed';
  metrics: Record<string, number>;
  /** The final training step. */
  step?: number;
  runDir?: string;
  host?: string;
  wallSeconds?: number;
  /** Attempts it took (1 = first try). */
  attempts?: number;
  error?: string;
  finishedAt?: string;
}

/** A sweep's live state, `sweep.json` in its results folder. */
export interface SweepState {
  name: string;
  file: string;
  base: string;
  executor: 'local' | 'redis';
  /** Local pool size, or the workers connected to the queue (BullMQ). */
  workers: number;
  state: 'running' | 'done' | 'interrupted' | 'failed';
  startedAt: string;
  updatedAt: string;
  jobs: { id: string; label: string; seed: number }[];
  done: number;
  failed: number;
  running: { id: string; step: number; total: number; attempt: number }[];
  /** Seconds until the rest is done at the pace of the jobs finished so far; null before the first. */
  etaSeconds: number | null;
  error?: string;
}

export interface MetricStats {
  n: number;
  mean: number;
  /** Sample standard deviation (n − 1); 0 for one seed. */
  std: number;
  min: number;
  max: number;
  values: number[];
}

export interface ConfigSummary {
  label: string;
  configHash: string;
  seeds: number[];
  failed: { seed: number; error: string }[];
  metrics: Record<string, MetricStats>;
  /** Wall time of the finished jobs (training, evaluation, process start), when recorded. */
  wallSeconds: MetricStats | null;
}

export interface SweepReport {
  sweep: string;
  jobs: number;
  done: number;
  failed: number;
  metricNames: string[];
  configs: ConfigSummary[];
}

export function stats(values: number[]): MetricStats {
  const n = values.length;
  const mean = values.reduce((a, b) => a + b, 0) / n;
  const std = n > 1 ? Math.sqrt(values.reduce((a, b) => a + (b - mean) ** 2, 0) / (n - 1)) : 0;
  return { n, mean, std, min: Math.min(...values), max: Math.max(...values), values };
}

/** The last result of each job id wins (a re-run's retry replaces an earlier failure). */
export function latestResults(results: JobResult[]): JobResult[] {
  const byId = new Map<string, JobResult>();
  for (const r of results) byId.set(r.id, r);
  return [...byId.values()];
}

/** Groups results by configuration, in the order configurations first appear; metrics in first-seen order. */
export function summarize(results: JobResult[], sweep = results[0]?.sweep ?? ''): SweepReport {
  const latest = latestResults(results);
  const groups = new Map<string, ConfigSummary & { raw: Map<string, number[]> }>();
  const metricNames: string[] = [];
  for (const r of latest) {
    let g = groups.get(r.configHash);
    if (!g) {
      g = { label: r.label, configHash: r.configHash, seeds: [], failed: [], metrics: {}, wallSeconds: null, raw: new Map() };
      groups.set(r.configHash, g);
    }
    if (r.status !== 'done') {
      g.failed.push({ seed: r.seed, error: r.error ?? 'failed' });
      continue;
    }
    g.seeds.push(r.seed);
    if (typeof r.wallSeconds === 'number') {
      const walls = g.raw.get('\0wall') ?? [];
      walls.push(r.wallSeconds);
      g.raw.set('\0wall', walls);
    }
    for (const [k, v] of Object.entries(r.metrics)) {
      if (typeof v !== 'number' || !Number.isFinite(v)) continue;
      if (!metricNames.includes(k)) metricNames.push(k);
      const list = g.raw.get(k) ?? [];
      list.push(v);
      g.raw.set(k, list);
    }
  }
  const configs = [...groups.values()].map(({ raw, ...g }) => {
    for (const [k, vals] of raw) {
      if (k === '\0wall') g.wallSeconds = stats(vals);
      else g.metrics[k] = stats(vals);
    }
    return g;
  });
  return {
    sweep,
    jobs: latest.length,
    done: latest.filter((r) => r.status === 'done').length,
    failed: latest.filter((r) => r.status !== 'done').length,
    metricNames,
    configs,
  };
}

/** Bookkeeping that evaluations report beside their metrics: kept in JSON and CSV, left out of tables and plots. */
const META_METRIC = /(^|_)seconds$|^n_|^n$|_std$|^step$|^feature_net_|^sample_seed$|^training_eval_seed$/;

/** Metrics worth a column or a plot: those that vary somewhere (a constant such as num_modes says nothing). */
export function varyingMetrics(report: SweepReport): string[] {
  return report.metricNames.filter((m) => {
    if (META_METRIC.test(m)) return false;
    const all = report.configs.flatMap((c) => c.metrics[m]?.values ?? []);
    return all.length > 0 && Math.max(...all) !== Math.min(...all);
  });
}

function fmt(v: number): string {
  if (!Number.isFinite(v)) return String(v);
  if (v === 0) return '0';
  const a = Math.abs(v);
  if (a !== 0 && (a < 1e-3 || a >= 1e6)) return v.toExponential(2);
  return a >= 100 ? v.toFixed(1) : a >= 1 ? v.toFixed(2) : v.toFixed(4);
}

function csvCell(s: string): string {
  return /[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** One row per configuration and metric: label, config hash, metric, n, mean, std, min, max, failed seeds. */
export function reportCsv(report: SweepReport): string {
  const rows = [['configuration', 'config_hash', 'metric', 'n', 'mean', 'std', 'min', 'max', 'failed_seeds'].join(',')];
  for (const c of report.configs) {
    const failed = c.failed.map((f) => f.seed).join(' ');
    const names = report.metricNames.filter((m) => c.metrics[m]);
    if (!names.length) rows.push([csvCell(c.label), c.configHash, '', '0', '', '', '', '', failed].join(','));
    for (const m of names) {
      const s = c.metrics[m]!;
      rows.push([csvCell(c.label), c.configHash, m, String(s.n), String(s.mean), String(s.std), String(s.min), String(s.max), failed].join(','));
    }
  }
  return rows.join('\n') + '\n';
}

/** A Markdown table: a row per configuration, "mean ± std (min–max)" per varying metric, seeds done/failed. */
export function reportMarkdown(report: SweepReport, metrics = varyingMetrics(report)): string {
  const timed = report.configs.some((c) => c.wallSeconds);
  const head = ['configuration', 'seeds', ...metrics, ...(timed ? ['wall s'] : [])];
  const lines = [`| ${head.join(' | ')} |`, `| ${head.map((_, i) => (i < 1 ? '---' : '---:')).join(' | ')} |`];
  for (const c of report.configs) {
    const seeds = `${c.seeds.length}${c.failed.length ? ` (+${c.failed.length} failed)` : ''}`;
    const cells = metrics.map((m) => {
      const s = c.metrics[m];
      return s ? `${fmt(s.mean)} ± ${fmt(s.std)} (${fmt(s.min)}–${fmt(s.max)})` : '–';
    });
    if (timed) cells.push(c.wallSeconds ? fmt(c.wallSeconds.mean) : '–');
    lines.push(`| ${c.label.replace(/\|/g, '\\|')} | ${seeds} | ${cells.join(' | ')} |`);
  }
  return lines.join('\n') + '\n';
}

function quantile(sorted: number[], q: number): number {
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (pos - lo);
}

function escapeXml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/** Rounded axis ticks spanning [lo, hi]. */
function ticks(lo: number, hi: number, count = 5): number[] {
  const span = hi - lo || Math.abs(hi) || 1;
  const raw = span / count;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * mag).find((s) => span / s <= count) ?? 10 * mag;
  const out: number[] = [];
  for (let v = Math.ceil(lo / step) * step; v <= hi + step * 1e-9; v += step) out.push(Number(v.toPrecision(12)));
  return out;
}

/**
 * A box plot of one metric over seeds, a box per configuration: the box spans the quartiles, the bar is
 * the median, whiskers reach min and max, and every seed is a dot.
 */
export function boxPlotSvg(report: SweepReport, metric: string, opts: { width?: number; height?: number } = {}): string {
  const configs = report.configs.filter((c) => c.metrics[metric]);
  const labels = configs.map((c) => c.label);
  const longest = Math.max(8, ...labels.map((l) => l.length));
  // Labels are rotated 40°: their drop is about 0.64 × their length.
  const bottom = Math.min(240, 24 + longest * 4.2);
  const width = opts.width ?? Math.max(360, 90 + configs.length * 70);
  const height = opts.height ?? 300 + bottom;
  const left = 70;
  const top = 36;
  const plotW = width - left - 20;
  const plotH = height - top - bottom;
  const all = configs.flatMap((c) => c.metrics[metric]!.values);
  let lo = all.length ? Math.min(...all) : 0;
  let hi = all.length ? Math.max(...all) : 1;
  if (hi === lo) {
    lo -= Math.abs(lo) * 0.05 || 0.5;
    hi += Math.abs(hi) * 0.05 || 0.5;
  }
  const pad = (hi - lo) * 0.08;
  lo -= pad;
  hi += pad;
  const y = (v: number) => top + plotH - ((v - lo) / (hi - lo)) * plotH;
  const slot = plotW / Math.max(1, configs.length);
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="Liberation Sans, Arial, Helvetica, sans-serif" font-size="12">`,
    `<rect width="${width}" height="${height}" fill="#ffffff"/>`,
    `<text x="${width / 2}" y="20" text-anchor="middle" font-size="14" font-weight="bold">${escapeXml(`${report.sweep}: ${metric}`)}</text>`,
  ];
  const tickValues = ticks(lo, hi);
  // One number format for the whole axis: as many decimals as the tick step needs.
  const step = tickValues.length > 1 ? tickValues[1]! - tickValues[0]! : 1;
  let decimals = 0;
  while (decimals < 6 && Math.abs(Math.round(step * 10 ** decimals) - step * 10 ** decimals) > 1e-6) decimals++;
  const tickLabel = (t: number) => (Math.abs(t) < 1e6 && step >= 1e-6 ? t.toFixed(decimals) : fmt(t));
  for (const t of tickValues) {
    const ty = y(t).toFixed(1);
    parts.push(`<line x1="${left}" x2="${left + plotW}" y1="${ty}" y2="${ty}" stroke="#e4e4e4"/>`);
    parts.push(`<text x="${left - 6}" y="${ty}" text-anchor="end" dominant-baseline="middle" fill="#444">${escapeXml(tickLabel(t))}</text>`);
  }
  parts.push(`<line x1="${left}" x2="${left}" y1="${top}" y2="${top + plotH}" stroke="#444"/>`);
  configs.forEach((c, i) => {
    const s = c.metrics[metric]!;
    const sorted = [...s.values].sort((a, b) => a - b);
    const cx = left + slot * (i + 0.5);
    const bw = Math.min(40, slot * 0.55);
    const [q1, med, q3] = [quantile(sorted, 0.25), quantile(sorted, 0.5), quantile(sorted, 0.75)];
    parts.push(`<line x1="${cx}" x2="${cx}" y1="${y(s.max).toFixed(1)}" y2="${y(s.min).toFixed(1)}" stroke="#335"/>`);
    for (const w of [s.min, s.max]) parts.push(`<line x1="${cx - bw / 4}" x2="${cx + bw / 4}" y1="${y(w).toFixed(1)}" y2="${y(w).toFixed(1)}" stroke="#335"/>`);
    parts.push(`<rect x="${cx - bw / 2}" y="${y(q3).toFixed(1)}" width="${bw}" height="${Math.max(1, y(q1) - y(q3)).toFixed(1)}" fill="#9ec5ec" stroke="#335"/>`);
    parts.push(`<line x1="${cx - bw / 2}" x2="${cx + bw / 2}" y1="${y(med).toFixed(1)}" y2="${y(med).toFixed(1)}" stroke="#c0392b" stroke-width="2"/>`);
    sorted.forEach((v, j) => {
      const jitter = sorted.length > 1 ? (j / (sorted.length - 1) - 0.5) * bw * 0.6 : 0;
      parts.push(`<circle cx="${(cx + jitter).toFixed(1)}" cy="${y(v).toFixed(1)}" r="2.5" fill="#1f3b73" fill-opacity="0.8"/>`);
    });
    const ly = top + plotH + 12;
    parts.push(`<text x="${cx}" y="${ly}" text-anchor="end" transform="rotate(-40 ${cx} ${ly})" fill="#222">${escapeXml(c.label)}</text>`);
  });
  parts.push('</svg>');
  return parts.join('\n');
}
