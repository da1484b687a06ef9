/** Progress for `gantry train`: a cli-progress bar on a terminal, plain log lines otherwise (CI, pipes). */
import cliProgress from 'cli-progress';
import type { ProgressReporter } from '../train/run.ts';

const fmt = (info: Record<string, number>) =>
  Object.entries(info)
    .filter(([k]) => k === 'd_loss' || k === 'g_loss')
    .map(([k, v]) => `${k} ${v.toFixed(4)}`)
    .join('  ');

export function createProgress(stream: NodeJS.WriteStream = process.stderr): ProgressReporter {
  if (stream.isTTY) {
    const bar = new cliProgress.SingleBar(
      { format: 'train |{bar}| {value}/{total} steps  {rate} it/s  eta {eta_formatted}  {losses}', stream, hideCursor: true, etaBuffer: 50 },
      cliProgress.Presets.shades_classic,
    );
    let t0 = Date.now();
    let s0 = 0;
    return {
      start(total, startStep) {
        t0 = Date.now();
        s0 = startStep;
        bar.start(total, startStep, { losses: '', rate: '-' });
      },
      update(step, info) {
        const rate = ((step - s0) / Math.max(1e-3, (Date.now() - t0) / 1000)).toFixed(1);
        bar.update(step, { losses: fmt(info), rate });
      },
      stop: () => bar.stop(),
    };
  }
  let t0 = Date.now();
  let total = 0;
  return {
    start(n, startStep) {
      t0 = Date.now();
      total = n;
      stream.write(`train: steps ${startStep}..${n}\n`);
    },
    update(step, info) {
      const secs = ((Date.now() - t0) / 1000).toFixed(1);
      stream.write(`step ${step}/${total}  ${secs}s  ${fmt(info)}\n`);
    },
    stop() {},
  };
}
