/**
 * Which part of a trained recipe `ssl export` and `ssl embed` take: an "encoder" is a chain of
 * networks that raw data passes through, read at one stage of the last of them, the same thing a
 * probe reads (IR `FeatureRef`). Its output per example is a vector: per-token outputs [T, D] are
 * averaged over tokens, anything else flattened (as `TrainingGraph.features` does for probes).
 */
import type { FeatureRef, GraphNode, IR, Network } from '../../compiler/ir.js';

/** A user-facing problem with the run folder or the options (the CLI prints the message, exit 1). */
export class ExportError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ExportError';
  }
}

export interface EncoderRef extends FeatureRef {
  /** Shape of one raw input example, the first network's input: [H, W, C] images, [T, C] sequences. */
  inputShape: number[];
  /** How the encoder was chosen, for the export's README ('the probes' features', '--network projector'). */
  origin: string;
}

/**
 * The encoder to export or embed with. Without `network`: what the recipe's probes read (the first
 * probe's features; probes of one recipe normally agree), or else the network applied to the
 * training data. With `network`: that network's last stage, fed by the networks in front of it in
 * the training graph (`--network projector` gives encoder -> projector, as a probe `of: projector`).
 */
export function resolveEncoder(ir: IR, network?: string): EncoderRef {
  if (network === undefined) {
    const probe = ir.probes[0];
    if (probe) return withInput(ir, probe.features, `the features the recipe's probes read (${describe(probe.features)})`);
    const backbone = firstNetworkOnData(ir);
    if (!backbone) throw new ExportError(`recipe '${ir.recipe}' applies no network to its data, so there is no encoder to take`);
    return withInput(ir, lastStageRef(ir, backbone), `the network applied to the training data ('${backbone}')`);
  }
  const teacher = ir.teachers?.[network];
  if (teacher) {
    throw new ExportError(
      `'${network}' is a teacher (an EMA copy of '${teacher.of}'); the run folder keeps the weights of the trained networks only, choose --network ${teacher.of}`,
    );
  }
  if (!ir.networks[network]) {
    const names = Object.keys(ir.networks);
    const close = closest(network, names);
    throw new ExportError(
      `recipe '${ir.recipe}' has no network '${network}'${close ? ` (did you mean '${close}'?)` : ''}; its networks are ${names.map((n) => `'${n}'`).join(', ')}`,
    );
  }
  const probed = ir.probes.find((p) => p.features.network === network && p.features.stage === ir.networks[network]!.stages.length - 1);
  return withInput(ir, probed?.features ?? lastStageRef(ir, network), `network '${network}' with the networks that feed it (--network ${network})`);
}

function describe(ref: FeatureRef): string {
  return `${ref.chain.join(' -> ')}, stage ${ref.stage}`;
}

function withInput(ir: IR, ref: FeatureRef, origin: string): EncoderRef {
  for (const name of ref.chain) {
    if (!ir.networks[name]) {
      throw new ExportError(
        ir.teachers?.[name]
          ? `the encoder runs through teacher '${name}', whose weights the run folder does not keep`
          : `the encoder runs through network '${name}', which the run's IR does not define`,
      );
    }
  }
  const first = ir.networks[ref.chain[0]!]!;
  return { ...ref, chain: [...ref.chain], inputShape: [...first.inputShape], origin };
}

/** The whole network `name` with the chain that feeds it, as a FeatureRef. */
function lastStageRef(ir: IR, name: string): FeatureRef {
  const net = ir.networks[name]!;
  const stage = net.stages.length - 1;
  return { network: name, stage, dim: featureDim(net, stage), chain: networkChain(ir.graph.nodes, name, ir) };
}

/** Features per example of `stage`: D for per-token [T, D] outputs (averaged over tokens), else the flattened size. */
export function featureDim(net: Network, stage: number): number {
  const out = net.stages[stage]!.outputShape;
  return out.length === 2 ? out[1]! : out.reduce((a, b) => a * b, 1);
}

/**
 * The networks between raw data and `name` in the training graph, innermost first, ending with
 * `name` (a teacher application counts as its student, whose weights it copies).
 */
export function networkChain(nodes: readonly GraphNode[], name: string, ir: Pick<IR, 'teachers'>): string[] {
  const byId = new Map(nodes.map((n) => [n.id, n]));
  const start = nodes.find((n) => n.kind === 'apply' && n.network === name);
  if (!start) return [name];
  const chain: string[] = [];
  let node: GraphNode | undefined = start;
  while (node && node.kind !== 'batch') {
    if (node.kind === 'apply') chain.unshift(ir.teachers?.[node.network]?.of ?? node.network);
    node = 'input' in node ? byId.get(node.input) : undefined;
  }
  return chain;
}

/** The first trained network applied directly to a view or a batch (the backbone). */
function firstNetworkOnData(ir: IR): string | undefined {
  const byId = new Map(ir.graph.nodes.map((n) => [n.id, n]));
  for (const node of ir.graph.nodes) {
    if (node.kind !== 'apply') continue;
    const input = byId.get(node.input)?.kind;
    if (input === 'view' || input === 'batch') return ir.teachers?.[node.network]?.of ?? node.network;
  }
  return undefined;
}

/** The candidate within edit distance 2 (or a third of the name) of `name`, if any. */
export function closest(name: string, candidates: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Math.max(2, Math.floor(name.length / 3)) + 1;
  for (const c of candidates) {
    const d = editDistance(name, c);
    if (d < bestDistance) {
      best = c;
      bestDistance = d;
    }
  }
  return best;
}

function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let diagonal = row[0]!;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const above = row[j]!;
      row[j] = Math.min(row[j]! + 1, row[j - 1]! + 1, diagonal + (a[i - 1] === b[j - 1] ? 0 : 1));
      diagonal = above;
    }
  }
  return row[b.length]!;
}
