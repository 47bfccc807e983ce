/**
 * Validate: evaluates the resolved recipe at compile time — constant-folds arithmetic, checks every
 * call against the builtin catalog (`args.ts`), infers shapes through views and networks
 * (`shapes.ts`) and builds the training graph from the loss expression. Reports everything it finds
 * and returns a `Checked` recipe for `lower.ts`.
 *
 * Evaluation order (each later step may use what the earlier ones fixed):
 *   data definitions -> train (epochs) -> loss (graph; picks the training data, so `batch` and
 *   `steps_per_epoch` become known) -> optimizer, schedule, probes -> definitions nothing reached
 *   (still checked, in a scratch graph, so nothing is silently skipped).
 */
import type * as A from '../ast.js';
import { builtins, builtinList, builtinsOfKind, constants, datasets, type BuiltinKind, type BuiltinSpec, type ParamSpec } from '../builtins.js';
import { Codes } from '../codes.js';
import { closest, suggestionHint, type Diagnostic } from '../diagnostics.js';
import type { Activation, AugOp, DatasetName, Norm, Pool, DataSource, FeatureRef, GraphNode, LossFn, MaskSpec, Span, Stage } from '../ir.js';
import { lossInputRule } from './losses.js';
import { methodSanity } from './sanity.js';
import type { Resolved } from '../resolve.js';
import { bindArgs, type BoundArgs } from './args.js';
import { opsOutputShape, product, stageOutputShape, transformerTokens, type ShapeResult } from './shapes.js';
import { describe, ERROR, formatNumber, formatShape, sameShape, type DataValue, type StageSpec, type Value } from './values.js';

type Role = 'data' | 'view' | 'network' | 'teacher' | 'let' | 'loss' | 'optimizer' | 'schedule' | 'probe' | 'train';

interface Ctx {
  role: Role;
  /** Whether view draws / network applications / losses may be built here. */
  graph: boolean;
}

interface GraphBuilder {
  nodes: GraphNode[];
  batchNodes: Map<string, number>;
}

export interface CheckedNetwork {
  name: string;
  stages: Stage[];
  inputShape: number[];
  outputShape: number[];
  origin: Span;
  /** Where the input shape was fixed (first application). */
  firstUse: Span;
}

export interface CheckedView {
  name: string;
  ops: AugOp[];
  inputShape: number[];
  outputShape: number[];
  origin: Span;
  firstUse: Span;
}

export interface CheckedTeacher {
  name: string;
  of: string;
  momentum: Value;
  origin: Span;
}

/** A ramp parameter of a loss node, lowered to steps once steps per epoch are known. */
export interface PendingRamp {
  node: number;
  param: string;
  ramp: Extract<Value, { t: 'ramp' }>;
}

export interface CheckedProbe {
  kind: 'linear' | 'knn';
  fit: DataSource;
  on: DataSource;
  features: FeatureRef;
  params: Record<string, number>;
  origin: Span;
}

/** Everything lowering needs; complete only when validation reported no errors. */
export interface Checked {
  recipe: string;
  data: Map<string, DataSource>;
  views: Map<string, CheckedView>;
  networks: Map<string, CheckedNetwork>;
  teachers: Map<string, CheckedTeacher>;
  nodes: GraphNode[];
  /** Ramp-valued loss parameters (their node's `params` hold the start value until lowering). */
  ramps: PendingRamp[];
  lossNode?: number;
  trainingData?: string;
  batch?: number;
  stepsPerEpoch?: number;
  epochs?: number;
  seed: number;
  trainOrigin: Span | null;
  optimizer?: Extract<Value, { t: 'call' }>;
  schedule?: Extract<Value, { t: 'call' }>;
  probes: CheckedProbe[];
}

const roleCallables: Record<Role, BuiltinKind[]> = {
  data: ['dataset'],
  view: ['augmentation'],
  network: ['network-stage'],
  teacher: ['teacher'],
  let: ['dataset', 'augmentation', 'network-stage', 'graph', 'loss'],
  loss: ['loss', 'graph'],
  optimizer: ['optimizer'],
  schedule: ['schedule'],
  probe: ['probe', 'dataset'],
  train: [],
};

const kindNoun: Record<BuiltinKind, string> = {
  dataset: 'dataset',
  augmentation: 'augmentation',
  'network-stage': 'network stage',
  teacher: 'teacher',
  graph: 'graph function',
  loss: 'loss',
  optimizer: 'optimizer',
  schedule: 'schedule',
  probe: 'probe',
  train: 'statement',
};

class Checker {
  readonly diagnostics: Diagnostic[];
  private readonly defs: Map<string, A.Definition>;
  private readonly dataMemo = new Map<string, Value | 'busy'>();
  private readonly viewMemo = new Map<string, AugOp[] | null | 'busy'>();
  private readonly networkMemo = new Map<string, StageSpec[] | null | 'busy'>();
  private readonly letMemo = new Map<string, Value | 'busy'>();
  private readonly teacherMemo = new Map<string, CheckedTeacher | null | 'busy'>();
  /** Loss-term names used so far (a term is named after its let, or its function). */
  private readonly termNames = new Set<string>();
  /** The let whose value is being evaluated (its name labels a loss term defined directly in it). */
  private letName: string | undefined;
  private readonly opSpans = new WeakMap<AugOp, Record<string, Span>>();
  private readonly stageSpans = new WeakMap<StageSpec, Record<string, Span>>();
  private readonly viewShapes = new Map<string, CheckedView>();
  private readonly networkShapes = new Map<string, CheckedNetwork>();
  /** Views/networks whose shape error is reported already: later applications stay quiet. */
  private readonly shapeFailed = new Set<string>();
  private readonly consts: Partial<Record<keyof typeof constants, number>> = {};
  private readonly constWhy: Record<string, string> = {
    batch: '`batch` is the training batch size; it is known once the loss has picked the training data, so it cannot be used in data definitions, `train` or the loss',
    epochs: '`epochs` comes from `train epochs: N`, so it cannot be used in data definitions or in `train` itself',
    steps_per_epoch: '`steps_per_epoch` is known once the loss has picked the training data, so it cannot be used in data definitions, `train` or the loss',
  };
  private g: GraphBuilder = { nodes: [], batchNodes: new Map() };
  /** Constants whose source (train / the loss) is missing or already reported as broken: uses stay quiet. */
  private readonly brokenConsts = new Set<string>();
  readonly out: Checked;

  constructor(private readonly r: Resolved, diagnostics: Diagnostic[]) {
    this.diagnostics = diagnostics;
    this.defs = r.definitions;
    this.out = {
      recipe: r.sections.recipe?.name.name ?? '',
      data: new Map(),
      views: new Map(),
      networks: new Map(),
      teachers: new Map(),
      nodes: [],
      ramps: [],
      seed: 0,
      trainOrigin: null,
      probes: [],
    };
  }

  private report(d: Diagnostic): void {
    this.diagnostics.push(d);
  }

  private error(code: Diagnostic['code'], message: string, span: Span, hint?: string, related?: Diagnostic['related']): Value {
    this.report({ severity: 'error', code, message, span, ...(hint ? { hint } : {}), ...(related ? { related } : {}) });
    return ERROR;
  }

  // -------------------------------------------------------------------------------------------
  // The phases

  run(): Checked {
    const { sections } = this.r;
    // 1. Data definitions.
    for (const [name, def] of this.defs) if (def.kind === 'data') this.evalData(name, def.name.span);

    // 2. train: epochs and seed.
    if (sections.train) {
      const spec = builtins.get('train')!;
      const bound = bindArgs('train', spec, sections.train.args, sections.train.span, (e, p) => this.evalArg(e, p, { role: 'train', graph: false }), (d) => this.report(d));
      const epochs = num(bound.values['epochs']);
      if (epochs !== undefined) {
        this.out.epochs = epochs;
        this.consts.epochs = epochs;
      }
      this.out.seed = num(bound.values['seed']) ?? 0;
      this.out.trainOrigin = sections.train.span;
    }
    if (this.out.epochs === undefined) this.brokenConsts.add('epochs');

    // 3. The loss: builds the training graph, which picks the training data.
    if (sections.loss) {
      const v = this.evalExpr(sections.loss.value, { role: 'loss', graph: true });
      if (v.t === 'loss') {
        this.out.lossNode = this.finishLoss(v, sections.loss.value.span);
      } else if (v.t !== 'error') {
        this.error(Codes.typeMismatch, `the loss must be a scalar loss such as nt_xent(...), got ${describe(v)}`, sections.loss.value.span, lossHint());
      }
      this.out.nodes = this.g.nodes;
      this.pickTrainingData(sections.loss);
      if (this.out.lossNode !== undefined) {
        for (const d of methodSanity(this.out.nodes, this.out.lossNode, this.out.teachers)) this.report(d);
      }
    }
    // Without a usable loss the training data is unknown, and that was reported (missing section,
    // an error in the loss, no training data): later uses of `batch` stay quiet.
    if (this.out.stepsPerEpoch === undefined) {
      this.brokenConsts.add('batch');
      this.brokenConsts.add('steps_per_epoch');
    }

    // 4. Optimizer, schedule, probes (every constant is known now).
    if (sections.optimizer) this.out.optimizer = this.statementCall(sections.optimizer, 'optimizer');
    if (sections.schedule) {
      this.out.schedule = this.statementCall(sections.schedule, 'schedule');
      this.checkSchedule();
    }
    for (const p of sections.probes) this.probe(p);

    // 5. Whatever nothing reached is still checked, in a scratch graph.
    // (A copy of the real graph, so node ids of lets the loss already drew stay meaningful.)
    this.g = { nodes: [...this.g.nodes], batchNodes: new Map(this.g.batchNodes) };
    for (const [name, def] of this.defs) {
      if (def.kind === 'view') this.evalView(name, def.name.span);
      else if (def.kind === 'network') this.evalNetwork(name, def.name.span);
      else if (def.kind === 'teacher') this.evalTeacher(name, def.name.span);
      else if (def.kind === 'let') this.evalLet(name, def.name.span);
    }

    for (const [name, v] of this.viewShapes) this.out.views.set(name, v);
    for (const [name, n] of this.networkShapes) this.out.networks.set(name, n);
    return this.out;
  }

  private pickTrainingData(loss: A.LossStatement): void {
    const names = [...new Set(this.out.nodes.filter((n) => n.kind === 'batch').map((n) => (n as { data: string }).data))];
    if (names.length === 0) {
      if (this.out.lossNode !== undefined) {
        this.error(Codes.noTrainingData, 'the loss reads no data source', loss.value.span, 'draw views of a data source in the loss, e.g. `let x1 = aug(train)`');
      }
      return;
    }
    if (names.length > 1) {
      this.error(
        Codes.multipleTrainingData,
        `the loss reads ${names.length} data sources (${names.map((n) => `'${n}'`).join(', ')}); this version trains on exactly one`,
        loss.value.span,
      );
      return;
    }
    const name = names[0]!;
    const data = this.out.data.get(name);
    if (!data) return;
    this.out.trainingData = name;
    this.out.batch = data.batch;
    const steps = Math.floor(data.size / data.batch);
    if (steps < 1) {
      this.error(Codes.valueOutOfRange, `batch ${data.batch} is larger than the ${data.size} examples of '${name}'`, data.origin);
      return;
    }
    this.out.stepsPerEpoch = steps;
    this.consts.batch = data.batch;
    this.consts.steps_per_epoch = steps;
  }

  private finishLoss(v: Extract<Value, { t: 'loss' }>, span: Span): number {
    const terms = v.terms.filter((t) => t.weight !== 0 || v.terms.length === 1);
    if (terms.length === 1 && terms[0]!.weight === 1) return terms[0]!.node;
    return this.addNode({ kind: 'sum', inputs: terms.map((t) => t.node), weights: terms.map((t) => t.weight), shape: [], origin: span });
  }

  private checkSchedule(): void {
    const s = this.out.schedule;
    if (!s || s.fn !== 'warmup_cosine') return;
    const w = s.args['warmup'];
    if (w?.t !== 'duration') return;
    if (w.unit === 'steps' && !Number.isInteger(w.v)) {
      this.error(Codes.typeMismatch, `warmup must be a whole number of steps, got ${formatNumber(w.v)}`, s.spans['warmup'] ?? s.span);
      return;
    }
    const spe = this.out.stepsPerEpoch;
    const epochs = this.out.epochs;
    if (spe === undefined || epochs === undefined) return;
    const steps = w.unit === 'epochs' ? Math.round(w.v * spe) : w.v;
    if (steps > epochs * spe) {
      this.error(
        Codes.valueOutOfRange,
        `warmup of ${steps} steps is longer than training (${epochs * spe} steps = ${epochs} epochs x ${spe} steps per epoch)`,
        s.spans['warmup'] ?? s.span,
      );
    }
  }

  // -------------------------------------------------------------------------------------------
  // Statements whose value is one builtin call: optimizer, schedule, probe

  private statementCall(stmt: A.CallStatement, kind: 'optimizer' | 'schedule' | 'probe'): Extract<Value, { t: 'call' }> | undefined {
    const e = stmt.value;
    const options = builtinsOfKind(kind).map((b) => b.name);
    const example = { optimizer: 'adam(lr: 1e-3)', schedule: 'warmup_cosine(warmup: 10 epochs)', probe: 'linear(on: test)' }[kind];
    const name = e.kind === 'call' ? e.callee.name : e.kind === 'identifier' ? e.name : undefined;
    const spec = name !== undefined ? builtins.get(name) : undefined;
    if (name !== undefined && spec === undefined) {
      this.error(Codes.unknownName, `unknown ${kind} '${name}'`, e.kind === 'call' ? e.callee.span : e.span, suggestionHint(name, options, `${kind}s`));
      return undefined;
    }
    if (!spec || spec.kind !== kind) {
      this.error(Codes.typeMismatch, `${kind} expects a call such as ${example}, got ${spec ? `the ${kindNoun[spec.kind]} '${spec.name}'` : 'an expression'}`, e.span, `${kind}s: ${options.join(', ')}`);
      return undefined;
    }
    const args = e.kind === 'call' ? e.args : [];
    if (e.kind === 'identifier' && spec.params.some((p) => p.required)) {
      this.error(Codes.missingParameter, `${spec.name} needs arguments: write ${spec.name}(...)`, e.span);
      return undefined;
    }
    const ctx: Ctx = { role: kind, graph: false };
    const bound = bindArgs(spec.name, spec, args, e.span, (x, p) => this.evalArg(x, p, ctx), (d) => this.report(d));
    if (!bound.ok) return undefined;
    return { t: 'call', fn: spec.name, args: bound.values, spans: bound.spans, span: e.span };
  }

  private probe(stmt: A.CallStatement): void {
    const call = this.statementCall(stmt, 'probe');
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
    const byId = new Map(nodes.map((n) => [n.id, n]));
    let network: string;
    let stage: number;
    if (of?.t === 'network') {
      network = of.name;
      const stages = this.evalNetwork(network, call.spans['of'] ?? call.span);
      if (!stages) return undefined;
      stage = stages.length - 1;
      if (!this.networkShapes.has(network)) {
        // Not trained by the loss (a random-weights baseline): its input is the raw probe data.
        if (!this.networkShape(network, stages, on.shape, call.spans['of'] ?? call.span)) return undefined;
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
    const net = this.networkShapes.get(network);
    if (!net) return undefined;
    // The runtime feeds raw (un-augmented) data through the chain of networks that leads to
    // `network` in the graph; the first of them must accept the probe data's shape.
    const chain = featureChain(nodes, network);
    const first = this.networkShapes.get(chain[0] ?? network) ?? net;
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

  // -------------------------------------------------------------------------------------------
  // Definitions (memoised; cycles are reported)

  private cycle(kind: string, name: string, at: Span): Value {
    return this.error(Codes.cyclicDefinition, `${kind} '${name}' refers to itself`, at, 'a definition cannot use its own value, directly or through others');
  }

  private evalData(name: string, at: Span): Value {
    const memo = this.dataMemo.get(name);
    if (memo === 'busy') return this.cycle('data', name, at);
    if (memo) return memo;
    const def = this.defs.get(name)!;
    this.dataMemo.set(name, 'busy');
    let v = this.evalExpr(def.value, { role: 'data', graph: false });
    if (v.t === 'data') {
      const source: DataSource = { ...v.source, origin: def.span };
      v = { t: 'data', name, source };
      this.out.data.set(name, source);
    } else if (v.t !== 'error') {
      v = this.error(Codes.typeMismatch, `data '${name}' must be a dataset such as mnist(split: "train"), got ${describe(v)}`, def.value.span, `datasets: ${Object.keys(datasets).join(', ')}`);
    }
    this.dataMemo.set(name, v);
    return v;
  }

  private evalView(name: string, at: Span): AugOp[] | null {
    const memo = this.viewMemo.get(name);
    if (memo === 'busy') {
      this.cycle('view', name, at);
      return null;
    }
    if (memo !== undefined) return memo;
    const def = this.defs.get(name)!;
    this.viewMemo.set(name, 'busy');
    const v = this.toOps(this.evalExpr(def.value, { role: 'view', graph: false }), def.value.span);
    const ops = v.t === 'ops' ? v.ops : null;
    if (v.t !== 'ops' && v.t !== 'error') {
      this.error(Codes.typeMismatch, `view '${name}' must be augmentations joined with |, got ${describe(v)}`, def.value.span);
    }
    this.viewMemo.set(name, ops);
    return ops;
  }

  private evalNetwork(name: string, at: Span): StageSpec[] | null {
    const memo = this.networkMemo.get(name);
    if (memo === 'busy') {
      this.cycle('network', name, at);
      return null;
    }
    if (memo !== undefined) return memo;
    const def = this.defs.get(name)!;
    this.networkMemo.set(name, 'busy');
    const v = this.evalExpr(def.value, { role: 'network', graph: false });
    let stages: StageSpec[] | null = null;
    if (v.t === 'stages') stages = v.stages;
    else if (v.t !== 'error') {
      this.error(Codes.typeMismatch, `network '${name}' must be stages joined with ->, such as convnet(channels: [32, 64]) -> mlp([128]), got ${describe(v)}`, def.value.span);
    }
    this.networkMemo.set(name, stages);
    return stages;
  }

  private evalLet(name: string, at: Span): Value {
    const memo = this.letMemo.get(name);
    if (memo === 'busy') return this.cycle('let', name, at);
    if (memo) return memo;
    const def = this.defs.get(name)!;
    this.letMemo.set(name, 'busy');
    const outer = this.letName;
    this.letName = name;
    const v = this.evalExpr(def.value, { role: 'let', graph: true });
    this.letName = outer;
    this.letMemo.set(name, v);
    return v;
  }

  private evalTeacher(name: string, at: Span): CheckedTeacher | null {
    const memo = this.teacherMemo.get(name);
    if (memo === 'busy') {
      this.cycle('teacher', name, at);
      return null;
    }
    if (memo !== undefined) return memo;
    const def = this.defs.get(name)!;
    this.teacherMemo.set(name, 'busy');
    let teacher: CheckedTeacher | null = null;
    const e = def.value;
    const spec = e.kind === 'call' ? builtins.get(e.callee.name) : undefined;
    if (e.kind !== 'call' || !spec || spec.kind !== 'teacher') {
      if (e.kind === 'call' && !spec) {
        this.error(Codes.unknownName, `unknown teacher '${e.callee.name}'`, e.callee.span, suggestionHint(e.callee.name, builtinsOfKind('teacher').map((b) => b.name), 'teachers'));
      } else {
        this.error(Codes.typeMismatch, `teacher '${name}' must be ema(NETWORK, momentum: ...), got ${e.kind === 'call' ? `${e.callee.name}(...)` : 'an expression'}`, e.span, 'e.g. teacher target = ema(online, momentum: 0.996 -> 1.0 cosine)');
      }
    } else {
      const b = bindArgs(spec.name, spec, e.args, e.span, (x, p) => this.evalArg(x, p, { role: 'teacher', graph: false }), (d) => this.report(d));
      const of = b.values['network'];
      if (b.ok && of?.t === 'network') {
        if (this.evalNetwork(of.name, b.spans['network'] ?? e.span)) {
          teacher = { name, of: of.name, momentum: b.values['momentum']!, origin: def.span };
          this.out.teachers.set(name, teacher);
        }
      }
    }
    this.teacherMemo.set(name, teacher);
    return teacher;
  }

  // -------------------------------------------------------------------------------------------
  // Expressions

  /** Evaluates an argument knowing its parameter: in an enum position a bare word is a literal. */
  private evalArg(e: A.Expression, p: ParamSpec, ctx: Ctx): Value {
    if (p.type.kind === 'ident-enum' && e.kind === 'identifier') return { t: 'enum', v: e.name };
    const v = this.evalExpr(e, ctx);
    if (p.type.kind === 'augmentation') return this.toOps(v, e.span);
    if ((p.type.kind === 'tensor' || p.type.kind === 'embeddings') && v.t === 'data' && ctx.graph) return this.batchNode(v, e.span);
    return v;
  }

  /** A view name stands for its ops where ops are expected. */
  private toOps(v: Value, span: Span): Value {
    if (v.t === 'view') {
      const ops = this.evalView(v.name, span);
      return ops ? { t: 'ops', ops } : ERROR;
    }
    return v;
  }

  evalExpr(e: A.Expression, ctx: Ctx): Value {
    switch (e.kind) {
      case 'number':
        if (!Number.isFinite(e.value)) return this.error(Codes.invalidArithmetic, `the number ${short(e.raw)} is too large`, e.span, 'numbers must fit a 64-bit float (below about 1.8e308)');
        return { t: 'number', v: e.value };
      case 'percent':
        if (!Number.isFinite(e.value)) return this.error(Codes.invalidArithmetic, `the number ${short(e.raw)} is too large`, e.span);
        return { t: 'number', v: e.value };
      case 'duration':
        if (!Number.isFinite(e.value)) return this.error(Codes.invalidArithmetic, 'the duration is too large', e.span);
        return { t: 'duration', v: e.value, unit: e.unit };
      case 'string':
        return { t: 'string', v: e.value };
      case 'boolean':
        return { t: 'bool', v: e.value };
      case 'identifier':
        return this.evalIdentifier(e);
      case 'call':
        return this.evalCall(e, ctx);
      case 'unary': {
        const v = this.evalExpr(e.operand, ctx);
        if (v.t === 'error') return v;
        if (v.t === 'number') return { t: 'number', v: -v.v };
        if (v.t === 'loss') return { t: 'loss', terms: v.terms.map((t) => ({ ...t, weight: -t.weight })), span: e.span };
        return this.error(Codes.typeMismatch, `cannot negate ${describe(v)}`, e.span);
      }
      case 'binary':
        return this.evalBinary(e, ctx);
      case 'range': {
        const lo = this.evalExpr(e.lo, ctx);
        const hi = this.evalExpr(e.hi, ctx);
        if (lo.t === 'error' || hi.t === 'error') return ERROR;
        if (lo.t !== 'number') return this.error(Codes.typeMismatch, `a range needs numbers, got ${describe(lo)}`, e.lo.span);
        if (hi.t !== 'number') return this.error(Codes.typeMismatch, `a range needs numbers, got ${describe(hi)}`, e.hi.span);
        if (lo.v > hi.v) return this.error(Codes.valueOutOfRange, `range ${formatNumber(lo.v)}..${formatNumber(hi.v)} is empty: its low end is above its high end`, e.span, `write ${formatNumber(hi.v)}..${formatNumber(lo.v)}`);
        return { t: 'range', lo: lo.v, hi: hi.v };
      }
      case 'list': {
        const items = e.items.map((i) => this.evalExpr(i, ctx));
        return items.some((i) => i.t === 'error') ? ERROR : { t: 'list', items };
      }
      case 'pipeline': {
        const ops: AugOp[] = [];
        let ok = true;
        for (const s of e.stages) {
          const v = this.toOps(this.evalExpr(s, ctx), s.span);
          if (v.t === 'ops') ops.push(...v.ops);
          else {
            ok = false;
            if (v.t !== 'error') this.error(Codes.typeMismatch, `a view pipeline joins augmentations with |, got ${describe(v)}`, s.span);
          }
        }
        return ok ? { t: 'ops', ops } : ERROR;
      }
      case 'chain': {
        if (e.shape || e.stages.length === 2) {
          const first = e.shape ? undefined : this.evalExpr(e.stages[0]!, ctx);
          if (e.shape || first?.t === 'number' || first?.t === 'ramp') return this.ramp(e, ctx);
          if (first?.t === 'error') return ERROR;
        }
        const stages: StageSpec[] = [];
        let ok = true;
        for (const s of e.stages) {
          const v = this.evalExpr(s, ctx);
          if (v.t === 'stages') stages.push(...v.stages);
          else {
            ok = false;
            if (v.t !== 'error') {
              this.error(
                Codes.typeMismatch,
                `a network chains stages with ->, got ${describe(v)}`,
                s.span,
                v.t === 'network' ? 'networks cannot be nested in v1; repeat its stages, or apply both in the loss: b(a(x))' : 'stages: convnet(...), mlp(...)',
              );
            }
          }
        }
        return ok ? { t: 'stages', stages } : ERROR;
      }
    }
  }

  /** `from -> to shape` or `from -> to shape(over: DURATION)`. */
  private ramp(e: A.Chain, ctx: Ctx): Value {
    const hint = 'a ramp is `FROM -> TO linear` or `FROM -> TO cosine`, optionally `cosine(over: 30 epochs)`';
    if (e.stages.length !== 2) return this.error(Codes.typeMismatch, `a ramp goes from one number to another; this chain has ${e.stages.length} parts`, e.span, hint);
    const [from, to] = e.stages.map((x) => this.evalExpr(x, ctx));
    if (from!.t === 'error' || to!.t === 'error') return ERROR;
    if (from!.t !== 'number') return this.error(Codes.typeMismatch, `a ramp starts at a number, got ${describe(from!)}`, e.stages[0]!.span, hint);
    if (to!.t !== 'number') return this.error(Codes.typeMismatch, `a ramp ends at a number, got ${describe(to!)}`, e.stages[1]!.span, hint);
    if (!e.shape) {
      return this.error(Codes.missingParameter, `the ramp ${formatNumber(from!.v)} -> ${formatNumber(to!.v)} needs a shape`, e.span, `write \`${formatNumber(from!.v)} -> ${formatNumber(to!.v)} cosine\` or \`... linear\``);
    }
    const shape = e.shape.kind === 'call' ? e.shape.callee.name : e.shape.name;
    let over: { v: number; unit: 'epochs' | 'steps' } | null = null;
    if (e.shape.kind === 'call') {
      const spec: BuiltinSpec = {
        name: shape,
        kind: 'schedule',
        doc: '',
        params: [{ name: 'over', type: { kind: 'duration' }, positional: true, min: 0, exclusiveMin: true, doc: 'Length of the ramp; it holds its end value afterwards (default: the whole run).' }],
      };
      const b = bindArgs(shape, spec, e.shape.args, e.shape.span, (x, p) => this.evalArg(x, p, ctx), (d) => this.report(d));
      if (!b.ok) return ERROR;
      const o = b.values['over'];
      if (o?.t === 'duration') {
        if (o.unit === 'steps' && !Number.isInteger(o.v)) return this.error(Codes.typeMismatch, `a ramp lasts a whole number of steps, got ${formatNumber(o.v)}`, b.spans['over'] ?? e.shape.span);
        over = { v: o.v, unit: o.unit };
      }
    }
    return { t: 'ramp', from: from!.v, to: to!.v, shape: shape === 'cosine' ? 'cosine' : 'linear', over };
  }

  private evalIdentifier(e: A.Identifier): Value {
    const def = this.defs.get(e.name);
    if (def) {
      switch (def.kind) {
        case 'data':
          return this.evalData(e.name, e.span);
        case 'view':
          return { t: 'view', name: e.name };
        case 'network':
          return { t: 'network', name: e.name };
        case 'teacher':
          return { t: 'teacher', name: e.name };
        case 'let':
          return this.evalLet(e.name, e.span);
      }
    }
    if (e.name in constants) {
      const v = this.consts[e.name as keyof typeof constants];
      if (v === undefined && this.brokenConsts.has(e.name)) return ERROR;
      if (v === undefined) return this.error(Codes.invalidContext, `'${e.name}' is not known here`, e.span, this.constWhy[e.name]);
      return { t: 'number', v };
    }
    const b = builtins.get(e.name);
    if (b && b.kind !== 'train') {
      const noArgs = b.params.every((p) => !p.required);
      return this.error(Codes.typeMismatch, `${e.name} is a built-in ${kindNoun[b.kind]}; call it`, e.span, `write ${e.name}(${noArgs ? '' : '...'})`);
    }
    if (e.name === '?') return ERROR;
    const names = [...this.defs.keys(), ...Object.keys(constants)];
    return this.error(Codes.unknownName, `unknown name '${e.name}'`, e.span, suggestionHint(e.name, names, 'defined names'));
  }

  /** Left-deep chains (`a + b + c + ...`) are folded iteratively, so long sums cannot overflow the stack. */
  private evalBinary(e: A.Binary, ctx: Ctx): Value {
    const spine: A.Binary[] = [];
    let x: A.Expression = e;
    while (x.kind === 'binary') {
      spine.push(x);
      x = x.left;
    }
    let acc = this.evalExpr(x, ctx);
    for (let i = spine.length - 1; i >= 0; i--) {
      const b = spine[i]!;
      acc = this.combine(b, acc, this.evalExpr(b.right, ctx));
    }
    return acc;
  }

  private combine(e: A.Binary, l: Value, r: Value): Value {
    if (l.t === 'error' || r.t === 'error') return ERROR;
    if (l.t === 'number' && r.t === 'number') {
      if (e.op === '/' && r.v === 0) return this.error(Codes.invalidArithmetic, 'division by zero', e.right.span);
      const v = e.op === '+' ? l.v + r.v : e.op === '-' ? l.v - r.v : e.op === '*' ? l.v * r.v : l.v / r.v;
      if (!Number.isFinite(v)) return this.error(Codes.invalidArithmetic, `${formatNumber(l.v)} ${e.op} ${formatNumber(r.v)} is not a finite number`, e.span);
      return { t: 'number', v };
    }
    // Durations scale by numbers and add within one unit: `2 * 5 epochs`, `1 epochs + 10 epochs`.
    if (l.t === 'duration' || r.t === 'duration') {
      const d = l.t === 'duration' ? l : (r as Extract<Value, { t: 'duration' }>);
      const other = l.t === 'duration' ? r : l;
      let v: number | undefined;
      if (other.t === 'number' && (e.op === '*' || (e.op === '/' && l.t === 'duration'))) {
        if (e.op === '/' && other.v === 0) return this.error(Codes.invalidArithmetic, 'division by zero', e.right.span);
        v = e.op === '*' ? d.v * other.v : d.v / other.v;
      } else if (l.t === 'duration' && r.t === 'duration' && l.unit === r.unit && (e.op === '+' || e.op === '-')) {
        v = e.op === '+' ? l.v + r.v : l.v - r.v;
      }
      if (v !== undefined) {
        if (!Number.isFinite(v)) return this.error(Codes.invalidArithmetic, 'the duration is not a finite number', e.span);
        return { t: 'duration', v, unit: d.unit };
      }
    }
    if (l.t === 'list' && r.t === 'list' && e.op === '+') return { t: 'list', items: [...l.items, ...r.items] };
    const scale = (x: Extract<Value, { t: 'loss' }>, k: number): Value => ({ t: 'loss', terms: x.terms.map((t) => ({ ...t, weight: t.weight * k })), span: e.span });
    if (l.t === 'loss' && r.t === 'loss' && (e.op === '+' || e.op === '-')) {
      const terms = [...l.terms.map((t) => ({ ...t }))];
      for (const t of r.terms) {
        const w = e.op === '+' ? t.weight : -t.weight;
        const same = terms.find((x) => x.node === t.node);
        if (same) same.weight += w;
        else terms.push({ node: t.node, weight: w });
      }
      return { t: 'loss', terms, span: e.span };
    }
    if (e.op === '*' && l.t === 'number' && r.t === 'loss') return scale(r, l.v);
    if (e.op === '*' && l.t === 'loss' && r.t === 'number') return scale(l, r.v);
    if (e.op === '/' && l.t === 'loss' && r.t === 'number') {
      if (r.v === 0) return this.error(Codes.invalidArithmetic, 'division by zero', e.right.span);
      return scale(l, 1 / r.v);
    }
    const opName = { '+': 'add', '-': 'subtract', '*': 'multiply', '/': 'divide' }[e.op];
    const hint =
      (l.t === 'loss' || r.t === 'loss') && (l.t === 'number' || r.t === 'number')
        ? 'a constant added to a loss has no gradient; weight terms with *, e.g. 0.5 * nt_xent(...)'
        : l.t === 'loss' && r.t === 'loss'
          ? 'losses combine as weighted sums: w1 * loss1 + w2 * loss2'
          : undefined;
    return this.error(Codes.typeMismatch, `cannot ${opName} ${describe(l)} and ${describe(r)}`, e.span, hint);
  }

  // -------------------------------------------------------------------------------------------
  // Calls

  private evalCall(e: A.Call, ctx: Ctx): Value {
    const name = e.callee.name;
    const def = this.defs.get(name);
    if (def) {
      if (def.kind === 'view' || def.kind === 'network' || def.kind === 'teacher') return this.apply(def.kind, name, e, ctx);
      const what = def.kind === 'data' ? 'a data source' : 'a let binding';
      return this.error(Codes.typeMismatch, `'${name}' is ${what}, not a function`, e.callee.span, 'only views, networks and built-in functions can be called');
    }
    const spec = builtins.get(name);
    if (!spec || spec.kind === 'train') {
      if (name === '?') return ERROR;
      const relevant = [
        ...builtinList.filter((b) => roleCallables[ctx.role].includes(b.kind)).map((b) => b.name),
        ...(ctx.role === 'let' || ctx.role === 'loss' || ctx.role === 'view'
          ? [...this.defs.values()].filter((d) => (ctx.role === 'view' ? d.kind === 'view' : d.kind === 'view' || d.kind === 'network')).map((d) => d.name.name)
          : []),
      ];
      const everything = [...builtinList.filter((b) => b.kind !== 'train').map((b) => b.name), ...[...this.defs.values()].filter((d) => d.kind === 'view' || d.kind === 'network' || d.kind === 'teacher').map((d) => d.name.name)];
      const best = closest(name, everything);
      const listed = relevant.slice(0, 24).map((n) => `'${n}'`).join(', ') + (relevant.length > 24 ? `, … (${relevant.length - 24} more)` : '');
      const lines = [...(best ? [`did you mean '${best}'?`] : []), ...(relevant.length > 0 ? [`valid here: ${listed}`] : [])];
      return this.error(Codes.unknownName, `unknown function '${name}'`, e.callee.span, lines.join('\n') || undefined);
    }
    switch (spec.kind) {
      case 'augmentation':
        return this.augmentation(spec, e, ctx);
      case 'network-stage':
        return this.stage(spec, e, ctx);
      case 'dataset':
        return this.dataset(spec, e, ctx);
      case 'loss':
        return this.loss(spec, e, ctx);
      case 'graph':
        return this.graphFunction(spec, e, ctx);
      default:
        return this.error(Codes.typeMismatch, `${name}(...) is ${kindNoun[spec.kind] === 'optimizer' ? 'an' : 'a'} ${kindNoun[spec.kind]}; it can only be the value of a '${spec.kind}' statement`, e.span, `write: ${spec.kind} ${name}(...)`);
    }
  }

  private bind(spec: BuiltinSpec, e: A.Call, ctx: Ctx): BoundArgs {
    return bindArgs(spec.name, spec, e.args, e.span, (x, p) => this.evalArg(x, p, ctx), (d) => this.report(d));
  }

  private augmentation(spec: BuiltinSpec, e: A.Call, ctx: Ctx): Value {
    const b = this.bind(spec, e, ctx);
    if (!b.ok) return ERROR;
    const a = b.values;
    const origin = e.span;
    let op: AugOp;
    switch (spec.name) {
      case 'random_resized_crop':
        op = { kind: 'random_resized_crop', size: num(a['size'])!, scale: rng(a['scale']), ratio: rng(a['ratio']), origin };
        break;
      case 'random_flip':
        op = { kind: 'random_flip', horizontal: bool(a['horizontal']), vertical: bool(a['vertical']), p: num(a['p'])!, origin };
        break;
      case 'color_jitter':
        op = { kind: 'color_jitter', brightness: num(a['brightness'])!, contrast: num(a['contrast'])!, origin };
        break;
      case 'gaussian_noise':
        op = { kind: 'gaussian_noise', std: num(a['std'])!, origin };
        break;
      case 'gaussian_blur':
        op = { kind: 'gaussian_blur', sigma: rng(a['sigma']), p: num(a['p'])!, origin };
        break;
      case 'random_apply': {
        const items = a['ops']?.t === 'list' ? a['ops'].items : [];
        op = { kind: 'random_apply', p: num(a['p'])!, ops: items.flatMap((i) => (i.t === 'ops' ? i.ops : [])), origin };
        break;
      }
      default:
        return this.error(Codes.internalError, `no lowering for augmentation ${spec.name}`, e.span);
    }
    this.opSpans.set(op, b.spans);
    return { t: 'ops', ops: [op] };
  }

  private stage(spec: BuiltinSpec, e: A.Call, ctx: Ctx): Value {
    const b = this.bind(spec, e, ctx);
    if (!b.ok) return ERROR;
    const a = b.values;
    const norm = enumOf(a['norm']) as Norm;
    const activation = enumOf(a['activation']) as Activation;
    const pool = enumOf(a['pool']) as Pool;
    const origin = e.span;
    let stage: StageSpec;
    switch (spec.name) {
      case 'convnet':
        stage = { kind: 'convnet', channels: ints(a['channels']), kernel: num(a['kernel'])!, stride: num(a['stride'])!, norm, activation, origin };
        break;
      case 'resnet':
        stage = { kind: 'resnet', widths: ints(a['widths']), depth: num(a['depth'])!, norm, activation, origin };
        break;
      case 'conv1d':
        stage = { kind: 'conv1d', channels: ints(a['channels']), kernel: num(a['kernel'])!, stride: num(a['stride'])!, norm, activation, pool, origin };
        break;
      case 'normalize':
        stage = { kind: 'normalize', origin };
        break;
      case 'transformer':
        // `tokens` is fixed by the input shape when the network is first applied.
        stage = { kind: 'transformer', patch: num(a['patch'])!, dim: num(a['dim'])!, depth: num(a['depth'])!, heads: num(a['heads'])!, mlpRatio: num(a['mlp_ratio'])!, pool, tokens: 0, origin };
        break;
      default:
        stage = { kind: 'mlp', widths: ints(a['widths']), norm, activation, origin };
    }
    this.stageSpans.set(stage, b.spans);
    return { t: 'stages', stages: [stage] };
  }

  private dataset(spec: BuiltinSpec, e: A.Call, ctx: Ctx): Value {
    const b = this.bind(spec, e, ctx);
    if (!b.ok) return ERROR;
    const a = b.values;
    const dataset = spec.name as DatasetName;
    const facts = datasets[dataset];
    const split = (a['split'] as { v: 'train' | 'test' }).v;
    const limit = a['limit'] === undefined ? null : num(a['limit'])!;
    if (limit !== null && limit > facts.splits[split]) {
      const arg = e.args.find((x) => x.name?.name === 'limit');
      return this.error(
        Codes.valueOutOfRange,
        `limit ${limit} is more than the ${facts.splits[split]} examples of ${dataset} split "${split}"`,
        arg?.span ?? e.span,
        `use at most limit: ${facts.splits[split]}, or leave it out for the whole split`,
      );
    }
    return {
      t: 'data',
      source: {
        kind: 'dataset',
        dataset,
        split,
        batch: num(a['batch'])!,
        labelFraction: num(a['labels'])!,
        size: limit ?? facts.splits[split],
        limit,
        shape: [...facts.shape],
        numClasses: facts.numClasses,
        origin: e.span,
      },
    };
  }

  private loss(spec: BuiltinSpec, e: A.Call, ctx: Ctx): Value {
    if (!ctx.graph) return this.error(Codes.typeMismatch, `${spec.name}(...) is a loss; it can only be used in 'loss' (or a let the loss uses)`, e.span);
    const b = this.bind(spec, e, ctx);
    if (!b.ok) return ERROR;
    const inputs: Record<string, number[]> = {};
    const shapes: Record<string, number[][]> = {};
    let mask: Extract<Value, { t: 'mask' }> | undefined;
    for (const p of spec.params) {
      const v = b.values[p.name];
      if (p.type.kind === 'mask') {
        if (v?.t === 'mask') mask = v;
        continue;
      }
      if (p.type.kind !== 'embedding' && p.type.kind !== 'embeddings' && p.type.kind !== 'tensor') continue;
      const items = v?.t === 'list' ? v.items : v ? [v] : [];
      const tensors = items.filter((i): i is Extract<Value, { t: 'tensor' }> => i.t === 'tensor');
      if (p.type.kind === 'tensor' && v?.t === 'list') {
        return this.error(Codes.typeMismatch, `'${p.name}' of ${spec.name} takes one tensor, got a list of ${items.length}`, b.spans[p.name] ?? e.span);
      }
      inputs[p.name] = tensors.map((t) => t.node);
      shapes[p.name] = tensors.map((t) => t.shape);
    }
    const problem = lossInputRule(spec.name as LossFn, shapes, mask ? mask.grid.reduce((a, x) => a * x, 1) : null);
    if (problem) return this.error(Codes.shapeMismatch, problem.message, problem.param ? (b.spans[problem.param] ?? e.span) : e.span, problem.hint);
    const params: Record<string, number> = {};
    const ramps: { param: string; ramp: Extract<Value, { t: 'ramp' }> }[] = [];
    for (const p of spec.params) {
      const v = b.values[p.name];
      if (v?.t === 'number') params[p.name] = v.v;
      else if (v?.t === 'ramp') {
        params[p.name] = v.from;
        ramps.push({ param: p.name, ramp: v });
      }
    }
    const name = this.termName(spec.name);
    const node = this.addNode({ kind: 'loss', fn: spec.name as LossFn, name, inputs, ...(mask ? { mask: mask.node } : {}), params, shape: [], origin: e.span });
    for (const r of ramps) this.out.ramps.push({ node, ...r });
    return { t: 'loss', terms: [{ node, weight: 1 }], span: e.span };
  }

  /** A loss term is named after the let it is defined in (`let inv = ...`), else its function; repeats get #2, #3. */
  private termName(fn: string): string {
    const base = this.letName ?? fn;
    let name = base;
    for (let k = 2; this.termNames.has(name); k++) name = `${base}#${k}`;
    this.termNames.add(name);
    return name;
  }

  /** stopgrad, repeat, mask_patches, mask_spans, patches. */
  private graphFunction(spec: BuiltinSpec, e: A.Call, ctx: Ctx): Value {
    if (!ctx.graph) return this.error(Codes.typeMismatch, `${spec.name}(...) builds the training graph; use it in 'loss' or in a let`, e.span);
    if (spec.name === 'repeat') return this.repeat(spec, e, ctx);
    const b = this.bind(spec, e, ctx);
    if (!b.ok) return ERROR;
    const x = b.values['x']!;
    if (spec.name === 'stopgrad') {
      const one = (t: Extract<Value, { t: 'tensor' }>): Value => ({ t: 'tensor', node: this.addNode({ kind: 'stopgrad', input: t.node, shape: [...t.shape], origin: e.span }), shape: [...t.shape] });
      if (x.t === 'list') return { t: 'list', items: x.items.map((i) => (i.t === 'tensor' ? one(i) : i)) };
      return x.t === 'tensor' ? one(x) : ERROR;
    }
    if (x.t !== 'tensor') return this.error(Codes.typeMismatch, `${spec.name} takes one tensor, got ${describe(x)}`, b.spans['x'] ?? e.span);
    const src = this.g.nodes[x.node];
    if (src && src.kind !== 'batch' && src.kind !== 'view') {
      return this.error(Codes.typeMismatch, `${spec.name} works on data or a view draw, not on a network output`, b.spans['x'] ?? e.span, 'mask / cut the input: mask_patches(x1, patch: 4)');
    }
    const patch = num(b.values['patch'])!;
    const grid = tokenGrid(x.shape, patch);
    if (typeof grid === 'string') return this.error(Codes.shapeMismatch, `${spec.name}: ${grid}`, b.spans['patch'] ?? e.span);
    const patchDims = grid.map(() => patch);
    if (spec.name === 'patches') {
      const tokens = grid.reduce((a, g) => a * g, 1);
      const width = (x.shape.length === 3 ? patch * patch : patch) * x.shape[x.shape.length - 1]!;
      const shape = [tokens, width];
      const node = this.addNode({ kind: 'patchify', input: x.node, patch, normalize: bool(b.values['normalize']), shape, origin: e.span });
      return { t: 'tensor', node, shape };
    }
    const ratio = num(b.values['ratio'])!;
    const mask: MaskSpec =
      spec.name === 'mask_spans'
        ? { kind: 'spans', ratio, span: num(b.values['span'])!, grid, patch: patchDims }
        : { kind: 'patches', ratio, grid, patch: patchDims };
    const tokens = grid.reduce((a, g) => a * g, 1);
    const node = this.addNode({ kind: 'mask', input: x.node, mask, shape: [tokens], origin: e.span });
    return { t: 'mask', node, grid, patch: patchDims };
  }

  /** `repeat(N, expr)`: N independent evaluations (fresh view draws each time). */
  private repeat(spec: BuiltinSpec, e: A.Call, ctx: Ctx): Value {
    const positional = e.args.filter((a) => !a.name);
    const named = e.args.find((a) => a.name);
    if (named?.name) return this.error(Codes.unknownParameter, `repeat has no parameter '${named.name.name}'`, named.name.span, 'write repeat(N, EXPRESSION)');
    if (positional.length !== 2) return this.error(positional.length < 2 ? Codes.missingParameter : Codes.tooManyArguments, 'repeat takes a count and an expression: repeat(6, local(train))', e.span);
    const n = coerceCount(this.evalExpr(positional[0]!.value, ctx));
    if (n === undefined) return this.error(Codes.valueOutOfRange, `the count of repeat must be an integer from 1 to ${spec.params[0]!.max}`, positional[0]!.value.span);
    const items: Value[] = [];
    for (let i = 0; i < n; i++) {
      const v = this.evalExpr(positional[1]!.value, ctx);
      if (v.t === 'error') return ERROR;
      if (v.t !== 'tensor') return this.error(Codes.typeMismatch, `repeat draws tensors (views of data, network outputs), got ${describe(v)}`, positional[1]!.value.span);
      items.push(v);
    }
    return { t: 'list', items };
  }

  // -------------------------------------------------------------------------------------------
  // Views and networks applied in the graph

  private addNode(n: DistributiveOmitId<GraphNode>): number {
    const id = this.g.nodes.length;
    this.g.nodes.push({ id, ...n } as GraphNode);
    return id;
  }

  private batchNode(d: DataValue, span: Span): Value {
    if (!d.name) return this.error(Codes.typeMismatch, 'the loss must read a named data source', span, 'define it first: data train = mnist(split: "train")');
    let id = this.g.batchNodes.get(d.name);
    if (id === undefined) {
      id = this.addNode({ kind: 'batch', data: d.name, shape: [...d.source.shape], origin: d.source.origin });
      this.g.batchNodes.set(d.name, id);
    }
    return { t: 'tensor', node: id, shape: [...d.source.shape] };
  }

  private apply(kind: 'view' | 'network' | 'teacher', name: string, e: A.Call, ctx: Ctx): Value {
    if (!ctx.graph) {
      return this.error(Codes.typeMismatch, `${kind} '${name}' can only be applied in the loss or in a let`, e.span);
    }
    const positional = e.args.filter((a) => !a.name);
    let maskArg: A.Argument | undefined;
    let layersArg: A.Argument | undefined;
    for (const a of e.args) {
      if (!a.name) continue;
      const options = kind === 'view' ? [] : ['mask', 'layers'];
      if (a.name.name === 'mask' && kind !== 'view') maskArg = a;
      else if (a.name.name === 'layers' && kind !== 'view') layersArg = a;
      else {
        return this.error(
          Codes.unknownParameter,
          kind === 'view' ? `view '${name}' takes one input and no named parameters` : `${kind} '${name}' has no parameter '${a.name.name}'`,
          a.name.span,
          options.length > 0 ? suggestionHint(a.name.name, options, 'parameters') : undefined,
        );
      }
    }
    if (positional.length === 0) return this.error(Codes.missingParameter, `${kind} '${name}' needs an input: ${name}(x)`, e.span);
    if (positional.length > 1) return this.error(Codes.tooManyArguments, `${kind} '${name}' takes exactly one input`, positional[1]!.span);
    const arg = positional[0]!.value;
    let input = this.evalExpr(arg, ctx);
    if (input.t === 'error') return ERROR;
    if (input.t === 'data') input = this.batchNode(input, arg.span);
    if (input.t === 'error') return ERROR;
    // A network applied to a list of views maps over it (multi-crop): student([g1, g2, l1]).
    if (input.t === 'list') {
      if (maskArg) return this.error(Codes.typeMismatch, `a mask belongs to one input; apply ${name} to each view separately`, maskArg.span);
      const items: Value[] = [];
      for (const item of input.items) {
        const v = item.t === 'tensor' ? this.applyOne(kind, name, item, arg.span, e, ctx, undefined, layersArg) : this.error(Codes.typeMismatch, `${kind} '${name}' applies to tensors, got ${describe(item)} in the list`, arg.span);
        if (v.t === 'error') return ERROR;
        items.push(v);
      }
      return { t: 'list', items };
    }
    if (input.t !== 'tensor') {
      return this.error(Codes.typeMismatch, `${kind} '${name}' applies to ${kind === 'view' ? 'data' : 'data or a tensor'}, got ${describe(input)}`, arg.span);
    }
    return this.applyOne(kind, name, input, arg.span, e, ctx, maskArg, layersArg);
  }

  private applyOne(
    kind: 'view' | 'network' | 'teacher',
    name: string,
    input: Extract<Value, { t: 'tensor' }>,
    argSpan: Span,
    e: A.Call,
    ctx: Ctx,
    maskArg: A.Argument | undefined,
    layersArg: A.Argument | undefined,
  ): Value {
    if (kind === 'view') {
      const src = this.g.nodes[input.node];
      if (src && src.kind !== 'batch' && src.kind !== 'view') {
        return this.error(Codes.typeMismatch, `view '${name}' applies to data, not to the output of network '${(src as { network?: string }).network ?? '?'}'`, argSpan, 'views augment images; apply networks after views: encoder(aug(train))');
      }
      const ops = this.evalView(name, e.callee.span);
      if (!ops) return ERROR;
      const out = this.viewShape(name, ops, input.shape, e.span);
      if (!out) return ERROR;
      const id = this.addNode({ kind: 'view', view: name, input: input.node, shape: out, origin: e.span });
      return { t: 'tensor', node: id, shape: out };
    }
    let networkName = name;
    if (kind === 'teacher') {
      const teacher = this.evalTeacher(name, e.callee.span);
      if (!teacher) return ERROR;
      networkName = teacher.of;
    }
    const stages = this.evalNetwork(networkName, e.callee.span);
    if (!stages) return ERROR;
    const net = this.networkShape(networkName, stages, input.shape, e.span);
    if (!net) return ERROR;
    let mask: number | undefined;
    if (maskArg) {
      const m = this.evalExpr(maskArg.value, ctx);
      if (m.t === 'error') return ERROR;
      if (m.t !== 'mask') return this.error(Codes.typeMismatch, `'mask' must be a mask from mask_patches(...) or mask_spans(...), got ${describe(m)}`, maskArg.value.span);
      const maskNode = this.g.nodes[m.node] as Extract<GraphNode, { kind: 'mask' }>;
      const masked = this.g.nodes[maskNode.input];
      if (!sameShape(masked?.shape ?? [], input.shape)) {
        return this.error(Codes.shapeMismatch, `the mask was made for ${formatShape(masked?.shape ?? [])} inputs, but ${kind} '${name}' is applied to ${formatShape(input.shape)}`, maskArg.span);
      }
      const first = net.stages[0]!;
      if (first.kind === 'transformer' && m.patch[0] !== first.patch) {
        return this.error(Codes.shapeMismatch, `the mask hides ${m.patch[0]}-sized tokens, but the transformer of '${networkName}' uses patch ${first.patch}`, maskArg.span, `make them equal: patch: ${first.patch}`, [{ message: 'transformer defined here', span: first.origin }]);
      }
      mask = m.node;
    }
    let layers: { top: number; norm: 'instance' } | undefined;
    let shape = [...net.outputShape];
    if (layersArg) {
      const v = this.evalExpr(layersArg.value, ctx);
      if (v.t === 'error') return ERROR;
      const last = net.stages[net.stages.length - 1]!;
      if (last.kind !== 'transformer') {
        return this.error(Codes.typeMismatch, `'layers' averages transformer blocks, but the last stage of '${networkName}' is ${last.kind}`, layersArg.span, 'end the network with transformer(...)');
      }
      if (v.t !== 'number' || !Number.isInteger(v.v) || v.v < 1 || v.v > last.depth) {
        return this.error(Codes.valueOutOfRange, `'layers' must be a whole number of blocks from 1 to ${last.depth} (the transformer's depth), got ${describe(v)}`, layersArg.value.span);
      }
      layers = { top: v.v, norm: 'instance' };
      shape = [last.tokens, last.dim];
    }
    const id = this.addNode({ kind: 'apply', network: name, input: input.node, ...(mask !== undefined ? { mask } : {}), ...(layers ? { layers } : {}), shape, origin: e.span });
    return { t: 'tensor', node: id, shape: [...shape] };
  }

  private shapeError(r: Extract<ShapeResult, { ok: false }>, at: Span, related: Diagnostic['related']): void {
    const op = r.op as { origin: Span };
    const paramSpan = r.error.param ? this.opSpans.get(r.op as AugOp)?.[r.error.param] : undefined;
    this.error(r.error.code, r.error.message, paramSpan ?? at, undefined, [...(related ?? []), { message: 'defined here', span: op.origin }]);
  }

  private viewShape(name: string, ops: AugOp[], input: number[], at: Span): number[] | null {
    const seen = this.viewShapes.get(name);
    if (seen) {
      if (!sameShape(seen.inputShape, input)) {
        this.error(Codes.shapeMismatch, `view '${name}' is applied to ${formatShape(seen.inputShape)} and ${formatShape(input)} inputs; a view takes one input shape`, at, undefined, [
          { message: `applied to ${formatShape(seen.inputShape)} here`, span: seen.firstUse },
        ]);
        return null;
      }
      return seen.outputShape;
    }
    if (this.shapeFailed.has(`view:${name}`)) return null;
    const r = opsOutputShape(ops, input);
    if (!r.ok) {
      this.shapeFailed.add(`view:${name}`);
      this.shapeError(r, at, [{ message: `view '${name}' applied to ${formatShape(input)} here`, span: at }]);
      return null;
    }
    const def = this.defs.get(name)!;
    this.viewShapes.set(name, { name, ops, inputShape: [...input], outputShape: r.shape, origin: def.span, firstUse: at });
    return r.shape;
  }

  private networkShape(name: string, stages: StageSpec[], input: readonly number[], at: Span): CheckedNetwork | null {
    const seen = this.networkShapes.get(name);
    if (seen) {
      // Conv stems end in global average pooling, so one set of weights takes any image size with the
      // same channels (multi-crop: 28x28 globals and 12x12 locals through one encoder).
      const first = seen.stages[0];
      const sizeAgnostic = (first?.kind === 'convnet' || first?.kind === 'resnet') && input.length === 3 && seen.inputShape.length === 3 && input[2] === seen.inputShape[2];
      if (sizeAgnostic) return seen;
      if (!sameShape(seen.inputShape, input)) {
        this.error(Codes.shapeMismatch, `network '${name}' is applied to ${formatShape(seen.inputShape)} and ${formatShape(input)} inputs; its weights fit one input shape`, at, undefined, [
          { message: `applied to ${formatShape(seen.inputShape)} here`, span: seen.firstUse },
        ]);
        return null;
      }
      return seen;
    }
    if (this.shapeFailed.has(`network:${name}`)) return null;
    let shape = [...input];
    const out: Stage[] = [];
    for (const s of stages) {
      const r = stageOutputShape(s, shape);
      if (!r.ok) {
        this.shapeFailed.add(`network:${name}`);
        const paramSpan = r.error.param ? this.stageSpans.get(s)?.[r.error.param] : undefined;
        this.error(r.error.code === 'value-out-of-range' ? Codes.valueOutOfRange : Codes.shapeMismatch, `in network '${name}': ${r.error.message}`, paramSpan ?? at, undefined, [
          ...(paramSpan ? [{ message: `'${name}' applied to ${formatShape(shape)} here`, span: at }] : []),
          { message: 'stage defined here', span: s.origin },
        ]);
        return null;
      }
      const tokens = s.kind === 'transformer' ? { tokens: transformerTokens(s.patch, shape) } : {};
      out.push({ ...s, ...tokens, inputShape: shape, outputShape: r.shape } as Stage);
      shape = r.shape;
    }
    const def = this.defs.get(name)!;
    const net: CheckedNetwork = { name, stages: out, inputShape: [...input], outputShape: shape, origin: def.span, firstUse: at };
    this.networkShapes.set(name, net);
    return net;
  }
}

type DistributiveOmitId<T> = T extends unknown ? Omit<T, 'id'> : never;

function short(raw: string): string {
  return raw.length > 24 ? `${raw.slice(0, 12)}…${raw.slice(-8)}` : raw;
}

function num(v: Value | undefined): number | undefined {
  return v?.t === 'number' ? v.v : undefined;
}
function bool(v: Value | undefined): boolean {
  return v?.t === 'bool' ? v.v : false;
}
function rng(v: Value | undefined): [number, number] {
  return v?.t === 'range' ? [v.lo, v.hi] : [0, 0];
}
function ints(v: Value | undefined): number[] {
  return v?.t === 'list' ? v.items.map((i) => (i.t === 'number' ? i.v : 0)) : [];
}
function enumOf(v: Value | undefined): string {
  return v?.t === 'enum' ? v.v : '';
}
function coerceCount(v: Value): number | undefined {
  return v.t === 'number' && Number.isInteger(v.v) && v.v >= 1 && v.v <= 64 ? v.v : undefined;
}

/** The token grid of a per-example shape cut into `patch`-sized tokens, or why it cannot be cut. */
export function tokenGrid(shape: readonly number[], patch: number): number[] | string {
  if (shape.length === 3) {
    const [h, w] = shape as [number, number, number];
    if (h % patch !== 0 || w % patch !== 0) return `patch ${patch} does not divide the ${h} x ${w} image`;
    return [h / patch, w / patch];
  }
  if (shape.length === 2) {
    const [t] = shape as [number, number];
    if (t % patch !== 0) return `window ${patch} does not divide the ${t} time steps`;
    return [t / patch];
  }
  return `needs an image [H, W, C] or a sequence [T, C], got ${formatShape(shape)}`;
}

function lossHint(): string {
  return `losses: ${builtinsOfKind('loss').map((b) => b.name).join(', ')}`;
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

export function validate(resolved: Resolved, diagnostics: Diagnostic[]): Checked {
  return new Checker(resolved, diagnostics).run();
}

