/**
 * Generates vscode/syntaxes/ssl.tmLanguage.json, the TextMate grammar VS Code highlights `.ssl`
 * files with, from the project's own sources so the editor never drifts from `ssl check`:
 * - grammar/tokens.ts: every regular expression (names, numbers, strings, comments, operators,
 *   punctuation) is the lexer's own `PATTERN`, and every keyword and unit word comes from its lists;
 * - grammar/parser.ts: the ramp shape words (`0.996 -> 1.0 cosine`);
 * - compiler/builtins.ts: builtin names by kind (one scope per kind: `support.function.loss.ssl`),
 *   the bare-word values of enum parameters (`norm: batch`) and the named constants (`batch`).
 *
 * A token the generator has no scope for throws, so a new token cannot ship unhighlighted;
 * vscode/grammar.test.ts fails when the checked-in JSON differs from this output.
 *
 * Usage: `npx tsx vscode/scripts/generate-grammar.ts` (rewrites the JSON), or `generateGrammarJson()`.
 *
 * The project modules are imported dynamically: vscode/ is a CommonJS package (VS Code 1.91 loads
 * CommonJS extensions) and grammar/chevrotain.ts uses top-level await, which only an ES module
 * import can load.
 */
import type { TokenType } from 'chevrotain';
import type { BuiltinKind, BuiltinSpec } from '../../compiler/builtins.js';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';

type Tokens = typeof import('../../grammar/tokens.js');

/** What the grammar is generated from (the project modules, or stand-ins in a test). */
export interface GrammarSources {
  tokens: Tokens;
  builtinList: readonly BuiltinSpec[];
  constants: Readonly<Record<string, string>>;
  rampShapes: ReadonlySet<string>;
}

/** One TextMate rule (the subset this grammar uses). */
export interface Rule {
  name?: string;
  match?: string;
  captures?: Record<string, Rule & { patterns?: Rule[] }>;
  include?: string;
  patterns?: Rule[];
}

export const SCOPE_NAME = 'source.ssl';

/** The scope of each builtin kind; `train` is the statement keyword, not a callable builtin. */
export const builtinKindScope: Readonly<Record<Exclude<BuiltinKind, 'train'>, string>> = {
  dataset: 'support.function.dataset.ssl',
  augmentation: 'support.function.augmentation.ssl',
  'network-stage': 'support.function.network-stage.ssl',
  teacher: 'support.function.teacher.ssl',
  graph: 'support.function.graph.ssl',
  loss: 'support.function.loss.ssl',
  optimizer: 'support.function.optimizer.ssl',
  schedule: 'support.function.schedule.ssl',
  probe: 'support.function.probe.ssl',
};

/** Operator and punctuation tokens by token name. A token missing here makes the generator throw. */
const symbolScope: Readonly<Record<string, string>> = {
  Arrow: 'keyword.operator.arrow.ssl',
  DotDot: 'keyword.operator.range.ssl',
  Pipe: 'keyword.operator.pipe.ssl',
  Plus: 'keyword.operator.arithmetic.ssl',
  Minus: 'keyword.operator.arithmetic.ssl',
  Star: 'keyword.operator.arithmetic.ssl',
  Slash: 'keyword.operator.arithmetic.ssl',
  // `%` only follows a number (`10%`, matched with it); a stray one still gets the unit scope.
  Percent: 'keyword.other.unit.percent.ssl',
  Equals: 'keyword.operator.assignment.ssl',
  LParen: 'punctuation.section.parens.begin.ssl',
  RParen: 'punctuation.section.parens.end.ssl',
  LBracket: 'punctuation.section.brackets.begin.ssl',
  RBracket: 'punctuation.section.brackets.end.ssl',
  Comma: 'punctuation.separator.comma.ssl',
  Colon: 'punctuation.separator.key-value.ssl',
};

/**
 * Statement keywords are soft (grammar/tokens.ts): `train` may also name a data source. A keyword
 * is highlighted as one only where its statement can start: followed, on the same line, by what its
 * statement needs next (below), or alone on its line (while typing). Definition keywords capture the
 * defined name (scope `entity.name.<kind>.ssl`).
 */
type StatementShape =
  | { kind: 'defines'; nameScope: string }
  | { kind: 'followed-by'; lookahead: string };

const definitionStatements: Readonly<Record<string, string>> = {
  recipe: 'entity.name.type.recipe.ssl',
  data: 'entity.name.variable.data.ssl',
  view: 'entity.name.function.view.ssl',
  network: 'entity.name.function.network.ssl',
  teacher: 'entity.name.function.teacher.ssl',
  let: 'entity.name.variable.let.ssl',
};

function statementShape(word: string, identifier: string): StatementShape | undefined {
  if (word in definitionStatements) return { kind: 'defines', nameScope: definitionStatements[word]! };
  switch (word) {
    case 'extends':
      return { kind: 'followed-by', lookahead: '\\s*"' };
    case 'loss':
      return { kind: 'followed-by', lookahead: '\\s*=' };
    case 'optimizer':
    case 'schedule':
    case 'probe':
      return { kind: 'followed-by', lookahead: '\\s+[A-Za-z_(\\[]' };
    case 'train':
      return { kind: 'followed-by', lookahead: `\\s+${identifier}\\s*:` };
    default:
      return undefined;
  }
}

const patternOf = (token: TokenType): string => {
  const p = token.PATTERN;
  if (!(p instanceof RegExp)) throw new Error(`token ${token.name} has no regular expression pattern`);
  return p.source;
};

const alternatives = (words: Iterable<string>): string => [...new Set(words)].sort().join('|');

/** The grammar as a plain object (key order is normalised when it is rendered). */
export function buildGrammar(src: GrammarSources): Record<string, unknown> {
  const t = src.tokens;
  const identifier = patternOf(t.Identifier);
  const repository: Record<string, Rule> = {};
  const top: string[] = [];
  const add = (key: string, rule: Rule) => {
    repository[key] = rule;
    top.push(key);
  };

  add('comment', { name: 'comment.line.number-sign.ssl', match: patternOf(t.Comment) });
  add('string', {
    name: 'string.quoted.double.ssl',
    match: patternOf(t.StringLiteral),
    captures: { '0': { patterns: [{ name: 'constant.character.escape.ssl', match: '\\\\.' }] } },
  });

  // Statement keywords.
  const statementWords = t.statementKeywords.map(patternOf);
  const statementRules: Rule[] = [
    // A keyword alone on its line (being typed, or a bare `train`).
    { match: `^\\s*\\b(${alternatives(statementWords)})\\b(?=\\s*(?:#|$))`, captures: { '1': { name: 'keyword.other.statement.ssl' } } },
  ];
  // `probe linear(...)`: the probe builtin named right after `probe` (elsewhere `linear` is a ramp shape).
  const probeNames = src.builtinList.filter((b) => b.kind === 'probe').map((b) => b.name);
  if (statementWords.includes('probe')) {
    statementRules.push({
      match: `\\b(probe)\\s+(${alternatives(probeNames)})\\b`,
      captures: { '1': { name: 'keyword.other.statement.ssl' }, '2': { name: builtinKindScope.probe } },
    });
  }
  for (const word of statementWords) {
    const shape = statementShape(word, identifier);
    if (!shape) throw new Error(`statement keyword '${word}' has no highlighting rule: add it to statementShape in vscode/scripts/generate-grammar.ts`);
    if (shape.kind === 'defines') {
      // `data NAME =` (the `=` may still be on its way, or on the next line).
      const tail = word === 'recipe' ? '' : '(?=\\s*(?:=|#|$))';
      statementRules.push({
        match: `\\b(${word})\\s+(${identifier})${tail}`,
        captures: { '1': { name: 'keyword.other.statement.ssl' }, '2': { name: shape.nameScope } },
      });
    } else {
      statementRules.push({ match: `\\b(${word})\\b(?=${shape.lookahead})`, captures: { '1': { name: 'keyword.other.statement.ssl' } } });
    }
  }
  add('statement', { patterns: statementRules });

  // Numbers, with their percent sign or duration unit: `1e-3`, `10%`, `10 epochs`.
  const units = t.unitKeywords.map(patternOf);
  const unitCaptures: Rule[] = units.map((u) => ({ match: `\\b${u}\\b`, name: `keyword.other.unit.${u}.ssl` }));
  add('number', {
    match: `(${patternOf(t.NumberLiteral)})(?:\\s*(${patternOf(t.Percent)})|\\s*(${alternatives(units)})\\b)?`,
    captures: {
      '1': { name: 'constant.numeric.ssl' },
      '2': { name: 'keyword.other.unit.percent.ssl' },
      '3': { patterns: unitCaptures },
    },
  });

  // `norm: batch`: a bare word out of an enum parameter's values is a literal, not a name.
  const enumValues = new Map<string, Set<string>>();
  for (const b of src.builtinList) {
    for (const p of b.params) {
      if (p.type.kind !== 'ident-enum') continue;
      const values = enumValues.get(p.name) ?? new Set<string>();
      for (const v of p.type.values) values.add(v);
      enumValues.set(p.name, values);
    }
  }
  add('enum-argument', {
    patterns: [...enumValues.keys()].sort().map((name) => ({
      match: `\\b(${name})\\s*(${patternOf(t.Colon)})\\s*(${alternatives(enumValues.get(name)!)})\\b`,
      captures: {
        '1': { name: 'variable.parameter.ssl' },
        '2': { name: symbolScope.Colon! },
        '3': { name: 'constant.language.enum.ssl' },
      },
    })),
  });
  add('parameter', {
    match: `\\b(${identifier})\\s*(${patternOf(t.Colon)})`,
    captures: { '1': { name: 'variable.parameter.ssl' }, '2': { name: symbolScope.Colon! } },
  });

  // `0.996 -> 1.0 cosine`: a shape word is only special right after the operand of an arrow (as in
  // the parser), so `linear` stays the probe and `cosine` may name something elsewhere. The operand
  // in between is highlighted as usual.
  add('ramp', {
    match: `(${patternOf(t.Arrow)})([^,()\\[\\]|#=:]*?)\\b(${alternatives(src.rampShapes)})\\b`,
    captures: {
      '1': { name: symbolScope.Arrow! },
      '2': { patterns: [{ include: '$self' }] },
      '3': { name: 'support.function.ramp.ssl' },
    },
  });

  const kinds = Object.keys(builtinKindScope) as (keyof typeof builtinKindScope)[];
  add('builtin', {
    patterns: kinds
      .map((kind) => ({ kind, names: src.builtinList.filter((b) => b.kind === kind).map((b) => b.name) }))
      .filter(({ names }) => names.length > 0)
      .map(({ kind, names }) => ({ name: builtinKindScope[kind], match: `\\b(?:${alternatives(names)})\\b` })),
  });
  for (const b of src.builtinList) {
    if (b.kind !== 'train' && !(b.kind in builtinKindScope)) throw new Error(`builtin kind '${b.kind}' (${b.name}) has no scope: add it to builtinKindScope`);
  }
  add('constant', { name: 'support.constant.ssl', match: `\\b(?:${alternatives(Object.keys(src.constants))})\\b` });
  add('boolean', { name: 'constant.language.boolean.ssl', match: `\\b(?:${alternatives(t.literalKeywords.map(patternOf))})\\b` });
  add('call', { name: 'variable.function.ssl', match: `\\b${identifier}(?=\\s*\\()` });
  add('identifier', { name: 'variable.other.ssl', match: `\\b${identifier}` });

  // Operators and punctuation, in lexing order (`->` and `..` before `-`).
  const handled = new Set<TokenType>([t.WhiteSpace, t.Comment, t.StringLiteral, t.NumberLiteral, t.Identifier, ...t.statementKeywords, ...t.unitKeywords, ...t.literalKeywords]);
  const symbols: Rule[] = [];
  for (const token of t.allTokens) {
    if (handled.has(token)) continue;
    const scope = symbolScope[token.name];
    if (!scope) throw new Error(`token ${token.name} has no TextMate scope: add it to symbolScope in vscode/scripts/generate-grammar.ts`);
    symbols.push({ name: scope, match: patternOf(token) });
  }
  add('symbol', { patterns: symbols });
  // Anything else is a character the lexer rejects (`unexpected-character`).
  add('invalid', { name: 'invalid.illegal.character.ssl', match: '\\S' });

  return {
    $schema: 'https://raw.githubusercontent.com/martinring/tmlanguage/master/tmlanguage.json',
    comment: 'Generated by vscode/scripts/generate-grammar.ts from grammar/tokens.ts, grammar/parser.ts and compiler/builtins.ts. Do not edit: run npx tsx vscode/scripts/generate-grammar.ts',
    name: 'SSL recipe',
    scopeName: SCOPE_NAME,
    fileTypes: ['ssl'],
    patterns: top.map((key) => ({ include: `#${key}` })),
    repository,
  };
}

/** JSON with object keys sorted at every level (array order is meaningful and kept). */
export function stableJson(value: unknown): string {
  const sortKeys = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(sortKeys);
    if (v && typeof v === 'object') {
      return Object.fromEntries(
        Object.keys(v)
          .sort()
          .map((k) => [k, sortKeys((v as Record<string, unknown>)[k])]),
      );
    }
    return v;
  };
  return `${JSON.stringify(sortKeys(value), null, 2)}\n`;
}

export async function loadGrammarSources(): Promise<GrammarSources> {
  const tokens = await import('../../grammar/tokens.js');
  const { rampShapes } = await import('../../grammar/parser.js');
  const { builtinList, constants } = await import('../../compiler/builtins.js');
  return { tokens, builtinList, constants, rampShapes };
}

/** The text vscode/syntaxes/ssl.tmLanguage.json must hold. */
export async function generateGrammarJson(): Promise<string> {
  return stableJson(buildGrammar(await loadGrammarSources()));
}

/** Where the grammar is checked in, relative to the repository root. */
export const GRAMMAR_PATH = 'vscode/syntaxes/ssl.tmLanguage.json';

// Run as a script (`npx tsx vscode/scripts/generate-grammar.ts`): works whether tsx loads this file
// as CommonJS or as an ES module, so neither `require.main` nor `import.meta` is used.
if (process.argv[1] && /generate-grammar\.[cm]?[jt]s$/.test(process.argv[1])) {
  const out = resolve(process.argv[1], '..', '..', 'syntaxes', 'ssl.tmLanguage.json');
  generateGrammarJson().then(
    (json) => {
      mkdirSync(dirname(out), { recursive: true });
      writeFileSync(out, json);
      console.log(`wrote ${out}`);
    },
    (err: unknown) => {
      console.error(err instanceof Error ? err.message : err);
      process.exitCode = 1;
    },
  );
}
