/**
 * What every part of the validator shares: where an expression is evaluated (`Ctx`), how builtin
 * kinds read in messages, and `Part`, the base of the parts (its shorthands reach the session).
 * Kept apart from session.ts, which creates the parts: a part extending a class from there would be
 * an import cycle evaluated before the class exists.
 */
import type * as A from '../ast.js';
import type { BuiltinKind } from '../builtins.js';
import type { Diagnostic } from '../diagnostics.js';
import type { Span } from '../ir.js';
import type { Checked } from './index.js';
import type { Session } from './session.js';
import type { Value } from './values.js';

export type Role = 'data' | 'view' | 'network' | 'teacher' | 'let' | 'loss' | 'optimizer' | 'schedule' | 'probe' | 'train';

/** Where an expression is evaluated. */
export interface Ctx {
  role: Role;
  /** Whether view draws / network applications / losses may be built here. */
  graph: boolean;
}

export const kindNoun: Record<BuiltinKind, string> = {
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

/** A part of the validator: shorthands for what every part uses from the session. */
export abstract class Part {
  constructor(protected readonly session: Session) {}

  protected get out(): Checked {
    return this.session.out;
  }

  protected get defs(): Map<string, A.Definition> {
    return this.session.defs;
  }

  protected report(d: Diagnostic): void {
    this.session.report(d);
  }

  protected error(code: Diagnostic['code'], message: string, span: Span, hint?: string, related?: Diagnostic['related']): Value {
    return this.session.error(code, message, span, hint, related);
  }
}
