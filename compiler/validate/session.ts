/**
 * The state one validation run shares between its parts: the resolved recipe, the diagnostics sink,
 * the `Checked` result being filled in, the compile-time constants, and the parts themselves.
 *
 * Evaluation is mutually recursive across the parts (an expression calls a view, whose definition is
 * an expression, ...), so each part reaches its siblings through the session instead of importing
 * them: only this file creates them, and the parts import it for its type alone.
 */
import type * as A from '../ast.js';
import type { constants } from '../builtins.js';
import type { Diagnostic } from '../diagnostics.js';
import type { FileLoader } from '../extends.js';
import type { AugOp, Span } from '../ir.js';
import type { Resolved } from '../resolve.js';
import { Calls } from './calls.js';
import { DataSources } from './datasets.js';
import { Definitions } from './definitions.js';
import { Expressions } from './expressions.js';
import { GraphBuilder } from './graph-builder.js';
import { GraphFunctions } from './graph-functions.js';
import type { Checked } from './index.js';
import { Probes } from './probes.js';
import { Sections } from './sections.js';
import { ERROR, type StageSpec, type Value } from './values.js';

export class Session {
  readonly diagnostics: Diagnostic[];
  readonly defs: Map<string, A.Definition>;
  readonly out: Checked;
  readonly consts: Partial<Record<keyof typeof constants, number>> = {};
  /** Constants whose source (train / the loss) is missing or already reported as broken: uses stay quiet. */
  readonly brokenConsts = new Set<string>();
  /** The argument spans of each op / stage, so a shape error can point at the parameter it is about. */
  readonly opSpans = new WeakMap<AugOp, Record<string, Span>>();
  readonly stageSpans = new WeakMap<StageSpec, Record<string, Span>>();

  readonly expressions: Expressions;
  readonly calls: Calls;
  readonly definitions: Definitions;
  readonly graph: GraphBuilder;
  readonly graphFunctions: GraphFunctions;
  readonly sections: Sections;
  readonly probes: Probes;
  readonly dataSources: DataSources;

  constructor(
    readonly r: Resolved,
    diagnostics: Diagnostic[],
    /** How file-based datasets are inspected (absent: they cannot be checked; validate/datasets.ts). */
    readonly loader: Pick<FileLoader, 'inspectData'> = {},
  ) {
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
      checkpointEvery: { v: 1, unit: 'epochs' },
      keepCheckpoints: 2,
      trainOrigin: null,
      probes: [],
    };
    this.expressions = new Expressions(this);
    this.calls = new Calls(this);
    this.definitions = new Definitions(this);
    this.graph = new GraphBuilder(this);
    this.graphFunctions = new GraphFunctions(this);
    this.sections = new Sections(this);
    this.probes = new Probes(this);
    this.dataSources = new DataSources(this);
  }

  report(d: Diagnostic): void {
    this.diagnostics.push(d);
  }

  error(code: Diagnostic['code'], message: string, span: Span, hint?: string, related?: Diagnostic['related']): Value {
    this.report({ severity: 'error', code, message, span, ...(hint ? { hint } : {}), ...(related ? { related } : {}) });
    return ERROR;
  }
}
