import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { Rng } from '../core/rng.ts';
import { createOptimizer, type OptimizerConfig } from './optimizers.ts';

/**
 * Test problem: L(w) = ½ Σ c ⊙ (w − t)² over two variables (a matrix and a vector), whose
 * gradient c ⊙ (w − t) is computed in float32 by TF.js and in double precision by the reference.
 */
const rng = new Rng(99);
const randomArray = (n: number, lo: number, hi: number) => Array.from({ length: n }, () => lo + (hi - lo) * rng.uniform());
const SHAPES = [[3, 4], [5]];
const INIT = SHAPES.map((s) => randomArray(s.reduce((a, b) => a * b, 1), -2, 2));
const CURVATURE = SHAPES.map((s) => randomArray(s.reduce((a, b) => a * b, 1), 0.1, 3));
const TARGET = SHAPES.map((s) => randomArray(s.reduce((a, b) => a * b, 1), -1, 1));

let variableCounter = 0;
function makeVariables(values = INIT, names = SHAPES.map(() => `opt_test_${variableCounter++}`)): tf.Variable[] {
  return tf.tidy(() => values.map((v, i) => tf.variable(tf.tensor(v, SHAPES[i]), true, names[i])));
}

function quadraticGrads(vars: tf.Variable[]): tf.Tensor[] {
  return tf.tidy(() => vars.map((v, i) => tf.mul(tf.tensor(CURVATURE[i], SHAPES[i]), tf.sub(v, tf.tensor(TARGET[i], SHAPES[i])))));
}

function step(opt: ReturnType<typeof createOptimizer>, vars: tf.Variable[]): void {
  const grads = quadraticGrads(vars);
  opt.apply(vars, grads);
  tf.dispose(grads);
}

/** The same update formulas in plain JS (PyTorch's definitions), on flat arrays, in double precision. */
function referenceRun(cfg: OptimizerConfig, steps: number): number[][] {
  const w = INIT.map((v) => v.slice());
  const s1 = INIT.map((v) => v.map(() => 0));
  const s2 = INIT.map((v) => v.map(() => 0));
  for (let t = 1; t <= steps; t++) {
    w.forEach((wv, i) => {
      wv.forEach((x, k) => {
        const g = CURVATURE[i][k] * (x - TARGET[i][k]);
        if (cfg.type === 'adam') {
          const [b1, b2, eps] = [cfg.beta1 ?? 0.9, cfg.beta2 ?? 0.999, cfg.eps ?? 1e-8];
          s1[i][k] = b1 * s1[i][k] + (1 - b1) * g;
          s2[i][k] = b2 * s2[i][k] + (1 - b2) * g * g;
          const mHat = s1[i][k] / (1 - b1 ** t);
          const vHat = s2[i][k] / (1 - b2 ** t);
          wv[k] = x - (cfg.lr * mHat) / (Math.sqrt(vHat) + eps);
        } else if (cfg.type === 'sgd') {
          const mu = cfg.momentum ?? 0;
          s1[i][k] = t === 1 ? g : mu * s1[i][k] + g;
          wv[k] = x - cfg.lr * s1[i][k];
        } else {
          const [rho, eps] = [cfg.rho ?? 0.99, cfg.eps ?? 1e-8];
          s1[i][k] = rho * s1[i][k] + (1 - rho) * g * g;
          wv[k] = x - (cfg.lr * g) / (Math.sqrt(s1[i][k]) + eps);
        }
      });
    });
  }
  return w;
}

const CONFIGS: OptimizerConfig[] = [
  { type: 'adam', lr: 0.05 },
  { type: 'adam', lr: 2e-4, beta1: 0.5, beta2: 0.999 },
  { type: 'adam', lr: 0.01, beta1: 0, beta2: 0.9, eps: 1e-3 },
  { type: 'sgd', lr: 0.1 },
  { type: 'sgd', lr: 0.05, momentum: 0.9 },
  { type: 'rmsprop', lr: 0.01 },
  { type: 'rmsprop', lr: 5e-5, rho: 0.9, eps: 1e-6 },
];

const values = (vars: tf.Tensor[]) => vars.map((v) => Array.from(v.dataSync()));

function toArrays(state: Record<string, tf.Tensor>) {
  return Object.fromEntries(
    Object.entries(state).map(([k, t]) => [k, { shape: t.shape, dtype: t.dtype, data: Array.from(t.dataSync()) }]),
  );
}

describe('optimizers', () => {
  before(async () => {
    await tf.setBackend('cpu');
  });

  for (const cfg of CONFIGS) {
    it(`${JSON.stringify(cfg)}: 10 steps match the plain-JS reference (rel err < 1e-5)`, (t) => {
      const steps = 10;
      const vars = makeVariables();
      const opt = createOptimizer(cfg);
      for (let t = 0; t < steps; t++) step(opt, vars);
      const expected = referenceRun(cfg, steps);
      const initial = referenceRun(cfg, 0);
      // Error relative to each variable's scale (max-norm), so entries near 0 are not held to float32-impossible precision.
      let maxErr = 0;
      values(vars).forEach((got, i) => {
        const scale = Math.max(...expected[i].map(Math.abs));
        got.forEach((x, k) => {
          const want = expected[i][k];
          const err = Math.abs(x - want) / scale;
          maxErr = Math.max(maxErr, err);
          assert.ok(err < 1e-5, `var ${i}[${k}]: got ${x}, expected ${want} (rel err ${err})`);
          assert.notEqual(want, initial[i][k], 'the reference moved');
        });
      });
      t.diagnostic(`max rel err ${maxErr.toExponential(2)}`);
      assert.equal(opt.getState().step.dataSync()[0], steps);
      opt.dispose();
      tf.dispose(vars);
    });
  }

  for (const cfg of CONFIGS) {
    it(`${JSON.stringify(cfg)}: state round-trips through plain arrays and resumes bit-identically`, () => {
      const names = SHAPES.map(() => `opt_resume_${variableCounter++}`);
      const vars = makeVariables(INIT, names);
      const original = createOptimizer(cfg);
      for (let t = 0; t < 4; t++) step(original, vars);

      // A checkpoint: optimizer state and weights written out as plain arrays.
      const checkpoint = toArrays(original.getState());
      const checkpointWeights = values(vars);
      for (let t = 0; t < 3; t++) step(original, vars);
      const continuedWeights = values(vars);
      const continuedState = toArrays(original.getState());
      original.dispose();
      tf.dispose(vars);

      // A new process: same variable names, a fresh optimizer, state read back from the arrays.
      const resumedVars = makeVariables(checkpointWeights, names);
      const resumed = createOptimizer(cfg);
      const restored = Object.fromEntries(Object.entries(checkpoint).map(([k, s]) => [k, tf.tensor(s.data, s.shape, s.dtype)]));
      resumed.setState(restored);
      tf.dispose(Object.values(restored));
      for (let t = 0; t < 3; t++) step(resumed, resumedVars);

      assert.deepEqual(values(resumedVars), continuedWeights, 'weights after resuming differ');
      assert.deepEqual(toArrays(resumed.getState()), continuedState, 'optimizer state after resuming differs');
      resumed.dispose();
      tf.dispose(resumedVars);
    });
  }

  it('state keys: step plus one entry per slot and variable', () => {
    const vars = makeVariables();
    const adam = createOptimizer({ type: 'adam', lr: 1e-3 });
    const sgd = createOptimizer({ type: 'sgd', lr: 1e-3 });
    assert.deepEqual(Object.keys(adam.getState()), ['step']);
    step(adam, vars);
    step(sgd, vars);
    assert.deepEqual(Object.keys(adam.getState()).sort(), ['step', ...vars.flatMap((v) => [`m/${v.name}`, `v/${v.name}`])].sort());
    assert.deepEqual(Object.keys(sgd.getState()), ['step']);
    const state = adam.getState();
    assert.equal(state.step.dtype, 'int32');
    assert.deepEqual(state[`v/${vars[0].name}`].shape, vars[0].shape);
    adam.setState(adam.getState()); // its own state: copied before the old slots are released
    assert.equal(adam.getState().step.dataSync()[0], 1);
    adam.dispose();
    sgd.dispose();
    tf.dispose(vars);
  });

  it('does not leak tensors over repeated apply/getState, and dispose releases everything', () => {
    const vars = makeVariables();
    const baseline = tf.memory().numTensors;
    for (const cfg of CONFIGS) {
      const opt = createOptimizer(cfg);
      step(opt, vars);
      opt.getState();
      const afterFirst = tf.memory().numTensors;
      for (let t = 0; t < 20; t++) {
        step(opt, vars);
        opt.getState();
      }
      assert.equal(tf.memory().numTensors, afterFirst, `${cfg.type}: tensor count grew over steps`);
      opt.dispose();
      assert.equal(tf.memory().numTensors, baseline, `${cfg.type}: dispose left tensors`);
    }
    tf.dispose(vars);
  });

  it('rejects bad configs, inputs and state with clear messages', () => {
    assert.throws(() => createOptimizer({ type: 'adam', lr: -1 }), /adam\.lr must be a positive number, got -1/);
    assert.throws(() => createOptimizer({ type: 'adam', lr: 1e-3, beta2: 1 }), /adam\.beta2 must be in \[0, 1\), got 1/);
    assert.throws(() => createOptimizer({ type: 'rmsprop', lr: 1e-3, rho: Number.NaN }), /rmsprop\.rho/);
    assert.throws(() => createOptimizer({ type: 'sgd', lr: 1e-3, momentum: -0.5 }), /sgd\.momentum/);
    assert.throws(() => createOptimizer({ type: 'lbfgs', lr: 1 } as unknown as OptimizerConfig), /unknown optimizer type 'lbfgs'/);

    const vars = makeVariables();
    const opt = createOptimizer({ type: 'adam', lr: 1e-3 });
    const grads = quadraticGrads(vars);
    assert.throws(() => opt.apply(vars, grads.slice(0, 1)), /got 2 variables but 1 gradients/);
    assert.throws(() => opt.apply(vars, [grads[1], grads[0]]), /has shape \[5\], expected \[3, 4\]/);
    assert.throws(() => opt.apply([vars[0], vars[0]], [grads[0], grads[0]]), /appears twice/);
    const stepTensor = tf.scalar(0, 'int32');
    const slot = tf.zeros([2]);
    assert.throws(() => opt.setState({ [`m/${vars[0].name}`]: slot }), /'step' must be a scalar tensor, got nothing/);
    assert.throws(() => opt.setState({ step: stepTensor, [`momentum/${vars[0].name}`]: slot }), /unexpected entry 'momentum\/.*' for a adam optimizer/);
    opt.setState({ step: stepTensor, [`m/${vars[0].name}`]: slot });
    assert.throws(() => opt.apply(vars, grads), /state 'm\/.*' has shape \[2\] but variable '.*' has shape \[3, 4\]/);
    tf.dispose([...grads, ...vars, stepTensor, slot]);
    opt.dispose();
  });
});

it('setLearningRateFactor scales the next SGD step exactly', async () => {
  await tf.setBackend('cpu');
  const v = tf.variable(tf.tensor1d([1, 2]), true, 'lr_factor_test/w');
  const g = tf.tensor1d([0.5, -1]);
  const opt = createOptimizer({ type: 'sgd', lr: 0.1 });
  opt.setLearningRateFactor(0.5);
  opt.apply([v], [g]);
  const got = Array.from(v.dataSync());
  const want = [1 - 0.05 * 0.5, 2 + 0.05];
  got.forEach((x, i) => assert.ok(Math.abs(x - want[i]!) < 1e-6, `${x} vs ${want[i]}`));
  assert.throws(() => opt.setLearningRateFactor(0), /positive/);
  opt.dispose();
  tf.dispose([v, g]);
});
