/**
 * Prints an AST back as recipe text: used for the recipe "as resolved", i.e. after `extends` and
 * `--set` overrides (the run folder keeps it next to the recipe as written). Comments and the
 * user's layout are gone (parentheses are put back only where precedence needs them); the result
 * is laid out by the formatter (compiler/format.ts). Compiling the printed text gives the same IR
 * as compiling the original (spans aside): compiler/extends.test.ts checks that.
 */
import type * as A from './ast.js';
import { cstToAst } from './cst-to-ast.js';
import { mergeExtends, type FileLoader } from './extends.js';
import { format } from './format.js';
import { hasErrors, SourceText, type Diagnostic } from './diagnostics.js';
import { applyOverrides } from './overrides.js';
import { parse } from './parse.js';

// Precedence levels, lowest first, as in grammar/parser.ts.
const PIPELINE = 0;
const CHAIN = 1;
const RANGE = 2;
const ADDITIVE = 3;
const MULTIPLICATIVE = 4;
const UNARY = 5;
const PRIMARY = 6;

function level(e: A.Expression): number {
  switch (e.kind) {
    case 'pipeline':
      return PIPELINE;
    case 'chain':
      return CHAIN;
    case 'range':
      return RANGE;
    case 'binary':
      return e.op === '+' || e.op === '-' ? ADDITIVE : MULTIPLICATIVE;
    case 'unary':
      return UNARY;
    default:
      return PRIMARY;
  }
}

/** `e` as text, in parentheses when its precedence is below `min`. */
export function printExpression(e: A.Expression, min = PIPELINE): string {
  const text = printBare(e);
  return level(e) < min ? `(${text})` : text;
}

function printBare(e: A.Expression): string {
  switch (e.kind) {
    case 'identifier':
      return e.name;
    case 'number':
      return e.raw;
    case 'percent':
      return e.raw.endsWith('%') ? e.raw : `${e.raw}%`;
    case 'duration':
      return `${e.value} ${e.unit}`;
    case 'string':
      return JSON.stringify(e.value);
    case 'boolean':
      return String(e.value);
    case 'call':
      return `${e.callee.name}(${e.args.map(printArgument).join(', ')})`;
    case 'binary': {
      const own = level(e);
      return `${printExpression(e.left, own)} ${e.op} ${printExpression(e.right, own + 1)}`;
    }
    case 'unary':
      return `-${printExpression(e.operand, UNARY)}`;
    case 'range':
      return `${printExpression(e.lo, ADDITIVE)}..${printExpression(e.hi, ADDITIVE)}`;
    case 'list':
      return `[${e.items.map((i) => printExpression(i)).join(', ')}]`;
    case 'pipeline':
      return e.stages.map((s) => printExpression(s, CHAIN)).join(' | ');
    case 'chain': {
      const stages = e.stages.map((s) => printExpression(s, RANGE)).join(' -> ');
      return e.shape ? `${stages} ${printBare(e.shape)}` : stages;
    }
  }
}

function printArgument(a: A.Argument): string {
  return a.name ? `${a.name.name}: ${printExpression(a.value)}` : printExpression(a.value);
}

export function printStatement(s: A.Statement): string {
  switch (s.kind) {
    case 'recipe':
      return `recipe ${s.name.name}`;
    case 'extends':
      return `extends ${JSON.stringify(s.path.value)}`;
    case 'data':
    case 'view':
    case 'network':
    case 'teacher':
    case 'let':
      return `${s.kind} ${s.name.name} = ${printExpression(s.value)}`;
    case 'loss':
      return `loss = ${printExpression(s.value)}`;
    case 'optimizer':
    case 'schedule':
    case 'probe':
      return `${s.kind} ${printExpression(s.value)}`;
    case 'train':
      return s.args.length > 0 ? `train ${s.args.map(printArgument).join(', ')}` : 'train';
  }
}

const group = (s: A.Statement) => (s.kind === 'optimizer' || s.kind === 'schedule' || s.kind === 'train' ? 'training' : s.kind);

/** The program as text (one statement a line, a blank line between kinds), formatted when possible. */
export function printProgram(program: A.Program, header: readonly string[] = []): string {
  const lines: string[] = header.map((h) => `# ${h.replace(/[\r\n]+/g, ' ')}`.trimEnd());
  let previous: string | undefined = header.length > 0 ? '#' : undefined;
  for (const s of program.statements) {
    const g = group(s);
    if (previous !== undefined && g !== previous) lines.push('');
    lines.push(printStatement(s));
    previous = g;
  }
  const text = lines.join('\n') + '\n';
  return format(text, '<resolved>').text ?? text;
}

/**
 * The recipe as resolved: `extends` merged and `overrides` applied, printed as one self-contained
 * recipe (with a comment header naming the file, its bases and the overrides). Undefined when the
 * recipe or a base does not parse or an `extends` cannot be followed (compile reports why).
 */
export function resolvedRecipeText(text: string, uri: string, options: FileLoader & { overrides?: readonly string[] } = {}): string | undefined {
  try {
    const src = new SourceText(text, uri);
    const parsed = parse(text, uri);
    if (!parsed.cst || hasErrors(parsed.diagnostics)) return undefined;
    let program = cstToAst(parsed.cst, src);
    const diagnostics: Diagnostic[] = [];
    const sources: Record<string, string> = {};
    const merged = mergeExtends(program, src, options, diagnostics, sources);
    if (!merged.ok) return undefined;
    program = merged.program;
    const overrides = options.overrides ?? [];
    applyOverrides(program, overrides, diagnostics, sources);
    const header = [
      `${uri} as resolved${merged.bases.length > 0 ? `, extending ${merged.bases.map((b) => `'${b}'`).join(' -> ')}` : ''}`,
      ...(overrides.length > 0 ? [`with ${overrides.map((o) => `--set ${o}`).join(' ')}`] : []),
    ];
    return printProgram(program, header);
  } catch {
    return undefined;
  }
}
