/**
 * Expressions: constant folding of numbers, durations, lists and loss sums; ranges, ramps and view
 * pipelines / network chains; identifiers (definitions, compile-time constants). Calls are handed to
 * calls.ts, definitions to definitions.ts.
 */
import type * as A from '../ast.js';
import { builtins, constants, type BuiltinSpec, type ParamSpec } from '../builtins.js';
import { Codes } from '../codes.js';
import { suggestionHint } from '../diagnostics.js';
import type { AugOp, Span } from '../ir.js';
import { bindArgs } from './args.js';
import { kindNoun, Part, type Ctx } from './part.js';
import { describe, ERROR, formatNumber, type StageSpec, type Value } from './values.js';

const constWhy: Record<string, string> = {
  batch: '`batch` is the training batch size; it is known once the loss has picked the training data, so it cannot be used in data definitions, `train` or the loss',
  epochs: '`epochs` comes from `train epochs: N`, so it cannot be used in data definitions or in `train` itself',
  steps_per_epoch: '`steps_per_epoch` is known once the loss has picked the training data, so it cannot be used in data definitions, `train` or the loss',
};

export class Expressions extends Part {
  /** Evaluates an argument knowing its parameter: in an enum position a bare word is a literal. */
  evalArg(e: A.Expression, p: ParamSpec, ctx: Ctx): Value {
    if (p.type.kind === 'ident-enum' && e.kind === 'identifier') return { t: 'enum', v: e.name };
    const v = this.evalExpr(e, ctx);
    if (p.type.kind === 'augmentation') return this.toOps(v, e.span);
    if ((p.type.kind === 'tensor' || p.type.kind === 'embeddings') && v.t === 'data' && ctx.graph) return this.session.graph.batchNode(v, e.span);
    return v;
  }

  /** A view name stands for its ops where ops are expected. */
  toOps(v: Value, span: Span): Value {
    if (v.t === 'view') {
      const ops = this.session.definitions.evalView(v.name, span);
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
        return this.session.calls.evalCall(e, ctx);
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
          return this.session.definitions.evalData(e.name, e.span);
        case 'view':
          return { t: 'view', name: e.name };
        case 'network':
          return { t: 'network', name: e.name };
        case 'teacher':
          return { t: 'teacher', name: e.name };
        case 'let':
          return this.session.definitions.evalLet(e.name, e.span);
      }
    }
    if (e.name in constants) {
      const v = this.session.consts[e.name as keyof typeof constants];
      if (v === undefined && this.session.brokenConsts.has(e.name)) return ERROR;
      if (v === undefined) return this.error(Codes.invalidContext, `'${e.name}' is not known here`, e.span, constWhy[e.name]);
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
}

function short(raw: string): string {
  return raw.length > 24 ? `${raw.slice(0, 12)}…${raw.slice(-8)}` : raw;
}
