/**
 * `--set path=value`: command-line overrides, applied to the (merged) AST before resolution, so an
 * overridden value gets exactly the checks of a value written in the recipe (unknown parameter
 * with a suggestion, type, range, shapes).
 *
 * Each override is its own source: uri `--set[N]` (N counts the overrides from 1, in the order
 * given) and text the override exactly as typed, so a diagnostic about `0` in
 * `train.epochs=0` is at column 14 of `train.epochs=0`. The value (everything after the first `=`)
 * is parsed with the grammar's `expression` rule; the path (before it) is split on `.`.
 *
 * Paths (NAME: a definition's name; ARG: a parameter name; INDEX: a 0-based number):
 *
 *   recipe=NAME                      the recipe's name
 *   train.ARG                        an argument of `train` (epochs, seed)
 *   optimizer.ARG  schedule.ARG      an argument of the optimizer / schedule call
 *   optimizer=CALL schedule=CALL     the whole section (added when the recipe has none)
 *   loss=EXPR                        the whole loss
 *   loss.ARG                         ARG of every builtin loss call in the loss expression, following
 *                                    `let` names it refers to; an error if none of them takes ARG
 *   probe.INDEX.ARG  probe.INDEX=CALL
 *   data.NAME.ARG    data.NAME=EXPR
 *   teacher.NAME.ARG teacher.NAME=EXPR
 *   network.NAME.ARG                 ARG of the stage call of the chain whose builtin takes ARG; when
 *                                    several do, say which: network.NAME.INDEX.ARG (INDEX: the stage,
 *                                    0-based, as written in the chain)
 *   network.NAME=EXPR
 *   view.NAME.OP.ARG                 ARG of the augmentation call OP in the view (also inside
 *                                    random_apply); when the view has OP twice: view.NAME.OP.INDEX.ARG
 *   view.NAME=EXPR
 *   let.NAME=EXPR
 *
 * An ARG the call already has (by name or by position) gets the new value; otherwise it is added
 * as a named argument, and validation then reports it if the call does not take it (e.g.
 * `optimizer.lrr=1`: unknown-parameter, did you mean 'lr'?). A path that names nothing (unknown
 * first segment, NAME, OP, INDEX) is `invalid-override`, at that segment, with a suggestion over
 * the valid options; so is an override without `=` or without a value. Overrides apply in order (a
 * later one on the same path wins). An override with an invalid path or a value with syntax errors
 * is not applied; the others still are, and the recipe is still checked.
 *
 * Convenience: shells eat quotes, so `--set data.train.split="test"` arrives as `split=test`. When
 * the parameter takes a quoted string out of a fixed set (a string enum, like `split`), and the value
 * is a bare name in that set (and not a `let`, the only definition that could hold a string), the
 * name is read as that string. A data, view or network name would be a type error there anyway.
 */
import type * as A from './ast.js';
import { forEachExpression } from './ast.js';
import { builtins, paramForArgument, type BuiltinSpec } from './builtins.js';
import { Codes } from './codes.js';
import { cstToAst } from './cst-to-ast.js';
import { hasErrors, SourceText, suggestionHint, type Diagnostic } from './diagnostics.js';
import type { Span } from './ir.js';
import { parseExpression } from './parse.js';

/** The uri of the i-th override (0-based i), as used in spans and `sources`. */
export function overrideUri(i: number): string {
  return `--set[${i + 1}]`;
}

interface Segment {
  text: string;
  start: number;
  end: number;
}

const roots = ['recipe', 'data', 'view', 'network', 'teacher', 'let', 'loss', 'optimizer', 'schedule', 'train', 'probe'] as const;
type Root = (typeof roots)[number];
type DefKind = A.Definition['kind'];

class OverrideError extends Error {
  constructor(
    readonly span: Span,
    message: string,
    readonly hint?: string,
  ) {
    super(message);
  }
}

/** Applies `overrides` to `program` in place. Reports into `diagnostics`; records each override's text in `sources`. */
export function applyOverrides(program: A.Program, overrides: readonly string[], diagnostics: Diagnostic[], sources: Record<string, string>): void {
  overrides.forEach((raw, i) => {
    const text = typeof raw === 'string' ? raw : String(raw);
    const uri = overrideUri(i);
    sources[uri] = text;
    const src = new SourceText(text, uri);
    try {
      applyOne(program, text, src, diagnostics);
    } catch (err) {
      if (!(err instanceof OverrideError)) throw err;
      diagnostics.push({ severity: 'error', code: Codes.invalidOverride, message: err.message, span: err.span, ...(err.hint ? { hint: err.hint } : {}) });
    }
  });
}

const usage = 'write --set PATH=VALUE, e.g. --set train.epochs=10 or --set optimizer.lr=0.01';

function applyOne(program: A.Program, text: string, src: SourceText, diagnostics: Diagnostic[]): void {
  const eq = text.indexOf('=');
  if (eq < 0) throw new OverrideError(src.span(0, text.length), `override '${text}' has no '='`, usage);
  const segments = splitPath(text.slice(0, eq), src);
  if (text.slice(eq + 1).trim() === '') throw new OverrideError(src.span(eq, eq + 1), `override '${text.slice(0, eq).trim()}' has no value after '='`, usage);

  // Parse the value where it stands in the override text: the path and `=` become blanks.
  const padded = text.slice(0, eq + 1).replace(/[^\r\n]/g, ' ') + text.slice(eq + 1);
  const parsed = parseExpression(padded, src.uri);
  const value = parsed.cst && !hasErrors(parsed.diagnostics) ? (cstToAst(parsed.cst, src) as unknown as A.Expression) : undefined;

  // The path is checked even when the value does not parse, so both mistakes show at once.
  diagnostics.push(...parsed.diagnostics);
  const target = resolvePath(program, segments, src);
  if (value) target(value);
}

function splitPath(path: string, src: SourceText): Segment[] {
  const segments: Segment[] = [];
  let start = 0;
  for (const part of path.split('.')) {
    const lead = part.length - part.trimStart().length;
    const trimmed = part.trim();
    const s = start + lead;
    if (trimmed === '') {
      throw new OverrideError(src.span(start, start + Math.max(1, part.length)), `override path '${path.trim()}' has an empty segment`, usage);
    }
    segments.push({ text: trimmed, start: s, end: s + trimmed.length });
    start += part.length + 1;
  }
  return segments;
}

type Apply = (value: A.Expression) => void;

function seg(src: SourceText, s: Segment): Span {
  return src.span(s.start, s.end);
}

function resolvePath(program: A.Program, segs: Segment[], src: SourceText): Apply {
  const lets = new Set(program.statements.flatMap((s) => (s.kind === 'let' ? [s.name.name] : [])));
  const [first, ...rest] = segs as [Segment, ...Segment[]];
  const root = first.text as Root;
  if (!(roots as readonly string[]).includes(root)) {
    throw new OverrideError(seg(src, first), `unknown override path '${first.text}'`, suggestionHint(first.text, roots, 'override paths start with'));
  }
  const expect = (n: number, form: string) => {
    if (rest.length < n) throw new OverrideError(src.span(first.start, segs[segs.length - 1]!.end), `override path '${pathText(segs)}' is incomplete`, `expected ${form}`);
    if (rest.length > n) {
      const extra = rest[n]!;
      throw new OverrideError(src.span(extra.start, segs[segs.length - 1]!.end), `unexpected '${pathText(rest.slice(n))}' after '${pathText([first, ...rest.slice(0, n)])}'`, `expected ${form}`);
    }
  };
  const argSpan = (a: Segment): ArgTarget => ({ seg: a, src, lets });

  switch (root) {
    case 'recipe': {
      expect(0, 'recipe=NAME');
      const stmt = program.statements.find((s): s is A.RecipeStatement => s.kind === 'recipe');
      return (value) => {
        if (value.kind !== 'identifier') throw new OverrideError(value.span, 'the recipe name must be a plain name', 'e.g. --set recipe=simclr_short');
        if (stmt) stmt.name = value;
        else program.statements.push({ kind: 'recipe', name: value, span: src.span(0, src.text.length) });
      };
    }
    case 'train': {
      const train = program.statements.find((s): s is A.TrainStatement => s.kind === 'train');
      const params = builtins.get('train')!.params.map((p) => `train.${p.name}`);
      if (rest.length === 0) throw new OverrideError(seg(src, first), "'train' is set one argument at a time", `use ${params.join(' or ')}`);
      expect(1, 'train.ARG');
      if (!train) throw new OverrideError(seg(src, first), "the recipe has no 'train' section to override", 'add one to the recipe, e.g. `train epochs: 1`');
      return (value) => setArg(train.args, builtins.get('train'), argSpan(rest[0]!), value);
    }
    case 'optimizer':
    case 'schedule':
    case 'loss': {
      const stmt = program.statements.find((s): s is A.CallStatement | A.LossStatement => s.kind === root);
      if (rest.length === 0) {
        return (value) => {
          if (stmt) stmt.value = value;
          else if (root === 'loss') program.statements.push({ kind: 'loss', value, span: src.span(0, src.text.length) });
          else program.statements.push({ kind: root, keyword: seg(src, first), value, span: src.span(0, src.text.length) });
        };
      }
      expect(1, `${root}.ARG or ${root}=VALUE`);
      if (!stmt) throw new OverrideError(seg(src, first), `the recipe has no '${root}' section to override`, `set the whole section: --set ${root}=...`);
      if (root === 'loss') return lossArg(program, stmt.value, argSpan(rest[0]!));
      const call = asCall(stmt.value, seg(src, first), `the ${root}`, root);
      return (value) => setArg(call.args, builtins.get(call.callee.name), argSpan(rest[0]!), value);
    }
    case 'probe': {
      const probes = program.statements.filter((s): s is A.CallStatement => s.kind === 'probe');
      const list = probes.map((p, i) => `${i}: ${p.value.kind === 'call' ? p.value.callee.name : '...'}`).join(', ');
      if (rest.length === 0) throw new OverrideError(seg(src, first), 'which probe? probes are numbered from 0', probes.length > 0 ? `probes: ${list}; e.g. --set probe.0.on=test` : 'the recipe has no probes');
      const index = indexOf(rest[0]!, probes.length, src, 'probe', probes.length > 0 ? `probes: ${list}` : 'the recipe has no probes');
      const probe = probes[index]!;
      if (rest.length === 1) return (value) => void (probe.value = value);
      expect(2, 'probe.INDEX.ARG or probe.INDEX=CALL');
      const call = asCall(probe.value, seg(src, rest[0]!), `probe ${index}`, `probe.${index}`);
      return (value) => setArg(call.args, builtins.get(call.callee.name), argSpan(rest[1]!), value);
    }
    default: {
      // data / view / network / teacher / let
      const kind = root as DefKind;
      if (rest.length === 0) throw new OverrideError(seg(src, first), `which ${kind}? write ${kind}.NAME`, namesHint(program, kind, ''));
      const def = definition(program, kind, rest[0]!, src);
      const name = def.name.name;
      if (rest.length === 1) return (value) => void (def.value = value);
      if (kind === 'let') expect(1, 'let.NAME=VALUE (a let is replaced whole)');
      if (kind === 'data' || kind === 'teacher') {
        expect(2, `${kind}.NAME.ARG or ${kind}.NAME=VALUE`);
        const call = asCall(def.value, seg(src, rest[0]!), `${kind} '${name}'`, `${kind}.${name}`);
        return (value) => setArg(call.args, builtins.get(call.callee.name), argSpan(rest[1]!), value);
      }
      if (kind === 'network') return networkArg(def, rest.slice(1), segs, argSpan);
      return viewArg(def, rest.slice(1), segs, argSpan);
    }
  }
}

function pathText(segs: readonly Segment[]): string {
  return segs.map((s) => s.text).join('.');
}

const kindArticle = (k: string) => (k === 'let' ? 'a let' : `a ${k}`);

function definition(program: A.Program, kind: DefKind, name: Segment, src: SourceText): A.Definition {
  const defs = program.statements.filter((s): s is A.Definition => s.kind === 'data' || s.kind === 'view' || s.kind === 'network' || s.kind === 'teacher' || s.kind === 'let');
  const def = defs.find((d) => d.kind === kind && d.name.name === name.text);
  if (def) return def;
  const other = defs.find((d) => d.name.name === name.text);
  if (other) {
    throw new OverrideError(seg(src, name), `'${name.text}' is ${kindArticle(other.kind)}, not ${kindArticle(kind)}`, `did you mean '${other.kind}.${name.text}'?`);
  }
  throw new OverrideError(seg(src, name), `the recipe has no ${kind} '${name.text}'`, namesHint(program, kind, name.text));
}

function namesHint(program: A.Program, kind: DefKind, name: string): string {
  const names = program.statements.filter((s): s is A.Definition => s.kind === kind).map((d) => d.name.name);
  if (names.length === 0) return `the recipe defines no ${kind}`;
  return suggestionHint(name, names, `${kind} names`)!;
}

function asCall(e: A.Expression, at: Span, what: string, path: string): A.Call {
  if (e.kind === 'call') return e;
  throw new OverrideError(at, `${what} is not a call, so it has no arguments to set`, `replace it whole: --set ${path}=...`);
}

function indexOf(s: Segment, count: number, src: SourceText, what: string, hint: string): number {
  if (!/^\d+$/.test(s.text)) throw new OverrideError(seg(src, s), `expected a ${what} number (from 0), got '${s.text}'`, hint);
  const n = Number(s.text);
  if (n >= count) throw new OverrideError(seg(src, s), `there is no ${what} ${n}: ${count === 0 ? `there are none` : `they are numbered 0 to ${count - 1}`}`, hint);
  return n;
}

/** The parameter name each argument of `call` binds to (by name, or by position per the catalog). */
function boundParam(spec: BuiltinSpec | undefined, args: readonly A.Argument[], i: number): string | undefined {
  if (spec) return paramForArgument(spec, args, i)?.name;
  return args[i]?.name?.name;
}

function takes(call: A.Call, param: string): boolean {
  return builtins.get(call.callee.name)?.params.some((p) => p.name === param) ?? false;
}

interface ArgTarget {
  /** The ARG segment of the path. */
  seg: Segment;
  src: SourceText;
  /** The recipe's `let` names (a bare name among them is a reference, never a string). */
  lets: ReadonlySet<string>;
}

/** Sets (replaces, or adds as a named argument) the argument of `args` that binds to `target.seg`. */
function setArg(args: A.Argument[], spec: BuiltinSpec | undefined, target: ArgTarget, value: A.Expression): void {
  const param = target.seg.text;
  const name: A.Identifier = { kind: 'identifier', name: param, span: seg(target.src, target.seg) };
  const argSpan = target.src.span(target.seg.start, value.span.end.offset);
  const p = spec?.params.find((q) => q.name === param);
  const v: A.Expression =
    p?.type.kind === 'string-enum' && value.kind === 'identifier' && p.type.values.includes(value.name) && !target.lets.has(value.name)
      ? { kind: 'string', value: value.name, span: value.span }
      : value;
  const i = args.findIndex((_, k) => boundParam(spec, args, k) === param);
  if (i >= 0) {
    args[i] = args[i]!.name ? { name, value: v, span: argSpan } : { value: v, span: value.span };
  } else {
    args.push({ name, value: v, span: argSpan });
  }
}

function lossArg(program: A.Program, root: A.Expression, target: ArgTarget): Apply {
  const { seg: argSeg, src } = target;
  const lets = new Map<string, A.Definition>();
  for (const s of program.statements) if (s.kind === 'let' && !lets.has(s.name.name)) lets.set(s.name.name, s);
  const calls: A.Call[] = [];
  const seen = new Set<string>();
  const visit = (e: A.Expression) =>
    forEachExpression(e, (x) => {
      if (x.kind === 'call' && builtins.get(x.callee.name)?.kind === 'loss') calls.push(x);
      if (x.kind === 'identifier' && lets.has(x.name) && !seen.has(x.name)) {
        seen.add(x.name);
        visit(lets.get(x.name)!.value);
      }
    });
  visit(root);
  const param = argSeg.text;
  const matching = calls.filter((c) => takes(c, param));
  if (matching.length === 0) {
    if (calls.length === 0) throw new OverrideError(seg(src, argSeg), 'the loss calls no built-in loss, so it has no arguments to set', 'replace it whole: --set loss=...');
    const names = [...new Set(calls.map((c) => c.callee.name))];
    const params = [...new Set(calls.flatMap((c) => builtins.get(c.callee.name)!.params.map((p) => p.name)))];
    throw new OverrideError(seg(src, argSeg), `no loss in the loss expression takes '${param}' (${names.map((n) => `'${n}'`).join(', ')})`, suggestionHint(param, params, 'parameters'));
  }
  return (value) => {
    for (const c of matching) setArg(c.args, builtins.get(c.callee.name), target, value);
  };
}

function networkArg(def: A.Definition, rest: Segment[], all: Segment[], at: (s: Segment) => ArgTarget): Apply {
  const src = at(rest[0]!).src;
  const name = def.name.name;
  const stages = def.value.kind === 'chain' && !def.value.shape ? def.value.stages : [def.value];
  const describeStage = (s: A.Expression, i: number) => `${i}: ${s.kind === 'call' ? s.callee.name : s.kind === 'identifier' ? s.name : s.kind}`;
  const list = `stages of '${name}': ${stages.map(describeStage).join(', ')}`;
  const tooMany = (n: number) => {
    if (rest.length > n) {
      throw new OverrideError(src.span(rest[n]!.start, all[all.length - 1]!.end), `unexpected '${pathText(rest.slice(n))}' after '${pathText(all.slice(0, all.length - rest.length + n))}'`, 'expected network.NAME.ARG or network.NAME.STAGE.ARG');
    }
  };
  if (/^\d+$/.test(rest[0]!.text)) {
    const i = indexOf(rest[0]!, stages.length, src, `stage of network '${name}'`, list);
    if (rest.length < 2) throw new OverrideError(seg(src, rest[0]!), `which argument of stage ${i}? write network.${name}.${i}.ARG`, list);
    tooMany(2);
    const call = asCall(stages[i]!, seg(src, rest[0]!), `stage ${i} of network '${name}'`, `network.${name}`);
    return (value) => setArg(call.args, builtins.get(call.callee.name), at(rest[1]!), value);
  }
  tooMany(1);
  const argSeg = rest[0]!;
  const param = argSeg.text;
  const calls = stages.map((s, i) => [s, i] as const).filter((x): x is readonly [A.Call, number] => x[0].kind === 'call');
  const matching = calls.filter(([c]) => takes(c, param));
  if (matching.length > 1) {
    throw new OverrideError(
      seg(src, argSeg),
      `several stages of network '${name}' take '${param}' (${matching.map(([c, i]) => `${i}: ${c.callee.name}`).join(', ')}): say which, e.g. network.${name}.${matching[0]![1]}.${param}`,
      `stages are numbered from 0 as written in the chain; ${list}`,
    );
  }
  if (matching.length === 1) {
    const call = matching[0]![0];
    return (value) => setArg(call.args, builtins.get(call.callee.name), at(argSeg), value);
  }
  if (calls.length === 1) {
    // One stage: add the argument and let validation say what that stage takes.
    const call = calls[0]![0];
    return (value) => setArg(call.args, builtins.get(call.callee.name), at(argSeg), value);
  }
  if (calls.length === 0) throw new OverrideError(seg(src, argSeg), `network '${name}' has no stage call to set '${param}' on`, `replace it whole: --set network.${name}=...`);
  const params = [...new Set(calls.flatMap(([c]) => builtins.get(c.callee.name)?.params.map((p) => p.name) ?? []))];
  throw new OverrideError(seg(src, argSeg), `no stage of network '${name}' takes '${param}'`, suggestionHint(param, params, 'parameters of its stages'));
}

function viewArg(def: A.Definition, rest: Segment[], all: Segment[], at: (s: Segment) => ArgTarget): Apply {
  const src = at(rest[0]!).src;
  const name = def.name.name;
  const calls: A.Call[] = [];
  forEachExpression(def.value, (x) => {
    if (x.kind === 'call') calls.push(x);
  });
  const opSeg = rest[0]!;
  const ops = calls.filter((c) => builtins.get(c.callee.name)?.kind === 'augmentation' || !builtins.has(c.callee.name));
  const matching = ops.filter((c) => c.callee.name === opSeg.text);
  if (matching.length === 0) {
    const names = [...new Set(ops.map((c) => c.callee.name))];
    throw new OverrideError(seg(src, opSeg), `view '${name}' has no op '${opSeg.text}'`, names.length > 0 ? suggestionHint(opSeg.text, names, `ops in view '${name}'`) : `replace it whole: --set view.${name}=...`);
  }
  let k = 0;
  let argSeg = rest[1];
  let n = 2;
  if (argSeg && /^\d+$/.test(argSeg.text)) {
    k = indexOf(argSeg, matching.length, src, `'${opSeg.text}' of view '${name}'`, `view '${name}' has ${matching.length} '${opSeg.text}' (numbered from 0)`);
    argSeg = rest[2];
    n = 3;
  } else if (matching.length > 1 && argSeg) {
    throw new OverrideError(
      seg(src, opSeg),
      `view '${name}' has ${matching.length} '${opSeg.text}' ops: say which, e.g. view.${name}.${opSeg.text}.0.${argSeg.text}`,
      `they are numbered from 0 in the order they are written`,
    );
  }
  if (!argSeg) throw new OverrideError(src.span(all[0]!.start, all[all.length - 1]!.end), `which argument of '${opSeg.text}'? write view.${name}.${opSeg.text}.ARG`, `or replace the view whole: --set view.${name}=...`);
  if (rest.length > n) {
    throw new OverrideError(src.span(rest[n]!.start, all[all.length - 1]!.end), `unexpected '${pathText(rest.slice(n))}' after '${pathText(all.slice(0, all.length - rest.length + n))}'`, 'expected view.NAME.OP.ARG or view.NAME.OP.INDEX.ARG');
  }
  const call = matching[k]!;
  const a = at(argSeg);
  return (value) => setArg(call.args, builtins.get(call.callee.name), a, value);
}
