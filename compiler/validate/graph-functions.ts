/**
 * The builtins that build training-graph nodes: loss calls (with their term names and ramp-valued
 * parameters), the sum node of the loss expression, and the graph functions stopgrad, repeat,
 * mask_patches, mask_spans and patches.
 */
import type * as A from '../ast.js';
import type { BuiltinSpec } from '../builtins.js';
import { Codes } from '../codes.js';
import type { LossFn, MaskSpec, Span } from '../ir.js';
import { lossInputRule } from './losses.js';
import { Part, type Ctx } from './part.js';
import { bool, describe, ERROR, formatShape, num, type Value } from './values.js';

export class GraphFunctions extends Part {
  /** Loss-term names used so far (a term is named after its let, or its function). */
  private readonly termNames = new Set<string>();
  /** The let whose value is being evaluated (its name labels a loss term defined directly in it). */
  private letName: string | undefined;

  /** Evaluates a let's value with its name labelling the loss terms defined directly in it. */
  inLet<T>(name: string, evaluate: () => T): T {
    const outer = this.letName;
    this.letName = name;
    const v = evaluate();
    this.letName = outer;
    return v;
  }

  loss(spec: BuiltinSpec, e: A.Call, ctx: Ctx): Value {
    if (!ctx.graph) return this.error(Codes.typeMismatch, `${spec.name}(...) is a loss; it can only be used in 'loss' (or a let the loss uses)`, e.span);
    const b = this.session.calls.bind(spec, e, ctx);
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
    const node = this.session.graph.addNode({ kind: 'loss', fn: spec.name as LossFn, name, inputs, ...(mask ? { mask: mask.node } : {}), params, shape: [], origin: e.span });
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
  graphFunction(spec: BuiltinSpec, e: A.Call, ctx: Ctx): Value {
    if (!ctx.graph) return this.error(Codes.typeMismatch, `${spec.name}(...) builds the training graph; use it in 'loss' or in a let`, e.span);
    if (spec.name === 'repeat') return this.repeat(spec, e, ctx);
    const b = this.session.calls.bind(spec, e, ctx);
    if (!b.ok) return ERROR;
    const x = b.values['x']!;
    if (spec.name === 'stopgrad') {
      const one = (t: Extract<Value, { t: 'tensor' }>): Value => ({ t: 'tensor', node: this.session.graph.addNode({ kind: 'stopgrad', input: t.node, shape: [...t.shape], origin: e.span }), shape: [...t.shape] });
      if (x.t === 'list') return { t: 'list', items: x.items.map((i) => (i.t === 'tensor' ? one(i) : i)) };
      return x.t === 'tensor' ? one(x) : ERROR;
    }
    if (x.t !== 'tensor') return this.error(Codes.typeMismatch, `${spec.name} takes one tensor, got ${describe(x)}`, b.spans['x'] ?? e.span);
    const src = this.session.graph.nodes[x.node];
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
      const node = this.session.graph.addNode({ kind: 'patchify', input: x.node, patch, normalize: bool(b.values['normalize']), shape, origin: e.span });
      return { t: 'tensor', node, shape };
    }
    const ratio = num(b.values['ratio'])!;
    const mask: MaskSpec =
      spec.name === 'mask_spans'
        ? { kind: 'spans', ratio, span: num(b.values['span'])!, grid, patch: patchDims }
        : { kind: 'patches', ratio, grid, patch: patchDims };
    const tokens = grid.reduce((a, g) => a * g, 1);
    const node = this.session.graph.addNode({ kind: 'mask', input: x.node, mask, shape: [tokens], origin: e.span });
    return { t: 'mask', node, grid, patch: patchDims };
  }

  /** `repeat(N, expr)`: N independent evaluations (fresh view draws each time). */
  private repeat(spec: BuiltinSpec, e: A.Call, ctx: Ctx): Value {
    const positional = e.args.filter((a) => !a.name);
    const named = e.args.find((a) => a.name);
    if (named?.name) return this.error(Codes.unknownParameter, `repeat has no parameter '${named.name.name}'`, named.name.span, 'write repeat(N, EXPRESSION)');
    if (positional.length !== 2) return this.error(positional.length < 2 ? Codes.missingParameter : Codes.tooManyArguments, 'repeat takes a count and an expression: repeat(6, local(train))', e.span);
    const n = coerceCount(this.session.expressions.evalExpr(positional[0]!.value, ctx));
    if (n === undefined) return this.error(Codes.valueOutOfRange, `the count of repeat must be an integer from 1 to ${spec.params[0]!.max}`, positional[0]!.value.span);
    const items: Value[] = [];
    for (let i = 0; i < n; i++) {
      const v = this.session.expressions.evalExpr(positional[1]!.value, ctx);
      if (v.t === 'error') return ERROR;
      if (v.t !== 'tensor') return this.error(Codes.typeMismatch, `repeat draws tensors (views of data, network outputs), got ${describe(v)}`, positional[1]!.value.span);
      items.push(v);
    }
    return { t: 'list', items };
  }

  /** The loss expression as one node: its single unit-weight term, else a sum node (zero-weight terms dropped unless alone). */
  finishLoss(v: Extract<Value, { t: 'loss' }>, span: Span): number {
    const terms = v.terms.filter((t) => t.weight !== 0 || v.terms.length === 1);
    if (terms.length === 1 && terms[0]!.weight === 1) return terms[0]!.node;
    return this.session.graph.addNode({ kind: 'sum', inputs: terms.map((t) => t.node), weights: terms.map((t) => t.weight), shape: [], origin: span });
  }
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

