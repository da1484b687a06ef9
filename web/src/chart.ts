/** A small line chart on a canvas: several series over a shared x axis, auto-scaled, with a legend. */

export interface Series {
  name: string;
  color: string;
  points: Array<[number, number]>;
}

export interface ChartOptions {
  title?: string;
  xLabel?: string;
  /** Clip the y range to the 1st–99th percentile so a few spikes do not flatten the curve. */
  robust?: boolean;
  /** Fixed x range (e.g. the run's steps, so that charts stacked under each other line up); default the data's. */
  xRange?: [number, number];
}

export const PALETTE = ['#e4572e', '#2e86ab', '#59a14f', '#b07aa1', '#f2a541', '#76b7b2', '#9c755f', '#edc948'];

function percentile(sorted: number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.round(q * (sorted.length - 1))))]!;
}

function niceTicks(lo: number, hi: number, count: number): number[] {
  const span = hi - lo || 1;
  const raw = span / count;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * mag).find((s) => s >= raw) ?? raw;
  const ticks: number[] = [];
  for (let t = Math.ceil(lo / step) * step; t <= hi + 1e-9 * span; t += step) ticks.push(Number(t.toPrecision(12)));
  return ticks;
}

export function drawChart(canvas: HTMLCanvasElement, series: Series[], opts: ChartOptions = {}): void {
  const dpr = window.devicePixelRatio || 1;
  const cssW = canvas.clientWidth || canvas.width;
  const cssH = canvas.clientHeight || canvas.height;
  if (canvas.width !== Math.round(cssW * dpr)) canvas.width = Math.round(cssW * dpr);
  if (canvas.height !== Math.round(cssH * dpr)) canvas.height = Math.round(cssH * dpr);
  const ctx = canvas.getContext('2d')!;
  ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
  ctx.clearRect(0, 0, cssW, cssH);
  ctx.font = '11px system-ui, sans-serif';

  const pad = { l: 48, r: 10, t: 22, b: 24 };
  // The legend sits on the title row, clear of the plot; entries that do not fit wrap onto more rows above it.
  const legendRow = 13;
  const legend: Array<{ s: Series; x: number; y: number }> = [];
  let lx = pad.l + (opts.title ? ctx.measureText(opts.title).width + 16 : 0);
  let ly = 14;
  for (const s of series) {
    const width = 24 + ctx.measureText(s.name).width;
    if (lx + width - 10 > cssW - pad.r && lx > pad.l) {
      lx = pad.l;
      ly += legendRow;
    }
    legend.push({ s, x: lx, y: ly });
    lx += width;
  }
  pad.t += ly - 14;
  const w = cssW - pad.l - pad.r;
  const h = cssH - pad.t - pad.b;
  if (opts.title) {
    ctx.fillStyle = '#222';
    ctx.fillText(opts.title, pad.l, 14);
  }
  for (const { s, x, y } of legend) {
    ctx.fillStyle = s.color;
    ctx.fillRect(x, y - 5, 10, 3);
    ctx.fillStyle = '#333';
    ctx.fillText(s.name, x + 14, y);
  }
  const xs: number[] = [];
  const ys: number[] = [];
  for (const s of series) {
    for (const [x, y] of s.points) {
      if (Number.isFinite(x) && Number.isFinite(y)) {
        xs.push(x);
        ys.push(y);
      }
    }
  }
  if (ys.length === 0) {
    ctx.fillStyle = '#888';
    ctx.fillText('no data yet', pad.l + 8, pad.t + h / 2);
    return;
  }
  const sortedY = ys.slice().sort((a, b) => a - b);
  let y0 = opts.robust ? percentile(sortedY, 0.01) : sortedY[0]!;
  let y1 = opts.robust ? percentile(sortedY, 0.99) : sortedY[sortedY.length - 1]!;
  if (y1 - y0 < 1e-9) {
    y0 -= 0.5;
    y1 += 0.5;
  }
  const margin = (y1 - y0) * 0.05;
  y0 -= margin;
  y1 += margin;
  let [x0, x1] = opts.xRange ?? [Math.min(...xs), Math.max(...xs)];
  if (x1 === x0) {
    x0 -= 1;
    x1 += 1;
  }
  const px = (x: number) => pad.l + ((x - x0) / (x1 - x0)) * w;
  const py = (y: number) => pad.t + (1 - (Math.min(y1, Math.max(y0, y)) - y0) / (y1 - y0)) * h;

  ctx.strokeStyle = '#e3e3e3';
  ctx.fillStyle = '#666';
  ctx.lineWidth = 1;
  for (const t of niceTicks(y0, y1, 4)) {
    ctx.beginPath();
    ctx.moveTo(pad.l, py(t));
    ctx.lineTo(pad.l + w, py(t));
    ctx.stroke();
    ctx.fillText(formatTick(t), 4, py(t) + 4);
  }
  const labelW = opts.xLabel ? ctx.measureText(opts.xLabel).width + 16 : 0;
  for (const t of niceTicks(x0, x1, 5)) {
    const text = formatTick(t);
    // Ticks under the axis label are left out rather than drawn over it.
    if (px(t) + ctx.measureText(text).width / 2 < pad.l + w - labelW) ctx.fillText(text, px(t) - ctx.measureText(text).width / 2, pad.t + h + 16);
  }
  if (opts.xLabel) ctx.fillText(opts.xLabel, pad.l + w - ctx.measureText(opts.xLabel).width, pad.t + h + 16);

  ctx.save();
  ctx.beginPath();
  ctx.rect(pad.l, pad.t, w, h);
  ctx.clip();
  ctx.lineWidth = 1.5;
  for (const s of series) {
    ctx.strokeStyle = s.color;
    ctx.beginPath();
    let pen = false;
    for (const [x, y] of s.points) {
      if (!Number.isFinite(y)) {
        pen = false;
        continue;
      }
      if (pen) ctx.lineTo(px(x), py(y));
      else ctx.moveTo(px(x), py(y));
      pen = true;
    }
    if (s.points.length === 1) ctx.arc(px(s.points[0]![0]), py(s.points[0]![1]), 2, 0, 2 * Math.PI);
    ctx.stroke();
  }
  ctx.restore();
}

function formatTick(t: number): string {
  const a = Math.abs(t);
  return a !== 0 && (a < 1e-3 || a >= 1e5) ? t.toExponential(1) : String(Number(t.toPrecision(4)));
}
