/**
 * Probes: each `probe` statement's data (`fit` defaults to the training data's train split) and the
 * representation it reads, checked against the raw probe data the runtime will feed it.
 */
import type * as A from '../ast.js';
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
      // The training data's train split (a source without splits is its own fit data).
      fit = this.session.dataSources.trainSplitOf(train, call.span);
      if (!fit) return;
    }
    const features = this.probeFeatures(call, on);
    if (!features) return;
    if (fit.numClasses !== on.numClasses && on.numClasses >= 2) {
      this.error(
        Codes.dataClassMismatch,
        `the probe is fitted on ${fit.numClasses} classes (${fit.dataset} ${fit.split}) but reports on ${on.numClasses} (${on.dataset} ${on.split}); the class ids must mean the same in both`,
        call.span,
        fit.dataset === 'csv' || on.dataset === 'csv' ? 'give both csv(...) calls the same `classes:`' : 'fit and report on splits of the same dataset',
      );
      return;
    }
    const params: Record<string, number> = {};
    for (const [k, v] of Object.entries(a)) if (v.t === 'number') params[k] = v.v;
    if (call.fn === 'linear') {
      const everySteps = this.onlineEverySteps(call);
      if (everySteps === null) return;
      if (everySteps !== undefined) params[ONLINE_EVERY_STEPS] = everySteps;
    }
    this.out.probes.push({ kind: call.fn as 'linear' | 'knn', fit, on, features, params, origin: stmt.span });
  }

  /**
   * `online: true`: how often (in steps) the online classifier reports on `on`; undefined for a
   * probe that is not online, null after an error. The online classifier trains on the training
   * batches' labels, so the training data must have labels.
   */
  private onlineEverySteps(call: Extract<Value, { t: 'call' }>): number | undefined | null {
    const online = call.args['online'];
    const every = call.args['every'];
    if (!(online?.t === 'bool' && online.v)) {
      if (call.spans['every']) {
        this.error(Codes.unknownParameter, '`every` sets how often an online probe reports; this probe runs once, after training', call.spans['every'], 'add `online: true`, or remove `every`');
        return null;
      }
      return undefined;
    }
    const trainName = this.out.trainingData;
    const train = trainName ? this.out.data.get(trainName) : undefined;
    if (train && train.numClasses < 2) {
      this.error(Codes.probeWithoutLabels, `an online probe learns from the training batches' labels, and '${train.dataset}' has none`, call.spans['online'] ?? call.span, 'remove `online: true`');
      return null;
    }
    if (every?.t !== 'duration') return null; // reported by the argument check
    const spe = this.out.stepsPerEpoch;
    if (every.unit === 'epochs' && spe === undefined) return null; // the broken train section is reported already
    const steps = every.unit === 'epochs' ? Math.round(every.v * spe!) : every.v;
    if (!Number.isInteger(steps) || steps < 1) {
      this.error(Codes.valueOutOfRange, `every must be at least one whole step, got ${formatDuration(every)} (= ${steps} steps)`, call.spans['every'] ?? call.span, 'e.g. `every: 1 epochs` or `every: 100 steps`');
      return null;
    }
    return steps;
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

/**
 * Key of the online probe's held-out cadence (in steps) among a checked linear probe's numeric
 * params; lowering turns it into the IR's `online: { everySteps }`.
 */
export const ONLINE_EVERY_STEPS = 'online_every_steps';

const formatDuration = (d: { v: number; unit: string }) => `${d.v} ${d.unit}`;

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
