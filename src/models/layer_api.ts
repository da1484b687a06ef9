/**
 * The contract every layer type implements, and the registry a network graph looks layer types up in.
 * A layer is JSON data (`{ type: 'conv2d', filters: 64, … }`); its implementation builds the layer's
 * variables once (through the context, so names are unique and the order is fixed) and applies it to one
 * or more input tensors. Layers use raw TF.js ops (no tfjs-layers) so each can be made twice
 * differentiable (gradient penalty, R1) and runs in Node and in the browser alike (no Node imports here).
 */
import type * as tf from '@tensorflow/tfjs-core';
import type { Rng } from '../core/rng.ts';

/** Any layer's JSON spec: a `type` plus that type's fields. Each implementation narrows it. */
export interface LayerSpecBase {
  type: string;
}

export interface ApplyOptions {
  training: boolean;
  /**
   * The output will be differentiated twice (gradient penalty, R1): use only ops with second-order
   * gradients, e.g. composite batch norm instead of the fused native kernel.
   */
  twiceDifferentiable?: boolean;
  /**
   * Seeded stream for layers that draw noise while training (dropout, noise injection). The trainer
   * passes a stream it checkpoints, so resumed runs draw the same noise. Layers that need noise and get
   * none act deterministically (dropout off, zero noise).
   */
  noise?: Rng;
}

export interface LayerBuildContext {
  /** Unique prefix of this layer's variables, e.g. `t1/G/3_conv2d`. */
  readonly id: string;
  /** Seeded stream for initial weights. */
  readonly rng: Rng;
  /** Classes of the network's label input (0 when unconditional). */
  readonly numClasses: number;
  /** A trainable variable named `${id}/${name}`; the initial tensor is consumed. */
  param(name: string, init: tf.Tensor): tf.Variable;
  /** A non-trainable state variable (running statistics, power-iteration vectors). */
  state(name: string, init: tf.Tensor): tf.Variable;
  /** Initial weights: N(0, initStd) when the network sets initStd, else He-uniform by fan-in. */
  initWeights(shape: number[], fanIn: number): tf.Tensor;
}

export interface BuiltLayer<S extends LayerSpecBase = LayerSpecBase> {
  readonly id: string;
  readonly spec: S;
  /** Shapes of each input without the batch axis. */
  readonly inShapes: number[][];
  readonly outShape: number[];
  readonly params: Record<string, tf.Variable>;
  readonly state: Record<string, tf.Variable>;
  readonly numClasses: number;
}

export interface LayerImpl<S extends LayerSpecBase = LayerSpecBase> {
  readonly type: S['type'];
  /** How many inputs the layer takes: a number, or 'many' (at least one). Default 1. */
  readonly arity?: number | 'many';
  /**
   * Checks the spec against the input shapes (throw an Error naming `ctx.id` and the problem), creates
   * variables through `ctx`, and returns the output shape (without the batch axis).
   */
  build(ctx: LayerBuildContext, spec: S, inShapes: number[][]): number[];
  /** Forward pass on batched inputs ([B, ...inShapes[i]]). Called inside a tidy by the network. */
  apply(layer: BuiltLayer<S>, inputs: tf.Tensor[], opts: ApplyOptions): tf.Tensor;
}

const REGISTRY = new Map<string, LayerImpl>();

/** Adds a layer type; a second registration of the same type is an error (names must stay unique). */
export function registerLayer<S extends LayerSpecBase>(impl: LayerImpl<S>): void {
  if (REGISTRY.has(impl.type)) throw new Error(`layer type '${impl.type}' is already registered`);
  REGISTRY.set(impl.type, impl as unknown as LayerImpl);
}

export function getLayer(type: string): LayerImpl {
  const impl = REGISTRY.get(type);
  if (!impl) throw new Error(`unknown layer type '${type}'; known: ${[...REGISTRY.keys()].sort().join(', ')}`);
  return impl;
}

export function layerTypes(): string[] {
  return [...REGISTRY.keys()].sort();
}

/** Elements of one sample of the given shape. */
export const shapeSize = (shape: readonly number[]): number => shape.reduce((a, b) => a * b, 1);
