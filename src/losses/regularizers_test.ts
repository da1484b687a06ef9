import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../backend/backend.ts';
import { leakyRelu } from '../backend/ops.ts';
import { Rng } from '../core/rng.ts';
import { clipWeights, gradientPenalty, r1Penalty, type Critic } from './regularizers.ts';
import { assertClose, noLeaks, read } from './test_support.ts';

/** A variable that owns its initial value (tf.variable(t) alone would leave `t` allocated). */
const makeVariable = (init: () => tf.Tensor, name?: string) => tf.tidy(() => tf.variable(init(), true, name));

const rng = new Rng(1234);
const randomArray = (n: number, scale = 1) => Array.from({ length: n }, () => scale * (2 * rng.uniform() - 1));
const norm2 = (v: number[]) => v.reduce((a, x) => a + x * x, 0);

/** D(x) = ⟨w, flatten(x)⟩ + b for inputs [B, ...]; its input gradient is w everywhere. */
function linearCritic(w: tf.Tensor, b: number): Critic {
  return (x) => tf.add(tf.matMul(tf.reshape(x, [x.shape[0], -1]), tf.reshape(w, [-1, 1])), b);
}

/** D(x) = Σ a⊙x² + ⟨w, x⟩ for inputs [B, n]; its input gradient is 2a⊙x + w. */
function quadraticCritic(a: tf.Tensor, w: tf.Tensor): Critic {
  return (x) => tf.sum(tf.add(tf.mul(a, tf.square(x)), tf.mul(w, x)), 1);
}

/** Plain-JS gradient penalty of the quadratic critic at x̂ = eps·real + (1 − eps)·fake. */
function quadraticGpReference(a: number[], w: number[], real: number[][], fake: number[][], eps: number[], target: number): number {
  let total = 0;
  real.forEach((r, i) => {
    const g = r.map((ri, k) => {
      const xh = eps[i] * ri + (1 - eps[i]) * fake[i][k];
      return 2 * a[k] * xh + w[k];
    });
    total += (Math.sqrt(norm2(g)) - target) ** 2;
  });
  return total / real.length;
}

describe('regularizers', () => {
  before(async () => {
    await initBackend('cpu', { quiet: true });
  });

  it('gradient penalty of a linear critic is (‖w‖ − target)² for any eps', () => {
    noLeaks(() => {
      const wValues = randomArray(12);
      const w = tf.tensor(wValues, [2, 3, 2]);
      const critic = linearCritic(w, 0.3);
      const real = tf.tensor(randomArray(4 * 12, 2), [4, 2, 3, 2]);
      const fake = tf.tensor(randomArray(4 * 12, 2), [4, 2, 3, 2]);
      const wNorm = Math.sqrt(norm2(wValues));
      for (const epsValues of [[0, 0, 0, 0], [1, 1, 1, 1], [0.1, 0.5, 0.93, 0.27]]) {
        const eps = tf.tensor(epsValues, [4, 1, 1, 1]);
        assertClose(read(gradientPenalty(critic, real, fake, eps)), (wNorm - 1) ** 2, `GP, eps ${epsValues}`);
        assertClose(read(gradientPenalty(critic, real, fake, eps, 0)), wNorm ** 2, `GP target 0, eps ${epsValues}`);
        eps.dispose();
      }
      tf.dispose([w, real, fake]);
    });
  });

  it('gradient penalty of a quadratic critic matches the hand-computed value', () => {
    noLeaks(() => {
      const n = 5;
      const aValues = randomArray(n);
      const wValues = randomArray(n);
      const realValues = [0, 1, 2].map(() => randomArray(n, 2));
      const fakeValues = [0, 1, 2].map(() => randomArray(n, 2));
      const epsValues = [0.2, 0.75, 0.5];
      const a = tf.tensor1d(aValues);
      const w = tf.tensor1d(wValues);
      const real = tf.tensor2d(realValues);
      const fake = tf.tensor2d(fakeValues);
      const eps = tf.tensor2d(epsValues, [3, 1]);
      const critic = quadraticCritic(a, w);
      for (const target of [1, 0.5]) {
        assertClose(
          read(gradientPenalty(critic, real, fake, eps, target)),
          quadraticGpReference(aValues, wValues, realValues, fakeValues, epsValues, target),
          `quadratic GP, target ${target}`,
        );
      }
      tf.dispose([a, w, real, fake, eps]);
    });
  });

  it('gradient penalty is differentiable w.r.t. the critic weights (matches finite differences)', () => {
    noLeaks(() => {
      const n = 4;
      const aValues = randomArray(n);
      const wValues = randomArray(n);
      const realValues = [0, 1].map(() => randomArray(n, 2));
      const fakeValues = [0, 1].map(() => randomArray(n, 2));
      const epsValues = [0.3, 0.8];
      const a = makeVariable(() => tf.tensor1d(aValues), 'gp_test_a');
      const w = makeVariable(() => tf.tensor1d(wValues), 'gp_test_w');
      const real = tf.tensor2d(realValues);
      const fake = tf.tensor2d(fakeValues);
      const eps = tf.tensor2d(epsValues, [2, 1]);
      const { value, grads } = tf.variableGrads(() => gradientPenalty(quadraticCritic(a, w), real, fake, eps), [a, w]);
      const gA = Array.from(grads['gp_test_a'].dataSync());
      const gW = Array.from(grads['gp_test_w'].dataSync());
      // Central differences of the plain-JS penalty, in double precision.
      const h = 1e-6;
      const gp = (av: number[], wv: number[]) => quadraticGpReference(av, wv, realValues, fakeValues, epsValues, 1);
      for (let k = 0; k < n; k++) {
        const bump = (v: number[], d: number) => v.map((x, j) => (j === k ? x + d : x));
        const fdA = (gp(bump(aValues, h), wValues) - gp(bump(aValues, -h), wValues)) / (2 * h);
        const fdW = (gp(aValues, bump(wValues, h)) - gp(aValues, bump(wValues, -h))) / (2 * h);
        assertClose(gA[k], fdA, `dGP/da[${k}]`, 1e-4);
        assertClose(gW[k], fdW, `dGP/dw[${k}]`, 1e-4);
      }
      tf.dispose([value, grads['gp_test_a'], grads['gp_test_w'], a, w, real, fake, eps]);
    });
  });

  it('gradient penalty through an MLP with LeakyReLU: weight gradients match finite differences', () => {
    noLeaks(() => {
      // D(x) = leakyRelu(x W1 + b1) W2 with x [B, 3], hidden 4. Its input gradient per sample is
      // Σ_j W1[i][j]·slope_j·W2[j], slope_j = 1 or α by the sign of the pre-activation.
      const nIn = 3;
      const nHidden = 4;
      const alpha = 0.2;
      const w1Values = randomArray(nIn * nHidden);
      const b1Values = randomArray(nHidden, 0.5);
      const w2Values = randomArray(nHidden);
      const xValues = [0, 1, 2].map(() => randomArray(nIn, 2));
      const w1 = makeVariable(() => tf.tensor2d(w1Values, [nIn, nHidden]), 'gp_mlp_w1');
      const b1 = makeVariable(() => tf.tensor1d(b1Values), 'gp_mlp_b1');
      const w2 = makeVariable(() => tf.tensor2d(w2Values, [nHidden, 1]), 'gp_mlp_w2');
      const critic: Critic = (x) => tf.matMul(leakyRelu(tf.add(tf.matMul(x as tf.Tensor2D, w1), b1), alpha), w2);
      const x = tf.tensor2d(xValues);
      const eps = tf.ones([3, 1]); // x̂ = real
      const { value, grads } = tf.variableGrads(() => gradientPenalty(critic, x, x, eps), [w1, b1, w2]);

      const gpReference = (w1v: number[], w2v: number[]) => {
        let total = 0;
        for (const xs of xValues) {
          const slope = b1Values.map((b, j) => {
            const pre = xs.reduce((acc, xi, i) => acc + xi * w1v[i * nHidden + j], b);
            return pre > 0 ? 1 : alpha;
          });
          const g = xs.map((_, i) => slope.reduce((acc, s, j) => acc + w1v[i * nHidden + j] * s * w2v[j], 0));
          total += (Math.sqrt(norm2(g)) - 1) ** 2;
        }
        return total / xValues.length;
      };
      assertClose(read(value), gpReference(w1Values, w2Values), 'MLP GP value');
      const h = 1e-6;
      const gW1 = Array.from(grads['gp_mlp_w1'].dataSync());
      const gW2 = Array.from(grads['gp_mlp_w2'].dataSync());
      const bump = (v: number[], k: number, d: number) => v.map((x, j) => (j === k ? x + d : x));
      w1Values.forEach((_, k) => {
        const fd = (gpReference(bump(w1Values, k, h), w2Values) - gpReference(bump(w1Values, k, -h), w2Values)) / (2 * h);
        assertClose(gW1[k], fd, `dGP/dW1[${k}]`, 1e-4);
      });
      w2Values.forEach((_, k) => {
        const fd = (gpReference(w1Values, bump(w2Values, k, h)) - gpReference(w1Values, bump(w2Values, k, -h))) / (2 * h);
        assertClose(gW2[k], fd, `dGP/dW2[${k}]`, 1e-4);
      });
      // The input gradient is piecewise constant in b1, so the penalty's b1 gradient is 0.
      for (const gb of grads['gp_mlp_b1'].dataSync()) assert.equal(Math.abs(gb), 0);
      tf.dispose([...Object.values(grads), w1, b1, w2, x, eps]);
    });
  });

  it('gradient penalty at a zero input gradient is finite, as is its gradient', () => {
    noLeaks(() => {
      const w = makeVariable(() => tf.zeros([3]), 'gp_zero_w');
      const real = tf.ones([2, 3]);
      const eps = tf.fill([2, 1], 0.5);
      const { value, grads } = tf.variableGrads(
        () => gradientPenalty((x) => tf.sum(tf.mul(x, w), 1), real, tf.zerosLike(real), eps),
        [w],
      );
      assertClose(read(value), 1, 'GP at zero gradient');
      for (const g of grads['gp_zero_w'].dataSync()) assert.ok(Number.isFinite(g), `non-finite gradient ${g}`);
      tf.dispose([grads['gp_zero_w'], w, real, eps]);
    });
  });

  it('R1 of a linear critic is ‖w‖², of a quadratic critic the mean squared input-gradient norm', () => {
    noLeaks(() => {
      const wValues = randomArray(6);
      const w = tf.tensor(wValues, [1, 2, 3]);
      const real = tf.tensor(randomArray(5 * 6, 3), [5, 1, 2, 3]);
      assertClose(read(r1Penalty(linearCritic(w, -1), real)), norm2(wValues), 'R1 linear');

      const aValues = randomArray(3);
      const bValues = randomArray(3);
      const xValues = [0, 1, 2, 3].map(() => randomArray(3, 2));
      const a = tf.tensor1d(aValues);
      const b = tf.tensor1d(bValues);
      const x = tf.tensor2d(xValues);
      const expected = xValues.reduce((acc, xs) => acc + norm2(xs.map((xi, k) => 2 * aValues[k] * xi + bValues[k])), 0) / 4;
      assertClose(read(r1Penalty(quadraticCritic(a, b), x)), expected, 'R1 quadratic');
      tf.dispose([w, real, a, b, x]);
    });
  });

  it('R1 gradient w.r.t. the weights of a linear critic is 2w', () => {
    noLeaks(() => {
      const wValues = randomArray(4);
      const w = makeVariable(() => tf.tensor1d(wValues), 'r1_test_w');
      const real = tf.tensor2d([randomArray(4), randomArray(4)]);
      const { value, grads } = tf.variableGrads(() => r1Penalty((x) => tf.sum(tf.mul(x, w), 1), real), [w]);
      Array.from(grads['r1_test_w'].dataSync()).forEach((g, k) => assertClose(g, 2 * wValues[k], `dR1/dw[${k}]`));
      tf.dispose([value, grads['r1_test_w'], w, real]);
    });
  });

  it('a critic with a map output: penalties take the gradient of the per-sample sum of the map', () => {
    noLeaks(() => {
      // D(x)[b, p] = ⟨W_p, x_b⟩ for P = 4 patches, output [B, 2, 2, 1]: ∇ Σ_p D(x)[p] = Σ_p W_p.
      const n = 6;
      const wValues = [0, 1, 2, 3].map(() => randomArray(n));
      const w = tf.tensor2d(wValues); // [P, n]
      const mapCritic: Critic = (x) => tf.reshape(tf.matMul(tf.reshape(x, [x.shape[0], -1]), w, false, true), [-1, 2, 2, 1]);
      const real = tf.tensor(randomArray(3 * n, 2), [3, 2, 3]);
      const fake = tf.tensor(randomArray(3 * n, 2), [3, 2, 3]);
      const eps = tf.tensor([0.2, 0.9, 0.5], [3, 1, 1]);
      const summed = wValues[0]!.map((_, k) => wValues.reduce((acc, row) => acc + row[k]!, 0));
      assertClose(read(r1Penalty(mapCritic, real)), norm2(summed), 'R1 of a linear map critic');
      assertClose(read(gradientPenalty(mapCritic, real, fake, eps)), (Math.sqrt(norm2(summed)) - 1) ** 2, 'GP of a linear map critic');

      // D(x) = x itself ([B, n] map of n entries): the per-sample sum Σ_k x_k has gradient 1, norm √n.
      const x = tf.tensor2d([randomArray(n), randomArray(n)]);
      assertClose(read(r1Penalty((t) => t, x)), n, 'R1 of the identity map');
      const ones = tf.ones([2, 1]);
      assertClose(read(gradientPenalty((t) => t, x, x, ones)), (Math.sqrt(n) - 1) ** 2, 'GP of the identity map');

      // Elementwise quadratic map D(x)[k] = a_k x_k²: rows stay independent, ∇ = 2a⊙x_b.
      const aValues = randomArray(n);
      const xValues = [0, 1, 2].map(() => randomArray(n, 2));
      const a = tf.tensor1d(aValues);
      const xq = tf.tensor2d(xValues);
      const expected = xValues.reduce((acc, xs) => acc + norm2(xs.map((xi, k) => 2 * aValues[k]! * xi)), 0) / 3;
      assertClose(read(r1Penalty((t) => tf.mul(a, tf.square(t)), xq)), expected, 'R1 of a quadratic map');

      // A [B, 1] critic d and the map of its k = 6 copies: the map's input gradient is k·∇d, R1 k² times.
      const v = tf.tensor1d(randomArray(n));
      const single: Critic = (t) => tf.matMul(t as tf.Tensor2D, tf.reshape(v, [n, 1]));
      const copies: Critic = (t) => tf.tile(tf.reshape(single(t), [-1, 1, 1, 1]), [1, 2, 3, 1]);
      const r1Single = read(r1Penalty(single, x));
      assertClose(read(r1Penalty(copies, x)), 36 * r1Single, 'R1 of a constant map of 6 copies');
      tf.dispose([w, real, fake, eps, x, ones, a, xq, v]);
    });
  });

  it('R1 of a map critic is twice differentiable: dR1/dW_p = 2 Σ_q W_q for every patch p', () => {
    noLeaks(() => {
      const n = 3;
      const wValues = [0, 1].map(() => randomArray(n));
      const w = makeVariable(() => tf.tensor2d(wValues), 'r1_map_w');
      const real = tf.tensor2d([randomArray(n), randomArray(n), randomArray(n)]);
      const critic: Critic = (x) => tf.expandDims(tf.matMul(x as tf.Tensor2D, w, false, true), 2); // [B, 2, 1]
      const { value, grads } = tf.variableGrads(() => r1Penalty(critic, real), [w]);
      const summed = wValues[0]!.map((_, k) => wValues[0]![k]! + wValues[1]![k]!);
      assertClose(read(value), norm2(summed), 'R1 value');
      const g = Array.from(grads['r1_map_w']!.dataSync());
      g.forEach((gi, i) => assertClose(gi, 2 * summed[i % n]!, `dR1/dW[${Math.floor(i / n)}][${i % n}]`));
      tf.dispose([grads['r1_map_w']!, w, real]);
    });
  });

  it('rejects mismatched shapes with clear messages', () => {
    const critic: Critic = (x) => tf.sum(x, 1);
    const a = tf.zeros([2, 3]);
    const b = tf.zeros([2, 4]);
    const eps = tf.zeros([2, 1]);
    const badEps = tf.zeros([2, 1, 1]);
    assert.throws(() => gradientPenalty(critic, a, b, eps), /real and fake must have the same shape, got \[2, 3\] and \[2, 4\]/);
    assert.throws(() => gradientPenalty(critic, a, a, badEps), /eps \[2, 1, 1\] must be broadcastable/);
    assert.throws(() => gradientPenalty((x) => tf.sum(x), a, a, eps), /gradientPenalty: critic output must be \[2, \.\.\.\].*got \[\]/);
    assert.throws(() => r1Penalty((x) => tf.transpose(x), a), /r1Penalty: critic output must be \[2, \.\.\.\].*got \[3, 2\]/);
    assert.throws(() => r1Penalty(critic, tf.zeros([3])), /real must be batched/);
    tf.dispose([a, b, eps, badEps]);
  });

  it('clipWeights clamps every variable to [−c, c] in place and keeps values inside', () => {
    noLeaks(() => {
      const v1 = makeVariable(() => tf.tensor1d([-3, -0.01, 0, 0.005, 2]));
      const v2 = makeVariable(() => tf.tensor2d([[0.5, -0.5], [0.009, -0.02]]));
      clipWeights([v1, v2], 0.01);
      assert.deepEqual(Array.from(v1.dataSync()), Array.from(new Float32Array([-0.01, -0.01, 0, 0.005, 0.01])));
      assert.deepEqual(Array.from(v2.dataSync()), Array.from(new Float32Array([0.01, -0.01, 0.009, -0.01])));
      assert.throws(() => clipWeights([v1], 0), /clip value c must be a positive number, got 0/);
      tf.dispose([v1, v2]);
    });
  });
});
