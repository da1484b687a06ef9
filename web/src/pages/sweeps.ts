/** Sweeps: the list of sweep folders, and one sweep's progress, mean ± std table and box plots, live. */
import { api, type SweepDetail, type SweepSummary } from '../api.ts';
import { errorBox, fmt, h, timeAgo } from '../dom.ts';

const REFRESH_MS = 3000;

function badge(state: string | undefined): HTMLElement {
  return h('span', { class: `badge state-${state ?? 'unknown'}` }, state ?? 'unknown');
}

function eta(s: number | null | undefined): string {
  if (s === null || s === undefined || !Number.isFinite(s)) return '–';
  const m = Math.floor(s / 60);
  return m ? `${m} min ${Math.round(s % 60)} s` : `${Math.round(s)} s`;
}

function progressText(s: SweepSummary['status']): string {
  if (!s) return '–';
  return `${s.done} / ${s.jobs.length} done, ${s.running.length} running, ${s.failed} failed`;
}

/** Re-renders every REFRESH_MS until the page is left; returns the cleanup. */
function poll(load: () => Promise<void>): () => void {
  let stopped = false;
  let timer: number | undefined;
  const tick = async () => {
    await load();
    if (!stopped) timer = window.setTimeout(() => void tick(), REFRESH_MS);
  };
  void tick();
  return () => {
    stopped = true;
    window.clearTimeout(timer);
  };
}

export function renderSweeps(root: HTMLElement): () => void {
  const body = h('tbody', { id: 'sweeps-body' });
  const info = h('p', { class: 'muted' }, 'Loading…');
  root.append(
    h('h1', {}, 'Sweeps'),
    info,
    h('table', { class: 'runs', id: 'sweeps-table' }, h('thead', {}, h('tr', {}, ...['Sweep', 'Base', 'Executor', 'State', 'Progress', 'ETA', 'Updated'].map((t) => h('th', {}, t)))), body),
  );
  return poll(async () => {
    try {
      const { sweepsDir, sweeps } = await api.sweeps();
      body.replaceChildren(
        ...sweeps.map((sw) =>
          h(
            'tr',
            { 'data-sweep': sw.name },
            h('td', {}, h('a', { href: `#/sweeps/${encodeURIComponent(sw.name)}`, class: 'sweep-link' }, sw.name)),
            h('td', {}, sw.status?.base ?? '–'),
            h('td', {}, sw.status ? `${sw.status.executor === 'local' ? 'local pool' : 'BullMQ'} × ${sw.status.workers}` : '–'),
            h('td', {}, badge(sw.status?.state), sw.statusError ? h('span', { class: 'muted' }, ` ${sw.statusError}`) : null),
            h('td', {}, progressText(sw.status)),
            h('td', {}, sw.status?.state === 'running' ? eta(sw.status.etaSeconds) : '–'),
            h('td', {}, timeAgo(sw.status?.updatedAt)),
          ),
        ),
      );
      info.replaceChildren(sweeps.length ? `${sweeps.length} sweep${sweeps.length === 1 ? '' : 's'} in ${sweepsDir}` : `No sweeps in ${sweepsDir} yet. Start one with: gantry sweep sweep.yaml`);
    } catch (e) {
      info.replaceChildren(errorBox((e as Error).message));
    }
  });
}

function statsCell(config: SweepDetail['report']['configs'][number], metric: string): string {
  const s = config.metrics[metric];
  return s ? `${fmt(s.mean)} ± ${fmt(s.std)} (${fmt(s.min)}–${fmt(s.max)})` : '–';
}

export function renderSweep(root: HTMLElement, name: string): () => void {
  const head = h('p', { class: 'muted' }, 'Loading…');
  const running = h('div', { id: 'sweep-running' });
  const table = h('div', { id: 'sweep-table' });
  const plots = h('div', { id: 'sweep-plots', class: 'sweep-plots' });
  root.append(h('h1', {}, `Sweep ${name}`), head, running, h('h2', {}, 'Per configuration, over seeds'), table, h('h2', {}, 'Box plots'), plots);
  let plotKey = '';
  return poll(async () => {
    let d: SweepDetail;
    try {
      d = await api.sweep(name);
    } catch (e) {
      head.replaceChildren(errorBox((e as Error).message));
      return;
    }
    const s = d.status;
    head.replaceChildren(badge(s?.state), ` ${progressText(s)}`, s?.state === 'running' ? ` · ETA ${eta(s.etaSeconds)}` : '', s ? ` · base ${s.base}, ${s.executor}` : '', d.statusError ? ` · ${d.statusError}` : '');
    running.replaceChildren(
      ...(s?.running ?? []).map((r) => {
        const job = s!.jobs.find((j) => j.id === r.id);
        return h('div', { class: 'muted' }, `running: ${job ? `${job.label}, seed ${job.seed}` : r.id} — step ${fmt(r.step)} / ${fmt(r.total)}${r.attempt > 1 ? ` (attempt ${r.attempt})` : ''}`);
      }),
    );
    const metrics = d.plots;
    table.replaceChildren(
      d.report.configs.length
        ? h(
          'table',
          { class: 'runs' },
          h('thead', {}, h('tr', {}, ...['Configuration', 'Seeds', ...metrics].map((t) => h('th', {}, t)))),
          h(
            'tbody',
            {},
            ...d.report.configs.map((c) =>
              h('tr', {}, h('td', {}, c.label), h('td', { class: 'num' }, `${c.seeds.length}${c.failed.length ? ` (+${c.failed.length} failed)` : ''}`), ...metrics.map((m) => h('td', { class: 'num' }, statsCell(c, m)))),
            ),
          ),
        )
        : h('p', { class: 'muted' }, 'No job has finished yet.'),
    );
    // Plots reload only when a result arrives (their content changes only then).
    const key = `${d.report.done}/${d.report.failed}/${metrics.join(',')}`;
    if (key !== plotKey) {
      plotKey = key;
      plots.replaceChildren(...metrics.map((m) => h('img', { src: `${api.sweepPlotUrl(name, m)}?v=${encodeURIComponent(key)}`, alt: `${m} box plot`, class: 'sweep-plot' })));
    }
  });
}
