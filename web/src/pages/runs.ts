/** The runs list: every run folder with its preset, state, progress and latest metrics. */
import { api, type RunSummary } from '../api.ts';
import { errorBox, fmt, h, timeAgo } from '../dom.ts';

const REFRESH_MS = 3000;

function stateBadge(state: string | undefined): HTMLElement {
  return h('span', { class: `badge state-${state ?? 'unknown'}` }, state ?? 'unknown');
}

function runRow(run: RunSummary): HTMLElement {
  const s = run.status;
  const m = run.lastMetrics;
  const e = run.lastEval;
  const enc = encodeURIComponent(run.name);
  const evalText = e
    ? Object.entries(e)
        .filter(([k, v]) => !['step', 'kind', 'time', 'elapsed_s', 'rss_mb', 'num_tensors'].includes(k) && typeof v === 'number')
        .slice(0, 3)
        .map(([k, v]) => `${k} ${fmt(v)}`)
        .join(', ')
    : '–';
  return h(
    'tr',
    { 'data-run': run.name },
    h('td', {}, h('a', { href: `#/runs/${enc}`, class: 'run-link' }, run.name)),
    h('td', {}, s?.preset ?? '–'),
    h('td', {}, s?.dataset ?? '–'),
    h('td', {}, stateBadge(s?.state), run.statusError ? h('span', { class: 'muted' }, ` ${run.statusError}`) : null),
    h('td', { class: 'num' }, s ? `${fmt(s.step)} / ${fmt(s.totalSteps)}` : '–'),
    h('td', { class: 'num' }, fmt(m?.d_loss)),
    h('td', { class: 'num' }, fmt(m?.g_loss)),
    h('td', {}, evalText),
    h('td', {}, timeAgo(s?.updatedAt)),
    h('td', {}, run.hasExport ? h('a', { href: `#/runs/${enc}/generate`, class: 'generate-link' }, 'Generate') : h('span', { class: 'muted' }, 'no export')),
  );
}

export function renderRuns(root: HTMLElement): () => void {
  const body = h('tbody', { id: 'runs-body' });
  const info = h('p', { class: 'muted' }, 'Loading…');
  const table = h(
    'table',
    { class: 'runs', id: 'runs-table' },
    h('thead', {}, h('tr', {}, ...['Run', 'Preset', 'Data', 'State', 'Step', 'D loss', 'G loss', 'Last evaluation', 'Updated', ''].map((t) => h('th', {}, t)))),
    body,
  );
  root.append(h('h1', {}, 'Runs'), info, table);
  let stopped = false;
  let timer: number | undefined;

  async function refresh(): Promise<void> {
    try {
      const { runsDir, runs } = await api.runs();
      if (stopped) return;
      body.replaceChildren(...runs.map(runRow));
      info.replaceChildren(
        runs.length
          ? `${runs.length} run${runs.length === 1 ? '' : 's'} in ${runsDir}`
          : `No runs in ${runsDir} yet. Start one with: gantry train toy-ring --out ${runsDir}/my-run`,
      );
    } catch (err) {
      if (!stopped) info.replaceChildren(errorBox(String((err as Error).message)));
    }
    if (!stopped) timer = window.setTimeout(() => void refresh(), REFRESH_MS);
  }
  void refresh();
  return () => {
    stopped = true;
    clearTimeout(timer);
  };
}
