/**
 * One run: live loss curves and, beside them, one chart per evaluation metric family with the last
 * evaluation's values (server-sent events); samples with history; config.
 */
import { api, type MetricLine, type RunDetail, type RunStatus, type SampleEntry } from '../api.ts';
import { drawChart, PALETTE, type Series } from '../chart.ts';
import { errorBox, fmt, h, timeAgo } from '../dom.ts';

/** Keys of a training line that are not loss terms. */
const NOT_PLOTTED = new Set(['step', 'time', 'elapsed_s', 'kind', 'epoch', 'lr', 'lr_d', 'lr_g', 'images_per_s', 'steps_per_s', 'rss_mb', 'num_tensors']);
/** Numbers of an eval line that describe the evaluation, not the model: shown as text, not plotted. */
const EVAL_META = new Set(['n_samples', 'n_ref', 'num_modes', 'feature_net_test_accuracy', 'eval_seconds', 'generate_seconds']);
const MAX_POINTS = 5000;

function numericKeys(lines: MetricLine[]): string[] {
  const keys = new Set<string>();
  for (const m of lines) for (const [k, v] of Object.entries(m)) if (typeof v === 'number' && !NOT_PLOTTED.has(k)) keys.add(k);
  return [...keys];
}

function seriesOf(lines: MetricLine[], keys: string[]): Series[] {
  return keys.map((k, i) => ({
    name: k,
    color: PALETTE[i % PALETTE.length]!,
    points: lines.filter((m) => typeof m[k] === 'number' && typeof m.step === 'number').map((m) => [m.step!, m[k] as number] as [number, number]),
  }));
}

export interface EvalGroup {
  /** Stable id (canvas id `eval-chart-<id>`). */
  id: string;
  title: string;
  keys: string[];
}

/**
 * Metric families of eval lines, one chart each (their scales differ): keys such as `fid1k_test_mnistnet`
 * group by the name before the sample count; shares in [0, 1] (confident, class shares, class accuracy)
 * share one chart, as do precision/recall and density/coverage. Meta numbers and `_std` columns are left out.
 */
export function evalGroups(keys: string[]): EvalGroup[] {
  const named: Array<[RegExp, string, string]> = [
    [/^fid\d/, 'fid', 'FID'],
    [/^kid\d/, 'kid', 'KID'],
    [/^(confident|class_share_min|class_share_max|class_acc)\d/, 'classes', 'Confident and class shares'],
    [/^(precision|recall)\d/, 'pr', 'Precision / recall'],
    [/^(density|coverage)\d/, 'dc', 'Density / coverage'],
    [/^is\d/, 'is', 'Inception score'],
  ];
  const groups = new Map<string, EvalGroup>();
  for (const k of keys) {
    if (NOT_PLOTTED.has(k) || EVAL_META.has(k) || k.endsWith('_std')) continue;
    const hit = named.find(([re]) => re.test(k));
    // Unknown metrics (e.g. the 2-D mode count) get a chart of their own, titled by the name before its count.
    const id = hit ? hit[1] : k.replace(/\d+k?(_.*)?$/, '') || k;
    const group = groups.get(id) ?? { id, title: hit ? hit[2] : id.replace(/_/g, ' '), keys: [] };
    group.keys.push(k);
    groups.set(id, group);
  }
  // The named families first, in the order listed (FID, KID, shares…), then the rest as they came.
  const rank = (g: EvalGroup) => {
    const i = named.findIndex(([, id]) => id === g.id);
    return i < 0 ? named.length : i;
  };
  return [...groups.values()].sort((a, b) => rank(a) - rank(b));
}

/** Families whose exported generator maps an image to an image (the Translate page). */
export function isTranslation(family: string | null | undefined): boolean {
  return family === 'pix2pix' || family === 'cyclegan';
}

export function renderRun(root: HTMLElement, name: string): () => void {
  let source: EventSource | null = null;
  let stopped = false;
  let redrawQueued = false;
  const enc = encodeURIComponent(name);

  root.append(h('p', { class: 'muted' }, `Loading ${name}…`));

  void (async () => {
    let detail: RunDetail;
    try {
      detail = await api.run(name);
    } catch (err) {
      root.replaceChildren(errorBox((err as Error).message));
      return;
    }
    if (stopped) return;
    const train: MetricLine[] = detail.metrics.filter((m) => m.kind === undefined);
    const evals: MetricLine[] = detail.metrics.filter((m) => m.kind === 'eval');
    let samples: SampleEntry[] = detail.samples.filter((s) => s.step !== null);
    let status: RunStatus | null = detail.status;
    let sampleVersion = Date.now();

    const header = h('div', { class: 'run-header' });
    const lossCanvas = h('canvas', { class: 'chart', id: 'loss-chart' });
    const termsCanvas = h('canvas', { class: 'chart', id: 'terms-chart' });
    const lastEval = h('div', { id: 'last-eval' });
    const evalCharts = h('div', { id: 'eval-charts' });
    const evalCanvases = new Map<string, HTMLCanvasElement>();
    const latestImg = h('img', { class: 'sample', id: 'latest-sample', alt: 'latest sample grid' });
    const historyImg = h('img', { class: 'sample', id: 'history-sample', alt: 'sample at the chosen step' });
    const slider = h('input', { type: 'range', id: 'history-slider', min: 0, max: 0, value: 0 });
    const sliderLabel = h('span', { id: 'history-step' });
    const live = h('span', { class: 'live', id: 'live-state' }, 'connecting…');

    const renderHeader = () => {
      const s = status;
      header.replaceChildren(
        h('h1', {}, name, ' ', h('span', { class: `badge state-${s?.state ?? 'unknown'}` }, s?.state ?? 'unknown')),
        h(
          'p',
          {},
          `preset ${s?.preset ?? '–'} · data ${s?.dataset ?? '–'} · step ${fmt(s?.step)} / ${fmt(s?.totalSteps)} · updated ${timeAgo(s?.updatedAt)} · `,
          live,
          detail.hasExport ? h('span', {}, ' · ', h('a', { href: `#/runs/${enc}/generate` }, 'Generate in the browser')) : null,
          detail.hasExport && isTranslation(detail.family) ? h('span', {}, ' · ', h('a', { href: `#/runs/${enc}/translate`, id: 'translate-link' }, 'Translate images')) : null,
          detail.hasExport && detail.family === 'inpaint' ? h('span', {}, ' · ', h('a', { href: `#/runs/${enc}/inpaint`, id: 'inpaint-link' }, 'Inpaint images')) : null,
        ),
        s?.error ? errorBox(`training failed: ${s.error}`) : '',
      );
    };

    const setLatest = () => {
      const file = samples.length ? samples[samples.length - 1]!.file : detail.latestSample;
      if (file) latestImg.src = `${api.sampleUrl(name, file)}?v=${sampleVersion}`;
      latestImg.hidden = !file;
    };
    const setHistory = () => {
      slider.max = String(Math.max(0, samples.length - 1));
      const s = samples[Number(slider.value)];
      if (s) historyImg.src = api.sampleUrl(name, s.file);
      historyImg.hidden = !s;
      sliderLabel.textContent = s ? `step ${s.step}` : 'no samples yet';
    };
    slider.addEventListener('input', setHistory);

    const redraw = () => {
      redrawQueued = false;
      if (stopped) return;
      const lossKeys = ['d_loss', 'g_loss'].filter((k) => train.some((m) => typeof m[k] === 'number'));
      const termKeys = numericKeys(train).filter((k) => !lossKeys.includes(k));
      // One step axis for the losses and the evaluations, so that the charts line up.
      const steps = [...train, ...evals].flatMap((m) => (typeof m.step === 'number' ? [m.step] : []));
      const xRange: [number, number] | undefined = steps.length ? [Math.min(...steps), Math.max(...steps)] : undefined;
      drawChart(lossCanvas, seriesOf(train, lossKeys), { title: 'Losses', xLabel: 'step', robust: true, xRange });
      lossCanvas.dataset.points = String(train.length);
      termsCanvas.hidden = termKeys.length === 0;
      if (termKeys.length) drawChart(termsCanvas, seriesOf(train, termKeys), { title: 'Other terms', xLabel: 'step', robust: true, xRange });
      renderLastEval();
      const groups = evalGroups(numericKeys(evals));
      if (groups.map((g) => g.id).join() !== [...evalCanvases.keys()].join()) {
        // A new metric family appeared (the first eval line, or a new metric): lay the charts out again.
        evalCanvases.clear();
        for (const g of groups) evalCanvases.set(g.id, h('canvas', { class: 'chart small', id: `eval-chart-${g.id}` }));
        evalCharts.replaceChildren(...evalCanvases.values());
      }
      for (const g of groups) {
        const canvas = evalCanvases.get(g.id)!;
        drawChart(canvas, seriesOf(evals, g.keys), { title: g.title, xLabel: 'step', xRange });
        canvas.dataset.points = String(evals.filter((m) => g.keys.some((k) => typeof m[k] === 'number')).length);
      }
    };
    const renderLastEval = () => {
      const e = evals[evals.length - 1];
      if (!e) {
        lastEval.replaceChildren(h('p', { class: 'muted' }, 'Last evaluation –', ' (none yet: image runs are evaluated every eval.every steps and at the end)'));
        return;
      }
      const shown = Object.entries(e).filter(([k, v]) => typeof v === 'number' && !NOT_PLOTTED.has(k) && !EVAL_META.has(k));
      const took = typeof e.eval_seconds === 'number' ? ` · took ${fmt(e.eval_seconds)} s` : '';
      lastEval.replaceChildren(
        h('h2', {}, `Last evaluation (step ${fmt(e.step)})`),
        h('p', { class: 'muted' }, `${typeof e.n_samples === 'number' ? `${fmt(e.n_samples)} samples` : ''}${took}`),
        h('table', { class: 'runs' }, h('tbody', {}, ...shown.map(([k, v]) => h('tr', { 'data-key': k }, h('td', {}, k), h('td', { class: 'num' }, fmt(v)))))),
      );
    };
    const queueRedraw = () => {
      if (!redrawQueued) {
        redrawQueued = true;
        requestAnimationFrame(redraw);
      }
    };

    root.replaceChildren(
      header,
      h(
        'div',
        { class: 'run-grid' },
        h('section', { class: 'panel' }, lossCanvas, termsCanvas, evalCharts, lastEval),
        h('section', { class: 'panel' }, h('h2', {}, 'Latest samples'), latestImg),
        h('section', { class: 'panel' }, h('h2', {}, 'Sample history'), slider, ' ', sliderLabel, h('div', {}, historyImg)),
        h('section', { class: 'panel wide' }, h('h2', {}, 'Configuration'), h('pre', { id: 'config' }, detail.config ?? '(no config.yaml)')),
      ),
    );
    renderHeader();
    setLatest();
    slider.max = String(Math.max(0, samples.length - 1));
    slider.value = slider.max; // the newest sample first
    setHistory();
    redraw();

    // Live updates: only lines after those already loaded.
    source = new EventSource(api.eventsUrl(name, detail.metricsTotal));
    source.onopen = () => (live.textContent = '● live');
    source.onerror = () => (live.textContent = 'reconnecting…');
    source.addEventListener('metrics', (ev) => {
      const m = JSON.parse((ev as MessageEvent).data) as MetricLine;
      (m.kind === 'eval' ? evals : train).push(m);
      if (train.length > MAX_POINTS) train.splice(0, train.length - MAX_POINTS);
      queueRedraw();
    });
    source.addEventListener('status', (ev) => {
      status = JSON.parse((ev as MessageEvent).data) as RunStatus;
      renderHeader();
    });
    source.addEventListener('sample', (ev) => {
      const s = JSON.parse((ev as MessageEvent).data) as SampleEntry;
      sampleVersion = Date.now();
      if (s.step !== null) {
        const atEnd = Number(slider.value) >= samples.length - 1;
        samples = [...samples, s].sort((a, b) => a.step! - b.step!);
        slider.max = String(samples.length - 1);
        if (atEnd) slider.value = slider.max;
        setHistory();
      }
      setLatest();
    });
    source.addEventListener('reset', () => location.reload());
  })();

  return () => {
    stopped = true;
    source?.close();
  };
}
