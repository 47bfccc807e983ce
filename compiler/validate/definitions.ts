/**
 * Definitions (`data`, `view`, `network`, `let`, `teacher`), each evaluated once when first used and
 * memoised; a definition reached again while it is being evaluated is a cycle, and is reported.
 */
import { builtins, builtinsOfKind, datasets } from '../builtins.js';
import { Codes } from '../codes.js';
import { suggestionHint } from '../diagnostics.js';
import type { AugOp, DataSource, Span } from '../ir.js';
import { bindArgs } from './args.js';
import type { CheckedTeacher } from './index.js';
import { Part } from './part.js';
import { describe, type StageSpec, type Value } from './values.js';

export class Definitions extends Part {
  private readonly dataMemo = new Map<string, Value | 'busy'>();
  private readonly viewMemo = new Map<string, AugOp[] | null | 'busy'>();
  private readonly networkMemo = new Map<string, StageSpec[] | null | 'busy'>();
  private readonly letMemo = new Map<string, Value | 'busy'>();
  private readonly teacherMemo = new Map<string, CheckedTeacher | null | 'busy'>();

  private cycle(kind: string, name: string, at: Span): Value {
    return this.error(Codes.cyclicDefinition, `${kind} '${name}' refers to itself`, at, 'a definition cannot use its own value, directly or through others');
  }

  evalData(name: string, at: Span): Value {
    const memo = this.dataMemo.get(name);
    if (memo === 'busy') return this.cycle('data', name, at);
    if (memo) return memo;
    const def = this.defs.get(name)!;
    this.dataMemo.set(name, 'busy');
    let v = this.session.expressions.evalExpr(def.value, { role: 'data', graph: false });
    if (v.t === 'data') {
      const source: DataSource = { ...v.source, origin: def.span };
      v = { t: 'data', name, source };
      this.out.data.set(name, source);
    } else if (v.t !== 'error') {
      v = this.error(Codes.typeMismatch, `data '${name}' must be a dataset such as mnist(split: "train"), got ${describe(v)}`, def.value.span, `datasets: ${Object.keys(datasets).join(', ')}`);
    }
    this.dataMemo.set(name, v);
    return v;
  }

  evalView(name: string, at: Span): AugOp[] | null {
    const memo = this.viewMemo.get(name);
    if (memo === 'busy') {
      this.cycle('view', name, at);
      return null;
    }
    if (memo !== undefined) return memo;
    const def = this.defs.get(name)!;
    this.viewMemo.set(name, 'busy');
    const v = this.session.expressions.toOps(this.session.expressions.evalExpr(def.value, { role: 'view', graph: false }), def.value.span);
    const ops = v.t === 'ops' ? v.ops : null;
    if (v.t !== 'ops' && v.t !== 'error') {
      this.error(Codes.typeMismatch, `view '${name}' must be augmentations joined with |, got ${describe(v)}`, def.value.span);
    }
    this.viewMemo.set(name, ops);
    return ops;
  }

  evalNetwork(name: string, at: Span): StageSpec[] | null {
    const memo = this.networkMemo.get(name);
    if (memo === 'busy') {
      this.cycle('network', name, at);
      return null;
    }
    if (memo !== undefined) return memo;
    const def = this.defs.get(name)!;
    this.networkMemo.set(name, 'busy');
    const v = this.session.expressions.evalExpr(def.value, { role: 'network', graph: false });
    let stages: StageSpec[] | null = null;
    if (v.t === 'stages') stages = v.stages;
    else if (v.t !== 'error') {
      this.error(Codes.typeMismatch, `network '${name}' must be stages joined with ->, such as convnet(channels: [32, 64]) -> mlp([128]), got ${describe(v)}`, def.value.span);
    }
    this.networkMemo.set(name, stages);
    return stages;
  }

  evalLet(name: string, at: Span): Value {
    const memo = this.letMemo.get(name);
    if (memo === 'busy') return this.cycle('let', name, at);
    if (memo) return memo;
    const def = this.defs.get(name)!;
    this.letMemo.set(name, 'busy');
    const v = this.session.graphFunctions.inLet(name, () => this.session.expressions.evalExpr(def.value, { role: 'let', graph: true }));
    this.letMemo.set(name, v);
    return v;
  }

  evalTeacher(name: string, at: Span): CheckedTeacher | null {
    const memo = this.teacherMemo.get(name);
    if (memo === 'busy') {
      this.cycle('teacher', name, at);
      return null;
    }
    if (memo !== undefined) return memo;
    const def = this.defs.get(name)!;
    this.teacherMemo.set(name, 'busy');
    let teacher: CheckedTeacher | null = null;
    const e = def.value;
    const spec = e.kind === 'call' ? builtins.get(e.callee.name) : undefined;
    if (e.kind !== 'call' || !spec || spec.kind !== 'teacher') {
      if (e.kind === 'call' && !spec) {
        this.error(Codes.unknownName, `unknown teacher '${e.callee.name}'`, e.callee.span, suggestionHint(e.callee.name, builtinsOfKind('teacher').map((b) => b.name), 'teachers'));
      } else {
        this.error(Codes.typeMismatch, `teacher '${name}' must be ema(NETWORK, momentum: ...), got ${e.kind === 'call' ? `${e.callee.name}(...)` : 'an expression'}`, e.span, 'e.g. teacher target = ema(online, momentum: 0.996 -> 1.0 cosine)');
      }
    } else {
      const b = bindArgs(spec.name, spec, e.args, e.span, (x, p) => this.session.expressions.evalArg(x, p, { role: 'teacher', graph: false }), (d) => this.report(d));
      const of = b.values['network'];
      if (b.ok && of?.t === 'network') {
        if (this.evalNetwork(of.name, b.spans['network'] ?? e.span)) {
          teacher = { name, of: of.name, momentum: b.values['momentum']!, origin: def.span };
          this.out.teachers.set(name, teacher);
        }
      }
    }
    this.teacherMemo.set(name, teacher);
    return teacher;
  }
}
