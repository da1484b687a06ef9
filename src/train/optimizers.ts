/**
 * Optimizers with explicit state. tf.train's optimizers keep their moments private and key them by
 * creation order, so a checkpoint could not restore them exactly; these keep each slot in a named
 * entry (`<slot>/<variable name>`) plus the step count, and follow PyTorch's update formulas so runs
 * can be compared with PyTorch references.
 *
 * apply() runs the update as a handful of elementwise ops per variable, shares the per-step scalars
 * across variables, and never reads tensor data back to JS (no GPU/wasm sync per step).
 */
import * as tf from '@tensorflow/tfjs-core';
import type { OptimizerConfig } from '../core/config_schema.ts';

export type { OptimizerConfig };

export interface Optimizer {
  readonly config: OptimizerConfig;
  /** One update step of `vars` given `grads` (same order and shapes). Does not dispose the grads. */
  apply(vars: tf.Variable[], grads: tf.Tensor[]): void;
  /**
   * Everything needed for an exact resume: the slots keyed `<slot>/<variable name>` and `step`
   * (int32 scalar). The tensors stay owned by the optimizer: the caller must not dispose them, and
   * they are only valid until the next apply/setState/dispose.
   */
  getState(): Record<string, tf.Tensor>;
  /** Replaces the state with copies of the given tensors (as produced by getState). */
  setState(state: Record<string, tf.Tensor>): void;
  /** Scales the configured learning rate from the next step on (schedules); 1 restores it. */
  setLearningRateFactor(factor: number): void;
  dispose(): void;
}

const STEP_KEY = 'step';

function checkNumber(field: string, value: number, ok: (v: number) => boolean, expected: string): void {
  if (typeof value !== 'number' || !Number.isFinite(value) || !ok(value)) {
    throw new Error(`optimizer config: ${field} must be ${expected}, got ${String(value)}`);
  }
}

const positive = (v: number) => v > 0;
const nonNegative = (v: number) => v >= 0;
const unitInterval = (v: number) => v >= 0 && v < 1;

/** Per-variable update; the shared per-step scalars are made once by `stepScalars`. */
abstract class SlotOptimizer<S> implements Optimizer {
  private readonly slots = new Map<string, tf.Variable>();
  private steps = 0;
  /** The name a variable's slots are keyed by: stable across processes (no trainer scope). */
  keyOf: (v: tf.Variable) => string = (v) => v.name;
  /** Cached `step` tensor handed out by getState, refreshed when the step count changes. */
  private stepTensor: tf.Scalar | null = null;
  private stepTensorValue = -1;

  readonly config: OptimizerConfig;
  /** The learning rate in force: config.lr times the schedule's factor. */
  protected lr: number;

  constructor(
    config: OptimizerConfig,
    private readonly slotNames: readonly string[],
  ) {
    this.config = Object.freeze({ ...config });
    this.lr = config.lr;
  }

  setLearningRateFactor(factor: number): void {
    checkNumber('learning-rate factor', factor, positive, 'a positive number');
    this.lr = this.config.lr * factor;
  }

  /** Scalars shared by all variables in one step; `step` is the 1-based index of this step. */
  protected abstract stepScalars(step: number): S;
  /**
   * New value of `variable` and its slots. `slots` holds the current slot values in slotNames
   * order; `writeSlot` stores a slot's new value.
   */
  protected abstract update(
    variable: tf.Tensor,
    grad: tf.Tensor,
    slots: tf.Tensor[],
    scalars: S,
    writeSlot: (index: number, value: tf.Tensor) => void,
  ): tf.Tensor;

  apply(vars: tf.Variable[], grads: tf.Tensor[]): void {
    if (vars.length !== grads.length) {
      throw new Error(`optimizer.apply: got ${vars.length} variables but ${grads.length} gradients`);
    }
    vars.forEach((v, i) => {
      const g = grads[i];
      if (g == null) throw new Error(`optimizer.apply: gradient ${i} for variable '${v.name}' is missing`);
      if (!tf.util.arraysEqual(v.shape, g.shape)) {
        throw new Error(
          `optimizer.apply: gradient for variable '${v.name}' has shape [${g.shape.join(', ')}], expected [${v.shape.join(', ')}]`,
        );
      }
    });
    const seen = new Set<string>();
    for (const v of vars) {
      if (seen.has(v.name)) throw new Error(`optimizer.apply: variable '${v.name}' appears twice`);
      seen.add(v.name);
    }
    const slotVars = vars.map((v) => this.slotNames.map((slot) => this.slotFor(slot, v)));
    const step = this.steps + 1;
    tf.tidy(() => {
      const scalars = this.stepScalars(step);
      vars.forEach((v, i) => {
        const slots = slotVars[i];
        const next = this.update(v, grads[i], slots, scalars, (index, value) => slots[index].assign(value));
        v.assign(next);
      });
    });
    this.steps = step;
  }

  private slotFor(slot: string, v: tf.Variable): tf.Variable {
    const key = `${slot}/${this.keyOf(v)}`;
    let slotVar = this.slots.get(key);
    if (slotVar === undefined) {
      slotVar = tf.tidy(() => tf.variable(tf.zerosLike(v), false));
      this.slots.set(key, slotVar);
    } else if (!tf.util.arraysEqual(slotVar.shape, v.shape)) {
      throw new Error(
        `optimizer.apply: state '${key}' has shape [${slotVar.shape.join(', ')}] but variable '${v.name}' has shape [${v.shape.join(', ')}]`,
      );
    }
    return slotVar;
  }

  getState(): Record<string, tf.Tensor> {
    const state: Record<string, tf.Tensor> = {};
    for (const [key, slotVar] of this.slots) state[key] = slotVar;
    if (this.stepTensor === null || this.stepTensor.isDisposed || this.stepTensorValue !== this.steps) {
      this.stepTensor?.dispose();
      this.stepTensor = tf.scalar(this.steps, 'int32');
      this.stepTensorValue = this.steps;
    }
    state[STEP_KEY] = this.stepTensor;
    return state;
  }

  setState(state: Record<string, tf.Tensor>): void {
    const stepTensor = state[STEP_KEY];
    if (stepTensor === undefined || stepTensor.size !== 1) {
      throw new Error(`optimizer.setState: '${STEP_KEY}' must be a scalar tensor, got ${stepTensor === undefined ? 'nothing' : `shape [${stepTensor.shape.join(', ')}]`}`);
    }
    const steps = stepTensor.dataSync()[0];
    if (!Number.isInteger(steps) || steps < 0) {
      throw new Error(`optimizer.setState: '${STEP_KEY}' must be a non-negative integer, got ${steps}`);
    }
    for (const key of Object.keys(state)) {
      if (key === STEP_KEY) continue;
      const slot = key.slice(0, key.indexOf('/'));
      if (!key.includes('/') || !this.slotNames.includes(slot)) {
        throw new Error(
          `optimizer.setState: unexpected entry '${key}' for a ${this.config.type} optimizer ` +
            `(expected '${STEP_KEY}' or '<${this.slotNames.join('|') || 'no slots'}>/<variable>')`,
        );
      }
      if (state[key].dtype !== 'float32') {
        throw new Error(`optimizer.setState: entry '${key}' must be float32, got ${state[key].dtype}`);
      }
    }
    // Copy first, then release the old slots: `state` may be this optimizer's own getState().
    const copies = new Map<string, tf.Variable>();
    for (const [key, value] of Object.entries(state)) {
      if (key !== STEP_KEY) copies.set(key, tf.tidy(() => tf.variable(tf.clone(value), false)));
    }
    this.disposeSlots();
    for (const [key, copy] of copies) this.slots.set(key, copy);
    this.steps = steps;
  }

  private disposeSlots(): void {
    for (const slotVar of this.slots.values()) slotVar.dispose();
    this.slots.clear();
  }

  dispose(): void {
    this.disposeSlots();
    this.stepTensor?.dispose();
    this.stepTensor = null;
  }
}

interface AdamScalars {
  beta1: tf.Scalar;
  oneMinusBeta1: tf.Scalar;
  beta2: tf.Scalar;
  oneMinusBeta2: tf.Scalar;
  /** sqrt(1 − β2^t)·(1 − β1^t)/lr: scales sqrt(v) in the folded denominator. */
  sqrtVScale: tf.Scalar;
  /** ε·(1 − β1^t)/lr */
  scaledEps: tf.Scalar;
}

/**
 * Adam as PyTorch: m ← β1·m + (1−β1)·g; v ← β2·v + (1−β2)·g²;
 * w ← w − lr/(1−β1^t) · m / (sqrt(v)/sqrt(1−β2^t) + ε).
 * The step size is folded into the denominator's two per-step scalars,
 * w ← w − m / (sqrt(v)·(1−β1^t)/(lr·sqrt(1−β2^t)) + ε·(1−β1^t)/lr), which is the same
 * quantity with one elementwise op fewer per variable (12 instead of 13).
 */
class Adam extends SlotOptimizer<AdamScalars> {
  private readonly beta1: number;
  private readonly beta2: number;
  private readonly eps: number;

  constructor(config: Extract<OptimizerConfig, { type: 'adam' }>) {
    super(config, ['m', 'v']);
    this.beta1 = config.beta1 ?? 0.9;
    this.beta2 = config.beta2 ?? 0.999;
    this.eps = config.eps ?? 1e-8;
    checkNumber('adam.lr', config.lr, positive, 'a positive number');
    checkNumber('adam.beta1', this.beta1, unitInterval, 'in [0, 1)');
    checkNumber('adam.beta2', this.beta2, unitInterval, 'in [0, 1)');
    checkNumber('adam.eps', this.eps, nonNegative, 'a non-negative number');
  }

  protected stepScalars(step: number): AdamScalars {
    return {
      beta1: tf.scalar(this.beta1),
      oneMinusBeta1: tf.scalar(1 - this.beta1),
      beta2: tf.scalar(this.beta2),
      oneMinusBeta2: tf.scalar(1 - this.beta2),
      sqrtVScale: tf.scalar((1 - this.beta1 ** step) / (this.lr * Math.sqrt(1 - this.beta2 ** step))),
      scaledEps: tf.scalar((this.eps * (1 - this.beta1 ** step)) / this.lr),
    };
  }

  protected update(
    w: tf.Tensor,
    g: tf.Tensor,
    [m, v]: tf.Tensor[],
    s: AdamScalars,
    writeSlot: (index: number, value: tf.Tensor) => void,
  ): tf.Tensor {
    const m1 = tf.add(tf.mul(m, s.beta1), tf.mul(g, s.oneMinusBeta1));
    const v1 = tf.add(tf.mul(v, s.beta2), tf.mul(tf.square(g), s.oneMinusBeta2));
    writeSlot(0, m1);
    writeSlot(1, v1);
    const denom = tf.add(tf.mul(tf.sqrt(v1), s.sqrtVScale), s.scaledEps);
    return tf.sub(w, tf.div(m1, denom));
  }
}

interface SgdScalars {
  lr: tf.Scalar;
  momentum: tf.Scalar;
}

/** SGD as PyTorch (no dampening, no Nesterov): buf ← μ·buf + g; w ← w − lr·buf (buf = g if μ = 0). */
class Sgd extends SlotOptimizer<SgdScalars> {
  private readonly momentum: number;

  constructor(config: Extract<OptimizerConfig, { type: 'sgd' }>) {
    const momentum = config.momentum ?? 0;
    super(config, momentum > 0 ? ['momentum'] : []);
    this.momentum = momentum;
    checkNumber('sgd.lr', config.lr, positive, 'a positive number');
    checkNumber('sgd.momentum', momentum, unitInterval, 'in [0, 1)');
  }

  protected stepScalars(): SgdScalars {
    return { lr: tf.scalar(this.lr), momentum: tf.scalar(this.momentum) };
  }

  protected update(
    w: tf.Tensor,
    g: tf.Tensor,
    slots: tf.Tensor[],
    s: SgdScalars,
    writeSlot: (index: number, value: tf.Tensor) => void,
  ): tf.Tensor {
    let direction = g;
    if (this.momentum > 0) {
      // The buffer starts at zero, so the first step gives buf = g exactly, as PyTorch's clone.
      direction = tf.add(tf.mul(slots[0], s.momentum), g);
      writeSlot(0, direction);
    }
    return tf.sub(w, tf.mul(direction, s.lr));
  }
}

interface RmspropScalars {
  lr: tf.Scalar;
  rho: tf.Scalar;
  oneMinusRho: tf.Scalar;
  eps: tf.Scalar;
}

/** RMSprop as PyTorch (not centered, no momentum): v ← ρ·v + (1−ρ)·g²; w ← w − lr·g/(sqrt(v) + ε). */
class Rmsprop extends SlotOptimizer<RmspropScalars> {
  private readonly rho: number;
  private readonly eps: number;

  constructor(config: Extract<OptimizerConfig, { type: 'rmsprop' }>) {
    super(config, ['v']);
    this.rho = config.rho ?? 0.99;
    this.eps = config.eps ?? 1e-8;
    checkNumber('rmsprop.lr', config.lr, positive, 'a positive number');
    checkNumber('rmsprop.rho', this.rho, unitInterval, 'in [0, 1)');
    checkNumber('rmsprop.eps', this.eps, nonNegative, 'a non-negative number');
  }

  protected stepScalars(): RmspropScalars {
    return {
      lr: tf.scalar(this.lr),
      rho: tf.scalar(this.rho),
      oneMinusRho: tf.scalar(1 - this.rho),
      eps: tf.scalar(this.eps),
    };
  }

  protected update(
    w: tf.Tensor,
    g: tf.Tensor,
    [v]: tf.Tensor[],
    s: RmspropScalars,
    writeSlot: (index: number, value: tf.Tensor) => void,
  ): tf.Tensor {
    const v1 = tf.add(tf.mul(v, s.rho), tf.mul(tf.square(g), s.oneMinusRho));
    writeSlot(0, v1);
    return tf.sub(w, tf.mul(tf.div(g, tf.add(tf.sqrt(v1), s.eps)), s.lr));
  }
}

/** `keyOf` names each variable in the optimizer's state (default: its TF.js name). */
export function createOptimizer(cfg: OptimizerConfig, opts: { keyOf?: (v: tf.Variable) => string } = {}): Optimizer {
  const make = (o: SlotOptimizer<unknown>) => {
    if (opts.keyOf) o.keyOf = opts.keyOf;
    return o;
  };
  switch (cfg?.type) {
    case 'adam':
      return make(new Adam(cfg));
    case 'sgd':
      return make(new Sgd(cfg));
    case 'rmsprop':
      return make(new Rmsprop(cfg));
    default:
      throw new Error(
        `createOptimizer: unknown optimizer type '${String((cfg as { type?: unknown } | undefined)?.type)}', expected adam, sgd or rmsprop`,
      );
  }
}
