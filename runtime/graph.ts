/**
 * Lowers the IR's training graph onto TF.js: networks become modules with variables, views become
 * batched augmentation functions, and the loss DAG becomes one function the trainer differentiates.
 *
 * The graph is evaluated in two halves so the gradient tape holds only what needs gradients:
 * `sampleInputs` draws every data-only node (training batches and their augmented views) outside
 * the tape, and `loss` evaluates the network applications and loss terms inside it.
 */
import type { GraphNode, IR, LossFn } from '../compiler/ir.js';
import { tf } from './tf.js';
import type { Rng } from './util/rng.js';
import { compileView } from './augment/index.js';
import { createNetwork, type NetworkModule } from './nn/index.js';
import { ntXent } from './losses/nt-xent.js';

type LossImpl = (inputs: tf.Tensor[], params: Record<string, number>) => tf.Scalar;

/** The loss functions the IR may name. A method adds a row here, never a trainer. */
const LOSSES: Record<LossFn, LossImpl> = {
  nt_xent: ([a, b], p) => ntXent(a as tf.Tensor2D, b as tf.Tensor2D, p.temperature),
};

/** Data-only node values for one step: the batches and their augmented views, keyed by node id. */
export type SampledInputs = Map<number, tf.Tensor>;

export class TrainingGraph {
  readonly networks: Map<string, NetworkModule>;
  private readonly views: Map<string, (x: tf.Tensor4D) => tf.Tensor4D>;
  private readonly nodes: GraphNode[];

  constructor(private readonly ir: IR, rng: Rng) {
    this.nodes = [...ir.graph.nodes].sort((a, b) => a.id - b.id);
    this.networks = new Map();
    for (const [name, net] of Object.entries(ir.networks)) this.networks.set(name, createNetwork(net, rng.fork()));
    this.views = new Map();
    for (const [name, view] of Object.entries(ir.views)) this.views.set(name, compileView(view, rng.fork()));
  }

  get trainableVariables(): tf.Variable[] {
    return [...this.networks.values()].flatMap((m) => m.trainable);
  }

  /** Every trainable variable with whether it is a bias or norm parameter (LARS skips those). */
  optimizerParams(): { variable: tf.Variable; isBiasOrNorm: boolean }[] {
    return [...this.networks.values()].flatMap((m) => m.trainable.map((variable) => ({ variable, isBiasOrNorm: m.isBiasOrNorm(variable) })));
  }

  /** Parameters per network, for the run header. */
  parameterCounts(): Record<string, number> {
    return Object.fromEntries([...this.networks.entries()].map(([name, m]) => [name, m.paramCount]));
  }

  /**
   * Draws every node that does not depend on weights: `batch` nodes take the given batch of their
   * data source, `view` nodes draw fresh augmentations. Returned tensors belong to the caller.
   */
  sampleInputs(batches: Record<string, tf.Tensor4D>): SampledInputs {
    const values: SampledInputs = new Map();
    for (const node of this.nodes) {
      if (node.kind === 'batch') {
        const batch = batches[node.data];
        if (!batch) throw new Error(`no batch was given for data source '${node.data}'`);
        values.set(node.id, batch);
      } else if (node.kind === 'view') {
        const input = values.get(node.input);
        const view = this.views.get(node.view);
        if (!input || !view) continue; // depends on a network: not data-only
        values.set(node.id, view(input as tf.Tensor4D));
      }
    }
    return values;
  }

  /** The scalar loss; call inside `tf.variableGrads` (network applications are taped there). */
  loss(inputs: SampledInputs, training = true): tf.Scalar {
    const values = new Map(inputs);
    for (const node of this.nodes) {
      if (values.has(node.id)) continue;
      values.set(node.id, this.evaluate(node, values, training));
    }
    return values.get(this.ir.graph.loss) as tf.Scalar;
  }

  private evaluate(node: GraphNode, values: Map<number, tf.Tensor>, training: boolean): tf.Tensor {
    const input = (id: number): tf.Tensor => {
      const value = values.get(id);
      if (!value) throw new Error(`graph node ${node.id} reads node ${id}, which has no value`);
      return value;
    };
    switch (node.kind) {
      case 'batch':
        throw new Error(`data source '${node.data}' was not sampled`);
      case 'view':
        return this.views.get(node.view)!(input(node.input) as tf.Tensor4D);
      case 'apply': {
        const outputs = this.networks.get(node.network)!.apply(input(node.input), training);
        return outputs[outputs.length - 1];
      }
      case 'loss':
        return LOSSES[node.fn](node.inputs.map(input), node.params);
      case 'sum':
        return tf.addN(node.inputs.map((id, i) => tf.mul(input(id), node.weights[i]))) as tf.Scalar;
    }
  }

  /** Features of raw data x through `chain`, taking stage `stage` of the last network. Eval mode. */
  features(x: tf.Tensor, chain: string[], stage: number): tf.Tensor2D {
    return tf.tidy(() => {
      let h = x;
      chain.forEach((name, i) => {
        const outputs = this.networks.get(name)!.apply(h, false);
        h = i === chain.length - 1 ? outputs[stage] : outputs[outputs.length - 1];
      });
      return tf.reshape(h, [h.shape[0], -1]) as tf.Tensor2D;
    });
  }

  dispose(): void {
    for (const m of this.networks.values()) m.dispose();
  }
}
