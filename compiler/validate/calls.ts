/**
 * Calls: a call of a definition (a view, network or teacher applied in the graph) or of a builtin,
 * dispatched by the builtin's kind. Augmentations, network stages and datasets become values here;
 * losses and graph functions build nodes (graph-functions.ts).
 */
import type * as A from '../ast.js';
import { builtins, builtinList, type BuiltinKind, type BuiltinSpec } from '../builtins.js';
import { Codes } from '../codes.js';
import { closest } from '../diagnostics.js';
import type { Activation, AugOp, Norm, Pool } from '../ir.js';
import { bindArgs, type BoundArgs } from './args.js';
import { kindNoun, Part, type Ctx, type Role } from './part.js';
import { bool, enumOf, ERROR, ints, num, rng, type StageSpec, type Value } from './values.js';

/** The builtin kinds callable in each role: an unknown function's hint lists only those. */
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

export class Calls extends Part {
  evalCall(e: A.Call, ctx: Ctx): Value {
    const name = e.callee.name;
    const def = this.defs.get(name);
    if (def) {
      if (def.kind === 'view' || def.kind === 'network' || def.kind === 'teacher') return this.session.graph.apply(def.kind, name, e, ctx);
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
        return this.session.graphFunctions.loss(spec, e, ctx);
      case 'graph':
        if (ctx.role === 'view' && spec.name === 'mask_spans') {
          // One name, one meaning: the view op that zeroes time steps is spelled zero_spans.
          return this.error(
            Codes.typeMismatch,
            'mask_spans(...) builds a token mask for a network (`encoder(x, mask: m)` in a let), it is not a view op',
            e.callee.span,
            'to zero random time spans of the input in a view, write zero_spans(span: 5, ratio: 0.15)',
          );
        }
        return this.session.graphFunctions.graphFunction(spec, e, ctx);
      default:
        return this.error(Codes.typeMismatch, `${name}(...) is ${kindNoun[spec.kind] === 'optimizer' ? 'an' : 'a'} ${kindNoun[spec.kind]}; it can only be the value of a '${spec.kind}' statement`, e.span, `write: ${spec.kind} ${name}(...)`);
    }
  }

  /** Binds a builtin call's arguments (args.ts), evaluating each in the call's context. */
  bind(spec: BuiltinSpec, e: A.Call, ctx: Ctx): BoundArgs {
    return bindArgs(spec.name, spec, e.args, e.span, (x, p) => this.session.expressions.evalArg(x, p, ctx), (d) => this.report(d));
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
      case 'jitter':
      case 'scaling':
        op = { kind: spec.name, sigma: num(a['sigma'])!, origin };
        break;
      case 'permutation':
        op = { kind: 'permutation', maxSegments: num(a['max_segments'])!, origin };
        break;
      case 'time_warp':
        op = { kind: 'time_warp', sigma: num(a['sigma'])!, knots: num(a['knots'])!, origin };
        break;
      case 'crop':
        op = { kind: 'crop', size: num(a['size'])!, origin };
        break;
      case 'zero_spans':
        op = { kind: 'zero_spans', span: num(a['span'])!, ratio: num(a['ratio'])!, origin };
        break;
      default:
        return this.error(Codes.internalError, `no lowering for augmentation ${spec.name}`, e.span);
    }
    this.session.opSpans.set(op, b.spans);
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
    this.session.stageSpans.set(stage, b.spans);
    return { t: 'stages', stages: [stage] };
  }

  /** A dataset call: its arguments checked here, its files and facts in datasets.ts. */
  private dataset(spec: BuiltinSpec, e: A.Call, ctx: Ctx): Value {
    const b = this.bind(spec, e, ctx);
    if (!b.ok) return ERROR;
    return this.session.dataSources.fromCall(spec, e, b);
  }
}
