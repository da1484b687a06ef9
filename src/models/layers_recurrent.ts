/**
 * Text layers. A GRU over a sequence (the text encoder's recurrent layer): x [T, D] → the last hidden state [H] or
 * every state [T, H]. With a second input of token ids [T], padding steps (id = padId) carry the state
 * through unchanged, so the last state is the one after the last real token. Unrolled over T with raw
 * ops, so it runs on every backend and differentiates like any other layer.
 *
 * Per step (gates z, r; candidate n; Cho et al. 2014, the reset applied to U·h as in cuDNN/PyTorch):
 *   z = σ(x·Wz + h·Uz + bz), r = σ(x·Wr + h·Ur + br), n = tanh(x·Wn + bn + r ⊙ (h·Un)), h' = (1 − z) ⊙ n + z ⊙ h.
 */
import * as tf from '@tensorflow/tfjs-core';
import { PAD_ID } from '../data/tokenizer.ts';
import { registerLayer, type LayerImpl } from './layer_api.ts';
import { layerError, needInputs, needInt, needRank } from './layers_common.ts';

export interface GruSpec {
  type: 'gru';
  units: number;
  /** 'last' (default): the final state [H]; 'sequence': every state [T, H]. */
  output?: 'last' | 'sequence';
  /** With token ids as the second input: the id that marks padding (default the tokenizer's, 0). */
  padId?: number;
}

const gru: LayerImpl<GruSpec> = {
  type: 'gru',
  arity: 'many',
  build(ctx, spec, inShapes) {
    if (inShapes.length < 1 || inShapes.length > 2) throw layerError(ctx.id, 'gru', `takes a sequence [T, D] and optionally its token ids [T], got ${inShapes.length} inputs`);
    needRank(ctx, 'gru', inShapes[0]!, 2, 'a sequence [T, D]');
    const [t, d] = inShapes[0] as [number, number];
    if (inShapes[1] && (inShapes[1].length !== 1 || inShapes[1][0] !== t)) throw layerError(ctx.id, 'gru', `token ids must be [${t}] to match the sequence, got [${inShapes[1]}]`);
    const h = needInt(ctx, 'gru', 'units', spec.units);
    if (spec.output !== undefined && spec.output !== 'last' && spec.output !== 'sequence') throw layerError(ctx.id, 'gru', `output must be 'last' or 'sequence', got '${String(spec.output)}'`);
    ctx.param('kernel', ctx.initWeights([d, 3 * h], d));
    ctx.param('recurrent', ctx.initWeights([h, 3 * h], h));
    ctx.param('bias', tf.zeros([3 * h]));
    return spec.output === 'sequence' ? [t, h] : [h];
  },
  apply(layer, inputs) {
    const [x, ids] = inputs as [tf.Tensor3D, tf.Tensor2D | undefined];
    const [b, t, d] = x.shape;
    const h = layer.spec.units;
    const { kernel, recurrent, bias } = layer.params as Record<'kernel' | 'recurrent' | 'bias', tf.Tensor2D>;
    // The input projections of all steps in one matmul.
    const xw = tf.reshape(tf.add(tf.matMul(tf.reshape(x, [b * t, d]), kernel), bias), [b, t, 3 * h]);
    const mask = ids ? tf.cast(tf.notEqual(ids, tf.scalar(layer.spec.padId ?? PAD_ID, 'int32')), 'float32') : null;
    let state: tf.Tensor2D = tf.zeros([b, h]);
    const states: tf.Tensor2D[] = [];
    for (let s = 0; s < t; s++) {
      const xs = tf.reshape(tf.slice(xw, [0, s, 0], [b, 1, 3 * h]), [b, 3 * h]);
      const hu = tf.matMul(state, recurrent);
      const [xz, xr, xn] = tf.split(xs, 3, 1) as [tf.Tensor2D, tf.Tensor2D, tf.Tensor2D];
      const [hz, hr, hn] = tf.split(hu, 3, 1) as [tf.Tensor2D, tf.Tensor2D, tf.Tensor2D];
      const z = tf.sigmoid(tf.add(xz, hz));
      const r = tf.sigmoid(tf.add(xr, hr));
      const n = tf.tanh(tf.add(xn, tf.mul(r, hn)));
      let next: tf.Tensor2D = tf.add(tf.mul(tf.sub(1, z), n), tf.mul(z, state));
      if (mask) {
        const m = tf.reshape(tf.slice(mask, [0, s], [b, 1]), [b, 1]);
        next = tf.add(tf.mul(m, next), tf.mul(tf.sub(1, m), state));
      }
      state = next;
      states.push(state);
    }
    return layer.spec.output === 'sequence' ? tf.stack(states, 1) : state;
  },
};

/**
 * StackGAN's conditioning augmentation, the reparameterization step: inputs the Gaussian's statistics
 * [2c] (mean, then log σ²) and standard-normal noise [c]; out = mean + exp(½·log σ²)·noise, so the
 * generator sees a smooth neighbourhood of each text embedding. The noise is an input (not drawn here),
 * so samples are reproducible from the sampler's latent stream.
 */
export interface ReparameterizeSpec {
  type: 'reparameterize';
}

const reparameterize: LayerImpl<ReparameterizeSpec> = {
  type: 'reparameterize',
  arity: 2,
  build(ctx, _spec, inShapes) {
    needInputs(ctx, 'reparameterize', inShapes, 2);
    const [stats, eps] = inShapes as [number[], number[]];
    if (stats.length !== 1 || eps.length !== 1 || stats[0] !== 2 * eps[0]!) {
      throw layerError(ctx.id, 'reparameterize', `needs statistics [2c] (mean, log σ²) and noise [c], got [${stats}] and [${eps}]`);
    }
    return eps.slice();
  },
  apply(_layer, [stats, eps]) {
    const [mean, logVar] = tf.split(stats!, 2, 1);
    return tf.add(mean!, tf.mul(tf.exp(tf.mul(logVar!, 0.5)), eps!));
  },
};

registerLayer(gru);
registerLayer(reparameterize);
