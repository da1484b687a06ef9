/**
 * Inpainting in the browser from an inpaint run's exported generator: pick one of the run's test images,
 * paint the hole over it with the mouse (a round brush; the right button or the Erase toggle takes paint
 * away), and the page fills it when the stroke ends, showing the masked image | the completion | the ground
 * truth, and the mask itself (white = missing, as `gantry inpaint --mask` reads a PNG). The page starts
 * with the centre square hole the run is evaluated on.
 */
import { api, type TestImages } from '../api.ts';
import { errorBox, h } from '../dom.ts';
import { runGenerator, type LoadedGenerator } from '../generator.ts';
import { sampleToRgba } from '../../../src/browser.ts';
import { batchImage, decodeBase64, drawImage, figure } from './translate.ts';

const TEST_IMAGES = 12;
const VIEW_PX = 256;
const THUMB_PX = 64;
/** Tint of missing pixels in the editor (RGB) and how much of it shows. */
const HOLE_TINT = [236, 64, 160] as const;
const TINT_ALPHA = 0.7;

/** The image and mask inputs of an inpainting generator, or why the model is not one. */
function inpaintInputs(gen: LoadedGenerator): [number, number, number] {
  const { x, mask } = gen.model.inputs;
  if (x?.kind !== 'image' || mask?.kind !== 'image' || x.shape.length !== 3 || mask.shape.join() !== [x.shape[0], x.shape[1], 1].join()) {
    throw new Error(`the exported ${gen.model.family ?? ''} model takes ${Object.entries(gen.model.inputs).map(([k, s]) => `${k} (${s.kind})`).join(', ')}, not an image and a mask: Inpaint is for inpaint runs`);
  }
  return x.shape as [number, number, number];
}

/** The centre square of side round(min(h, w) / 2), as the evaluation's `center` masks. */
function centreMask(hgt: number, wid: number): Float32Array {
  const m = new Float32Array(hgt * wid);
  const s = Math.round(Math.min(hgt, wid) / 2);
  const y0 = Math.floor((hgt - s) / 2);
  const x0 = Math.floor((wid - s) / 2);
  for (let y = y0; y < y0 + s; y++) for (let x = x0; x < x0 + s; x++) m[y * wid + x] = 1;
  return m;
}

export function renderInpaint(root: HTMLElement, name: string): () => void {
  let stopped = false;
  const enc = encodeURIComponent(name);
  const title = () => h('h1', {}, 'Inpaint · ', h('a', { href: `#/runs/${enc}` }, name));
  const stateEl = h('p', { id: 'inpaint-state', 'data-state': 'loading', class: 'muted' }, 'Loading the exported generator…');
  root.append(title(), stateEl);

  void (async () => {
    let gen: LoadedGenerator;
    let shape: [number, number, number];
    let tests: TestImages;
    let bytes: Uint8Array;
    try {
      gen = await runGenerator(name);
      shape = inpaintInputs(gen);
      tests = await api.testImages(name, TEST_IMAGES);
      bytes = decodeBase64(tests.a.pixels);
      if (tests.a.shape.join() !== shape.join()) throw new Error(`the test images are [${tests.a.shape}], the network takes [${shape}]: was the run's config changed after training?`);
    } catch (err) {
      stateEl.dataset.state = 'error';
      stateEl.replaceChildren(errorBox(`Could not load the inpainter: ${(err as Error).message}`));
      return;
    }
    if (stopped) return;
    const [hgt, wid] = shape;
    const range = gen.model.range;
    let index = 0;
    let mask = centreMask(hgt, wid);
    let x = batchImage(tests.a, bytes, index, range);

    const editor = h('canvas', { id: 'inpaint-editor', class: 'pixelated paintable', title: 'paint the hole: left button paints, right button erases' });
    const outputCanvas = h('canvas', { id: 'inpaint-output', class: 'pixelated' });
    const targetCanvas = h('canvas', { id: 'inpaint-target', class: 'pixelated' });
    const maskCanvas = h('canvas', { id: 'inpaint-mask', class: 'pixelated' });
    const brush = h('input', { id: 'brush-size', type: 'range', min: 1, max: Math.max(2, Math.round(Math.min(hgt, wid) / 6)), value: Math.max(1, Math.round(Math.min(hgt, wid) / 16)) });
    const eraseBox = h('input', { id: 'erase', type: 'checkbox' });
    const clearButton = h('button', { id: 'clear-mask' }, 'Clear');
    const centreButton = h('button', { id: 'centre-mask' }, 'Centre hole');
    const stripEl = h('div', { id: 'test-strip', class: 'thumbs' });

    const drawEditor = () => {
      const { width, height, rgba } = sampleToRgba({ data: x, shape: [1, ...shape] }, range);
      for (let p = 0; p < hgt * wid; p++) {
        if (!mask[p]) continue;
        for (let k = 0; k < 3; k++) rgba[4 * p + k] = (1 - TINT_ALPHA) * rgba[4 * p + k]! + TINT_ALPHA * HOLE_TINT[k]!;
      }
      editor.width = width;
      editor.height = height;
      editor.getContext('2d')!.putImageData(new ImageData(rgba, width, height), 0, 0);
      editor.style.width = `${VIEW_PX}px`;
      editor.style.height = `${Math.round((VIEW_PX * height) / width)}px`;
      drawImage(maskCanvas, Float32Array.from(mask, (v) => (v ? range[1] : range[0])), [hgt, wid, 1], range, THUMB_PX * 2);
    };

    const fill = () => {
      const t0 = performance.now();
      const out = gen.run(1, { x, mask });
      drawImage(outputCanvas, out.data, shape, range, VIEW_PX);
      let missing = 0;
      for (const v of mask) missing += v;
      outputCanvas.dataset.drawn = String(Number(outputCanvas.dataset.drawn ?? 0) + 1);
      outputCanvas.dataset.source = `test-${index}`;
      outputCanvas.dataset.missing = String(missing);
      stateEl.dataset.state = 'ready';
      stateEl.textContent = `test image ${index + 1}: ${missing} of ${hgt * wid} pixels missing, filled in ${(performance.now() - t0).toFixed(0)} ms`;
    };

    const select = (i: number) => {
      index = i;
      x = batchImage(tests.a, bytes, i, range);
      drawImage(targetCanvas, x, shape, range, VIEW_PX);
      for (const el of stripEl.querySelectorAll<HTMLElement>('.thumb')) el.classList.toggle('selected', Number(el.dataset.index) === i);
      drawEditor();
      fill();
    };

    // Painting: image-pixel coordinates of the pointer; a disc of the brush radius along the stroke.
    let painting: { erase: boolean; last: [number, number] } | null = null;
    const at = (ev: PointerEvent): [number, number] => {
      const r = editor.getBoundingClientRect();
      return [((ev.clientY - r.top) / r.height) * hgt, ((ev.clientX - r.left) / r.width) * wid];
    };
    const dab = (cy: number, cx: number, erase: boolean) => {
      const rad = Number(brush.value) / 2;
      for (let y = Math.max(0, Math.floor(cy - rad)); y <= Math.min(hgt - 1, Math.floor(cy + rad)); y++) {
        for (let xx = Math.max(0, Math.floor(cx - rad)); xx <= Math.min(wid - 1, Math.floor(cx + rad)); xx++) {
          if ((y + 0.5 - cy) ** 2 + (xx + 0.5 - cx) ** 2 <= rad * rad + 0.25) mask[y * wid + xx] = erase ? 0 : 1;
        }
      }
    };
    const stroke = (to: [number, number]) => {
      const from = painting!.last;
      const steps = Math.max(1, Math.ceil(Math.hypot(to[0] - from[0], to[1] - from[1]) * 2));
      for (let s = 1; s <= steps; s++) dab(from[0] + ((to[0] - from[0]) * s) / steps, from[1] + ((to[1] - from[1]) * s) / steps, painting!.erase);
      painting!.last = to;
      drawEditor();
    };
    editor.addEventListener('contextmenu', (ev) => ev.preventDefault());
    editor.addEventListener('pointerdown', (ev) => {
      ev.preventDefault();
      editor.setPointerCapture(ev.pointerId);
      const p = at(ev);
      painting = { erase: ev.button === 2 || eraseBox.checked, last: p };
      dab(p[0], p[1], painting.erase);
      drawEditor();
    });
    editor.addEventListener('pointermove', (ev) => {
      if (painting) stroke(at(ev));
    });
    const end = () => {
      if (!painting) return;
      painting = null;
      fill();
    };
    editor.addEventListener('pointerup', end);
    editor.addEventListener('pointercancel', end);
    clearButton.addEventListener('click', () => {
      mask = new Float32Array(hgt * wid);
      drawEditor();
      fill();
    });
    centreButton.addEventListener('click', () => {
      mask = centreMask(hgt, wid);
      drawEditor();
      fill();
    });

    stripEl.replaceChildren(
      ...Array.from({ length: tests.a.count }, (_, i) => {
        const c = h('canvas', { class: 'thumb pixelated', 'data-index': i, title: `test image ${i + 1}` });
        drawImage(c, batchImage(tests.a, bytes, i, range), shape, range, THUMB_PX);
        c.addEventListener('click', () => select(i));
        return c;
      }),
    );

    const m = gen.model;
    const info = [m.family, m.dataset, m.step !== undefined ? `step ${m.step}` : null, `images [${shape}]`].filter(Boolean).join(' · ');
    root.replaceChildren(
      title(),
      h('p', { class: 'muted', id: 'model-info' }, info),
      h(
        'div',
        { class: 'panel controls inline' },
        h('label', {}, 'Brush ', brush),
        h('label', {}, eraseBox, ' Erase'),
        h('div', { class: 'buttons' }, clearButton, centreButton),
      ),
      stateEl,
      h('p', { class: 'hint' }, 'Paint the hole over the image with the mouse (right button erases); the generator fills it in your browser when you let go.'),
      h('div', { class: 'panel translate-row' }, figure('Masked (paint here)', editor), figure('Filled', outputCanvas), figure('Ground truth', targetCanvas), figure('Mask (white = missing)', maskCanvas)),
      h('h2', {}, `Test images${tests.split === 'train' ? ' — training split' : ''}`),
      h('div', { class: 'panel' }, stripEl),
      ...(tests.note ? [h('p', { class: 'hint' }, tests.note)] : []),
    );
    select(0);
  })();

  return () => {
    stopped = true;
  };
}
