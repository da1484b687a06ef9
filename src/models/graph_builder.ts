/** Building a graph spec node by node: each node reads the previous one unless it names its inputs. */
import type { LayerSpec, NodeSpec } from './network.ts';

export interface NodeChain {
  readonly nodes: NodeSpec[];
  /** Appends a node (default name `${index}_${type}`) and returns its name. */
  push(layer: LayerSpec, name?: string, inputs?: string[]): string;
  /** The name of the last node (or the start). */
  last(): string;
}

export function chain(start: string): NodeChain {
  const nodes: NodeSpec[] = [];
  let last = start;
  return {
    nodes,
    push(layer, name = `${nodes.length}_${layer.type}`, inputs = [last]) {
      nodes.push({ name, layer, inputs });
      last = name;
      return name;
    },
    last: () => last,
  };
}
