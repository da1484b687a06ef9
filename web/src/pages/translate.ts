/**
 * Image-to-image translation in the browser from a pix2pix or CycleGAN run's exported generator(s): a
 * strip of the run's test images (from the server) to click, or an uploaded / dropped PNG or JPEG fitted
 * to the network's input (centre crop, resize, channel count), shown as input | output (| ground truth
 * for pix2pix). CycleGAN runs switch between A → B (G_AB) and B → A (G_BA, `export/reverse/`).
 */
import { api, type ImageBatch, type TestImages } from '../api.ts';
import { errorBox, h } from '../dom.ts';
import { runGenerator, runReverseGenerator, type LoadedGenerator } from '../generator.ts';
import { bytesToRange, imageToInput, sampleToRgba, type DecodedImage } from '../../../src/browser.ts';

/** Test images asked of the server. */
const TEST_IMAGES = 12;
/** Shown size of the input, output and target images (pixels, scaled up without smoothing). */
const VIEW_PX = 224;
const THUMB_PX = 64;

type Direction = 'ab' | 'ba';
/** What is being translated: a test image of the current direction's domain, or an uploaded image. */
type Source = { kind: 'test'; index: number } | { kind: 'upload'; img: DecodedImage; file: string };

/** The one image input of a translator, or why the model is not one. */
function imageInputOf(gen: LoadedGenerator): { name: string; shape: [number, number, number] } {
  const entries = Object.entries(gen.model.inputs);
  const [name, spec] = entries[0] ?? [];
  if (entries.length !== 1 || spec?.kind !== 'image' || spec.shape.length !== 3) {
    throw new Error(`the exported ${gen.model.family ?? ''} model takes ${entries.map(([k, s]) => `${k} (${s.kind})`).join(', ')}, not one image: Translate is for pix2pix and CycleGAN runs`);
  }
  return { name: name!, shape: spec.shape as [number, number, number] };
}

export function decodeBase64(text: string): Uint8Array {
  const bin = atob(text);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

/** Image i of a batch as floats in `range`. */
export function batchImage(batch: ImageBatch, bytes: Uint8Array, i: number, range: readonly [number, number]): Float32Array {
  const per = batch.shape[0] * batch.shape[1] * batch.shape[2];
  return bytesToRange(bytes.subarray(i * per, (i + 1) * per), range);
}

/** Draws one [h, w, c] image at its own size (the canvas is scaled up by CSS, so its pixels are the values). */
export function drawImage(canvas: HTMLCanvasElement, data: Float32Array, shape: readonly number[], range: readonly [number, number], shownPx: number): void {
  const { width, height, rgba } = sampleToRgba({ data, shape: [1, ...shape] }, range);
  canvas.width = width;
  canvas.height = height;
  canvas.getContext('2d')!.putImageData(new ImageData(rgba, width, height), 0, 0);
  canvas.style.width = `${shownPx}px`;
  canvas.style.height = `${Math.round((shownPx * height) / width)}px`;
}

/** A PNG/JPEG file's pixels, as decoded (no colour-space conversion, so they match the file's bytes). */
async function decodeFile(file: File): Promise<DecodedImage> {
  const bitmap = await createImageBitmap(file, { colorSpaceConversion: 'none', premultiplyAlpha: 'none' });
  try {
    const canvas = new OffscreenCanvas(bitmap.width, bitmap.height);
    const ctx = canvas.getContext('2d')!;
    ctx.drawImage(bitmap, 0, 0);
    return { width: bitmap.width, height: bitmap.height, rgba: ctx.getImageData(0, 0, bitmap.width, bitmap.height).data };
  } finally {
    bitmap.close();
  }
}

export function figure(title: string, canvas: HTMLCanvasElement): HTMLElement {
  return h('figure', { class: 'translate-view' }, canvas, h('figcaption', {}, title));
}

export function renderTranslate(root: HTMLElement, name: string): () => void {
  let stopped = false;
  const enc = encodeURIComponent(name);
  const title = () => h('h1', {}, 'Translate · ', h('a', { href: `#/runs/${enc}` }, name));
  const stateEl = h('p', { id: 'translate-state', 'data-state': 'loading', class: 'muted' }, 'Loading the exported generator…');
  root.append(title(), stateEl);

  void (async () => {
    let forward: LoadedGenerator;
    let reverse: LoadedGenerator | null;
    try {
      forward = await runGenerator(name);
      imageInputOf(forward);
      reverse = await runReverseGenerator(name);
      if (reverse) imageInputOf(reverse);
    } catch (err) {
      stateEl.dataset.state = 'error';
      stateEl.replaceChildren(errorBox(`Could not load the generator: ${(err as Error).message}`));
      return;
    }
    if (stopped) return;
    const m = forward.model;
    const cyclegan = m.family === 'cyclegan';

    const stripEl = h('div', { id: 'test-strip', class: 'thumbs' }, h('span', { class: 'muted' }, 'Loading test images…'));
    const stripTitle = h('h2', {}, 'Test images');
    const inputCanvas = h('canvas', { id: 'translate-input', class: 'pixelated' });
    const outputCanvas = h('canvas', { id: 'translate-output', class: 'pixelated' });
    const targetCanvas = h('canvas', { id: 'translate-target', class: 'pixelated' });
    const targetFig = figure('Ground truth', targetCanvas);
    const outputCaption = h('figcaption', {}, 'Output');
    const fileInput = h('input', { type: 'file', id: 'upload', accept: 'image/png,image/jpeg' });
    const drop = h('label', { class: 'drop-zone', id: 'drop-zone' }, 'Drop a PNG or JPEG here, or ', fileInput);
    const dirButtons = {
      ab: h('button', { id: 'direction-ab', 'aria-pressed': 'true' }, 'A → B'),
      ba: h('button', { id: 'direction-ba', 'aria-pressed': 'false' }, 'B → A'),
    };

    let direction: Direction = 'ab';
    let source: Source | null = null;
    let tests: { data: TestImages; a: Uint8Array; b: Uint8Array } | null = null;

    const gen = () => (direction === 'ab' ? forward : reverse!);
    /** The test images of the current direction's input domain (pix2pix: its inputs). */
    const domain = () => (tests ? (direction === 'ab' ? { batch: tests.data.a, bytes: tests.a } : { batch: tests.data.b, bytes: tests.b }) : null);

    const translate = () => {
      if (!source) return;
      const g = gen();
      const input = imageInputOf(g);
      let x: Float32Array;
      let target: Float32Array | null = null;
      try {
        if (source.kind === 'upload') x = imageToInput(source.img, input.shape, g.model.range);
        else {
          const d = domain()!;
          if (source.index >= d.batch.count) source = { kind: 'test', index: 0 };
          if (d.batch.shape.join() !== input.shape.join()) throw new Error(`the test images are [${d.batch.shape}], the network takes [${input.shape}]: was the run's config changed after training?`);
          x = batchImage(d.batch, d.bytes, source.index, g.model.range);
          if (tests!.data.paired) target = batchImage(tests!.data.b, tests!.b, source.index, g.model.range);
        }
      } catch (err) {
        stateEl.dataset.state = 'error';
        stateEl.replaceChildren(errorBox((err as Error).message));
        return;
      }
      const t0 = performance.now();
      const out = g.run(1, { [input.name]: x });
      drawImage(inputCanvas, x, input.shape, g.model.range, VIEW_PX);
      drawImage(outputCanvas, out.data, out.shape.slice(1), g.model.range, VIEW_PX);
      targetFig.hidden = target === null;
      if (target) drawImage(targetCanvas, target, tests!.data.b.shape, g.model.range, VIEW_PX);
      outputCanvas.dataset.drawn = String(Number(outputCanvas.dataset.drawn ?? 0) + 1);
      outputCanvas.dataset.source = source.kind === 'test' ? `test-${direction}-${source.index}` : `upload-${direction}`;
      outputCaption.textContent = cyclegan ? `Output (${direction === 'ab' ? 'A → B' : 'B → A'})` : 'Output';
      stateEl.dataset.state = 'ready';
      const what = source.kind === 'test' ? `test image ${source.index + 1}` : `${source.file} (${source.img.width}×${source.img.height} → ${input.shape[1]}×${input.shape[0]}×${input.shape[2]})`;
      stateEl.textContent = `${what} translated in ${(performance.now() - t0).toFixed(0)} ms`;
      for (const el of stripEl.querySelectorAll<HTMLElement>('.thumb')) el.classList.toggle('selected', source.kind === 'test' && Number(el.dataset.index) === source.index);
    };

    const drawStrip = () => {
      const d = domain();
      if (!d) return;
      const range = gen().model.range;
      stripTitle.textContent = `Test images${cyclegan ? ` (domain ${direction === 'ab' ? 'A' : 'B'})` : ''}${tests!.data.split === 'train' ? ' — training split' : ''}`;
      stripEl.replaceChildren(
        ...Array.from({ length: d.batch.count }, (_, i) => {
          const c = h('canvas', { class: 'thumb pixelated', 'data-index': i, title: `test image ${i + 1}` });
          drawImage(c, batchImage(d.batch, d.bytes, i, range), d.batch.shape, range, THUMB_PX);
          c.addEventListener('click', () => {
            source = { kind: 'test', index: i };
            translate();
          });
          return c;
        }),
      );
    };

    const setDirection = (d: Direction) => {
      direction = d;
      dirButtons.ab.setAttribute('aria-pressed', String(d === 'ab'));
      dirButtons.ba.setAttribute('aria-pressed', String(d === 'ba'));
      drawStrip();
      translate();
    };
    dirButtons.ab.addEventListener('click', () => setDirection('ab'));
    dirButtons.ba.addEventListener('click', () => setDirection('ba'));

    const useFile = async (file: File | undefined) => {
      if (!file) return;
      try {
        source = { kind: 'upload', img: await decodeFile(file), file: file.name };
      } catch (err) {
        stateEl.dataset.state = 'error';
        stateEl.replaceChildren(errorBox(`Could not read ${file.name} as an image: ${(err as Error).message}`));
        return;
      }
      if (!stopped) translate();
    };
    fileInput.addEventListener('change', () => void useFile(fileInput.files?.[0]));
    drop.addEventListener('dragover', (ev) => {
      ev.preventDefault();
      drop.classList.add('over');
    });
    drop.addEventListener('dragleave', () => drop.classList.remove('over'));
    drop.addEventListener('drop', (ev) => {
      ev.preventDefault();
      drop.classList.remove('over');
      void useFile(ev.dataTransfer?.files[0]);
    });

    const input = imageInputOf(forward);
    const outShape = m.dataShape;
    const info = [m.family, m.dataset, m.step !== undefined ? `step ${m.step}` : null, `input [${input.shape}] → output [${outShape}]`, reverse ? `reverse input [${imageInputOf(reverse).shape}]` : null]
      .filter(Boolean)
      .join(' · ');
    const controls = h('div', { class: 'panel controls inline' }, reverse ? h('div', { class: 'buttons', id: 'direction' }, dirButtons.ab, dirButtons.ba) : null, drop);
    root.replaceChildren(
      title(),
      h('p', { class: 'muted', id: 'model-info' }, info),
      ...(cyclegan && !reverse ? [h('p', { class: 'hint' }, 'This export predates reverse exports: A → B only here (gantry translate --reverse still runs B → A from the checkpoint).')] : []),
      controls,
      stateEl,
      h('div', { class: 'panel translate-row' }, figure('Input', inputCanvas), h('figure', { class: 'translate-view' }, outputCanvas, outputCaption), targetFig),
      stripTitle,
      h('div', { class: 'panel' }, stripEl),
    );
    targetFig.hidden = true;
    stateEl.dataset.state = 'ready';
    stateEl.textContent = 'Pick a test image below, or drop an image file.';

    try {
      const data = await api.testImages(name, TEST_IMAGES);
      if (stopped) return;
      tests = { data, a: decodeBase64(data.a.pixels), b: decodeBase64(data.b.pixels) };
      drawStrip();
      if (data.note) stripEl.append(h('p', { class: 'hint' }, data.note));
      // Something to look at straight away: the first test image, unless an upload came first.
      if (!source && data.a.count > 0) {
        source = { kind: 'test', index: 0 };
        translate();
      }
    } catch (err) {
      if (!stopped) stripEl.replaceChildren(errorBox(`No test images: ${(err as Error).message}. An uploaded image still works.`));
    }
  })();

  return () => {
    stopped = true;
  };
}
