/**
 * Generic argument checking, driven by the builtin catalog: binds positional and named arguments to
 * parameters, reports unknown/duplicate/missing parameters, checks each value's type and range, and
 * fills in defaults. No per-function code lives here.
 */
import type * as A from '../ast.js';
import type { BuiltinSpec, DefaultValue, ParamSpec, ParamType } from '../builtins.js';
import { Codes } from '../codes.js';
import { suggestionHint, type Diagnostic } from '../diagnostics.js';
import type { Span } from '../ir.js';
import { describe, ERROR, formatNumber, type Value } from './values.js';

export interface BoundArgs {
  /** Every parameter's value (given or default); absent only for missing optional ones without default. */
  values: Record<string, Value>;
  /** Span of the argument that gave each parameter (absent for defaults). */
  spans: Record<string, Span>;
  /** False when any argument was rejected or a required one is missing. */
  ok: boolean;
}

export type Report = (d: Diagnostic) => void;

function typeName(t: ParamType): string {
  switch (t.kind) {
    case 'int':
      return 'an integer';
    case 'number':
      return 'a number';
    case 'range':
      return 'a range like `0.1..2.0` (or one number)';
    case 'int-list':
      return 'a list of integers like `[32, 64]`';
    case 'string-enum':
      return `one of ${t.values.map((v) => JSON.stringify(v)).join(', ')}`;
    case 'ident-enum':
      return `one of ${t.values.join(', ')}`;
    case 'bool':
      return '`true` or `false`';
    case 'duration':
      return 'a duration like `10 epochs` or `500 steps`';
    case 'fraction':
      return 'a fraction like `10%` or `0.1`';
    case 'data':
      return 'a data source (a `data` name or e.g. `mnist(split: "test")`)';
    case 'network':
      return 'a `network` name';
    case 'augmentation':
      return 'an augmentation (e.g. `gaussian_noise(std: 0.1)`) or a `view` name';
    case 'embedding':
      return 'an embedding (a network applied to a view, e.g. `encoder(x1)`)';
    case 'embeddings':
      return 'a list of embeddings, e.g. `student([g1, g2])`';
    case 'tensor':
      return 'a tensor of the training graph (data, a view draw or a network output)';
    case 'mask':
      return 'a mask from mask_patches(...) or mask_spans(...)';
    case 'path':
      return 'a quoted path like "data/train.csv"';
    case 'column':
      return 'a column name like "label" or a 0-based column index';
  }
}

/** `between 0 and 1`, `> 0`, `>= 1`. */
export function boundsText(p: ParamSpec): string | undefined {
  const lo = p.min === undefined ? undefined : `${p.exclusiveMin ? '>' : '>='} ${formatNumber(p.min)}`;
  const hi = p.max === undefined ? undefined : `${p.exclusiveMax ? '<' : '<='} ${formatNumber(p.max)}`;
  if (lo && hi) return `${lo} and ${hi}`;
  return lo ?? hi;
}

function inBounds(x: number, p: ParamSpec): boolean {
  if (p.min !== undefined && (p.exclusiveMin ? !(x > p.min) : !(x >= p.min))) return false;
  if (p.max !== undefined && (p.exclusiveMax ? !(x < p.max) : !(x <= p.max))) return false;
  return true;
}

export function defaultValue(p: ParamSpec): Value | undefined {
  const d: DefaultValue | undefined = p.default;
  if (d === undefined) return undefined;
  if (typeof d === 'number') return { t: 'number', v: d };
  if (typeof d === 'boolean') return { t: 'bool', v: d };
  if (typeof d === 'string') return p.type.kind === 'ident-enum' ? { t: 'enum', v: d } : { t: 'string', v: d };
  if (Array.isArray(d)) {
    return p.type.kind === 'range' ? { t: 'range', lo: d[0]!, hi: d[1]! } : { t: 'list', items: d.map((v) => ({ t: 'number', v })) };
  }
  const dur = d as { value: number; unit: 'epochs' | 'steps' };
  return { t: 'duration', v: dur.value, unit: dur.unit };
}

/** Checks one value against a parameter's type and bounds; reports and returns ERROR when it does not fit. */
export function coerce(fn: string, p: ParamSpec, v: Value, span: Span, report: Report): Value {
  if (v.t === 'error') return ERROR;
  const mismatch = (hint?: string): Value => {
    report({
      severity: 'error',
      code: Codes.typeMismatch,
      message: `'${p.name}' of ${fn} must be ${typeName(p.type)}, got ${describe(v)}`,
      span,
      ...(hint ? { hint } : {}),
    });
    return ERROR;
  };
  const outOfRange = (what: string): Value => {
    report({
      severity: 'error',
      code: Codes.valueOutOfRange,
      message: `'${p.name}' of ${fn} must be ${boundsText(p)}, got ${what}`,
      span,
    });
    return ERROR;
  };
  switch (p.type.kind) {
    case 'int':
      if (v.t !== 'number') return mismatch();
      if (!Number.isInteger(v.v)) return mismatch(`round it, e.g. ${Math.round(v.v)}`);
      return inBounds(v.v, p) ? v : outOfRange(formatNumber(v.v));
    case 'number':
      if (v.t === 'ramp' && p.schedulable) {
        if (!inBounds(v.from, p) || !inBounds(v.to, p)) return outOfRange(`${formatNumber(v.from)} -> ${formatNumber(v.to)}`);
        return v;
      }
      if (v.t === 'ramp') return mismatch(`'${p.name}' is fixed during training; give one number`);
      if (v.t !== 'number') return mismatch();
      return inBounds(v.v, p) ? v : outOfRange(formatNumber(v.v));
    case 'fraction':
      if (v.t !== 'number') return mismatch();
      return inBounds(v.v, p) ? v : outOfRange(formatNumber(v.v));
    case 'range': {
      const r: Value | undefined = v.t === 'range' ? v : v.t === 'number' ? { t: 'range', lo: v.v, hi: v.v } : undefined;
      if (!r || r.t !== 'range') return mismatch();
      if (!inBounds(r.lo, p) || !inBounds(r.hi, p)) return outOfRange(`${formatNumber(r.lo)}..${formatNumber(r.hi)}`);
      return r;
    }
    case 'int-list': {
      if (v.t !== 'list') return v.t === 'number' ? mismatch(`write a list: [${formatNumber(v.v)}]`) : mismatch();
      if (v.items.length === 0) {
        report({ severity: 'error', code: Codes.valueOutOfRange, message: `'${p.name}' of ${fn} must not be empty`, span });
        return ERROR;
      }
      for (const item of v.items) {
        if (item.t === 'error') return ERROR;
        if (item.t !== 'number' || !Number.isInteger(item.v)) return mismatch();
        if (!inBounds(item.v, p)) return outOfRange(formatNumber(item.v));
      }
      return v;
    }
    case 'string-enum': {
      const values = p.type.values;
      if (v.t !== 'string') {
        const word = v.t === 'data' ? v.name : v.t === 'enum' ? v.v : undefined;
        return mismatch(word && values.includes(word) ? `write it as a string: "${word}"` : undefined);
      }
      if (values.includes(v.v)) return v;
      report({
        severity: 'error',
        code: Codes.valueOutOfRange,
        message: `'${p.name}' of ${fn} must be ${typeName(p.type)}, got ${JSON.stringify(v.v)}`,
        span,
        ...(suggestionHint(v.v, values, 'valid values') ? { hint: suggestionHint(v.v, values, 'valid values') } : {}),
      });
      return ERROR;
    }
    case 'ident-enum': {
      const values = p.type.values;
      if (v.t === 'string' && values.includes(v.v)) return mismatch(`write it without quotes: ${v.v}`);
      if (v.t !== 'enum') return mismatch();
      if (values.includes(v.v)) return v;
      report({
        severity: 'error',
        code: Codes.unknownName,
        message: `unknown ${p.name} '${v.v}' for ${fn}`,
        span,
        hint: suggestionHint(v.v, values, `valid ${p.name} values`)!,
      });
      return ERROR;
    }
    case 'bool':
      return v.t === 'bool' ? v : mismatch();
    case 'duration': {
      if (v.t === 'number' && v.v === 0) return { t: 'duration', v: 0, unit: 'steps' };
      if (v.t !== 'duration') return v.t === 'number' ? mismatch(`add a unit: \`${formatNumber(v.v)} epochs\` or \`${formatNumber(v.v)} steps\``) : mismatch();
      return inBounds(v.v, p) ? v : outOfRange(`${formatNumber(v.v)} ${v.unit}`);
    }
    case 'data':
      return v.t === 'data' ? v : mismatch();
    case 'network':
      return v.t === 'network' ? v : mismatch();
    case 'augmentation':
      return v.t === 'ops' ? v : mismatch();
    case 'embedding':
      if (v.t === 'list') return mismatch('this loss takes one embedding per argument; lists are for multi-view losses such as dino');
      return v.t === 'tensor' ? v : mismatch(v.t === 'data' || v.t === 'view' ? 'apply a network to a view first, e.g. `encoder(aug(train))`' : undefined);
    case 'embeddings': {
      const items = v.t === 'list' ? v.items : [v];
      if (items.length === 0) {
        report({ severity: 'error', code: Codes.valueOutOfRange, message: `'${p.name}' of ${fn} must not be empty`, span });
        return ERROR;
      }
      if (items.some((i) => i.t === 'error')) return ERROR;
      if (!items.every((i) => i.t === 'tensor')) return mismatch();
      return { t: 'list', items };
    }
    case 'tensor':
      if (v.t === 'tensor') return v;
      if (v.t === 'list' && v.items.length > 0 && v.items.every((i) => i.t === 'tensor')) return v;
      return mismatch(v.t === 'view' || v.t === 'network' || v.t === 'teacher' ? `apply it: ${v.name}(...)` : undefined);
    case 'mask':
      return v.t === 'mask' ? v : mismatch();
    case 'path':
      if (v.t !== 'string') return mismatch(v.t === 'data' || v.t === 'enum' ? `quote it: "${v.t === 'data' ? v.name : v.v}"` : undefined);
      if (v.v.trim() === '') {
        report({ severity: 'error', code: Codes.valueOutOfRange, message: `'${p.name}' of ${fn} must not be an empty path`, span });
        return ERROR;
      }
      return v;
    case 'column':
      if (v.t === 'string') return v;
      if (v.t === 'number' && Number.isInteger(v.v) && v.v >= -1) return v;
      return mismatch(v.t === 'number' ? 'a column index is an integer >= 0 (or -1 for the last column)' : undefined);
  }
}

/**
 * Binds `args` to `spec.params`. `evalArg` evaluates an argument expression knowing its parameter
 * (so `norm: batch` reads `batch` as an enum word); it returns ERROR after reporting.
 */
export function bindArgs(
  fn: string,
  spec: BuiltinSpec,
  args: readonly A.Argument[],
  callSpan: Span,
  evalArg: (e: A.Expression, p: ParamSpec) => Value,
  report: Report,
): BoundArgs {
  const values: Record<string, Value> = {};
  const spans: Record<string, Span> = {};
  let ok = true;
  const positional = spec.params.filter((p) => p.positional);
  const variadicItems: Value[] = [];
  let variadicSpan: Span | undefined;
  let k = 0;

  for (const arg of args) {
    let p: ParamSpec | undefined;
    if (arg.name) {
      p = spec.params.find((q) => q.name === arg.name!.name);
      if (!p) {
        ok = false;
        const names = spec.params.map((q) => q.name);
        report({
          severity: 'error',
          code: Codes.unknownParameter,
          message: `${fn} has no parameter '${arg.name.name}'`,
          span: arg.name.span,
          ...(names.length > 0 ? { hint: suggestionHint(arg.name.name, names, 'parameters')! } : { hint: `${fn} takes no arguments` }),
        });
        continue;
      }
    } else {
      p = positional[k] ?? (positional[positional.length - 1]?.variadic ? positional[positional.length - 1] : undefined);
      k++;
      if (!p) {
        ok = false;
        const named = spec.params.filter((q) => !q.positional).map((q) => q.name);
        report({
          severity: 'error',
          code: Codes.tooManyArguments,
          message: `${fn} takes ${positional.length === 0 ? 'no' : `at most ${positional.length}`} positional argument${positional.length === 1 ? '' : 's'}`,
          span: arg.span,
          ...(named.length > 0 ? { hint: `name the argument: ${named.map((n) => `${n}: ...`).join(', ')}` } : {}),
        });
        continue;
      }
    }
    if (p.variadic && !arg.name) {
      const v = coerce(fn, p, evalArg(arg.value, p), arg.value.span, report);
      if (v.t === 'error') ok = false;
      variadicItems.push(v);
      variadicSpan = variadicSpan ? { ...variadicSpan, end: arg.span.end } : arg.span;
      continue;
    }
    if (p.name in spans) {
      ok = false;
      report({
        severity: 'error',
        code: Codes.duplicateParameter,
        message: `'${p.name}' of ${fn} is given more than once`,
        span: arg.span,
        related: [{ message: `'${p.name}' first given here`, span: spans[p.name]! }],
      });
      continue;
    }
    const v = coerce(fn, p, evalArg(arg.value, p), arg.value.span, report);
    if (v.t === 'error') ok = false;
    values[p.name] = v;
    spans[p.name] = arg.span;
  }

  for (const p of spec.params) {
    if (p.variadic) {
      if (variadicItems.length > 0) {
        values[p.name] = { t: 'list', items: variadicItems };
        spans[p.name] = variadicSpan!;
        continue;
      }
    }
    if (p.name in values) continue;
    if (p.required) {
      ok = false;
      report({
        severity: 'error',
        code: Codes.missingParameter,
        message: `${fn} needs '${p.name}'`,
        span: callSpan,
        hint: `${p.positional ? `give it first, or as \`${p.name}: ...\`` : `add \`${p.name}: ...\``}: ${p.doc}`,
      });
      continue;
    }
    const d = defaultValue(p);
    if (d) values[p.name] = d;
  }
  return { values, spans, ok };
}
