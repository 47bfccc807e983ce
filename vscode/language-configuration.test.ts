/**
 * vscode/language-configuration.json agrees with the lexer (grammar/tokens.ts): the comment
 * marker, brackets and quotes are the tokens' own characters, the word pattern is the lexer's
 * number and identifier patterns, and the indentation rules fit the recipes as the parser reads them.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { CstNode, IToken } from 'chevrotain';
import { describe, expect, it } from 'vitest';
import { builtinList, constants } from '../compiler/builtins.js';
import { parse } from '../compiler/parse.js';
import * as t from '../grammar/tokens.js';

interface LanguageConfiguration {
  comments: { lineComment: string };
  brackets: [string, string][];
  colorizedBracketPairs: [string, string][];
  autoClosingPairs: { open: string; close: string; notIn?: string[] }[];
  surroundingPairs: [string, string][];
  wordPattern: string;
  indentationRules: { increaseIndentPattern: string; decreaseIndentPattern: string };
}

// vscode/ is a CommonJS package, so paths are taken from the repository root vitest runs in.
const root = process.cwd();
const config = JSON.parse(readFileSync(join(root, 'vscode/language-configuration.json'), 'utf8')) as LanguageConfiguration;

const corpus = ['recipes', 'examples'].flatMap((dir) =>
  readdirSync(join(root, dir))
    .filter((f) => f.endsWith('.ssl'))
    .sort()
    .map((f) => ({ file: `${dir}/${f}`, text: readFileSync(join(root, dir, f), 'utf8') })),
);

const lexOne = (text: string) => {
  const r = t.sslLexer.tokenize(text);
  return { tokens: r.tokens.map((k) => k.tokenType), comments: (r.groups.comments ?? []).map((k) => k.image), errors: r.errors.length };
};

describe('comments, brackets and quotes are the lexer’s', () => {
  it('the line comment marker starts a Comment token', () => {
    const r = lexOne(`${config.comments.lineComment} anything (even "quotes")`);
    expect(r).toEqual({ tokens: [], comments: [`${config.comments.lineComment} anything (even "quotes")`], errors: 0 });
  });

  it('brackets are exactly the open/close punctuation tokens', () => {
    expect(config.brackets.map(([open, close]) => [lexOne(open).tokens, lexOne(close).tokens])).toEqual([
      [[t.LParen], [t.RParen]],
      [[t.LBracket], [t.RBracket]],
    ]);
    expect(config.colorizedBracketPairs).toEqual(config.brackets);
    // `{` is no token of the language: auto-closing it would only help type a lexer error.
    expect(lexOne('{').errors).toBe(1);
  });

  it('auto-closing and surrounding pairs are the brackets plus the string quote', () => {
    const pairs = config.autoClosingPairs.map((p) => [p.open, p.close]);
    expect(pairs).toEqual([...config.brackets, ['"', '"']]);
    expect(config.surroundingPairs).toEqual(pairs);
    // A quote pair is a whole string token; quotes do not auto-close inside strings or comments.
    expect(lexOne('""').tokens).toEqual([t.StringLiteral]);
    expect(config.autoClosingPairs.find((p) => p.open === '"')?.notIn).toEqual(['string', 'comment']);
  });
});

describe('wordPattern', () => {
  const word = new RegExp(config.wordPattern, 'g');
  const whole = new RegExp(`^(?:${config.wordPattern})$`);

  it('is the lexer’s number and identifier patterns', () => {
    expect(config.wordPattern).toBe(`${(t.NumberLiteral.PATTERN as RegExp).source}|${(t.Identifier.PATTERN as RegExp).source}`);
  });

  it('matches every keyword, builtin, parameter and constant name whole (underscores included)', () => {
    const names = new Set<string>([
      ...t.statementKeywords.map((k) => (k.PATTERN as RegExp).source),
      ...t.unitKeywords.map((k) => (k.PATTERN as RegExp).source),
      ...t.literalKeywords.map((k) => (k.PATTERN as RegExp).source),
      ...builtinList.flatMap((b) => [b.name, ...b.params.map((p) => p.name)]),
      ...Object.keys(constants),
    ]);
    expect(names.has('steps_per_epoch') && names.has('random_resized_crop')).toBe(true);
    expect([...names].filter((n) => !whole.test(n))).toEqual([]);
  });

  it('splits every line of every recipe into the lexer’s identifier and number tokens', () => {
    for (const { file, text } of corpus) {
      const r = t.sslLexer.tokenize(text);
      const lexed = r.tokens.filter((k) => k.tokenType === t.NumberLiteral || k.image.match(/^[A-Za-z_]/)).map((k) => `${k.startOffset}:${k.image}`);
      const code = text.replace(/"(?:[^"\\\r\n]|\\.)*"|#[^\r\n]*/g, (m) => ' '.repeat(m.length)); // strings and comments are not words
      const words = [...code.matchAll(word)].map((m) => `${m.index}:${m[0]}`);
      expect(words, file).toEqual(lexed);
    }
  });
});

describe('indentation rules', () => {
  const increase = new RegExp(config.indentationRules.increaseIndentPattern);
  const decrease = new RegExp(config.indentationRules.decreaseIndentPattern);

  it('indent after a line that leaves a view pipeline, a stage chain, an assignment or a bracket open', () => {
    for (const line of [
      'view aug = random_resized_crop(28, scale: 0.08..1.0) |',
      '         | random_apply(0.8, color_jitter(brightness: 0.8)) |  # more below',
      'network student = convnet(channels: [32, 64], norm: batch) ->',
      'view aug =',
      'loss = dino(',
      'loss = cosine_regress(p1, stopgrad(z2)) +',
      'network encoder = mlp([',
    ]) {
      expect(increase.test(line), line).toBe(true);
    }
    for (const line of ['data train = mnist(split: "train", batch: 512)', 'view aug = random_resized_crop(28)', '# a comment that ends with (', 'train epochs: 1  # see (']) {
      expect(increase.test(line), line).toBe(false);
    }
  });

  it('outdent exactly the lines of the corpus that start a statement or close a bracket', () => {
    const keywordNames = new Set(t.statementKeywords.map((k) => k.name));
    for (const { file, text } of corpus) {
      const r = parse(text, file);
      expect(r.diagnostics).toEqual([]);
      const statementStarts = new Set<number>();
      const walk = (node: CstNode) => {
        for (const [key, children] of Object.entries(node.children)) {
          for (const child of children) {
            if ('image' in child) {
              if (node.name.endsWith('Stmt') && keywordNames.has(key)) statementStarts.add((child as IToken).startLine!);
            } else walk(child);
          }
        }
      };
      walk(r.cst!);
      const firstTokenLine = new Map<number, IToken>();
      for (const tok of r.tokens) if (!firstTokenLine.has(tok.startLine!)) firstTokenLine.set(tok.startLine!, tok);
      for (const [line, tok] of firstTokenLine) {
        const text = '        ' + tok.image + restOfLine(tok, r.tokens);
        const expected = statementStarts.has(line) || tok.tokenType === t.RParen || tok.tokenType === t.RBracket;
        expect(decrease.test(text), `${file}:${line}: ${text.trim()}`).toBe(expected);
      }
    }
  });

  it('keeps soft keywords used as names indented', () => {
    for (const line of ['    teacher(globals),', '    train)', '    epochs: 1', '    | random_apply(0.8, x)', '    -> mlp([1024])']) {
      expect(decrease.test(line), line).toBe(false);
    }
  });
});

/** The rest of the first token's line, as the lexer saw it (single spaces between tokens). */
function restOfLine(first: IToken, all: IToken[]): string {
  return all
    .filter((k) => k.startLine === first.startLine && k.startOffset > first.startOffset)
    .map((k) => ` ${k.image}`)
    .join('');
}
