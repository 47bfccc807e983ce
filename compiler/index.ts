/**
 * The compiler's one entry point: `compile(text, uri)` runs the named phases
 * parse -> ast -> resolve -> validate -> lower (-> IR schema check) and returns `{ ir?, diagnostics }`.
 * It never throws: an exception inside a phase becomes an `internal-error` diagnostic. Lowering is
 * skipped when an earlier phase reported an error; resolve/validate are skipped after syntax errors
 * (the recovered tree is incomplete, and its follow-on errors would only be noise).
 *
 * Never imports TensorFlow.js, so `ssl check` and the language server start in milliseconds.
 */
import type { CstNode } from 'chevrotain';
import { parse, type ParseResult } from './parse.js';
import type * as A from './ast.js';
import { Codes } from './codes.js';
import { cstToAst } from './cst-to-ast.js';
import { dropBaseUnused, mergeExtends, type FileLoader } from './extends.js';
import { applyOverrides } from './overrides.js';
import { formatDiagnostic, hasErrors, SourceText, type Diagnostic } from './diagnostics.js';
import type { IR, Span } from './ir.js';
import { validateIr } from './ir-schema.js';
import { lower } from './lower.js';
import { resolve, type Resolved } from './resolve.js';
import { validate, type Checked } from './validate/index.js';

export interface CompileResult {
  ir?: IR;
  diagnostics: Diagnostic[];
  /**
   * The text of every source a diagnostic may point into, by uri: the recipe itself, each base
   * recipe it extends, each `--set` override (`--set[1]`, ...). Print a diagnostic with
   * `formatDiagnostic(d, sources[d.span.uri])`.
   */
  sources: Record<string, string>;
  /** The uris of the base recipes, nearest first (empty when the recipe extends none). */
  bases: string[];
  /**
   * Shapes validation inferred (for editor hovers), also when other parts have errors: each view and
   * network definition's output shape (span = the definition) and each training-graph node (span =
   * the expression that drew it, e.g. `encoder(x1)`). Shapes are per example (no batch axis).
   * Empty when validation did not run (syntax errors, an unresolved `extends`).
   */
  shapes: InferredShape[];
}

export interface InferredShape {
  kind: 'view' | 'network' | 'node';
  /** The view/network name; for nodes, the network (`apply`) or view (`view`) drawn, if any. */
  name?: string;
  span: Span;
  shape: number[];
}

/** The shapes a (possibly partial) validation inferred; see `CompileResult.shapes`. */
export function inferredShapes(checked: Checked): InferredShape[] {
  const out: InferredShape[] = [];
  for (const v of checked.views.values()) out.push({ kind: 'view', name: v.name, span: v.origin, shape: [...v.outputShape] });
  for (const n of checked.networks.values()) out.push({ kind: 'network', name: n.name, span: n.origin, shape: [...n.outputShape] });
  for (const node of checked.nodes) {
    const name = node.kind === 'apply' ? node.network : node.kind === 'view' ? node.view : undefined;
    out.push({ kind: 'node', ...(name !== undefined ? { name } : {}), span: node.origin, shape: [...node.shape] });
  }
  return out;
}

export interface CompileOptions extends FileLoader {
  /** `path=value` overrides (`ssl --set`), applied in order after `extends` (compiler/overrides.ts). */
  overrides?: readonly string[];
}

export type { Diagnostic } from './diagnostics.js';
export type { DiagnosticCode } from './codes.js';
export { Codes, allCodes } from './codes.js';
export { formatDiagnostic, parse, validateIr };
export type { ParseResult };
export { SourceText } from './diagnostics.js';
export type { FileLoader } from './extends.js';
export { overrideUri } from './overrides.js';
export { resolvedRecipeText } from './print.js';
export { builtinList, builtins, datasets, constants } from './builtins.js';
export type { BuiltinSpec, ParamSpec, ParamType, BuiltinKind } from './builtins.js';

/** Phase 1: text -> CST (lexer and parser diagnostics). */
export function parsePhase(src: SourceText, diagnostics: Diagnostic[]): CstNode | undefined {
  const r = parse(src.text, src.uri);
  diagnostics.push(...r.diagnostics);
  return hasErrors(r.diagnostics) ? undefined : r.cst;
}

/** Phase 2: CST -> AST with spans. */
export function astPhase(cst: CstNode, src: SourceText): A.Program {
  return cstToAst(cst, src);
}

/** Phase 3: names and sections. */
export function resolvePhase(program: A.Program, diagnostics: Diagnostic[]): Resolved {
  return resolve(program, diagnostics);
}

/** Phase 4: types, parameters, ranges, shapes, the training graph (data files inspected through `loader`). */
export function validatePhase(resolved: Resolved, diagnostics: Diagnostic[], loader: Pick<FileLoader, 'inspectData'> = {}): Checked {
  return validate(resolved, diagnostics, loader);
}

/** Phase 5: the IR, checked against its JSON Schema. */
export function lowerPhase(checked: Checked, resolved: Resolved, uri: string, diagnostics: Diagnostic[]): IR | undefined {
  const ir = lower(checked, resolved, uri);
  const invalid = validateIr(ir, resolved.fileStart);
  diagnostics.push(...invalid);
  return invalid.length === 0 ? ir : undefined;
}

function internalError(err: unknown, src: SourceText, phase: string): Diagnostic {
  const tooDeep = err instanceof RangeError && /call stack/i.test(err.message);
  return {
    severity: 'error',
    code: tooDeep ? Codes.nestingTooDeep : Codes.internalError,
    message: tooDeep ? 'the recipe is nested too deeply to compile' : `internal compiler error in ${phase}: ${err instanceof Error ? err.message : String(err)}`,
    span: src.span(0, 0),
    ...(tooDeep ? {} : { hint: 'this is a compiler bug; please report it with the recipe' }),
  };
}

/**
 * Compiles recipe text to IR. Never throws. `uri` is recorded verbatim in spans and the IR.
 * `options.readFile` lets `extends "base.ssl"` read its base (compiler/extends.ts; without it an
 * `extends` is a base-not-found error); `options.inspectData` lets file-based datasets (`csv(...)`,
 * `ucr(...)`, ...) be checked against their files (without it they are `data-unchecked` errors);
 * `options.overrides` are `--set path=value` overrides.
 */
export function compile(text: string, uri: string, options: CompileOptions = {}): CompileResult {
  const src = new SourceText(typeof text === 'string' ? text : String(text), typeof uri === 'string' ? uri : String(uri));
  const diagnostics: Diagnostic[] = [];
  const sources: Record<string, string> = { [src.uri]: src.text };
  const bases: string[] = [];
  const shapes: InferredShape[] = [];
  const done = (ir?: IR) => finish(src.uri, diagnostics, sources, bases, shapes, ir);
  let phase = 'parse';
  try {
    const cst = parsePhase(src, diagnostics);
    if (!cst) return done();
    phase = 'ast';
    let program = astPhase(cst, src);
    const overrides = options?.overrides ?? [];
    if (program.statements.some((s) => s.kind === 'extends')) {
      phase = 'extends';
      const merged = mergeExtends(program, src, options ?? {}, diagnostics, sources);
      bases.push(...merged.bases);
      if (!merged.ok) return done();
      program = merged.program;
    }
    if (overrides.length > 0) {
      phase = 'overrides';
      applyOverrides(program, overrides, diagnostics, sources);
    }
    phase = 'resolve';
    const resolved = resolvePhase(program, diagnostics);
    phase = 'validate';
    const checked = validatePhase(resolved, diagnostics, options ?? {});
    shapes.push(...inferredShapes(checked));
    if (hasErrors(diagnostics)) return done();
    phase = 'lower';
    const ir = lowerPhase(checked, resolved, src.uri, diagnostics);
    return done(ir);
  } catch (err) {
    diagnostics.push(internalError(err, src, phase));
    return done();
  }
}

function finish(root: string, all: Diagnostic[], sources: Record<string, string>, bases: string[], shapes: InferredShape[], ir?: IR): CompileResult {
  const diagnostics = bases.length > 0 ? dropBaseUnused(all, root) : all;
  // Stable sort by file (the recipe, its bases nearest first, the overrides), then by position, so
  // output reads top to bottom.
  const rank = new Map(Object.keys(sources).map((u, i) => [u, i]));
  const order = (d: Diagnostic) => rank.get(d.span.uri) ?? rank.size;
  const sorted = diagnostics
    .map((d, i) => [d, i] as const)
    .sort((a, b) => order(a[0]) - order(b[0]) || a[0].span.start.offset - b[0].span.start.offset || a[1] - b[1])
    .map(([d]) => d);
  return ir ? { ir, diagnostics: sorted, sources, bases, shapes } : { diagnostics: sorted, sources, bases, shapes };
}
