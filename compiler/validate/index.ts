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
import type { Diagnostic } from '../diagnostics.js';
import type { FileLoader } from '../extends.js';
import type { AugOp, DataSource, FeatureRef, GraphNode, Span, Stage } from '../ir.js';
import type { Resolved } from '../resolve.js';
import { Session } from './session.js';
import type { Value } from './values.js';

export { tokenGrid } from './graph-functions.js';
export { featureChain } from './probes.js';

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
  /** `checkpoint_every` of the train statement (default 1 epochs; 0 steps = only at the end). */
  checkpointEvery: { v: number; unit: 'epochs' | 'steps' };
  keepCheckpoints: number;
  trainOrigin: Span | null;
  optimizer?: Extract<Value, { t: 'call' }>;
  schedule?: Extract<Value, { t: 'call' }>;
  probes: CheckedProbe[];
}

/**
 * The phases, in the order the header describes. The parts they call live beside this file:
 * session.ts (shared state), definitions.ts, expressions.ts, calls.ts, graph-builder.ts,
 * graph-functions.ts, sections.ts, probes.ts.
 */
function run(s: Session): Checked {
  const { sections } = s.r;
  const out = s.out;
  // 1. Data definitions.
  for (const [name, def] of s.defs) if (def.kind === 'data') s.definitions.evalData(name, def.name.span);

  // 2. train: epochs and seed.
  if (sections.train) s.sections.train(sections.train);
  if (out.epochs === undefined) s.brokenConsts.add('epochs');

  // 3. The loss: builds the training graph, which picks the training data.
  if (sections.loss) s.sections.loss(sections.loss);
  // Without a usable loss the training data is unknown, and that was reported (missing section,
  // an error in the loss, no training data): later uses of `batch` stay quiet.
  if (out.stepsPerEpoch === undefined) {
    s.brokenConsts.add('batch');
    s.brokenConsts.add('steps_per_epoch');
  }

  // 4. Optimizer, schedule, probes (every constant is known now).
  if (sections.optimizer) out.optimizer = s.sections.statementCall(sections.optimizer, 'optimizer');
  if (sections.schedule) {
    out.schedule = s.sections.statementCall(sections.schedule, 'schedule');
    s.sections.checkSchedule();
  }
  for (const p of sections.probes) s.probes.probe(p);

  // 5. Whatever nothing reached is still checked, in a scratch graph.
  // (A copy of the real graph, so node ids of lets the loss already drew stay meaningful.)
  s.graph.scratch();
  for (const [name, def] of s.defs) {
    if (def.kind === 'view') s.definitions.evalView(name, def.name.span);
    else if (def.kind === 'network') s.definitions.evalNetwork(name, def.name.span);
    else if (def.kind === 'teacher') s.definitions.evalTeacher(name, def.name.span);
    else if (def.kind === 'let') s.definitions.evalLet(name, def.name.span);
  }

  for (const [name, v] of s.graph.viewShapes) out.views.set(name, v);
  for (const [name, n] of s.graph.networkShapes) out.networks.set(name, n);
  return out;
}

export function validate(resolved: Resolved, diagnostics: Diagnostic[], loader: Pick<FileLoader, 'inspectData'> = {}): Checked {
  return run(new Session(resolved, diagnostics, loader));
}
