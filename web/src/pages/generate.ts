/**
 * Generates in the browser from a run's exported generator: a grid of samples for a seed, a class
 * picker for conditional models, a caption box for text-to-image models (the grid follows as you type),
 * and a latent interpolation strip between two seeds.
 */
import { errorBox, h } from '../dom.ts';
import { runGenerator, slerp, type LoadedGenerator } from '../generator.ts';
import { Rng } from '../../../src/core/rng.ts';

const GAP = 2;
const MAX_GRID_PX = 720;
const SCATTER_POINTS = 2000;
const SCATTER_PX = 480;
/** The caption box starts with this when the model's vocabulary has all its words (the shapes benchmark). */
const EXAMPLE_CAPTION = 'a large red circle in the center';

/** Images [n, H, W, C] (C = 1 or 3) in `range` drawn as a cols-wide grid, scaled up to fit. */
function drawImageGrid(canvas: HTMLCanvasElement, data: Float32Array, shape: number[], cols: number, range: [number, number]): void {
  const [n, hgt, wid, ch] = shape as [number, number, number, number];
  const rows = Math.ceil(n / cols);
  const sheetW = cols * (wid + GAP) + GAP;
  const sheetH = rows * (hgt + GAP) + GAP;
  const img = new ImageData(sheetW, sheetH);
  img.data.fill(255);
  const [lo, hi] = range;
  const toByte = (v: number) => Math.max(0, Math.min(255, Math.round(((v - lo) / (hi - lo)) * 255)));
  for (let i = 0; i < n; i++) {
    const ox = GAP + (i % cols) * (wid + GAP);
    const oy = GAP + Math.floor(i / cols) * (hgt + GAP);
    for (let y = 0; y < hgt; y++) {
      for (let x = 0; x < wid; x++) {
        const src = ((i * hgt + y) * wid + x) * ch;
        const dst = 4 * ((oy + y) * sheetW + ox + x);
        const r = toByte(data[src]!);
        img.data[dst] = r;
        img.data[dst + 1] = ch >= 3 ? toByte(data[src + 1]!) : r;
        img.data[dst + 2] = ch >= 3 ? toByte(data[src + 2]!) : r;
        img.data[dst + 3] = 255;
      }
    }
  }
  const sheet = document.createElement('canvas');
  sheet.width = sheetW;
  sheet.height = sheetH;
  sheet.getContext('2d')!.putImageData(img, 0, 0);
  const scale = Math.max(1, Math.floor(MAX_GRID_PX / Math.max(sheetW, sheetH)));
  canvas.width = sheetW * scale;
  canvas.height = sheetH * scale;
  const ctx = canvas.getContext('2d')!;
  ctx.imageSmoothingEnabled = false;
  ctx.drawImage(sheet, 0, 0, canvas.width, canvas.height);
}

/** 2-D points drawn as a scatter plot (and as a path when `path` is set). */
function drawScatter(canvas: HTMLCanvasElement, data: Float32Array, path = false): void {
  canvas.width = SCATTER_PX;
  canvas.height = path ? SCATTER_PX / 2 : SCATTER_PX;
  const ctx = canvas.getContext('2d')!;
  ctx.fillStyle = '#fff';
  ctx.fillRect(0, 0, canvas.width, canvas.height);
  let ext = 1e-6;
  for (const v of data) if (Number.isFinite(v)) ext = Math.max(ext, Math.abs(v));
  ext *= 1.1;
  const px = (x: number) => ((x + ext) / (2 * ext)) * canvas.width;
  const py = (y: number) => ((ext - y) / (2 * ext)) * canvas.height;
  ctx.fillStyle = 'rgba(230, 90, 30, 0.6)';
  ctx.strokeStyle = '#2e86ab';
  if (path) ctx.beginPath();
  for (let i = 0; i < data.length; i += 2) {
    ctx.fillRect(px(data[i]!) - 2, py(data[i + 1]!) - 2, 4, 4);
    if (path) (i === 0 ? ctx.moveTo : ctx.lineTo).call(ctx, px(data[i]!), py(data[i + 1]!));
  }
  if (path) ctx.stroke();
}

export function renderGenerate(root: HTMLElement, name: string): () => void {
  let stopped = false;
  const enc = encodeURIComponent(name);
  const stateEl = h('p', { id: 'generate-state', 'data-state': 'loading', class: 'muted' }, 'Loading the exported generator…');
  root.append(h('h1', {}, 'Generate · ', h('a', { href: `#/runs/${enc}` }, name)), stateEl);

  void (async () => {
    let gen: LoadedGenerator;
    try {
      gen = await runGenerator(name);
    } catch (err) {
      stateEl.dataset.state = 'error';
      stateEl.replaceChildren(errorBox(`Could not load the generator: ${(err as Error).message}`));
      return;
    }
    if (stopped) return;
    const m = gen.model;
    const isImage = m.dataShape.length === 3;
    const seedInput = h('input', { type: 'number', id: 'seed', value: 1, min: 0, max: 2 ** 31 - 1, step: 1 });
    const sizeSel = h('select', { id: 'grid-size' }, ...[4, 6, 8, 10].map((s) => h('option', { value: s, selected: s === 8 }, `${s}×${s}`)));
    // Pseudo-classes (k-means clusters of the data) are drawn by their shares unless one is picked.
    const pseudo = m.classShares !== undefined;
    const classSel = h(
      'select',
      { id: 'class-picker' },
      pseudo ? h('option', { value: 'shares' }, 'clusters drawn by their shares') : h('option', { value: 'rows' }, 'one row per class'),
      ...Array.from({ length: m.numClasses }, (_, c) => h('option', { value: c }, `${pseudo ? 'cluster' : 'class'} ${c}`)),
    );
    const textInput = gen.textInput;
    const vocab = textInput !== null && m.inputs[textInput]!.kind === 'text' ? new Set((m.inputs[textInput] as { tokenizer: { vocab: string[] } }).tokenizer.vocab) : null;
    const example = vocab && EXAMPLE_CAPTION.split(' ').every((w) => vocab.has(w)) ? EXAMPLE_CAPTION : '';
    const captionInput = h('input', { type: 'text', id: 'caption', value: example, size: 48, placeholder: 'describe the image' });
    const unknownEl = h('span', { id: 'caption-unknown', class: 'muted' });
    const caption = () => {
      const words = captionInput.value.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? [];
      const unknown = vocab ? words.filter((w) => !vocab.has(w)) : [];
      unknownEl.textContent = unknown.length ? `not in the vocabulary: ${unknown.join(', ')}` : '';
      return captionInput.value;
    };
    const genBtn = h('button', { id: 'generate', class: 'primary' }, 'New grid');
    const redrawBtn = h('button', { id: 'draw-seed' }, 'Draw this seed');
    const canvas = h('canvas', { id: 'generate-canvas', class: 'grid-canvas' });
    const seedA = h('input', { type: 'number', id: 'seed-a', value: 1, min: 0, step: 1 });
    const seedB = h('input', { type: 'number', id: 'seed-b', value: 2, min: 0, step: 1 });
    const stepsSel = h('select', { id: 'interp-steps' }, ...[6, 8, 10, 12, 16].map((s) => h('option', { value: s, selected: s === 10 }, String(s))));
    const interpBtn = h('button', { id: 'interpolate' }, 'Interpolate');
    const strip = h('canvas', { id: 'interp-canvas', class: 'grid-canvas' });

    const seedOf = (input: HTMLInputElement) => {
      const v = Math.floor(Number(input.value));
      return Number.isFinite(v) && v >= 0 ? v % 2 ** 32 : 0;
    };
    const labelFor = (i: number, cols: number): number => {
      if (classSel.value === 'rows') return Math.floor(i / cols) % m.numClasses;
      return Number(classSel.value);
    };

    const drawGrid = () => {
      const size = Number(sizeSel.value);
      const cols = isImage ? size : 1;
      const rows = isImage && m.numClasses > 0 && classSel.value === 'rows' ? Math.min(m.numClasses, 16) : size;
      const n = isImage ? rows * cols : SCATTER_POINTS;
      const labels = m.numClasses > 0 && classSel.value !== 'shares' ? Int32Array.from({ length: n }, (_, i) => labelFor(i, cols)) : undefined;
      const t0 = performance.now();
      // Every input filled by its kind (latents from the seed, labels, shipped example images).
      const out = gen.sample(n, new Rng(seedOf(seedInput)), labels, textInput !== null ? [caption()] : undefined);
      if (isImage) drawImageGrid(canvas, out.data, out.shape, cols, m.range);
      else drawScatter(canvas, out.data);
      canvas.dataset.drawn = String(Number(canvas.dataset.drawn ?? 0) + 1);
      stateEl.textContent = `${n} samples in ${(performance.now() - t0).toFixed(0)} ms · seed ${seedOf(seedInput)}`;
    };

    /** Text models: the latent path at a fixed caption, every other input (the condition noise) drawn once from seed A. */
    const textStrip = (latents: Float32Array, steps: number) => {
      const rng = new Rng(seedOf(seedA) + 1);
      const feeds: Record<string, Float32Array | Int32Array> = { [gen.latentInput!]: latents, [textInput!]: gen.encodeTexts(textInput!, new Array<string>(steps).fill(caption())) };
      for (const [name, spec] of Object.entries(m.inputs)) {
        if (spec.kind !== 'latent' || name in feeds) continue;
        const one = rng.normalArray(spec.shape.reduce((a, b) => a * b, 1));
        const all = new Float32Array(one.length * steps);
        for (let i = 0; i < steps; i++) all.set(one, i * one.length);
        feeds[name] = all;
      }
      return gen.run(steps, feeds);
    };

    const drawStrip = () => {
      if (gen.latentInput === null) return;
      const steps = Number(stepsSel.value);
      const za = new Rng(seedOf(seedA)).normalArray(m.latentDim);
      const zb = new Rng(seedOf(seedB)).normalArray(m.latentDim);
      const latents = new Float32Array(steps * m.latentDim);
      for (let i = 0; i < steps; i++) latents.set(slerp(za, zb, i / (steps - 1)), i * m.latentDim);
      const cls = classSel.value === 'rows' || classSel.value === 'shares' ? 0 : Number(classSel.value);
      const labels = m.numClasses > 0 ? new Int32Array(steps).fill(cls) : undefined;
      const out = textInput !== null ? textStrip(latents, steps) : gen.generate(latents, labels);
      if (isImage) drawImageGrid(strip, out.data, out.shape, steps, m.range);
      else drawScatter(strip, out.data, true);
      strip.dataset.drawn = '1';
    };

    genBtn.addEventListener('click', () => {
      seedInput.value = String(Math.floor(Math.random() * 1e6));
      drawGrid();
    });
    redrawBtn.addEventListener('click', drawGrid);
    seedInput.addEventListener('change', drawGrid);
    captionInput.addEventListener('input', () => {
      drawGrid();
      drawStrip();
    });
    sizeSel.addEventListener('change', drawGrid);
    classSel.addEventListener('change', () => {
      drawGrid();
      drawStrip();
    });
    interpBtn.addEventListener('click', drawStrip);

    const info = [
      m.preset,
      m.dataset,
      m.step !== undefined ? `step ${m.step}` : null,
      m.ema ? 'EMA weights' : null,
      m.latentDim > 0 ? `latent ${m.latentDim}` : `inputs ${Object.keys(m.inputs).join(', ')}`,
      m.numClasses > 0 ? `${m.numClasses} ${pseudo ? 'pseudo-classes (k-means)' : 'classes'}` : null,
      `output [${m.dataShape}]`,
    ]
      .filter(Boolean)
      .join(' · ');
    root.replaceChildren(
      h('h1', {}, 'Generate · ', h('a', { href: `#/runs/${enc}` }, name)),
      h('p', { class: 'muted', id: 'model-info' }, info),
      h(
        'div',
        { class: 'panel controls inline' },
        h('label', { class: 'field' }, h('span', {}, 'Seed'), seedInput),
        isImage ? h('label', { class: 'field' }, h('span', {}, 'Grid'), sizeSel) : null,
        m.numClasses > 0 ? h('label', { class: 'field' }, h('span', {}, 'Class'), classSel) : null,
        genBtn,
        redrawBtn,
      ),
      ...(textInput !== null ? [h('div', { class: 'panel controls inline' }, h('label', { class: 'field' }, h('span', {}, 'Caption'), captionInput), unknownEl)] : []),
      stateEl,
      h('div', { class: 'panel' }, canvas),
      ...(gen.latentInput === null
        ? []
        : [
            h('h2', {}, 'Latent interpolation'),
            h(
              'div',
              { class: 'panel controls inline' },
              h('label', { class: 'field' }, h('span', {}, 'From seed'), seedA),
              h('label', { class: 'field' }, h('span', {}, 'To seed'), seedB),
              h('label', { class: 'field' }, h('span', {}, 'Steps'), stepsSel),
              interpBtn,
            ),
            h('div', { class: 'panel' }, strip),
          ]),
    );
    stateEl.dataset.state = 'ready';
    drawGrid();
    drawStrip();
  })();

  return () => {
    stopped = true;
  };
}
