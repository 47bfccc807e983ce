/**
 * The `ssl` AST: what the recipe says, with every node's `span`. Built from the CST by
 * `cst-to-ast.ts`; read by `resolve.ts`, `validate/*` and `lower.ts`. No semantics here:
 * `norm: batch` is an `Identifier` until validation knows `norm` is an enum.
 */
import type { Span } from './ir.js';

export interface Node {
  span: Span;
}

export interface Identifier extends Node {
  kind: 'identifier';
  name: string;
}

export interface NumberLiteral extends Node {
  kind: 'number';
  value: number;
  /** The source text, e.g. `1e-3` (for messages). */
  raw: string;
  /** Written without `.` or exponent. */
  integer: boolean;
}

/** `10%`: `value` is the fraction (0.1). */
export interface PercentLiteral extends Node {
  kind: 'percent';
  value: number;
  raw: string;
}

/** `10 epochs`, `500 steps`. */
export interface DurationLiteral extends Node {
  kind: 'duration';
  value: number;
  unit: 'epochs' | 'steps';
  integer: boolean;
}

export interface StringLiteral extends Node {
  kind: 'string';
  value: string;
}

export interface BooleanLiteral extends Node {
  kind: 'boolean';
  value: boolean;
}

export interface Argument extends Node {
  /** Absent for positional arguments. */
  name?: Identifier;
  value: Expression;
}

export interface Call extends Node {
  kind: 'call';
  callee: Identifier;
  args: Argument[];
}

export interface Binary extends Node {
  kind: 'binary';
  op: '+' | '-' | '*' | '/';
  left: Expression;
  right: Expression;
}

export interface Unary extends Node {
  kind: 'unary';
  op: '-';
  operand: Expression;
}

/** `lo..hi`. */
export interface Range extends Node {
  kind: 'range';
  lo: Expression;
  hi: Expression;
}

export interface List extends Node {
  kind: 'list';
  items: Expression[];
}

/** `op | op | op`: a view pipeline. */
export interface Pipeline extends Node {
  kind: 'pipeline';
  stages: Expression[];
}

/** `stage -> stage`: a network chain; `from -> to cosine`: a ramp (then `shape` is set). */
export interface Chain extends Node {
  kind: 'chain';
  stages: Expression[];
  /** `linear` / `cosine`, or a call of one with options: `linear(over: 30 epochs)`. */
  shape?: Identifier | Call;
}

export type Expression =
  | Identifier
  | NumberLiteral
  | PercentLiteral
  | DurationLiteral
  | StringLiteral
  | BooleanLiteral
  | Call
  | Binary
  | Unary
  | Range
  | List
  | Pipeline
  | Chain;

// ---------------------------------------------------------------------------------------------
// Statements

export interface RecipeStatement extends Node {
  kind: 'recipe';
  name: Identifier;
}

/** `extends "base.ssl"`: this recipe overrides a base recipe's statements. */
export interface ExtendsStatement extends Node {
  kind: 'extends';
  path: StringLiteral;
}

/** `data`, `view`, `network`, `teacher` and `let` all bind a name to an expression. */
export interface Definition extends Node {
  kind: 'data' | 'view' | 'network' | 'teacher' | 'let';
  name: Identifier;
  value: Expression;
}

export interface LossStatement extends Node {
  kind: 'loss';
  value: Expression;
}

/** `optimizer CALL`, `schedule CALL`, `probe CALL`. */
export interface CallStatement extends Node {
  kind: 'optimizer' | 'schedule' | 'probe';
  /** The keyword's span (for section diagnostics). */
  keyword: Span;
  value: Expression;
}

export interface TrainStatement extends Node {
  kind: 'train';
  args: Argument[];
}

export type Statement = RecipeStatement | ExtendsStatement | Definition | LossStatement | CallStatement | TrainStatement;

export interface Program extends Node {
  kind: 'program';
  statements: Statement[];
}

/** Depth-first visit of every expression under `e` (including `e`). */
export function forEachExpression(e: Expression, f: (e: Expression) => void): void {
  const stack: Expression[] = [e];
  while (stack.length > 0) {
    const x = stack.pop()!;
    f(x);
    switch (x.kind) {
      case 'call':
        for (let i = x.args.length - 1; i >= 0; i--) stack.push(x.args[i]!.value);
        break;
      case 'binary':
        stack.push(x.right, x.left);
        break;
      case 'unary':
        stack.push(x.operand);
        break;
      case 'range':
        stack.push(x.hi, x.lo);
        break;
      case 'list':
        for (let i = x.items.length - 1; i >= 0; i--) stack.push(x.items[i]!);
        break;
      case 'chain':
        if (x.shape) stack.push(x.shape);
        for (let i = x.stages.length - 1; i >= 0; i--) stack.push(x.stages[i]!);
        break;
      case 'pipeline':
        for (let i = x.stages.length - 1; i >= 0; i--) stack.push(x.stages[i]!);
        break;
      default:
        break;
    }
  }
}
