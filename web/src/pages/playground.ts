/**
 * The 2-D playground: a small GAN trained live in the page on a ring or grid of Gaussians (or points
 * the user draws), showing real and generated points, the discriminator's output as a heatmap, the
 * generator's warped latent grid, loss curves and PacGAN mode coverage.
 */
import { drawChart, PALETTE } from '../chart.ts';
import { h } from '../dom.ts';
import { DEFAULT_CONFIG, Gan2d, LOSSES, type Gan2dConfig, type Loss2d } from '../playground/gan2d.ts';
import { drawn, toyMixture, type Mixture } from '../playground/toy_data.ts';
import { Rng } from '../../../src/core/rng.ts';
import { sampleToy } from '../../../src/data/toy.ts';

type DataChoice = 'ring8' | 'grid25' | 'draw';

const VIEW = 480;
const HEATMAP_RES = 40;
const HEATMAP_LEVELS = 10;
const FAKE_POINTS = 1000;
const REAL_POINTS = 1000;
const GRID_LINES = 15;
const GRID_POINTS = 40;
const LATENT_RANGE = 2.5;
/** Training time between redraws of the view: drawing costs a few forward passes, so not every step. */
const TRAIN_BUDGET_MS = 200;
const COVERAGE_EVERY_MS = 1000;
const DRAW_EXTENT = 3;

function select<T extends string | number>(id: string, options: readonly T[], value: T, label = (v: T) => String(v)): HTMLSelectElement {
  const el = h('select', { id });
  for (const o of options) el.append(h('option', { value: String(o), selected: o === value }, label(o)));
  return el;
}

export function renderPlayground(root: HTMLElement, _params: URLSearchParams): () => void {
  const cfg: Gan2dConfig = { ...DEFAULT_CONFIG };
  let dataChoice: DataChoice = 'ring8';
  let drawnPoints: number[][] = [];
  let gan: Gan2d | null = null;
  let running = false;
  let timer: number | null = null;
  let lastCoverageAt = 0;
  let stepsAtLastFrame = 0;
  let lastFrameAt = performance.now();
  let stepsPerSecond = 0;
  let losses: Array<{ step: number; d: number; g: number }> = [];
  let coverageHistory: Array<[number, number]> = [];
  let realPoints: Float32Array = new Float32Array(0);

  const canvas = h('canvas', { id: 'playground-canvas', width: VIEW, height: VIEW, class: 'view2d' });
  const lossCanvas = h('canvas', { id: 'playground-losses', class: 'chart' });
  const coverageCanvas = h('canvas', { id: 'playground-coverage', class: 'chart small' });

  const dataSel = select<DataChoice>('pg-data', ['ring8', 'grid25', 'draw'], dataChoice, (v) => (v === 'draw' ? 'draw points (click the plot)' : v));
  const lossSel = select<Loss2d>('pg-loss', LOSSES, cfg.loss);
  const kSel = select('pg-k', [1, 2, 3, 5], cfg.dSteps);
  const lrs = [1e-4, 2e-4, 5e-4, 1e-3, 2e-3, 5e-3];
  const lrDSel = select('pg-lrd', lrs, cfg.lrD);
  const lrGSel = select('pg-lrg', lrs, cfg.lrG);
  const hiddenSel = select('pg-hidden', [16, 32, 64, 128, 256], cfg.hidden);
  const depthSel = select('pg-depth', [1, 2, 3, 4], cfg.depth);
  const batchSel = select('pg-batch', [64, 128, 256, 512], cfg.batch);
  const playBtn = h('button', { id: 'play', class: 'primary' }, 'Play');
  const stepBtn = h('button', { id: 'step' }, 'Step');
  const resetBtn = h('button', { id: 'reset' }, 'Reset');
  const clearBtn = h('button', { id: 'clear-points', hidden: true }, 'Clear points');
  const show = {
    heatmap: h('input', { type: 'checkbox', id: 'show-heatmap', checked: true }),
    manifold: h('input', { type: 'checkbox', id: 'show-manifold', checked: true }),
    real: h('input', { type: 'checkbox', id: 'show-real', checked: true }),
    fake: h('input', { type: 'checkbox', id: 'show-fake', checked: true }),
  };
  const stepEl = h('span', { id: 'pg-step' }, '0');
  const speedEl = h('span', { id: 'pg-speed' }, '–');
  const modesEl = h('strong', { id: 'modes-covered', 'data-covered': 0, 'data-modes': 8 }, '–');
  const hqEl = h('span', { id: 'pg-hq' }, '–');
  const hint = h('p', { class: 'hint' });

  const field = (label: string, control: HTMLElement) => h('label', { class: 'field' }, h('span', {}, label), control);
  root.append(
    h('h1', {}, 'Playground'),
    h(
      'div',
      { class: 'playground' },
      h(
        'div',
        { class: 'panel controls' },
        field('Data', dataSel),
        clearBtn,
        field('Loss', lossSel),
        field('D steps per G step (k)', kSel),
        field('Learning rate D', lrDSel),
        field('Learning rate G', lrGSel),
        field('Hidden units', hiddenSel),
        field('Hidden layers', depthSel),
        field('Batch size', batchSel),
        h('div', { class: 'buttons' }, playBtn, stepBtn, resetBtn),
        h('div', { class: 'toggles' }, ...Object.entries(show).map(([name, box]) => h('label', {}, box, ` ${name}`))),
        hint,
      ),
      h('div', { class: 'panel' }, canvas),
      h(
        'div',
        { class: 'panel stats' },
        h('div', { class: 'bigstat' }, 'Modes covered: ', modesEl),
        h('div', {}, 'High-quality samples: ', hqEl),
        h('div', {}, 'Step: ', stepEl, ' · ', speedEl),
        lossCanvas,
        coverageCanvas,
        h('p', { class: 'hint' }, 'A generated point is high quality within 3σ of its nearest mode; a mode is covered when it is the nearest mode of at least one high-quality point (PacGAN), out of 2,500 samples.'),
      ),
    ),
  );

  function mixture(): Mixture {
    return dataChoice === 'draw' ? drawn(drawnPoints, DRAW_EXTENT) : toyMixture(dataChoice);
  }

  function reset(): void {
    gan?.dispose();
    gan = null;
    losses = [];
    coverageHistory = [];
    stepsAtLastFrame = 0;
    const mix = mixture();
    realPoints = mix.modes.length ? sampleToy(mix, REAL_POINTS, new Rng(7)) : new Float32Array(0);
    if (mix.modes.length) gan = new Gan2d({ ...cfg }, mix);
    clearBtn.hidden = dataChoice !== 'draw';
    hint.textContent = dataChoice === 'draw' ? 'Click the plot to add modes; the GAN learns them as you draw.' : '';
    modesEl.dataset.modes = String(mix.modes.length);
    updateCoverage();
    render();
  }

  function updateCoverage(): void {
    if (!gan) {
      modesEl.textContent = '–';
      modesEl.dataset.covered = '0';
      hqEl.textContent = '–';
      return;
    }
    const c = gan.coverage(2500);
    modesEl.textContent = `${c.modes_covered} / ${c.num_modes}`;
    modesEl.dataset.covered = String(c.modes_covered);
    modesEl.dataset.modes = String(c.num_modes);
    modesEl.dataset.step = String(gan.step);
    hqEl.textContent = `${c.high_quality_pct.toFixed(1)} %`;
    coverageHistory.push([gan.step, c.modes_covered]);
    if (coverageHistory.length > 2000) coverageHistory = coverageHistory.filter((_, i) => i % 2 === 0);
  }

  const extent = () => (gan ? gan.data.extent : mixture().extent);
  const toPx = (x: number, y: number, e: number): [number, number] => [((x + e) / (2 * e)) * VIEW, ((e - y) / (2 * e)) * VIEW];

  function drawPoints(ctx: CanvasRenderingContext2D, pts: Float32Array, color: string, e: number): void {
    ctx.fillStyle = color;
    for (let i = 0; i < pts.length; i += 2) {
      const [px, py] = toPx(pts[i]!, pts[i + 1]!, e);
      ctx.fillRect(px - 1.5, py - 1.5, 3, 3);
    }
  }

  /**
   * The discriminator's "realness" over the view: evaluated on a coarse grid, interpolated bilinearly to
   * the canvas, and banded into HEATMAP_LEVELS levels, which reads like a contour map.
   */
  function drawHeatmap(ctx: CanvasRenderingContext2D, model: Gan2d, e: number): void {
    const out = model.discriminatorGrid(HEATMAP_RES, e);
    const loss = model.cfg.loss;
    let lo = 0;
    let hi = 1;
    if (loss === 'hinge' || loss === 'wgan-gp') {
      lo = Infinity;
      hi = -Infinity;
      for (const v of out) {
        lo = Math.min(lo, v);
        hi = Math.max(hi, v);
      }
    }
    // Realness in [0, 1]: the probability for the logistic loss, the rescaled critic otherwise.
    const p = out.map((v) => Math.min(1, Math.max(0, loss === 'nonsaturating' ? 1 / (1 + Math.exp(-v)) : (v - lo) / (hi - lo || 1))));
    const img = ctx.createImageData(VIEW, VIEW);
    const at = (r: number, c: number) => p[Math.min(HEATMAP_RES - 1, r) * HEATMAP_RES + Math.min(HEATMAP_RES - 1, c)]!;
    for (let y = 0; y < VIEW; y++) {
      const gy = Math.max(0, (y + 0.5) * (HEATMAP_RES / VIEW) - 0.5);
      const r = Math.floor(gy);
      const fy = gy - r;
      for (let x = 0; x < VIEW; x++) {
        const gx = Math.max(0, (x + 0.5) * (HEATMAP_RES / VIEW) - 0.5);
        const c = Math.floor(gx);
        const fx = gx - c;
        const v = (1 - fy) * ((1 - fx) * at(r, c) + fx * at(r, c + 1)) + fy * ((1 - fx) * at(r + 1, c) + fx * at(r + 1, c + 1));
        const q = Math.round(v * HEATMAP_LEVELS) / HEATMAP_LEVELS;
        const o = 4 * (y * VIEW + x);
        img.data[o] = 250 - 120 * q;
        img.data[o + 1] = 215 + 25 * q;
        img.data[o + 2] = 235 - 95 * q;
        img.data[o + 3] = 255;
      }
    }
    ctx.putImageData(img, 0, 0);
  }

  function drawManifold(ctx: CanvasRenderingContext2D, model: Gan2d, e: number): void {
    const n = GRID_LINES * GRID_POINTS;
    const latents = new Float32Array(2 * n * 2);
    let k = 0;
    for (const horizontal of [true, false]) {
      for (let l = 0; l < GRID_LINES; l++) {
        const a = -LATENT_RANGE + (2 * LATENT_RANGE * l) / (GRID_LINES - 1);
        for (let p = 0; p < GRID_POINTS; p++) {
          const b = -LATENT_RANGE + (2 * LATENT_RANGE * p) / (GRID_POINTS - 1);
          latents[k++] = horizontal ? b : a;
          latents[k++] = horizontal ? a : b;
        }
      }
    }
    const out = model.generate(latents);
    ctx.strokeStyle = 'rgba(60, 60, 60, 0.35)';
    ctx.lineWidth = 1;
    for (let line = 0; line < 2 * GRID_LINES; line++) {
      ctx.beginPath();
      for (let p = 0; p < GRID_POINTS; p++) {
        const i = line * GRID_POINTS + p;
        const [px, py] = toPx(out[2 * i]!, out[2 * i + 1]!, e);
        if (p === 0) ctx.moveTo(px, py);
        else ctx.lineTo(px, py);
      }
      ctx.stroke();
    }
  }

  function render(): void {
    const ctx = canvas.getContext('2d')!;
    const e = extent();
    ctx.fillStyle = '#fff';
    ctx.fillRect(0, 0, VIEW, VIEW);
    if (gan && show.heatmap.checked) drawHeatmap(ctx, gan, e);
    if (gan && show.manifold.checked) drawManifold(ctx, gan, e);
    if (show.real.checked) drawPoints(ctx, realPoints, 'rgba(30, 110, 200, 0.55)', e);
    if (gan && show.fake.checked) drawPoints(ctx, gan.sample(FAKE_POINTS), 'rgba(230, 90, 30, 0.7)', e);
    for (const m of gan ? gan.data.modes : mixture().modes) {
      const [px, py] = toPx(m[0]!, m[1]!, e);
      ctx.strokeStyle = '#1e3a5f';
      ctx.beginPath();
      ctx.arc(px, py, 5, 0, 2 * Math.PI);
      ctx.stroke();
    }
    if (!gan) {
      ctx.fillStyle = '#555';
      ctx.font = '14px system-ui, sans-serif';
      ctx.fillText('Click to add points', VIEW / 2 - 60, VIEW / 2);
    }
    if (gan) {
      const l = gan.losses();
      if (gan.step > 0 && (losses.length === 0 || losses[losses.length - 1]!.step !== gan.step)) losses.push({ step: gan.step, ...l });
      if (losses.length > 4000) losses = losses.filter((_, i) => i % 2 === 0);
    }
    drawChart(
      lossCanvas,
      [
        { name: 'D loss', color: PALETTE[0]!, points: losses.map((p) => [p.step, p.d]) },
        { name: 'G loss', color: PALETTE[1]!, points: losses.map((p) => [p.step, p.g]) },
      ],
      { title: 'Losses', xLabel: 'step', robust: true },
    );
    drawChart(coverageCanvas, [{ name: 'modes covered', color: PALETTE[2]!, points: coverageHistory }], { title: 'Mode coverage', xLabel: 'step' });
    stepEl.textContent = String(gan?.step ?? 0);
    speedEl.textContent = running ? `${stepsPerSecond.toFixed(0)} steps/s` : 'paused';
  }

  function frame(): void {
    timer = null;
    if (!running || !gan) return;
    const t0 = performance.now();
    do gan.train();
    while (performance.now() - t0 < TRAIN_BUDGET_MS);
    const now = performance.now();
    if (now - lastCoverageAt > COVERAGE_EVERY_MS) {
      lastCoverageAt = now;
      updateCoverage();
    }
    stepsPerSecond = 0.8 * stepsPerSecond + (0.2 * (gan.step - stepsAtLastFrame) * 1000) / Math.max(1, now - lastFrameAt);
    stepsAtLastFrame = gan.step;
    lastFrameAt = now;
    render();
    timer = window.setTimeout(frame, 0);
  }

  function setRunning(on: boolean): void {
    running = on && gan !== null;
    playBtn.textContent = running ? 'Pause' : 'Play';
    if (running && timer === null) {
      lastFrameAt = performance.now();
      stepsAtLastFrame = gan!.step;
      timer = window.setTimeout(frame, 0);
    }
    render();
  }

  playBtn.addEventListener('click', () => setRunning(!running));
  stepBtn.addEventListener('click', () => {
    setRunning(false);
    gan?.train();
    updateCoverage();
    render();
  });
  resetBtn.addEventListener('click', () => {
    setRunning(false);
    reset();
  });
  clearBtn.addEventListener('click', () => {
    drawnPoints = [];
    setRunning(false);
    reset();
  });
  const onSetting = (apply: () => void) => () => {
    apply();
    const was = running;
    setRunning(false);
    reset();
    setRunning(was);
  };
  dataSel.addEventListener('change', onSetting(() => (dataChoice = dataSel.value as DataChoice)));
  lossSel.addEventListener(
    'change',
    onSetting(() => {
      cfg.loss = lossSel.value as Loss2d;
      // WGAN-GP is usually run with 5 critic steps and a smaller rate.
      if (cfg.loss === 'wgan-gp') {
        cfg.dSteps = 5;
        cfg.lrD = cfg.lrG = 1e-4;
        kSel.value = '5';
        lrDSel.value = lrGSel.value = '0.0001';
      }
    }),
  );
  kSel.addEventListener('change', onSetting(() => (cfg.dSteps = Number(kSel.value))));
  lrDSel.addEventListener('change', onSetting(() => (cfg.lrD = Number(lrDSel.value))));
  lrGSel.addEventListener('change', onSetting(() => (cfg.lrG = Number(lrGSel.value))));
  hiddenSel.addEventListener('change', onSetting(() => (cfg.hidden = Number(hiddenSel.value))));
  depthSel.addEventListener('change', onSetting(() => (cfg.depth = Number(depthSel.value))));
  batchSel.addEventListener('change', onSetting(() => (cfg.batch = Number(batchSel.value))));
  for (const box of Object.values(show)) box.addEventListener('change', render);
  canvas.addEventListener('click', (ev) => {
    if (dataChoice !== 'draw') return;
    const rect = canvas.getBoundingClientRect();
    const x = ((ev.clientX - rect.left) / rect.width) * 2 * DRAW_EXTENT - DRAW_EXTENT;
    const y = DRAW_EXTENT - ((ev.clientY - rect.top) / rect.height) * 2 * DRAW_EXTENT;
    if (drawnPoints.length >= 64) return;
    drawnPoints.push([x, y]);
    const mix = drawn(drawnPoints, DRAW_EXTENT);
    realPoints = sampleToy(mix, REAL_POINTS, new Rng(7));
    if (gan) {
      gan.data = mix;
      modesEl.dataset.modes = String(mix.modes.length);
      updateCoverage();
      render();
    } else reset();
  });

  reset();
  return () => {
    running = false;
    if (timer !== null) clearTimeout(timer);
    gan?.dispose();
    gan = null;
  };
}
