/**
 * Networks as data: a Network is built from a JSON-serializable graph of named nodes (any number of named
 * inputs and outputs, plus named taps on intermediate features), so the same spec rebuilds it for EMA
 * copies, checkpoints, and in the browser from an exported model. A plain layer list
 * (`{ inputShape, layers }`) is shorthand for a sequential graph. Every variable is owned, named and
 * ordered (node order, then the layer's own order) for exact checkpoints; variable names carry a scope so
 * several trainers can live in one process (TF.js variable names are global).
 */
import * as tf from '@tensorflow/tfjs-core';
import { Rng } from '../core/rng.ts';
import { getLayer, shapeSize, type ApplyOptions as LayerApplyOptions, type BuiltLayer, type LayerBuildContext, type LayerSpecBase } from './layer_api.ts';
import type { BasicLayerSpec } from './layers_basic.ts';
import './layers.ts';

export type { Activation } from './layers_basic.ts';

/** A layer's JSON spec. The basic types are typed; others (see layerTypes()) are checked when built. */
export type LayerSpec = BasicLayerSpec | (LayerSpecBase & Record<string, unknown>);

export interface InputSpec {
  /** Shape of one sample without the batch axis: [100] for a latent, [28, 28, 1] for an image, [] for a label. */
  shape: number[];
  dtype?: 'float32' | 'int32';
}

/** One node: a layer applied to earlier nodes or inputs (default: the node before it, or the first input). */
export interface NodeSpec {
  name: string;
  layer: LayerSpec;
  inputs?: string[];
}

export interface GraphSpec {
  inputs: Record<string, InputSpec>;
  nodes: NodeSpec[];
  /** Node (or input) names exposed as outputs; the first is the network's primary output. */
  outputs: string[];
  /** Named intermediate features (e.g. for perceptual losses and feature matching): tap name → node. */
  taps?: Record<string, string>;
  /** Number of classes of integer label inputs ('concatLabel', 'projectLabel'); 0 when unconditional. */
  numClasses?: number;
  /** Initial weights: N(0, initStd) when set (DCGAN's 0.02), else He-uniform scaled by fan-in. */
  initStd?: number;
}

/** Shorthand for a sequential graph: one input `x` (plus `label` when a layer needs it), one output. */
export interface SequentialSpec {
  inputShape: number[];
  layers: LayerSpec[];
  numClasses?: number;
  initStd?: number;
}

export type NetworkSpec = GraphSpec | SequentialSpec;

export interface ApplyOptions extends LayerApplyOptions {
  /** Integer class labels [B]: the `label` input, for the single-input apply() form. */
  labels?: tf.Tensor1D;
}

const LABEL_LAYERS = new Set(['concatLabel', 'projectLabel']);
const NAME = /^[A-Za-z0-9_][A-Za-z0-9_.]*$/;

export function isSequentialSpec(spec: NetworkSpec): spec is SequentialSpec {
  return Array.isArray((spec as SequentialSpec).layers);
}

/**
 * The graph a spec stands for. A sequential spec's nodes are named `${i}_${type}` (so variable names are
 * `G/3_conv2d/kernel`, as before graphs existed), label layers read the `label` input.
 */
export function toGraph(spec: NetworkSpec): GraphSpec {
  if (!isSequentialSpec(spec)) return spec;
  const needsLabel = spec.layers.some((l) => LABEL_LAYERS.has(l.type));
  const inputs: Record<string, InputSpec> = { x: { shape: spec.inputShape } };
  if (needsLabel) inputs.label = { shape: [], dtype: 'int32' };
  let prev = 'x';
  const nodes = spec.layers.map((layer, i): NodeSpec => {
    const name = `${i}_${layer.type}`;
    const node = { name, layer, inputs: LABEL_LAYERS.has(layer.type) ? [prev, 'label'] : [prev] };
    prev = name;
    return node;
  });
  return { inputs, nodes, outputs: [prev], numClasses: spec.numClasses, initStd: spec.initStd };
}

interface BuiltNode {
  node: NodeSpec;
  layer: BuiltLayer;
  inputs: string[];
}

function uniqueVariableName(name: string): string {
  const taken = (n: string) => tf.engine().registeredVariables[n] !== undefined;
  if (!taken(name)) return name;
  throw new Error(`variable name ${name} is already in use: give each trainer or network its own scope`);
}

export interface NetworkOptions {
  /** Prefix of every variable name (e.g. a trainer's `t3/`), so networks of several trainers coexist. */
  scope?: string;
}

export class Network {
  readonly graph: GraphSpec;
  readonly nodes: BuiltNode[] = [];
  /** Trainable variables in a fixed order (node order, then each layer's own order). */
  readonly trainable: tf.Variable[] = [];
  /** Non-trainable state: batch-norm running statistics, spectral-norm power-iteration vectors. */
  readonly state: tf.Variable[] = [];
  /** Shape (without batch) of every node and input. */
  readonly shapes: Record<string, number[]> = {};
  readonly scope: string;
  private readonly keyOf = new Map<tf.Variable, string>();

  constructor(readonly name: string, readonly spec: NetworkSpec, rng: Rng, opts: NetworkOptions = {}) {
    this.scope = opts.scope ?? '';
    const graph = toGraph(spec);
    this.graph = graph;
    const numClasses = graph.numClasses ?? 0;
    const inputNames = Object.keys(graph.inputs);
    if (inputNames.length === 0) throw new Error(`network ${name}: a graph needs at least one input`);
    for (const [n, s] of Object.entries(graph.inputs)) {
      if (!NAME.test(n)) throw new Error(`network ${name}: invalid input name '${n}'`);
      this.shapes[n] = s.shape.slice();
    }
    let prev = inputNames[0]!;
    for (const node of graph.nodes) {
      if (!NAME.test(node.name)) throw new Error(`network ${name}: invalid node name '${node.name}'`);
      if (this.shapes[node.name]) throw new Error(`network ${name}: duplicate node or input name '${node.name}'`);
      const inputs = node.inputs ?? [prev];
      for (const ref of inputs) {
        // Nodes may only read inputs and earlier nodes, so a graph can have no cycles.
        if (!this.shapes[ref]) throw new Error(`network ${name}: node '${node.name}' reads '${ref}', which is not an input or an earlier node`);
      }
      const impl = getLayer(node.layer.type);
      const arity = impl.arity ?? 1;
      if (arity === 'many' ? inputs.length < 1 : inputs.length !== arity) {
        throw new Error(`network ${name}: node '${node.name}' (${node.layer.type}) takes ${arity === 'many' ? 'one or more' : arity} input(s), got ${inputs.length}`);
      }
      const layer = this.buildLayer(node, inputs.map((r) => this.shapes[r]!), rng, numClasses, graph.initStd);
      this.nodes.push({ node, layer, inputs });
      this.shapes[node.name] = layer.outShape;
      prev = node.name;
    }
    if (graph.outputs.length === 0) throw new Error(`network ${name}: a graph needs at least one output`);
    for (const ref of [...graph.outputs, ...Object.values(graph.taps ?? {})]) {
      if (!this.shapes[ref]) throw new Error(`network ${name}: output or tap '${ref}' is not a node or an input`);
    }
  }

  private buildLayer(node: NodeSpec, inShapes: number[][], rng: Rng, numClasses: number, initStd: number | undefined): BuiltLayer {
    const id = `${this.name}/${node.name}`;
    const params: Record<string, tf.Variable> = {};
    const state: Record<string, tf.Variable> = {};
    const make = (n: string, t: tf.Tensor, trainable: boolean) => {
      const key = `${id}/${n}`;
      const variable = tf.variable(t, trainable, uniqueVariableName(`${this.scope}${key}`));
      t.dispose();
      this.keyOf.set(variable, key);
      (trainable ? params : state)[n] = variable;
      (trainable ? this.trainable : this.state).push(variable);
      return variable;
    };
    const ctx: LayerBuildContext = {
      id,
      rng,
      numClasses,
      param: (n, t) => make(n, t, true),
      state: (n, t) => make(n, t, false),
      initWeights: (shape, fanIn) => {
        if (initStd !== undefined) return tf.tensor(rng.normalArray(shapeSize(shape), 0, initStd), shape);
        const limit = Math.sqrt(6 / fanIn);
        return tf.tensor(rng.uniformArray(shapeSize(shape), -limit, limit), shape);
      },
    };
    const outShape = getLayer(node.layer.type).build(ctx, node.layer, inShapes);
    return { id, spec: node.layer, inShapes, outShape, params, state, numClasses };
  }

  /** Input names in declaration order; the first is the primary input. */
  get inputNames(): string[] {
    return Object.keys(this.graph.inputs);
  }

  /** The primary output's shape, without the batch axis. */
  get outputShape(): number[] {
    return this.shapes[this.graph.outputs[0]!]!;
  }

  /** Sequential-era view: every node's built layer in order. */
  get layers(): BuiltLayer[] {
    return this.nodes.map((n) => n.layer);
  }

  /** All variables, trainable then state. */
  variables(): tf.Variable[] {
    return [...this.trainable, ...this.state];
  }

  /** A variable's name without the scope (`G/0_dense/kernel`): the key checkpoints and exports use. */
  keyOfVariable(v: tf.Variable): string {
    const k = this.keyOf.get(v);
    if (k === undefined) throw new Error(`variable ${v.name} does not belong to network ${this.name}`);
    return k;
  }

  /**
   * Runs the graph and returns the requested outputs and taps (default: every output). Inputs are keyed by
   * name; a tensor alone is the primary input, with `opts.labels` as the `label` input. A key that names a
   * node feeds that node's value instead of computing it (nor what only it needs): text-to-image feeds its
   * frozen text embedding, or an interpolation of two, past the encoder part of the generator.
   */
  run(inputs: tf.Tensor | Record<string, tf.Tensor | undefined>, opts: ApplyOptions, want?: string[]): Record<string, tf.Tensor> {
    const feeds = inputs instanceof tf.Tensor ? { [this.inputNames[0]!]: inputs, label: opts.labels } : inputs;
    const wanted = want ?? this.graph.outputs;
    const refs = wanted.map((w) => this.graph.taps?.[w] ?? w);
    return tf.tidy(() => {
      const values: Record<string, tf.Tensor | undefined> = {};
      for (const n of this.inputNames) values[n] = feeds[n];
      const fed = new Set(this.nodes.map((b) => b.node.name).filter((n) => feeds[n] !== undefined));
      for (const n of fed) values[n] = feeds[n];
      const needed = this.neededNodes(refs, fed);
      for (const b of this.nodes) {
        if (!needed.has(b.node.name) || fed.has(b.node.name)) continue;
        const args = b.inputs.map((r) => {
          const v = values[r];
          if (v === undefined && this.graph.inputs[r]) {
            if (r === 'label') return undefined; // the label layers say "labels are required"
            throw new Error(`network ${this.name}: input '${r}' is required`);
          }
          return v;
        });
        values[b.node.name] = getLayer(b.layer.spec.type).apply(b.layer, args as tf.Tensor[], opts);
      }
      const out: Record<string, tf.Tensor> = {};
      wanted.forEach((w, i) => {
        const v = values[refs[i]!];
        if (!v) throw new Error(`network ${this.name}: '${w}' is not an output, tap or node`);
        out[w] = v;
      });
      return out;
    });
  }

  /** The primary output. */
  apply(inputs: tf.Tensor | Record<string, tf.Tensor | undefined>, opts: ApplyOptions): tf.Tensor {
    const first = this.graph.outputs[0]!;
    return this.run(inputs, opts, [first])[first]!;
  }

  private neededNodes(refs: string[], fed: Set<string>): Set<string> {
    const needed = new Set<string>();
    const byName = new Map(this.nodes.map((b) => [b.node.name, b]));
    const stack = [...refs];
    while (stack.length) {
      const r = stack.pop()!;
      if (needed.has(r)) continue;
      const b = byName.get(r);
      if (!b) continue;
      needed.add(r);
      if (!fed.has(r)) stack.push(...b.inputs);
    }
    return needed;
  }

  /** Copies every variable's value from another network built from the same spec. */
  copyFrom(other: Network): void {
    const src = other.variables();
    this.variables().forEach((v, i) => v.assign(src[i]!));
  }

  dispose(): void {
    for (const v of this.variables()) v.dispose();
  }

  paramCount(): number {
    return this.trainable.reduce((n, v) => n + v.size, 0);
  }
}
