/**
 * Probes: each `probe` statement's data (`fit` defaults to the training data's train split) and the
 * representation it reads, checked against the raw probe data the runtime will feed it.
 */
import type * as A from '../ast.js';
import { datasets } from '../builtins.js';
import { Codes } from '../codes.js';
import type { DataSource, FeatureRef, GraphNode } from '../ir.js';
import { Part } from './part.js';
import { product } from './shapes.js';
import { formatShape, type DataValue, type Value } from './values.js';

export class Probes extends Part {
  probe(stmt: A.CallStatement): void {
    const call = this.session.sections.statementCall(stmt, 'probe');
    if (!call) return;
    const a = call.args;
    const on = (a['on'] as DataValue).source;
    let fit: DataSource | undefined = a['fit']?.t === 'data' ? a['fit'].source : undefined;
    if (!fit) {
      const trainName = this.out.trainingData;
      const train = trainName ? this.out.data.get(trainName) : undefined;
      if (!train) return; // the missing training data is reported already
      const facts = datasets[train.dataset];
      fit = { ...train, split: 'train', size: train.limit ?? facts.splits.train, labelFraction: 1 };
    }
    const features = this.probeFeatures(call, on);
    if (!features) return;
    const params: Record<string, number> = {};
    for (const [k, v] of Object.entries(a)) if (v.t === 'number') params[k] = v.v;
    this.out.probes.push({ kind: call.fn as 'linear' | 'knn', fit, on, features, params, origin: stmt.span });
  }

  /** Which representation the probe reads, with the raw-input shape check. */
  private probeFeatures(call: Extract<Value, { t: 'call' }>, on: DataSource): FeatureRef | undefined {
    const of = call.args['of'];
    const nodes = this.out.nodes;
    const graph = this.session.graph;
    const byId = new Map(nodes.map((n) => [n.id, n]));
    let network: string;
    let stage: number;
    if (of?.t === 'network') {
      network = of.name;
      const stages = this.session.definitions.evalNetwork(network, call.spans['of'] ?? call.span);
      if (!stages) return undefined;
      stage = stages.length - 1;
      if (!graph.networkShapes.has(network)) {
        // Not trained by the loss (a random-weights baseline): its input is the raw probe data.
        if (!graph.networkShape(network, stages, on.shape, call.spans['of'] ?? call.span)) return undefined;
      }
    } else {
      const applies = (nodes.filter((n) => n.kind === 'apply') as Extract<GraphNode, { kind: 'apply' }>[]).filter((n) => !this.out.teachers.has(n.network));
      const backbone =
        applies.find((n) => byId.get(n.input)?.kind === 'view') ?? applies.find((n) => byId.get(n.input)?.kind === 'batch');
      if (!backbone) {
        if (this.out.lossNode !== undefined) {
          this.error(Codes.missingParameter, 'cannot tell which network to probe: no network is applied to a view in the loss', call.span, 'add `of: NETWORK`');
        }
        return undefined;
      }
      network = backbone.network;
      stage = 0;
    }
    const net = graph.networkShapes.get(network);
    if (!net) return undefined;
    // The runtime feeds raw (un-augmented) data through the chain of networks that leads to
    // `network` in the graph; the first of them must accept the probe data's shape.
    const chain = featureChain(nodes, network);
    const first = graph.networkShapes.get(chain[0] ?? network) ?? net;
    const accepts =
      first.stages[0]?.kind === 'convnet' || first.stages[0]?.kind === 'resnet'
        ? on.shape.length === 3 && on.shape[2] === first.inputShape[2]
        : product(on.shape) === product(first.inputShape);
    if (!accepts) {
      this.error(
        Codes.shapeMismatch,
        `the probe feeds raw ${formatShape(on.shape)} examples to network '${first.name}', which was built for ${formatShape(first.inputShape)} inputs`,
        call.span,
        'crop views to the data size, or probe a network that takes the raw data',
        [{ message: `'${first.name}' is first applied here`, span: first.firstUse }],
      );
      return undefined;
    }
    const out = net.stages[stage]!.outputShape;
    if (on.numClasses < 2) {
      this.error(Codes.probeWithoutLabels, `the probe reports accuracy on '${on.dataset}', which has no class labels`, call.span, 'probe data with labels, or remove the probe');
      return undefined;
    }
    // Per-token outputs [T, D] are averaged over tokens by the runtime, so the probe sees D features.
    return { network, stage, dim: out.length === 2 ? out[1]! : product(out), chain };
  }
}

/** The networks between raw data and `network` (as the runtime walks them), outermost last. */
export function featureChain(nodes: readonly GraphNode[], network: string): string[] {
  const byId = new Map(nodes.map((n) => [n.id, n]));
  const start = nodes.find((n) => n.kind === 'apply' && n.network === network);
  if (!start) return [network];
  const chain: string[] = [];
  let node: GraphNode | undefined = start;
  while (node && node.kind !== 'batch') {
    if (node.kind === 'apply') chain.unshift(node.network);
    node = 'input' in node ? byId.get(node.input) : undefined;
  }
  return chain;
}
