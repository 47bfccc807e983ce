/**
 * The TextMate grammar (vscode/syntaxes/ssl.tmLanguage.json): it is what the generator produces
 * now, and vscode-textmate (VS Code's own tokenizer, with the Oniguruma wasm it ships) classifies
 * every token of every recipe and example the way the compiler's lexer and parser read it.
 *
 * The expected scope of each lexer token is derived here from the CST (a keyword that starts a
 * statement, a name being defined, a parameter name, a ramp shape, a builtin of some kind...), not
 * copied from the generator, so the two are independent.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { CstNode, IToken } from 'chevrotain';
import * as oniguruma from 'vscode-oniguruma';
import * as vsctm from 'vscode-textmate';
import { describe, expect, it } from 'vitest';
import { parse } from '../compiler/parse.js';
import { builtinList, builtins, constants } from '../compiler/builtins.js';
import * as tokens from '../grammar/tokens.js';
import { rampShapes } from '../grammar/parser.js';
import { buildGrammar, GRAMMAR_PATH, generateGrammarJson, loadGrammarSources, SCOPE_NAME } from './scripts/generate-grammar.js';

// vscode/ is a CommonJS package, so paths are taken from the repository root vitest runs in.
const root = process.cwd();
const grammarText = readFileSync(join(root, GRAMMAR_PATH), 'utf8');

const corpus: { file: string; text: string }[] = ['recipes', 'examples'].flatMap((dir) =>
  readdirSync(join(root, dir))
    .filter((f) => f.endsWith('.ssl'))
    .sort()
    .map((f) => ({ file: `${dir}/${f}`, text: readFileSync(join(root, dir, f), 'utf8') })),
);

// ---------------------------------------------------------------------------------------------
// vscode-textmate

let grammarPromise: Promise<vsctm.IGrammar> | undefined;
function loadGrammar(): Promise<vsctm.IGrammar> {
  grammarPromise ??= (async () => {
    const wasm = readFileSync(join(root, 'node_modules/vscode-oniguruma/release/onig.wasm'));
    await oniguruma.loadWASM(wasm.buffer.slice(wasm.byteOffset, wasm.byteOffset + wasm.byteLength));
    const registry = new vsctm.Registry({
      onigLib: Promise.resolve({
        createOnigScanner: (patterns: string[]) => new oniguruma.OnigScanner(patterns),
        createOnigString: (s: string) => new oniguruma.OnigString(s),
      }),
      loadGrammar: async (scopeName: string) => (scopeName === SCOPE_NAME ? vsctm.parseRawGrammar(grammarText, 'ssl.tmLanguage.json') : null),
    });
    const grammar = await registry.loadGrammar(SCOPE_NAME);
    if (!grammar) throw new Error('vscode-textmate did not load the grammar');
    return grammar;
  })();
  return grammarPromise;
}

/** The scope stack of every character of `text` (by offset); line breaks get none. */
async function scopesByOffset(text: string): Promise<string[][]> {
  const grammar = await loadGrammar();
  const out: string[][] = new Array(text.length);
  let state = vsctm.INITIAL;
  let lineStart = 0;
  for (const rawLine of text.split('\n')) {
    const line = rawLine.endsWith('\r') ? rawLine.slice(0, -1) : rawLine;
    const r = grammar.tokenizeLine(line, state);
    for (const tok of r.tokens) {
      for (let i = tok.startIndex; i < Math.min(tok.endIndex, line.length); i++) out[lineStart + i] = tok.scopes;
    }
    state = r.ruleStack;
    lineStart += rawLine.length + 1;
  }
  return out;
}

/** `[text, innermost scope]` of each TextMate token of a one-line snippet (whitespace dropped). */
async function highlight(line: string): Promise<[string, string][]> {
  const grammar = await loadGrammar();
  return grammar
    .tokenizeLine(line, vsctm.INITIAL)
    .tokens.map((t): [string, string] => [line.slice(t.startIndex, t.endIndex), t.scopes[t.scopes.length - 1]!])
    .filter(([text]) => text.trim() !== '');
}

// ---------------------------------------------------------------------------------------------
// What the compiler's lexer and parser say each token is

const definitionScope: Record<string, string> = {
  recipeStmt: 'entity.name.type.recipe.ssl',
  dataStmt: 'entity.name.variable.data.ssl',
  viewStmt: 'entity.name.function.view.ssl',
  networkStmt: 'entity.name.function.network.ssl',
  teacherStmt: 'entity.name.function.teacher.ssl',
  letStmt: 'entity.name.variable.let.ssl',
};
const symbolScope: Record<string, string> = {
  Arrow: 'keyword.operator.arrow.ssl',
  DotDot: 'keyword.operator.range.ssl',
  Pipe: 'keyword.operator.pipe.ssl',
  Plus: 'keyword.operator.arithmetic.ssl',
  Minus: 'keyword.operator.arithmetic.ssl',
  Star: 'keyword.operator.arithmetic.ssl',
  Slash: 'keyword.operator.arithmetic.ssl',
  Percent: 'keyword.other.unit.percent.ssl',
  Equals: 'keyword.operator.assignment.ssl',
  LParen: 'punctuation.section.parens.begin.ssl',
  RParen: 'punctuation.section.parens.end.ssl',
  LBracket: 'punctuation.section.brackets.begin.ssl',
  RBracket: 'punctuation.section.brackets.end.ssl',
  Comma: 'punctuation.separator.comma.ssl',
  Colon: 'punctuation.separator.key-value.ssl',
};
const enumValues = new Map<string, Set<string>>();
for (const b of builtinList) {
  for (const p of b.params) if (p.type.kind === 'ident-enum') enumValues.set(p.name, new Set([...(enumValues.get(p.name) ?? []), ...p.type.values]));
}
const statementKeywordNames = new Set(tokens.statementKeywords.map((k) => k.name));

interface Expected {
  token: IToken;
  scope: string;
}

/** The scope every lexer token of `text` should have, read off the parse tree. */
function expectedScopes(text: string, file: string): Expected[] {
  const r = parse(text, file);
  expect(r.diagnostics, `${file} must parse`).toEqual([]);
  const flat = [...r.tokens].sort((a, b) => a.startOffset - b.startOffset);
  const previous = new Map<IToken, IToken | undefined>(flat.map((tok, i) => [tok, flat[i - 1]]));
  const out: Expected[] = r.comments.map((token) => ({ token, scope: 'comment.line.number-sign.ssl' }));

  const nameScope = (tok: IToken, node: CstNode, label: string | undefined): string => {
    if (label === 'shape') return 'support.function.ramp.ssl';
    const colon = previous.get(tok);
    const param = colon && previous.get(colon);
    if (colon?.tokenType === tokens.Colon && param && enumValues.get(param.image)?.has(tok.image)) return 'constant.language.enum.ssl';
    const spec = builtins.get(tok.image);
    if (spec && spec.kind !== 'train') return `support.function.${spec.kind}.ssl`;
    if (tok.image in constants) return 'support.constant.ssl';
    return node.children.LParen ? 'variable.function.ssl' : 'variable.other.ssl';
  };

  const walk = (node: CstNode, label: string | undefined) => {
    for (const [key, children] of Object.entries(node.children)) {
      for (const child of children) {
        if (!('image' in child)) {
          walk(child, key);
          continue;
        }
        const tok = child;
        const type = tok.tokenType.name;
        let scope: string;
        if (node.name.endsWith('Stmt') && statementKeywordNames.has(key)) scope = 'keyword.other.statement.ssl';
        else if (key === 'name' && node.name in definitionScope) scope = definitionScope[node.name]!;
        else if (key === 'name' && node.name === 'argument') scope = 'variable.parameter.ssl';
        else if (key === 'name' && node.name === 'nameOrCall') scope = nameScope(tok, node, label);
        else if (type === 'NumberLiteral') scope = 'constant.numeric.ssl';
        else if (type === 'StringLiteral') scope = 'string.quoted.double.ssl';
        else if (type === 'True' || type === 'False') scope = 'constant.language.boolean.ssl';
        else if (node.name === 'numberExpr' && (type === 'Epochs' || type === 'Steps')) scope = `keyword.other.unit.${tok.image}.ssl`;
        else if (type in symbolScope) scope = symbolScope[type]!;
        else throw new Error(`${file}: no expectation for token ${type} '${tok.image}' under ${node.name}.${key}`);
        out.push({ token: tok, scope });
      }
    }
  };
  walk(r.cst!, undefined);
  expect(out.length, `${file}: every lexer token has an expectation`).toBe(flat.length + r.comments.length);
  return out.sort((a, b) => a.token.startOffset - b.token.startOffset);
}

// ---------------------------------------------------------------------------------------------

describe('the checked-in grammar', () => {
  it('is what the generator produces now', async () => {
    const fresh = await generateGrammarJson();
    expect(grammarText === fresh, 'vscode/syntaxes/ssl.tmLanguage.json is stale: run npx tsx vscode/scripts/generate-grammar.ts').toBe(true);
  });

  it('is generated deterministically', async () => {
    expect(await generateGrammarJson()).toBe(await generateGrammarJson());
  });

  it('refuses a token it has no scope for, naming it', async () => {
    const src = await loadGrammarSources();
    const Caret = { ...tokens.Plus, name: 'Caret', PATTERN: /\^/ };
    const withCaret = { ...src, tokens: { ...src.tokens, allTokens: [...src.tokens.allTokens, Caret] } };
    expect(() => buildGrammar(withCaret)).toThrow(/token Caret has no TextMate scope/);
  });

  it('refuses a statement keyword or a builtin kind it has no rule for, naming it', async () => {
    const src = await loadGrammarSources();
    const Import = { ...tokens.Data, name: 'Import', PATTERN: /import/ };
    const withImport = { ...src, tokens: { ...src.tokens, statementKeywords: [...src.tokens.statementKeywords, Import] } };
    expect(() => buildGrammar(withImport)).toThrow(/statement keyword 'import' has no highlighting rule/);
    const widget = { name: 'widget', kind: 'widget', params: [], doc: '' } as unknown as (typeof src.builtinList)[number];
    expect(() => buildGrammar({ ...src, builtinList: [...src.builtinList, widget] })).toThrow(/builtin kind 'widget' \(widget\) has no scope/);
  });
});

describe('tokenization of every recipe and example', () => {
  it('covers the corpus', () => {
    expect(corpus.length).toBeGreaterThanOrEqual(15);
  });

  for (const { file, text } of corpus) {
    it(`${file}: every lexer token gets the scope its role in the parse tree implies`, async () => {
      const scopes = await scopesByOffset(text);
      const mismatches: string[] = [];
      for (const { token, scope } of expectedScopes(text, file)) {
        for (let i = token.startOffset; i <= token.endOffset!; i++) {
          if (!scopes[i]?.includes(scope)) {
            mismatches.push(`${token.startLine}:${token.startColumn} '${token.image}': expected ${scope}, got ${scopes[i]?.join(' ')}`);
            break;
          }
        }
      }
      expect(mismatches).toEqual([]);
    });

    it(`${file}: every non-blank character is classified, none as invalid`, async () => {
      const scopes = await scopesByOffset(text);
      const bare: string[] = [];
      for (let i = 0; i < text.length; i++) {
        if (/\s/.test(text[i]!)) continue;
        const s = scopes[i] ?? [];
        if (s.length < 2 || s.some((x) => x.startsWith('invalid.'))) bare.push(`offset ${i} '${text[i]}': ${s.join(' ')}`);
      }
      expect(bare).toEqual([]);
    });
  }

  it('sees every token class somewhere in the corpus', async () => {
    const seen = new Set<string>();
    for (const { file, text } of corpus) {
      const scopes = await scopesByOffset(text);
      for (const { token } of expectedScopes(text, file)) for (const s of scopes[token.startOffset] ?? []) seen.add(s);
    }
    const kinds = [...new Set(builtinList.filter((b) => b.kind !== 'train').map((b) => b.kind))];
    expect(kinds).toHaveLength(9);
    const required = [
      'keyword.other.statement.ssl',
      ...kinds.map((k) => `support.function.${k}.ssl`),
      'constant.numeric.ssl',
      'keyword.other.unit.percent.ssl',
      'keyword.other.unit.epochs.ssl',
      'keyword.other.unit.steps.ssl',
      'keyword.operator.range.ssl',
      'keyword.operator.arrow.ssl',
      'support.function.ramp.ssl',
      'string.quoted.double.ssl',
      'comment.line.number-sign.ssl',
      'variable.parameter.ssl',
      'constant.language.enum.ssl',
      'constant.language.boolean.ssl',
      'support.constant.ssl',
      ...Object.values(definitionScope),
    ];
    expect(required.filter((s) => !seen.has(s))).toEqual([]);
  });
});

describe('scopes of each token class', () => {
  it('numbers with exponents, percentages and units', async () => {
    expect(await highlight('lr: 1e-3, labels: 1%, warmup: 10 epochs, every: 500 steps, x: 1.5E+2')).toEqual([
      ['lr', 'variable.parameter.ssl'],
      [':', 'punctuation.separator.key-value.ssl'],
      ['1e-3', 'constant.numeric.ssl'],
      [',', 'punctuation.separator.comma.ssl'],
      ['labels', 'variable.parameter.ssl'],
      [':', 'punctuation.separator.key-value.ssl'],
      ['1', 'constant.numeric.ssl'],
      ['%', 'keyword.other.unit.percent.ssl'],
      [',', 'punctuation.separator.comma.ssl'],
      ['warmup', 'variable.parameter.ssl'],
      [':', 'punctuation.separator.key-value.ssl'],
      ['10', 'constant.numeric.ssl'],
      ['epochs', 'keyword.other.unit.epochs.ssl'],
      [',', 'punctuation.separator.comma.ssl'],
      ['every', 'variable.parameter.ssl'],
      [':', 'punctuation.separator.key-value.ssl'],
      ['500', 'constant.numeric.ssl'],
      ['steps', 'keyword.other.unit.steps.ssl'],
      [',', 'punctuation.separator.comma.ssl'],
      ['x', 'variable.parameter.ssl'],
      [':', 'punctuation.separator.key-value.ssl'],
      ['1.5E+2', 'constant.numeric.ssl'],
    ]);
  });

  it('ranges and ramps', async () => {
    expect(await highlight('scale: 0.2..1.0')).toEqual([
      ['scale', 'variable.parameter.ssl'],
      [':', 'punctuation.separator.key-value.ssl'],
      ['0.2', 'constant.numeric.ssl'],
      ['..', 'keyword.operator.range.ssl'],
      ['1.0', 'constant.numeric.ssl'],
    ]);
    expect(await highlight('momentum: 0.996 -> 1.0 cosine')).toEqual([
      ['momentum', 'variable.parameter.ssl'],
      [':', 'punctuation.separator.key-value.ssl'],
      ['0.996', 'constant.numeric.ssl'],
      ['->', 'keyword.operator.arrow.ssl'],
      ['1.0', 'constant.numeric.ssl'],
      ['cosine', 'support.function.ramp.ssl'],
    ]);
    const ramp = await highlight('0.04 -> 0.07 linear(over: 30 epochs)');
    expect(ramp.slice(3, 5)).toEqual([
      ['linear', 'support.function.ramp.ssl'],
      ['(', 'punctuation.section.parens.begin.ssl'],
    ]);
    expect(await highlight('weight_decay: 0.04 -> 2 * base cosine')).toEqual([
      ['weight_decay', 'variable.parameter.ssl'],
      [':', 'punctuation.separator.key-value.ssl'],
      ['0.04', 'constant.numeric.ssl'],
      ['->', 'keyword.operator.arrow.ssl'],
      ['2', 'constant.numeric.ssl'],
      ['*', 'keyword.operator.arithmetic.ssl'],
      ['base', 'variable.other.ssl'],
      ['cosine', 'support.function.ramp.ssl'],
    ]);
    // Away from an arrow, the shape words are what they are elsewhere (as in the parser).
    expect(await highlight('let cosine = linear')).toEqual([
      ['let', 'keyword.other.statement.ssl'],
      ['cosine', 'entity.name.variable.let.ssl'],
      ['=', 'keyword.operator.assignment.ssl'],
      ['linear', 'support.function.probe.ssl'],
    ]);
    expect((await highlight('x: 2 * cosine')).map(([, s]) => s)[4]).toBe('variable.other.ssl');
    expect((await highlight('network n = convnet([8]) -> mlp([4]) -> normalize()')).map(([, s]) => s)).not.toContain('support.function.ramp.ssl');
    // The ramp shape words are the parser's.
    expect([...rampShapes].sort()).toEqual(['cosine', 'linear']);
  });

  it('soft keywords: a statement keyword only where a statement starts', async () => {
    expect(await highlight('data train = mnist(split: "train")')).toEqual([
      ['data', 'keyword.other.statement.ssl'],
      ['train', 'entity.name.variable.data.ssl'],
      ['=', 'keyword.operator.assignment.ssl'],
      ['mnist', 'support.function.dataset.ssl'],
      ['(', 'punctuation.section.parens.begin.ssl'],
      ['split', 'variable.parameter.ssl'],
      [':', 'punctuation.separator.key-value.ssl'],
      ['"train"', 'string.quoted.double.ssl'],
      [')', 'punctuation.section.parens.end.ssl'],
    ]);
    expect(await highlight('train epochs: 100, seed: 0')).toEqual([
      ['train', 'keyword.other.statement.ssl'],
      ['epochs', 'variable.parameter.ssl'],
      [':', 'punctuation.separator.key-value.ssl'],
      ['100', 'constant.numeric.ssl'],
      [',', 'punctuation.separator.comma.ssl'],
      ['seed', 'variable.parameter.ssl'],
      [':', 'punctuation.separator.key-value.ssl'],
      ['0', 'constant.numeric.ssl'],
    ]);
    expect((await highlight('let x1 = aug(train)')).map(([, s]) => s)).toEqual([
      'keyword.other.statement.ssl',
      'entity.name.variable.let.ssl',
      'keyword.operator.assignment.ssl',
      'variable.function.ssl',
      'punctuation.section.parens.begin.ssl',
      'variable.other.ssl',
      'punctuation.section.parens.end.ssl',
    ]);
    // A teacher named `teacher`, and called at the start of a continuation line.
    expect((await highlight('teacher teacher = ema(student)')).slice(0, 4)).toEqual([
      ['teacher', 'keyword.other.statement.ssl'],
      ['teacher', 'entity.name.function.teacher.ssl'],
      ['=', 'keyword.operator.assignment.ssl'],
      ['ema', 'support.function.teacher.ssl'],
    ]);
    expect((await highlight('            teacher(globals),'))[0]).toEqual(['teacher', 'variable.function.ssl']);
    expect(await highlight('probe knn(k: 20, on: test)').then((r) => r.slice(0, 2))).toEqual([
      ['probe', 'keyword.other.statement.ssl'],
      ['knn', 'support.function.probe.ssl'],
    ]);
    expect(await highlight('probe linear(on: test)').then((r) => r.slice(0, 2))).toEqual([
      ['probe', 'keyword.other.statement.ssl'],
      ['linear', 'support.function.probe.ssl'],
    ]);
    expect(await highlight('recipe dino')).toEqual([
      ['recipe', 'keyword.other.statement.ssl'],
      ['dino', 'entity.name.type.recipe.ssl'],
    ]);
    expect(await highlight('extends "base.ssl"')).toEqual([
      ['extends', 'keyword.other.statement.ssl'],
      ['"base.ssl"', 'string.quoted.double.ssl'],
    ]);
    expect(await highlight('optimizer')).toEqual([['optimizer', 'keyword.other.statement.ssl']]);
  });

  it('enum words, constants, booleans, comments, escapes', async () => {
    expect(await highlight('mlp([512, 128], norm: batch) # head')).toEqual([
      ['mlp', 'support.function.network-stage.ssl'],
      ['(', 'punctuation.section.parens.begin.ssl'],
      ['[', 'punctuation.section.brackets.begin.ssl'],
      ['512', 'constant.numeric.ssl'],
      [',', 'punctuation.separator.comma.ssl'],
      ['128', 'constant.numeric.ssl'],
      [']', 'punctuation.section.brackets.end.ssl'],
      [',', 'punctuation.separator.comma.ssl'],
      ['norm', 'variable.parameter.ssl'],
      [':', 'punctuation.separator.key-value.ssl'],
      ['batch', 'constant.language.enum.ssl'],
      [')', 'punctuation.section.parens.end.ssl'],
      ['# head', 'comment.line.number-sign.ssl'],
    ]);
    expect((await highlight('lr: 0.3 * batch / 256')).map(([, s]) => s)).toEqual([
      'variable.parameter.ssl',
      'punctuation.separator.key-value.ssl',
      'constant.numeric.ssl',
      'keyword.operator.arithmetic.ssl',
      'support.constant.ssl',
      'keyword.operator.arithmetic.ssl',
      'constant.numeric.ssl',
    ]);
    expect(await highlight('normalize: true')).toEqual([
      ['normalize', 'variable.parameter.ssl'],
      [':', 'punctuation.separator.key-value.ssl'],
      ['true', 'constant.language.boolean.ssl'],
    ]);
    expect(await highlight('"a\\"b"')).toEqual([
      ['"a', 'string.quoted.double.ssl'],
      ['\\"', 'constant.character.escape.ssl'],
      ['b"', 'string.quoted.double.ssl'],
    ]);
  });

  it('marks what the lexer rejects as invalid', async () => {
    expect(await highlight('x @ 1')).toEqual([
      ['x', 'variable.other.ssl'],
      ['@', 'invalid.illegal.character.ssl'],
      ['1', 'constant.numeric.ssl'],
    ]);
    // An unterminated string is not a string token (strings are single-line).
    expect((await highlight('split: "tra'))[2]).toEqual(['"', 'invalid.illegal.character.ssl']);
  });

  it('a half-typed recipe with CRLF line ends: nothing leaks from one line into the next', async () => {
    const text = ['recipe wip', 'data train = mnist(split: "tra', 'view', 'network encoder = convnet(channels: [32, 64', 'loss = nt_xent(a, b'].join('\r\n');
    const scopes = await scopesByOffset(text);
    const at = (needle: string) => scopes[text.indexOf(needle)]!.at(-1);
    expect(at('view')).toBe('keyword.other.statement.ssl');
    expect(at('network')).toBe('keyword.other.statement.ssl');
    expect(at('encoder')).toBe('entity.name.function.network.ssl');
    expect(at('loss')).toBe('keyword.other.statement.ssl');
    expect(at('nt_xent')).toBe('support.function.loss.ssl');
    for (let i = 0; i < text.length; i++) if (!/\s/.test(text[i]!)) expect(scopes[i]!.length, `offset ${i}`).toBeGreaterThan(1);
  });
});
