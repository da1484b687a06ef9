/** The studio's entry: hash routes to the runs list, a run, its generator, its translator, its inpainter, the sweeps and the playground. */
import './style.css';
import { errorBox, h } from './dom.ts';
import { renderGenerate } from './pages/generate.ts';
import { renderPlayground } from './pages/playground.ts';
import { renderRun } from './pages/run.ts';
import { renderRuns } from './pages/runs.ts';
import { renderSweep, renderSweeps } from './pages/sweeps.ts';
import { renderTranslate } from './pages/translate.ts';
import { renderInpaint } from './pages/inpaint.ts';
import { BACKEND_ORDER, onBackendChange, SMALL_MODEL_ORDER, useBackend } from './tf_setup.ts';

const app = document.getElementById('app')!;
const backendEl = document.getElementById('backend-name')!;
let cleanup: (() => void) | null = null;

async function route(): Promise<void> {
  cleanup?.();
  cleanup = null;
  app.replaceChildren();
  const [path, query = ''] = (location.hash.replace(/^#/, '') || '/').split('?') as [string, string?];
  const params = new URLSearchParams(query);
  const parts = path.split('/').filter(Boolean).map(decodeURIComponent);
  document.querySelectorAll<HTMLAnchorElement>('[data-nav]').forEach((a) => a.classList.toggle('active', a.dataset.nav === (parts[0] === 'playground' || parts[0] === 'sweeps' ? parts[0] : 'runs')));
  const page = h('div', { class: 'page' });
  app.append(page);
  if (parts.length === 0) {
    cleanup = renderRuns(page);
    return;
  }
  if (parts[0] === 'sweeps' && parts.length <= 2) {
    cleanup = parts.length === 1 ? renderSweeps(page) : renderSweep(page, parts[1]!);
    return;
  }
  if (parts[0] === 'runs' && parts.length === 2) {
    cleanup = renderRun(page, parts[1]!);
    return;
  }
  // Pages that run TF.js wait for the backend.
  const runPage = parts[0] === 'runs' && parts.length === 3 ? parts[2] : null;
  if (runPage === 'generate' || runPage === 'translate' || runPage === 'inpaint' || (parts[0] === 'playground' && parts.length === 1)) {
    const playground = parts[0] === 'playground';
    try {
      await useBackend(playground ? SMALL_MODEL_ORDER : BACKEND_ORDER);
    } catch (err) {
      page.append(errorBox((err as Error).message));
      return;
    }
    if (!page.isConnected) return; // the route changed while the backend started
    cleanup = playground ? renderPlayground(page, params) : runPage === 'translate' ? renderTranslate(page, parts[1]!) : runPage === 'inpaint' ? renderInpaint(page, parts[1]!) : renderGenerate(page, parts[1]!);
    return;
  }
  page.append(errorBox(`No page at #${path}`));
}

onBackendChange((name) => {
  backendEl.textContent = `TF.js backend: ${name}`;
  backendEl.dataset.backend = name;
});
window.addEventListener('hashchange', () => void route());
void route();
