/**
 * Compile-time values: what an expression evaluates to during validation. Scalars are constant
 * folded; view draws and network applications become training-graph nodes (`tensor`), loss terms a
 * weighted sum over loss nodes.
 */
import type { AugOp, DataSource, Span, Stage } from '../ir.js';

/** A data source before the probe/training defaults are applied; `name` is set for `data` definitions. */
export interface DataValue {
  t: 'data';
  name?: string;
  source: DataSource;
}

/** A network stage before shapes are known. */
export type StageSpec = DistributiveOmit<Stage, 'inputShape' | 'outputShape'>;
type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;

export type Value =
  | { t: 'number'; v: number }
  | { t: 'string'; v: string }
  | { t: 'bool'; v: boolean }
  | { t: 'range'; lo: number; hi: number }
  | { t: 'list'; items: Value[] }
  | { t: 'duration'; v: number; unit: 'epochs' | 'steps' }
  /** A bare word in an enum position (`norm: batch`). */
  | { t: 'enum'; v: string }
  | DataValue
  /** A `view` name (not applied). */
  | { t: 'view'; name: string }
  /** A `network` name (not applied). */
  | { t: 'network'; name: string }
  /** A `teacher` name (not applied). */
  | { t: 'teacher'; name: string }
  /**
   * `from -> to shape`: a hyperparameter ramp. `over` is its length (null: the whole run); it is
   * turned into steps at lowering, once steps per epoch are known.
   */
  | { t: 'ramp'; from: number; to: number; shape: 'linear' | 'cosine'; over: { v: number; unit: 'epochs' | 'steps' } | null }
  /** A token mask node of the graph, with its token grid. */
  | { t: 'mask'; node: number; grid: number[]; patch: number[] }
  /** Augmentation ops (one call, a pipeline or a view's ops). */
  | { t: 'ops'; ops: AugOp[] }
  /** Network stages (one call or a chain). */
  | { t: 'stages'; stages: StageSpec[] }
  /** A per-example tensor in the training graph: node id and per-example shape. */
  | { t: 'tensor'; node: number; shape: number[] }
  /** A weighted sum of loss nodes. */
  | { t: 'loss'; terms: { node: number; weight: number }[]; span: Span }
  /** An optimizer/schedule/probe call, checked, for its statement to lower. */
  | { t: 'call'; fn: string; args: Record<string, Value>; spans: Record<string, Span>; span: Span }
  /** Already reported; suppresses follow-on errors. */
  | { t: 'error' };

export const ERROR: Value = { t: 'error' };

/** How a value's kind reads in a message: "a number", "a view", ... */
export function describe(v: Value): string {
  switch (v.t) {
    case 'number':
      return `the number ${formatNumber(v.v)}`;
    case 'string':
      return `the string ${JSON.stringify(v.v)}`;
    case 'bool':
      return `the boolean ${v.v}`;
    case 'range':
      return 'a range';
    case 'list':
      return 'a list';
    case 'duration':
      return 'a duration';
    case 'enum':
      return `the word '${v.v}'`;
    case 'data':
      return v.name ? `the data source '${v.name}'` : 'a data source';
    case 'view':
      return `the view '${v.name}'`;
    case 'network':
      return `the network '${v.name}'`;
    case 'teacher':
      return `the teacher '${v.name}'`;
    case 'ramp':
      return `a ramp ${formatNumber(v.from)} -> ${formatNumber(v.to)} ${v.shape}`;
    case 'mask':
      return `a mask over ${v.grid.join(' x ')} tokens`;
    case 'ops':
      return 'augmentation ops';
    case 'stages':
      return 'network stages';
    case 'tensor':
      return `a tensor of shape ${formatShape(v.shape)} per example`;
    case 'loss':
      return 'a loss';
    case 'call':
      return `a ${v.fn}(...) call`;
    case 'error':
      return 'an invalid value';
  }
}

export function formatNumber(n: number): string {
  return String(n);
}

export function formatShape(shape: readonly number[]): string {
  return `[${shape.join(', ')}]`;
}

export function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

// Readers for checked argument values. `bindArgs` has already type-checked and defaulted them, so a
// mismatch here only means the argument was absent; the neutral fallback is never lowered.

export function num(v: Value | undefined): number | undefined {
  return v?.t === 'number' ? v.v : undefined;
}
export function bool(v: Value | undefined): boolean {
  return v?.t === 'bool' ? v.v : false;
}
export function rng(v: Value | undefined): [number, number] {
  return v?.t === 'range' ? [v.lo, v.hi] : [0, 0];
}
export function ints(v: Value | undefined): number[] {
  return v?.t === 'list' ? v.items.map((i) => (i.t === 'number' ? i.v : 0)) : [];
}
export function enumOf(v: Value | undefined): string {
  return v?.t === 'enum' ? v.v : '';
}
