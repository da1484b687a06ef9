/**
 * A plain web page that loads a run's exported generator with `gantry/browser` and draws samples:
 * a grid for image models, a scatter plot for 2-D (toy) models. Serve the page and the run's `export/`
 * folder together, e.g. `npx vite examples/browser` with the export copied to examples/browser/public/export,
 * or point `?model=` at any URL that serves model.json and its weight files. `?backend=webgl|cpu` picks
 * the TF.js backend; the page stores what it did in `window.gantryResult` (read by the CI test).
 */
import { loadGenerator, Rng, sampleToRgba, useBackend, type BrowserBackend } from 'gantry/browser';

async function main(): Promise<void> {
  const params = new URLSearchParams(location.search);
  const status = document.getElementById('status')!;
  const canvas = document.getElementById('samples') as HTMLCanvasElement;
  const wanted = params.get('backend') as BrowserBackend | null;
  const backend = await useBackend(wanted ? [wanted] : ['webgl', 'cpu']);
  const gen = await loadGenerator(params.get('model') ?? './export/');
  const n = 64;
  const out = gen.sample(n, new Rng(Number(params.get('seed') ?? 0)));
  const ctx = canvas.getContext('2d')!;
  ctx.fillStyle = '#fff';
  ctx.fillRect(0, 0, canvas.width, canvas.height);
  const [lo, hi] = gen.model.range;
  if (out.shape.length === 4) {
    // An 8×8 grid of images, each scaled to its cell.
    const cell = canvas.width / 8;
    for (let i = 0; i < n; i++) {
      const { width, height, rgba } = sampleToRgba(out, gen.model.range, i);
      const tile = document.createElement('canvas');
      tile.width = width;
      tile.height = height;
      tile.getContext('2d')!.putImageData(new ImageData(rgba, width, height), 0, 0);
      ctx.imageSmoothingEnabled = false;
      ctx.drawImage(tile, (i % 8) * cell, Math.floor(i / 8) * cell, cell, cell);
    }
  } else {
    // 2-D points in the model's plotting range.
    ctx.fillStyle = '#c33';
    const px = (v: number) => ((v - lo) / (hi - lo)) * canvas.width;
    for (let i = 0; i < n; i++) ctx.fillRect(px(out.data[2 * i]!) - 2, canvas.height - px(out.data[2 * i + 1]!) - 2, 4, 4);
  }
  status.textContent = `${n} samples of shape [${out.shape.slice(1)}] from ${gen.model.preset ?? 'a run'} on ${backend}`;
  (window as unknown as { gantryResult: unknown }).gantryResult = {
    backend,
    shape: out.shape,
    finite: out.data.every(Number.isFinite),
    first: Array.from(out.data.subarray(0, 4)),
  };
  gen.dispose();
}

main().catch((err: unknown) => {
  document.getElementById('status')!.textContent = `error: ${String(err)}`;
  (window as unknown as { gantryResult: unknown }).gantryResult = { error: String(err) };
});
