/**
 * `ssl explain`: what a compiled recipe will do, read off the IR alone — the lowered graph as a
 * tree rooted at the loss, parameters per network and stage, a FLOP and activation-memory
 * estimate per training step, which views feed which loss term, and the training setup.
 *
 * Pure and static: never imports TensorFlow.js or the runtime (test/architecture.test.ts), so it
 * runs in milliseconds like `ssl check`. `explain(ir)` returns plain JSON data (`ssl explain
 * --json` prints it); `renderExplanation` turns it into text.
 *
 * Parameter counts follow the runtime's builders (runtime/nn): every conv / dense layer has a
 * bias, a batch or layer norm adds gamma and beta (2 per channel; running statistics are state,
 * not parameters). `stageParameters(stage)` is exported so a runtime test can assert it equals
 * `createNetwork(...).paramCount` stage by stage.
 *
 * Accepts IR version 1 as well (loss inputs as a plain list, no teachers, no term names), so it
 * keeps working while the compiler is being widened.
 */
import type { AugOp, DataSource, GraphNode, IR, MaskSpec, Network, Optimizer, Probe, Ramp, Scalar, Schedule, Stage } from './ir.js';

// ---------------------------------------------------------------------------------------------
// The explanation (plain data)

export interface Explanation {
  recipe: string;
  source: string;
  header: Header;
  /** The lowered graph, rooted at `graph.loss`; a node reached a second time is a reference. */
  tree: TreeNode;
  parameters: ParameterReport;
  compute: ComputeReport;
  /** One row per loss term: the views (and data sources) it reads, walking back from its node. */
  terms: TermRow[];
}

export interface Header {
  recipe: string;
  /** Every data source; `training` marks the one training batches come from. */
  data: { name: string; summary: string; training: boolean }[];
  trainingData: string;
  batch: number;
  epochs: number;
  seed: number;
  stepsPerEpoch: number;
  totalSteps: number;
  optimizer: { kind: Optimizer['kind']; lr: number; summary: string };
  schedule: { kind: Schedule['kind']; summary: string };
  probes: { kind: Probe['kind']; summary: string }[];
}

export interface TreeNode {
  id: number;
  kind: GraphNode['kind'];
  /** The parameter of the parent this node feeds ('a', 'prediction', 'student[1]', 'mask', 'x 0.5'), or null. */
  role: string | null;
  /** e.g. 'loss nt_xent', 'apply encoder', 'view aug', 'batch train'. */
  label: string;
  /** Options and marks: loss params, teacher / no-grad marks, mask, layers, view ops, data source. */
  notes: string[];
  /** Per-example output shape; [] for scalars. */
  shape: number[];
  /** True for an apply node that gets gradients (its network is trained through it). */
  grad: boolean;
  /** Set when this node was already printed above: it is not expanded again (`-> see #id`). */
  seeAbove: boolean;
  inputs: TreeNode[];
}

export interface StageReport {
  index: number;
  kind: Stage['kind'];
  summary: string;
  inputShape: number[];
  outputShape: number[];
  parameters: number;
  /** Forward multiply-adds for one example. */
  macsPerExample: number;
}

export interface NetworkReport {
  name: string;
  inputShape: number[];
  outputShape: number[];
  parameters: number;
  stages: StageReport[];
}

export interface TeacherReport {
  name: string;
  of: string;
  momentum: string;
  /** Same as its network's; these are moved by EMA, never by gradients. */
  parameters: number;
}

export interface ParameterReport {
  networks: NetworkReport[];
  teachers: TeacherReport[];
  /** Sum over networks (trained by the optimizer). */
  trainable: number;
  /** Sum over teachers (EMA copies). */
  teacher: number;
}

export interface ApplicationCost {
  node: number;
  /** The applied name: a network or a teacher. */
  network: string;
  teacher: boolean;
  /** Gets gradients: its forward is counted x3 for training and its activations are stored. */
  grad: boolean;
  macsPerExample: number;
  /** float32 values stored for backward per example (0 without gradients). */
  storedPerExample: number;
}

export interface ComputeReport {
  batch: number;
  applications: ApplicationCost[];
  /** Forward pass of every application, 2 FLOPs per multiply-add, whole batch. */
  forwardGflops: number;
  /** Forward x3 where gradients flow, x1 elsewhere. */
  trainingGflops: number;
  /** float32 activations stored for backward per step, in MB (10^6 bytes). */
  activationMB: number;
  /** The estimate's rules, in words. */
  rules: string[];
}

export interface TermRow {
  /** The term's name (as logged). */
  term: string;
  node: number;
  fn: string;
  /** Views reached walking back from the term, in order of first appearance. */
  views: { view: string; node: number }[];
  /** The same, per input parameter of the loss ('a', 'b', 'student', ...). */
  byInput: { input: string; views: { view: string; node: number }[]; raw: string[] }[];
  /** Data sources reached (through views or directly). */
  data: string[];
  /** Data sources reached without a view in between (e.g. a masked-reconstruction target). */
  raw: string[];
}

export const RULES = {
  flops:
    'FLOPs: forward multiply-adds per example of every network application in the graph (conv: H_out*W_out*k*k*Cin*Cout; ' +
    'dense: din*dout per token; attention block: 4*T*dim^2 + 2*T^2*dim + 2*T*dim*h; each application at its input\'s size), ' +
    'times the batch, 2 FLOPs per multiply-add. ' +
    'Training = forward x3 (forward + backward) for applications that get gradients, x1 for teacher and no-grad (stopgrad-only) forwards. ' +
    'Norms, activations, pooling, augmentations, losses and the optimizer update are not counted.',
  memory:
    'Activation memory: float32 (4 bytes) outputs of every layer (conv / dense / norm / activation / attention scores / residual sums) ' +
    'of applications that get gradients, times the batch; teacher and no-grad forwards store nothing; network inputs, ' +
    'weights, gradients and optimizer state are not counted. MB = 10^6 bytes.',
} as const;

// ---------------------------------------------------------------------------------------------
// Per-stage counts, from the shapes, as the runtime builds the layers

interface LayerCount {
  params: number;
  macs: number;
  /** float32 values of the outputs stored for backward, per example. */
  stored: number;
}

const prod = (xs: number[]) => xs.reduce((a, b) => a * b, 1);
const normParams = (norm: string, channels: number) => (norm === 'none' ? 0 : 2 * channels);
const hasNorm = (norm: string) => (norm === 'none' ? 0 : 1);

function stageCount(stage: Stage): LayerCount {
  const total: LayerCount = { params: 0, macs: 0, stored: 0 };
  const add = (params: number, macs: number, stored: number) => {
    total.params += params;
    total.macs += macs;
    total.stored += stored;
  };
  switch (stage.kind) {
    case 'convnet': {
      // conv (k x k, stride s, 'same': H -> ceil(H / s)) + bias, [norm], activation; global mean pool.
      let [h, w, cin] = [stage.inputShape[0] ?? 1, stage.inputShape[1] ?? 1, stage.inputShape[2] ?? 1];
      const k = stage.kernel;
      for (const cout of stage.channels) {
        h = Math.ceil(h / stage.stride);
        w = Math.ceil(w / stage.stride);
        add(k * k * cin * cout + cout + normParams(stage.norm, cout), h * w * k * k * cin * cout, h * w * cout * (2 + hasNorm(stage.norm)));
        cin = cout;
      }
      add(0, 0, cin);
      break;
    }
    case 'conv1d': {
      let [t, cin] = [stage.inputShape[0] ?? 1, stage.inputShape[1] ?? 1];
      const k = stage.kernel;
      for (const cout of stage.channels) {
        t = Math.ceil(t / stage.stride);
        add(k * cin * cout + cout + normParams(stage.norm, cout), t * k * cin * cout, t * cout * (2 + hasNorm(stage.norm)));
        cin = cout;
      }
      if (stage.pool === 'mean') add(0, 0, cin);
      break;
    }
    case 'resnet': {
      // Stem: 3x3 conv (stride 1) + bias, [norm], activation.
      let [h, w, cin] = [stage.inputShape[0] ?? 1, stage.inputShape[1] ?? 1, stage.inputShape[2] ?? 1];
      const n = hasNorm(stage.norm);
      const w0 = stage.widths[0] ?? cin;
      add(9 * cin * w0 + w0 + normParams(stage.norm, w0), h * w * 9 * cin * w0, h * w * w0 * (2 + n));
      cin = w0;
      stage.widths.forEach((width, i) => {
        for (let b = 0; b < stage.depth; b++) {
          const first = i > 0 && b === 0; // stride 2 and a 1x1 projection shortcut
          if (first) {
            h = Math.ceil(h / 2);
            w = Math.ceil(w / 2);
          }
          const hw = h * w;
          // conv1 3x3 cin -> width, [norm], act; conv2 3x3 width -> width, [norm]; + shortcut; act.
          add(9 * cin * width + width + normParams(stage.norm, width), hw * 9 * cin * width, hw * width * (2 + n));
          add(9 * width * width + width + normParams(stage.norm, width), hw * 9 * width * width, hw * width * (1 + n));
          if (first) add(cin * width + width + normParams(stage.norm, width), hw * cin * width, hw * width * (1 + n));
          add(0, 0, hw * width * 2); // residual sum, activation
          cin = width;
        }
      });
      add(0, 0, cin); // global mean pool
      break;
    }
    case 'transformer': {
      const { dim, depth, patch, heads } = stage;
      const t = stage.tokens;
      const hidden = Math.round(dim * stage.mlpRatio);
      // Image [H, W, C]: patch x patch x C per token; sequence [T, C]: patch x C.
      const channels = stage.inputShape[stage.inputShape.length - 1] ?? 1;
      const patchDim = stage.inputShape.length >= 3 ? patch * patch * channels : patch * channels;
      add(patchDim * dim + dim, t * patchDim * dim, 2 * t * dim); // patch embedding (+ position sum)
      add(t * dim + dim, 0, 0); // position embedding, mask token
      for (let b = 0; b < depth; b++) {
        const ln = 2 * dim;
        const qkv = dim * 3 * dim + 3 * dim;
        const proj = dim * dim + dim;
        const mlp = dim * hidden + hidden + hidden * dim + dim;
        add(ln + qkv + proj + ln + mlp, 4 * t * dim * dim + 2 * t * t * dim + 2 * t * dim * hidden, 10 * t * dim + 2 * heads * t * t + 2 * t * hidden);
      }
      add(2 * dim, 0, t * dim); // final layer norm
      if (stage.pool === 'mean') add(0, 0, dim);
      break;
    }
    case 'normalize':
      add(0, 0, prod(stage.outputShape));
      break;
    case 'mlp': {
      // Rank-2 input [T, D] is transformed token by token; anything else is flattened.
      const tokens = stage.inputShape.length === 2 ? stage.inputShape[0] : 1;
      let din = stage.inputShape.length === 2 ? stage.inputShape[1] : prod(stage.inputShape);
      stage.widths.forEach((dout, i) => {
        const hiddenLayer = i < stage.widths.length - 1;
        const norm = hiddenLayer ? stage.norm : 'none';
        add(din * dout + dout + normParams(norm, dout), tokens * din * dout, tokens * dout * (1 + (hiddenLayer ? 1 + hasNorm(norm) : 0)));
        din = dout;
      });
      break;
    }
    default: {
      const unknown: never = stage;
      throw new Error(`explain: unknown stage kind '${(unknown as { kind: string }).kind}'`);
    }
  }
  return total;
}

/**
 * The stage as applied to an input of `shape`: convnets and resnets (and conv1d with mean pooling)
 * pool globally, so they accept any spatial size with the right channels, and a smaller crop (a
 * multi-crop local view) costs less. Other stages are fixed to their declared input shape.
 */
function atInputShape(stage: Stage, shape: number[]): Stage {
  const same = shape.length === stage.inputShape.length && shape.every((d, i) => d === stage.inputShape[i]);
  if (same) return stage;
  const channelsMatch = shape.length === stage.inputShape.length && shape[shape.length - 1] === stage.inputShape[stage.inputShape.length - 1];
  if (!channelsMatch) return stage;
  if (stage.kind === 'convnet' || stage.kind === 'resnet' || (stage.kind === 'conv1d' && stage.pool === 'mean')) return { ...stage, inputShape: shape };
  return stage;
}

/** Trainable scalars of one stage, as the runtime builds it (runtime/nn). */
export function stageParameters(stage: Stage): number {
  return stageCount(stage).params;
}

/** Forward multiply-adds of one stage for one example. */
export function stageMacs(stage: Stage): number {
  return stageCount(stage).macs;
}

/** float32 values one stage stores for backward per example (every layer's output). */
export function stageStoredActivations(stage: Stage): number {
  return stageCount(stage).stored;
}

export function networkParameters(net: Network): number {
  return net.stages.reduce((n, s) => n + stageParameters(s), 0);
}

// ---------------------------------------------------------------------------------------------
// Formatting helpers (shared by explain and render)

/** 0.996, 1, 0.001, 1.5e-6, 2.216 (4 significant digits at most for non-integers). */
export function formatNumber(x: number): string {
  if (!Number.isFinite(x)) return String(x);
  if (Number.isInteger(x)) return String(x);
  if (Math.abs(x) < 1e-3) return x.toExponential().replace(/\.?0+e/, 'e').replace('e-0', 'e-').replace('e+', 'e');
  return String(Number(x.toPrecision(4)));
}

/** 93248 -> '93,248'. */
export function formatCount(n: number): string {
  return Math.round(n).toString().replace(/\B(?=(\d{3})+(?!\d))/g, ',');
}

export function formatShape(shape: number[]): string {
  return shape.length === 0 ? 'scalar' : `[${shape.join(', ')}]`;
}

/** `0.996 -> 1 cosine over steps 0..1170`, or the constant. */
export function formatScalar(s: Scalar): string {
  if (typeof s === 'number') return formatNumber(s);
  const r: Ramp = s;
  return `${formatNumber(r.from)} -> ${formatNumber(r.to)} ${r.shape} over steps ${r.startStep}..${r.endStep}`;
}

const range = (r: [number, number]) => `${formatNumber(r[0])}..${formatNumber(r[1])}`;

function formatOp(op: AugOp): string {
  switch (op.kind) {
    case 'random_resized_crop':
      return `random_resized_crop(${op.size}, scale ${range(op.scale)}, ratio ${range(op.ratio)})`;
    case 'random_flip':
      return `random_flip(${[op.horizontal ? 'horizontal' : '', op.vertical ? 'vertical' : ''].filter(Boolean).join(' + ') || 'none'}, p ${formatNumber(op.p)})`;
    case 'color_jitter':
      return `color_jitter(brightness ${formatNumber(op.brightness)}, contrast ${formatNumber(op.contrast)})`;
    case 'gaussian_noise':
      return `gaussian_noise(std ${formatNumber(op.std)})`;
    case 'gaussian_blur':
      return `gaussian_blur(sigma ${range(op.sigma)}, p ${formatNumber(op.p)})`;
    case 'random_apply':
      return `random_apply(${formatNumber(op.p)}, ${op.ops.map(formatOp).join(' | ')})`;
    case 'jitter':
    case 'scaling':
      return `${op.kind}(sigma ${formatNumber(op.sigma)})`;
    case 'permutation':
      return `permutation(up to ${op.maxSegments} segments)`;
    case 'time_warp':
      return `time_warp(sigma ${formatNumber(op.sigma)}, ${op.knots} knots)`;
    case 'crop':
      return `crop(window of ${op.size} steps, stretched back)`;
    case 'zero_spans':
      return `zero_spans(${formatNumber(op.ratio * 100)}% of steps in spans of ${op.span})`;
    default:
      return (op as { kind: string }).kind;
  }
}

export function formatViewOps(ops: AugOp[]): string {
  return ops.length === 0 ? 'identity' : ops.map(formatOp).join(' | ');
}

function formatData(d: DataSource): string {
  const parts = [`${d.dataset} ${d.split}`, `${formatCount(d.size)} examples${d.limit !== null ? ` (limit ${d.limit})` : ''}`, formatShape(d.shape), `${d.numClasses} classes`];
  if (d.labelFraction < 1) parts.push(`${formatNumber(d.labelFraction * 100)}% labels`);
  return parts.join(', ');
}

function formatMask(m: MaskSpec): string {
  const tokens = prod(m.grid);
  const grid = m.grid.join('x');
  const pct = `${formatNumber(m.ratio * 100)}%`;
  return m.kind === 'patches'
    ? `patches: ${pct} of ${grid} = ${tokens} tokens hidden uniformly (token ${m.patch.join('x')})`
    : `spans of ${m.span}: ${pct} of ${grid} = ${tokens} tokens hidden (token ${m.patch.join('x')})`;
}

export function formatStage(stage: Stage): string {
  const list = (xs: number[]) => `[${xs.join(', ')}]`;
  switch (stage.kind) {
    case 'convnet':
      return `convnet(channels ${list(stage.channels)}, kernel ${stage.kernel}, stride ${stage.stride}, norm ${stage.norm}, ${stage.activation})`;
    case 'conv1d':
      return `conv1d(channels ${list(stage.channels)}, kernel ${stage.kernel}, stride ${stage.stride}, norm ${stage.norm}, ${stage.activation}, pool ${stage.pool})`;
    case 'resnet':
      return `resnet(widths ${list(stage.widths)}, depth ${stage.depth}, norm ${stage.norm}, ${stage.activation})`;
    case 'transformer':
      return `transformer(patch ${stage.patch}, dim ${stage.dim}, depth ${stage.depth}, heads ${stage.heads}, mlp_ratio ${formatNumber(stage.mlpRatio)}, ${stage.tokens} tokens, pool ${stage.pool})`;
    case 'normalize':
      return 'normalize()';
    case 'mlp':
      return `mlp(${list(stage.widths)}, norm ${stage.norm}, ${stage.activation})`;
    default:
      return (stage as { kind: string }).kind;
  }
}

function formatOptimizer(o: Optimizer): string {
  switch (o.kind) {
    case 'sgd':
      return `sgd lr ${formatNumber(o.lr)}, momentum ${formatNumber(o.momentum)}${o.nesterov ? ' (nesterov)' : ''}, weight decay ${formatScalar(o.weightDecay)}`;
    case 'adam':
      return `adam lr ${formatNumber(o.lr)}, betas ${formatNumber(o.beta1)}/${formatNumber(o.beta2)}, eps ${formatNumber(o.epsilon)}, weight decay ${formatScalar(o.weightDecay)}`;
    case 'adamw':
      return `adamw lr ${formatNumber(o.lr)}, betas ${formatNumber(o.beta1)}/${formatNumber(o.beta2)}, eps ${formatNumber(o.epsilon)}, weight decay ${formatScalar(o.weightDecay)} (decoupled)`;
    case 'lars':
      return `lars lr ${formatNumber(o.lr)}, momentum ${formatNumber(o.momentum)}, weight decay ${formatScalar(o.weightDecay)}, eta ${formatNumber(o.eta)}${o.excludeBiasAndNorm ? ', biases and norms excluded' : ''}`;
    default:
      return (o as { kind: string }).kind;
  }
}

function formatSchedule(s: Schedule, lr: number): string {
  if (s.kind === 'constant') return `constant lr ${formatNumber(lr)}`;
  return `warmup_cosine: linear warmup 0 -> ${formatNumber(lr)} over ${s.warmupSteps} steps, then cosine to ${formatNumber(s.finalLr)} at step ${s.totalSteps}`;
}

function formatProbe(p: Probe): string {
  const f = p.features;
  const on = `${f.network} stage ${f.stage} (${f.dim}-d${f.chain && f.chain.length > 1 ? `, via ${f.chain.join(' -> ')}` : ''})`;
  const where = `fit ${p.fit.dataset} ${p.fit.split}${p.fit.labelFraction < 1 ? ` (${formatNumber(p.fit.labelFraction * 100)}% labels)` : ''}, report on ${p.on.dataset} ${p.on.split}`;
  if (p.kind === 'linear') return `linear on ${on}: ${where}; l2 ${formatNumber(p.l2)}, ${p.epochs} epochs`;
  const votes = p.temperature > 0 ? `votes weighted by exp(sim / ${formatNumber(p.temperature)})` : 'majority vote';
  return `knn k ${p.k} on ${on}: ${where}; ${votes}`;
}

// ---------------------------------------------------------------------------------------------
// Graph helpers (tolerant of IR v1: loss inputs as a list, no names, no teachers)

const ROLES: Record<string, string[]> = {
  nt_xent: ['a', 'b'],
  barlow_twins: ['a', 'b'],
  vicreg: ['a', 'b'],
  info_nce: ['query', 'key'],
  cosine_regress: ['prediction', 'target'],
  neg_cosine: ['prediction', 'target'],
  mse: ['prediction', 'target'],
  smooth_l1: ['prediction', 'target'],
  dino: ['student', 'teacher'],
};

type LossNode = Extract<GraphNode, { kind: 'loss' }>;

/** The loss's tensor inputs by parameter: [['a', [3]], ['b', [6]]]. */
function lossInputs(node: LossNode): [string, number[]][] {
  const inputs = node.inputs as unknown;
  if (Array.isArray(inputs)) {
    const roles = ROLES[node.fn];
    const ids = inputs as number[];
    return ids.map((id, i) => [roles && roles.length === ids.length ? roles[i] : `input ${i}`, [id]]);
  }
  return Object.entries(inputs as Record<string, number[]>).map(([k, v]) => [k, Array.isArray(v) ? v : [v as unknown as number]]);
}

const lossName = (node: LossNode) => (typeof node.name === 'string' && node.name ? node.name : node.fn);

interface Edge {
  role: string | null;
  id: number;
  /** Gradients flow back along this edge (decided by the parent). */
  grad: boolean;
}

function edgesOf(node: GraphNode, isTeacher: (name: string) => boolean): Edge[] {
  switch (node.kind) {
    case 'batch':
      return [];
    case 'view':
    case 'mask':
    case 'patchify':
      return [{ role: null, id: node.input, grad: false }];
    case 'stopgrad':
      return [{ role: null, id: node.input, grad: false }];
    case 'apply': {
      const edges: Edge[] = [{ role: null, id: node.input, grad: !isTeacher(node.network) }];
      if (node.mask !== undefined && node.mask !== null) edges.push({ role: 'mask', id: node.mask, grad: false });
      return edges;
    }
    case 'loss': {
      const edges: Edge[] = [];
      for (const [role, ids] of lossInputs(node)) ids.forEach((id, i) => edges.push({ role: ids.length > 1 ? `${role}[${i}]` : role, id, grad: true }));
      if (node.mask !== undefined && node.mask !== null) edges.push({ role: 'mask', id: node.mask, grad: false });
      return edges;
    }
    case 'sum':
      return node.inputs.map((id, i) => ({ role: `x ${formatNumber(node.weights[i] ?? 1)}`, id, grad: true }));
    default:
      return [];
  }
}

// ---------------------------------------------------------------------------------------------
// explain()

export function explain(ir: IR): Explanation {
  const teachers = ir.teachers ?? {};
  const isTeacher = (name: string) => Object.prototype.hasOwnProperty.call(teachers, name);
  const networkOf = (name: string): Network | undefined => ir.networks[isTeacher(name) ? teachers[name].of : name];
  const byId = new Map(ir.graph.nodes.map((n) => [n.id, n]));
  const node = (id: number): GraphNode => {
    const n = byId.get(id);
    if (!n) throw new Error(`explain: graph node #${id} does not exist`);
    return n;
  };

  // Nodes gradients reach: from the loss, through sums, losses and student applications; a
  // stopgrad or a teacher application ends the path.
  const grad = new Set<number>();
  const stack = [ir.graph.loss];
  while (stack.length) {
    const id = stack.pop()!;
    if (grad.has(id) || !byId.has(id)) continue;
    grad.add(id);
    for (const e of edgesOf(node(id), isTeacher)) if (e.grad) stack.push(e.id);
  }
  const applyGetsGrad = (n: GraphNode) => n.kind === 'apply' && !isTeacher(n.network) && grad.has(n.id);

  // --- tree
  const printed = new Set<number>();
  const viewShown = new Map<string, number>();
  const treeOf = (id: number, role: string | null): TreeNode => {
    const n = node(id);
    const base = { id, kind: n.kind, role, shape: n.shape ?? [], grad: applyGetsGrad(n) };
    const label = nodeLabel(n);
    if (printed.has(id)) return { ...base, label, notes: [], seeAbove: true, inputs: [] };
    printed.add(id);
    const notes = nodeNotes(n);
    const inputs = edgesOf(n, isTeacher).map((e) => treeOf(e.id, e.role));
    return { ...base, label, notes, seeAbove: false, inputs };
  };
  const nodeLabel = (n: GraphNode): string => {
    switch (n.kind) {
      case 'loss': {
        const name = lossName(n);
        return `loss ${n.fn}${name !== n.fn ? ` "${name}"` : ''}`;
      }
      case 'apply':
        return `apply ${n.network}`;
      case 'view':
        return `view ${n.view}`;
      case 'batch':
        return `batch ${n.data}`;
      case 'mask':
        return `mask ${n.mask.kind}`;
      case 'patchify':
        return `patchify ${n.patch}`;
      case 'stopgrad':
        return 'stopgrad';
      case 'sum':
        return 'sum';
      default:
        return (n as { kind: string }).kind;
    }
  };
  const nodeNotes = (n: GraphNode): string[] => {
    switch (n.kind) {
      case 'loss':
        return Object.entries(n.params ?? {}).map(([k, v]) => `${k} ${formatScalar(v)}`);
      case 'sum':
        return [n.inputs.map((id, i) => `${formatNumber(n.weights[i] ?? 1)} x #${id}`).join(' + ')];
      case 'apply': {
        const notes: string[] = [];
        if (isTeacher(n.network)) {
          const t = teachers[n.network];
          notes.push(`teacher: EMA of ${t.of}, momentum ${formatScalar(t.momentum)}`, 'no grad');
        } else if (!grad.has(n.id)) {
          notes.push('no grad (only reaches the loss through stopgrad)');
        }
        const net = networkOf(n.network);
        if (net) notes.push(net.stages.map((s) => s.kind).join(' -> '));
        if (n.mask !== undefined && n.mask !== null) notes.push(`tokens hidden by mask #${n.mask}`);
        if (n.layers) notes.push(`returns the mean of the top ${n.layers.top} blocks of the last stage${n.layers.norm === 'instance' ? ' (each instance-normalised)' : ''}`);
        return notes;
      }
      case 'stopgrad':
        return ['no gradient flows back'];
      case 'view': {
        const first = viewShown.get(n.view);
        if (first !== undefined) return [`a fresh draw, ops as #${first}`];
        viewShown.set(n.view, n.id);
        const v = ir.views[n.view];
        return [v ? formatViewOps(v.ops) : 'unknown view'];
      }
      case 'batch': {
        const d = ir.data[n.data];
        return d ? [`${d.dataset} ${d.split}, batch ${d.batch}`] : [];
      }
      case 'mask':
        return [formatMask(n.mask)];
      case 'patchify':
        return [`tokens of ${n.patch}${n.shape.length ? ` -> ${n.shape[0]} tokens of ${n.shape[n.shape.length - 1]}` : ''}${n.normalize ? ', each normalised by its mean and variance' : ''}`];
      default:
        return [];
    }
  };
  const tree = treeOf(ir.graph.loss, null);

  // --- parameters
  const networks: NetworkReport[] = Object.values(ir.networks).map((net) => {
    const stages = net.stages.map((s, index) => {
      const c = stageCount(s);
      return { index, kind: s.kind, summary: formatStage(s), inputShape: s.inputShape, outputShape: s.outputShape, parameters: c.params, macsPerExample: c.macs };
    });
    return { name: net.name, inputShape: net.inputShape, outputShape: net.outputShape, parameters: stages.reduce((a, s) => a + s.parameters, 0), stages };
  });
  const paramsOf = new Map(networks.map((n) => [n.name, n.parameters]));
  const teacherReports: TeacherReport[] = Object.values(teachers).map((t) => ({
    name: t.name,
    of: t.of,
    momentum: formatScalar(t.momentum),
    parameters: paramsOf.get(t.of) ?? 0,
  }));

  // --- compute
  const batch = ir.train.batch;
  const applications: ApplicationCost[] = ir.graph.nodes.flatMap((n) => {
    if (n.kind !== 'apply') return [];
    const net = networkOf(n.network);
    const input = byId.get(n.input)?.shape;
    const counts = (net?.stages ?? []).map((s, i) => stageCount(i === 0 && input ? atInputShape(s, input) : s));
    const g = applyGetsGrad(n);
    return [
      {
        node: n.id,
        network: n.network,
        teacher: isTeacher(n.network),
        grad: g,
        macsPerExample: counts.reduce((a, c) => a + c.macs, 0),
        storedPerExample: g ? counts.reduce((a, c) => a + c.stored, 0) : 0,
      },
    ];
  });
  const forwardMacs = applications.reduce((a, c) => a + c.macsPerExample, 0) * batch;
  const trainingMacs = applications.reduce((a, c) => a + c.macsPerExample * (c.grad ? 3 : 1), 0) * batch;
  const stored = applications.reduce((a, c) => a + c.storedPerExample, 0) * batch;

  // --- terms
  const termNodes: { name: string; node: number }[] =
    ir.graph.terms ?? ir.graph.nodes.filter((n): n is LossNode => n.kind === 'loss').map((n) => ({ name: lossName(n), node: n.id }));
  const terms: TermRow[] = termNodes.map((t) => {
    const n = node(t.node);
    const row: TermRow = { term: t.name, node: t.node, fn: n.kind === 'loss' ? n.fn : n.kind, views: [], byInput: [], data: [], raw: [] };
    const walk = (id: number, views: { view: string; node: number }[], raw: string[], seen: Set<number>) => {
      if (seen.has(id) || !byId.has(id)) return;
      seen.add(id);
      const m = node(id);
      if (m.kind === 'view') {
        views.push({ view: m.view, node: m.id });
        const src = node(m.input);
        if (src.kind === 'batch' && !row.data.includes(src.data)) row.data.push(src.data);
        return;
      }
      if (m.kind === 'batch') {
        if (!row.data.includes(m.data)) row.data.push(m.data);
        if (!row.raw.includes(m.data)) row.raw.push(m.data);
        if (!raw.includes(m.data)) raw.push(m.data);
        return;
      }
      for (const e of edgesOf(m, isTeacher)) if (e.role !== 'mask') walk(e.id, views, raw, seen);
    };
    if (n.kind === 'loss') {
      const all = new Set<number>();
      for (const [input, ids] of lossInputs(n)) {
        const views: { view: string; node: number }[] = [];
        const raw: string[] = [];
        const seen = new Set<number>();
        for (const id of ids) walk(id, views, raw, seen);
        row.byInput.push({ input, views, raw });
        for (const v of views) if (!all.has(v.node)) (all.add(v.node), row.views.push(v));
      }
      row.views.sort((a, b) => a.node - b.node);
    }
    return row;
  });

  // --- header
  const opt = ir.optimizer;
  const header: Header = {
    recipe: ir.recipe,
    data: Object.entries(ir.data).map(([name, d]) => ({ name, summary: formatData(d), training: name === ir.train.data })),
    trainingData: ir.train.data,
    batch: ir.train.batch,
    epochs: ir.train.epochs,
    seed: ir.train.seed,
    stepsPerEpoch: ir.train.stepsPerEpoch,
    totalSteps: ir.train.totalSteps,
    optimizer: { kind: opt.kind, lr: opt.lr, summary: formatOptimizer(opt) },
    schedule: { kind: ir.schedule.kind, summary: formatSchedule(ir.schedule, opt.lr) },
    probes: ir.probes.map((p) => ({ kind: p.kind, summary: formatProbe(p) })),
  };

  return {
    recipe: ir.recipe,
    source: ir.source?.uri ?? '',
    header,
    tree,
    parameters: {
      networks,
      teachers: teacherReports,
      trainable: networks.reduce((a, n) => a + n.parameters, 0),
      teacher: teacherReports.reduce((a, t) => a + t.parameters, 0),
    },
    compute: {
      batch,
      applications,
      forwardGflops: (2 * forwardMacs) / 1e9,
      trainingGflops: (2 * trainingMacs) / 1e9,
      activationMB: (4 * stored) / 1e6,
      rules: [RULES.flops, RULES.memory],
    },
    terms,
  };
}

// ---------------------------------------------------------------------------------------------
// renderExplanation()

const ANSI = {
  bold: '\x1b[1m',
  dim: '\x1b[2m',
  red: '\x1b[31m',
  green: '\x1b[32m',
  yellow: '\x1b[33m',
  magenta: '\x1b[35m',
  cyan: '\x1b[36m',
  reset: '\x1b[0m',
} as const;

// eslint-disable-next-line no-control-regex
const ANSI_RE = /\x1b\[[0-9;]*m/g;
const visible = (s: string) => s.replace(ANSI_RE, '').length;

/** Splits `text` into lines of at most `width` characters at spaces (a longer word stays whole). */
function wrap(text: string, width: number): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(' ')) {
    if (line && line.length + 1 + word.length > width) {
      lines.push(line);
      line = word;
    } else {
      line = line ? `${line} ${word}` : word;
    }
  }
  if (line) lines.push(line);
  return lines;
}

export function renderExplanation(e: Explanation, options: { color: boolean; width?: number }): string {
  const width = Math.max(40, Math.floor(options.width ?? 100));
  const paint = (style: keyof typeof ANSI, s: string) => (options.color && s ? `${ANSI[style]}${s}${ANSI.reset}` : s);
  const out: string[] = [];
  /** `text` wrapped after `first` (visible width counted), later lines indented by `rest`. */
  const block = (first: string, rest: string, text: string, style?: keyof typeof ANSI) => {
    const lines = wrap(text, Math.max(20, width - Math.max(visible(first), visible(rest))));
    lines.forEach((line, j) => out.push(`${j === 0 ? first : rest}${style ? paint(style, line) : line}`));
  };
  const heading = (title: string, note: string) => {
    out.push('');
    const lines = wrap(`${title} (${note})`, width);
    lines.forEach((line, j) => out.push(j === 0 ? `${paint('bold', title)}${paint('dim', line.slice(title.length))}` : paint('dim', line)));
  };
  const h = e.header;

  // Header: `key  value`, values wrapped under their column.
  out.push(`${paint('bold', `recipe ${e.recipe}`)}${e.source ? paint('dim', `  (${e.source})`) : ''}`);
  const field = (key: string, values: string[]) =>
    values.forEach((value, i) => block(`  ${(i === 0 ? key : '').padEnd(12)}`, `  ${''.padEnd(12)}  `, value));
  field('data', h.data.map((d) => `${d.name}: ${d.summary}${d.training ? ' <- training' : ''}`));
  field('training', [`batch ${h.batch}, ${h.stepsPerEpoch} steps/epoch x ${h.epochs} epoch${h.epochs === 1 ? '' : 's'} = ${h.totalSteps} steps, seed ${h.seed}`]);
  field('optimizer', [h.optimizer.summary]);
  field('schedule', [h.schedule.summary]);
  field('probes', h.probes.length ? h.probes.map((p) => p.summary) : ['none']);

  // Graph
  heading('Graph', 'rooted at the loss; shapes are per example; a node shown before is referenced as -> see #id');
  const renderNode = (n: TreeNode, prefix: string, childPrefix: string) => {
    const role = n.role !== null ? `${paint('dim', `${n.role}:`)} ` : '';
    const id = paint('dim', `#${n.id}`);
    if (n.seeAbove) {
      out.push(`${prefix}${role}-> see ${id} ${paint('dim', `(${n.label})`)}`);
      return;
    }
    const style: keyof typeof ANSI =
      n.kind === 'loss' || n.kind === 'sum' ? 'red' : n.kind === 'apply' ? (n.grad ? 'cyan' : 'yellow') : n.kind === 'stopgrad' ? 'magenta' : n.kind === 'view' ? 'green' : 'bold';
    const head = `${prefix}${role}${id} ${paint(style, n.label)}  ${formatShape(n.shape)}`;
    const inline = n.notes.length ? `${head}  · ${n.notes.join('; ')}` : head;
    if (visible(inline) <= width) {
      out.push(inline);
    } else {
      out.push(head);
      const cont = childPrefix + (n.inputs.length ? '│  ' : '   ');
      for (const note of n.notes) block(`${cont}· `, `${cont}  `, note);
    }
    n.inputs.forEach((c, i) => {
      const last = i === n.inputs.length - 1;
      renderNode(c, childPrefix + (last ? '└─ ' : '├─ '), childPrefix + (last ? '   ' : '│  '));
    });
  };
  renderNode(e.tree, '', '');

  // Views -> loss terms
  heading('Loss terms <- views', 'walking back from each term to the view draws it reads, as view#node');
  const sources = (vs: { view: string; node: number }[], raw: string[]) =>
    [...vs.map((v) => `${v.view}#${v.node}`), ...raw.map((d) => `${d} (raw batch, no view)`)].join(', ') || 'nothing';
  const termWidth = Math.max(4, ...e.terms.map((t) => t.term.length));
  for (const t of e.terms) {
    block(`  ${t.term.padEnd(termWidth)} <- `, `  ${''.padEnd(termWidth)}    `, `${sources(t.views, t.raw)}; data: ${t.data.join(', ') || 'none'}`);
    if (t.byInput.length > 1) for (const b of t.byInput) block(`  ${''.padEnd(termWidth)}    `, `  ${''.padEnd(termWidth)}      `, `${b.input}: ${sources(b.views, b.raw)}`, 'dim');
  }

  // Parameters
  const p = e.parameters;
  heading('Parameters', 'trained by gradients');
  const nameWidth = Math.max(5, ...p.networks.map((n) => n.name.length), ...p.teachers.map((t) => t.name.length));
  const countWidth = Math.max(5, formatCount(p.trainable).length, formatCount(p.teacher).length);
  const indent = `  ${''.padEnd(nameWidth)}  ${''.padEnd(countWidth)}  `;
  for (const n of p.networks) {
    out.push(`  ${paint('cyan', n.name.padEnd(nameWidth))}  ${formatCount(n.parameters).padStart(countWidth)}  ${formatShape(n.inputShape)} -> ${formatShape(n.outputShape)}`);
    for (const s of n.stages) {
      block(`  ${''.padEnd(nameWidth)}  ${formatCount(s.parameters).padStart(countWidth)}  `, `${indent}  `, `stage ${s.index}: ${s.summary}, ${formatShape(s.inputShape)} -> ${formatShape(s.outputShape)}`, 'dim');
    }
  }
  out.push(`  ${'total'.padEnd(nameWidth)}  ${formatCount(p.trainable).padStart(countWidth)}`);
  if (p.teachers.length) {
    heading('Teachers', 'EMA copies of a network: same parameters, never trained by gradients');
    for (const t of p.teachers) {
      block(`  ${paint('yellow', t.name.padEnd(nameWidth))}  ${formatCount(t.parameters).padStart(countWidth)}  `, `${indent}  `, `EMA of ${t.of}, momentum ${t.momentum}`);
    }
    out.push(`  ${'total'.padEnd(nameWidth)}  ${formatCount(p.teacher).padStart(countWidth)}`);
  }

  // Compute
  const c = e.compute;
  heading('Compute per training step', `batch ${c.batch}`);
  const netWidth = Math.max(7, ...c.applications.map((a) => a.network.length));
  const row = (node: string, net: string, macs: string, mode: string, stored: string) => `  ${node.padEnd(6)}${net.padEnd(netWidth + 2)}${macs.padStart(12)}  ${mode.padEnd(12)}${stored.padStart(14)}`;
  out.push(paint('dim', row('node', 'network', 'MMAC/example', 'training', 'stored/example')));
  for (const a of c.applications) {
    const mode = a.grad ? 'x3' : a.teacher ? 'x1 teacher' : 'x1 no grad';
    out.push(row(`#${a.node}`, a.network, formatNumber(a.macsPerExample / 1e6), mode, a.grad ? formatCount(a.storedPerExample) : '-'));
  }
  out.push(`  forward      ${formatNumber(c.forwardGflops)} GFLOPs`);
  out.push(`  training     ${formatNumber(c.trainingGflops)} GFLOPs`);
  out.push(`  activations  ${formatNumber(c.activationMB)} MB`);
  for (const rule of c.rules) block('  * ', '    ', rule, 'dim');

  return out.join('\n');
}
