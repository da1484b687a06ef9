/**
 * The generic trainer: one loop over the phases a family declares (k repeats, lazy intervals, step
 * ranges), one optimizer per group, EMA copies after their phase, a learning-rate schedule for every
 * group. It owns every network, optimizer and random stream the family uses, so the whole state can be
 * checkpointed and resumed bit-exactly, and it names no family's networks. No synchronous reads happen
 * inside a step: losses come back as tensors for async logging.
 */
import * as tf from '@tensorflow/tfjs-core';
import { registerWasmTrainingKernels } from '../backend/wasm_kernels.ts';
import { Rng, type RngState } from '../core/rng.ts';
import type { DataSource } from '../data/dataset.ts';
import { getFamily, type FamilyInstance, type FamilyState, type Phase, type SampleOptions, type SamplerSpec, type StepContext } from '../families/family.ts';
import type { RunConfig } from '../families/config.ts';
import { runInBatches } from '../models/batched.ts';
import { Network } from '../models/network.ts';
import { Ema } from './ema.ts';
import { createOptimizer, type Optimizer } from './optimizers.ts';

export type StepLosses = Record<string, tf.Scalar>;

export interface TrainerRandomState {
  streams: Record<string, RngState>;
  data: unknown;
}

/** Prefixes of checkpoint entries that are not network variables. */
const OPT_PREFIX = 'opt';
const FAMILY_PREFIX = 'family/';

let trainerCount = 0;

export interface TrainerOptions {
  /** The family's saved state (from a checkpoint) when resuming: some families build from it. */
  saved?: FamilyState;
}

export class Trainer {
  readonly family: FamilyInstance;
  readonly networks: Record<string, Network>;
  readonly optimizers: Record<string, Optimizer> = {};
  /** Trainable variables of each optimizer group, in a fixed order. */
  private readonly groupVars: Record<string, tf.Variable[]> = {};
  /** Every stream the family draws from, plus the layers' noise stream; all checkpointed. */
  private readonly streams: Record<string, Rng> = {};
  private readonly noiseRng: Rng;
  private readonly emas: { target: Network; source: Network; ema: Ema; after: string }[] = [];
  /** Variable names carry this prefix so trainers can coexist in one process. */
  readonly scope: string;
  step = 0;

  constructor(readonly cfg: RunConfig, readonly data: DataSource, opts: TrainerOptions = {}) {
    trainerCount += 1;
    this.scope = `t${trainerCount}/`;
    // Stock wasm cannot train conv nets (no Conv2DBackpropFilter); initBackend registers Gantry's kernels,
    // and this covers a backend set with tf.setBackend('wasm') directly.
    if (tf.getBackend() === 'wasm') registerWasmTrainingKernels();
    const root = new Rng(cfg.seed);
    const initRng = root.fork('init');
    const networks: Record<string, Network> = {};
    const def = getFamily(cfg.model.family);
    this.family = def.build({
      config: cfg as never,
      data,
      initRng,
      saved: opts.saved,
      stream: (name) => {
        if (this.streams[name]) throw new Error(`family ${def.name}: stream '${name}' requested twice`);
        return (this.streams[name] = root.fork(name));
      },
      network: (name, spec, rng) => {
        if (networks[name]) throw new Error(`family ${def.name}: network '${name}' built twice`);
        return (networks[name] = new Network(name, spec, rng ?? initRng, { scope: this.scope }));
      },
    });
    // Forked after the family's streams, so adding noise layers never shifts a family's draws.
    this.noiseRng = this.streams.noise ?? (this.streams.noise = root.fork('noise'));
    this.networks = this.family.networks;
    const keyOf = (v: tf.Variable) => this.keyOfVariable(v);
    for (const g of this.family.groups) {
      if (this.optimizers[g.name]) throw new Error(`family ${def.name}: optimizer group '${g.name}' declared twice`);
      this.groupVars[g.name] = g.networks.flatMap((n) => this.network(n).trainable);
      this.optimizers[g.name] = createOptimizer(g.optimizer, { keyOf });
    }
    for (const p of this.family.phases) {
      if (!this.optimizers[p.group]) throw new Error(`family ${def.name}: phase '${p.name}' uses unknown optimizer group '${p.group}'`);
    }
    for (const e of this.family.ema ?? []) {
      this.emas.push({ target: this.network(e.target), source: this.network(e.source), ema: new Ema(e.decay), after: e.after });
    }
  }

  network(name: string): Network {
    const n = this.networks[name];
    if (!n) throw new Error(`no network '${name}' in this ${this.cfg.model.family} model (has ${Object.keys(this.networks).join(', ')})`);
    return n;
  }

  /** How the family samples; an error for families that do not generate. */
  get samplerSpec(): SamplerSpec {
    const s = this.family.sampler;
    if (!s) throw new Error(`a ${this.cfg.model.family} model does not generate samples`);
    return s;
  }

  /** The network samples and exports come from (an EMA copy when the family keeps one). */
  get sampler(): Network {
    return this.network(this.samplerSpec.network);
  }

  /** Shape of one sample (the sampler's output), without the batch axis. */
  get sampleShape(): number[] {
    return this.sampler.shapes[this.samplerOutput]!;
  }

  /** The sampler network's output that holds the samples. */
  private get samplerOutput(): string {
    return this.samplerSpec.output ?? this.sampler.graph.outputs[0]!;
  }

  get numClasses(): number {
    return this.family.numClasses;
  }

  private keyOfVariable(v: tf.Variable): string {
    for (const n of Object.values(this.networks)) {
      if (v.name.startsWith(`${this.scope}${n.name}/`)) return n.keyOfVariable(v);
    }
    throw new Error(`variable ${v.name} belongs to no network of this trainer`);
  }

  /** Learning-rate factor at the current step: linear decay over the last part of the run, times any step drops reached. */
  private lrFactor(): number {
    const { steps, lrFinalFactor, lrDecayFraction, lrDrops } = this.cfg.train;
    const drop = lrDrops.reduce((f, d) => (this.step >= d.at ? f * d.factor : f), 1);
    if (lrDecayFraction <= 0 || lrFinalFactor >= 1) return drop;
    const start = steps * (1 - lrDecayFraction);
    if (this.step < start) return drop;
    const t = Math.min(1, (this.step - start) / (steps - start));
    return (1 + t * (lrFinalFactor - 1)) * drop;
  }

  private due(p: Phase<never>): boolean {
    if (p.from !== undefined && this.step < p.from) return false;
    if (p.until !== undefined && this.step >= p.until) return false;
    return this.step % (p.every ?? 1) === 0;
  }

  private context(): StepContext {
    const bs = this.cfg.train.batchSize;
    return {
      step: this.step,
      batchSize: bs,
      nextBatch: (n = bs) => this.data.nextBatch(n),
      applyOptions: { training: true, noise: this.noiseRng },
    };
  }

  private runPhase(p: Phase<never>, ctx: StepContext): StepLosses {
    const vars = this.groupVars[p.group]!;
    const opt = this.optimizers[p.group]!;
    return tf.tidy(() => {
      const prepared = p.prepare?.(ctx) as never;
      const parts: StepLosses = {};
      const { value, grads } = tf.variableGrads(() => {
        const terms = p.loss(ctx, prepared);
        for (const [k, v] of Object.entries(terms.parts ?? {})) parts[k] = tf.keep(v);
        return terms.total;
      }, vars);
      // A variable the loss does not reach (the critic's last bias under R1) gets no gradient and, as in
      // PyTorch, no update: its optimizer moments stay as they are.
      const reached = vars.filter((v) => grads[v.name] !== undefined);
      opt.apply(reached, reached.map((v) => grads[v.name]!));
      p.after?.(ctx, prepared);
      for (const e of this.emas) {
        if (e.after !== p.name) continue;
        // Only what this phase moved is averaged; a part it leaves frozen (t2i's pre-trained text encoder
        // inside G) is copied, so the EMA copy holds exactly the frozen weights.
        const moved = new Set(reached.map((v) => v.name));
        const pairs = e.source.trainable.map((v, i) => [e.target.trainable[i]!, v] as const);
        const avg = pairs.filter(([, s]) => moved.has(s.name));
        e.ema.update(avg.map(([t]) => t), avg.map(([, s]) => s), this.step);
        for (const [t, s] of pairs) if (!moved.has(s.name)) t.assign(s);
        // Batch-norm statistics are not averaged: the copy follows its source's running statistics.
        e.target.state.forEach((v, i) => v.assign(e.source.state[i]!));
      }
      return { [p.reportAs ?? `${p.name}_loss`]: value, ...parts };
    });
  }

  /** One iteration: every due phase, `repeat` times each, in declaration order. Returns the last losses of each. */
  trainStep(): StepLosses {
    const factor = this.lrFactor();
    for (const opt of Object.values(this.optimizers)) opt.setLearningRateFactor(factor);
    const ctx = this.context();
    const out: StepLosses = {};
    for (const p of this.family.phases) {
      if (!this.due(p)) continue;
      let last: StepLosses = {};
      for (let k = 0; k < (p.repeat ?? 1); k++) {
        disposeLosses(last);
        last = this.runPhase(p, ctx);
      }
      Object.assign(out, last);
    }
    this.step++;
    return out;
  }

  /** n samples from the sampler network, in batches, as one Float32Array in the data's range. */
  async generate(n: number, rng: Rng, opts: SampleOptions & { batch?: number } = {}): Promise<Float32Array> {
    const net = this.sampler;
    const output = this.samplerOutput;
    const per = this.sampleShape.reduce((a, b) => a * b, 1);
    return runInBatches(n, per, opts.batch ?? 500, (i, m) => {
      const given = opts.inputs && Object.fromEntries(Object.entries(opts.inputs).map(([k, v]) => [k, v.subarray((i * v.length) / n, ((i + m) * v.length) / n)]));
      const inputs = this.family.sampleInputs(m, rng, { labels: opts.labels?.subarray(i, i + m), inputs: given });
      return net.run(inputs, { training: false }, [output])[output]!;
    });
  }

  /** Everything the trainer holds, as named tensors (not copies: do not dispose). */
  stateTensors(): Record<string, tf.Tensor> {
    const out: Record<string, tf.Tensor> = {};
    for (const net of Object.values(this.networks)) for (const v of net.variables()) out[net.keyOfVariable(v)] = v;
    for (const [g, opt] of Object.entries(this.optimizers)) for (const [k, v] of Object.entries(opt.getState())) out[`${OPT_PREFIX}${g}/${k}`] = v;
    for (const [k, v] of Object.entries(this.family.getState?.().tensors ?? {})) out[`${FAMILY_PREFIX}${k}`] = v;
    return out;
  }

  /** The family's JSON state (pools, phase counters), for the checkpoint's metadata. */
  familyJson(): unknown {
    return this.family.getState?.().json;
  }

  /** Restores every network, optimizer and family tensor from a checkpoint's tensors (shapes checked). */
  restoreTensors(tensors: Record<string, tf.Tensor>, familyJson?: unknown): void {
    for (const net of Object.values(this.networks)) {
      for (const v of net.variables()) {
        const key = net.keyOfVariable(v);
        const src = tensors[key];
        if (!src) throw new Error(`checkpoint lacks variable ${key}: it was made with a different model`);
        if (src.shape.join() !== v.shape.join()) throw new Error(`checkpoint variable ${key} has shape [${src.shape}], model needs [${v.shape}]`);
        v.assign(src);
      }
    }
    const pick = (prefix: string) =>
      Object.fromEntries(Object.entries(tensors).filter(([k]) => k.startsWith(prefix)).map(([k, v]) => [k.slice(prefix.length), v]));
    for (const [g, opt] of Object.entries(this.optimizers)) opt.setState(pick(`${OPT_PREFIX}${g}/`));
    this.family.setState?.({ json: familyJson, tensors: pick(FAMILY_PREFIX) });
  }

  randomState(): TrainerRandomState {
    return { streams: Object.fromEntries(Object.entries(this.streams).map(([k, r]) => [k, r.getState()])), data: this.data.getState() };
  }

  setRandomState(s: TrainerRandomState): void {
    if (!s || typeof s !== 'object' || !s.streams) throw new Error('checkpoint random state is missing its streams');
    for (const [k, r] of Object.entries(this.streams)) {
      const st = s.streams[k];
      if (!st) throw new Error(`checkpoint random state lacks stream '${k}'`);
      r.setState(st);
    }
    this.data.setState(s.data);
  }

  /** A sum over every trainable variable: not finite when any weight is NaN/Inf. */
  async weightsFinite(): Promise<boolean> {
    const vars = Object.values(this.networks).flatMap((n) => n.trainable);
    const sum = tf.tidy(() => tf.addN(vars.map((v) => tf.sum(tf.abs(v)))));
    const v = (await sum.data())[0]!;
    sum.dispose();
    return Number.isFinite(v);
  }

  dispose(): void {
    for (const n of Object.values(this.networks)) n.dispose();
    for (const o of Object.values(this.optimizers)) o.dispose();
    this.family.dispose?.();
  }
}

export function disposeLosses(l: StepLosses): void {
  for (const t of Object.values(l)) t.dispose();
}
