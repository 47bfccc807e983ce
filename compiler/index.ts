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
import { formatDiagnostic, hasErrors, SourceText, type Diagnostic } from './diagnostics.js';
import type { IR } from './ir.js';
import { validateIr } from './ir-schema.js';
import { lower } from './lower.js';
import { resolve, type Resolved } from './resolve.js';
import { validate, type Checked } from './validate/index.js';

export interface CompileResult {
  ir?: IR;
  diagnostics: Diagnostic[];
}

export type { Diagnostic } from './diagnostics.js';
export type { DiagnosticCode } from './codes.js';
export { Codes, allCodes } from './codes.js';
export { formatDiagnostic, parse, validateIr };
export type { ParseResult };
export { SourceText } from './diagnostics.js';
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

/** Phase 4: types, parameters, ranges, shapes, the training graph. */
export function validatePhase(resolved: Resolved, diagnostics: Diagnostic[]): Checked {
  return validate(resolved, diagnostics);
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

/** Compiles recipe text to IR. Never throws. `uri` is recorded verbatim in spans and the IR. */
export function compile(text: string, uri: string): CompileResult {
  const src = new SourceText(typeof text === 'string' ? text : String(text), typeof uri === 'string' ? uri : String(uri));
  const diagnostics: Diagnostic[] = [];
  let phase = 'parse';
  try {
    const cst = parsePhase(src, diagnostics);
    if (!cst) return done(diagnostics);
    phase = 'ast';
    const program = astPhase(cst, src);
    phase = 'resolve';
    const resolved = resolvePhase(program, diagnostics);
    phase = 'validate';
    const checked = validatePhase(resolved, diagnostics);
    if (hasErrors(diagnostics)) return done(diagnostics);
    phase = 'lower';
    const ir = lowerPhase(checked, resolved, src.uri, diagnostics);
    return done(diagnostics, ir);
  } catch (err) {
    diagnostics.push(internalError(err, src, phase));
    return done(diagnostics);
  }
}

function done(diagnostics: Diagnostic[], ir?: IR): CompileResult {
  // Stable sort by position so output reads top to bottom.
  const sorted = diagnostics.map((d, i) => [d, i] as const).sort((a, b) => a[0].span.start.offset - b[0].span.start.offset || a[1] - b[1]).map(([d]) => d);
  return ir ? { ir, diagnostics: sorted } : { diagnostics: sorted };
}
