/**
 * The training graph under construction: node allocation, one batch node per data source, and views
 * and networks applied to tensors, with the shape each view / network was first applied at (a view
 * or a network fixes its input shape on first use; later uses must agree).
 */
import type * as A from '../ast.js';
import { Codes } from '../codes.js';
import { suggestionHint, type Diagnostic } from '../diagnostics.js';
import type { AugOp, GraphNode, Span, Stage } from '../ir.js';
import type { CheckedNetwork, CheckedView } from './index.js';
import { Part, type Ctx } from './part.js';
import { opsOutputShape, stageOutputShape, transformerTokens, type ShapeResult } from './shapes.js';
import { describe, ERROR, formatShape, sameShape, type DataValue, type StageSpec, type Value } from './values.js';

type DistributiveOmitId<T> = T extends unknown ? Omit<T, 'id'> : never;

export class GraphBuilder extends Part {
  /** The graph being built; `scratch()` swaps in a copy. */
  private g: { nodes: GraphNode[]; batchNodes: Map<string, number> } = { nodes: [], batchNodes: new Map() };
  /** Each view / network applied so far, with the shapes its first application fixed (copied into `Checked`). */
  readonly viewShapes = new Map<string, CheckedView>();
  readonly networkShapes = new Map<string, CheckedNetwork>();
  /** Views/networks whose shape error is reported already: later applications stay quiet. */
  private readonly shapeFailed = new Set<string>();

  /** The nodes built so far (the live array: later nodes are appended to it). */
  get nodes(): GraphNode[] {
    return this.g.nodes;
  }

  /**
   * Continues in a copy of the graph: what is built from now on stays out of the array `nodes` gave
   * before, while node ids already drawn stay meaningful.
   */
  scratch(): void {
    this.g = { nodes: [...this.g.nodes], batchNodes: new Map(this.g.batchNodes) };
  }

  addNode(n: DistributiveOmitId<GraphNode>): number {
    const id = this.g.nodes.length;
    this.g.nodes.push({ id, ...n } as GraphNode);
    return id;
  }

  batchNode(d: DataValue, span: Span): Value {
    if (!d.name) return this.error(Codes.typeMismatch, 'the loss must read a named data source', span, 'define it first: data train = mnist(split: "train")');
    let id = this.g.batchNodes.get(d.name);
    if (id === undefined) {
      id = this.addNode({ kind: 'batch', data: d.name, shape: [...d.source.shape], origin: d.source.origin });
      this.g.batchNodes.set(d.name, id);
    }
    return { t: 'tensor', node: id, shape: [...d.source.shape] };
  }

  apply(kind: 'view' | 'network' | 'teacher', name: string, e: A.Call, ctx: Ctx): Value {
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
    let input = this.session.expressions.evalExpr(arg, ctx);
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
      const ops = this.session.definitions.evalView(name, e.callee.span);
      if (!ops) return ERROR;
      const out = this.viewShape(name, ops, input.shape, e.span);
      if (!out) return ERROR;
      const id = this.addNode({ kind: 'view', view: name, input: input.node, shape: out, origin: e.span });
      return { t: 'tensor', node: id, shape: out };
    }
    let networkName = name;
    if (kind === 'teacher') {
      const teacher = this.session.definitions.evalTeacher(name, e.callee.span);
      if (!teacher) return ERROR;
      networkName = teacher.of;
    }
    const stages = this.session.definitions.evalNetwork(networkName, e.callee.span);
    if (!stages) return ERROR;
    const net = this.networkShape(networkName, stages, input.shape, e.span);
    if (!net) return ERROR;
    let mask: number | undefined;
    if (maskArg) {
      const m = this.session.expressions.evalExpr(maskArg.value, ctx);
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
      const v = this.session.expressions.evalExpr(layersArg.value, ctx);
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
    const paramSpan = r.error.param ? this.session.opSpans.get(r.op as AugOp)?.[r.error.param] : undefined;
    this.error(r.error.code, r.error.message, paramSpan ?? at, r.error.hint, [...(related ?? []), { message: 'defined here', span: op.origin }]);
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

  networkShape(name: string, stages: StageSpec[], input: readonly number[], at: Span): CheckedNetwork | null {
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
        const paramSpan = r.error.param ? this.session.stageSpans.get(s)?.[r.error.param] : undefined;
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
