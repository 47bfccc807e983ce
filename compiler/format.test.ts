/**
 * `format`: idempotent, token-preserving (checked here with the lexer, independently of the
 * formatter's own safety net) on every recipe and example and on hundreds of mutants; the layout
 * rules on small cases.
 */
import { readdirSync, readFileSync } from 'node:fs';
import type { IToken } from 'chevrotain';
import { describe, expect, it } from 'vitest';
import { sslLexer } from '../grammar/tokens.js';
import { format } from './format.js';
import { mulberry32 as rng } from '../test/helpers/prng.js';

const root = new URL('../', import.meta.url);
function sslFiles(folder: string): { name: string; text: string }[] {
  const dir = new URL(`${folder}/`, root);
  return readdirSync(dir)
    .filter((f) => f.endsWith('.ssl'))
    .sort()
    .map((f) => ({ name: `${folder}/${f}`, text: readFileSync(new URL(f, dir), 'utf8') }));
}
const seeds = [...sslFiles('recipes'), ...sslFiles('examples')];

/** The non-whitespace token images (type:image) and the comments (trailing whitespace aside). */
function tokenSignature(text: string): { tokens: string[]; comments: string[] } {
  const lexed = sslLexer.tokenize(text);
  return {
    tokens: lexed.tokens.map((tok: IToken) => `${tok.tokenType.name}:${tok.image}`),
    comments: ((lexed.groups['comments'] as IToken[] | undefined) ?? []).map((c) => c.image.trimEnd()),
  };
}

/** Formats, and checks idempotence and token preservation. Returns the formatted text. */
function fmt(text: string): string {
  const r = format(text);
  expect(r.diagnostics).toEqual([]);
  expect(r.text).toBeTypeOf('string');
  const out = r.text!;
  expect(format(out).text).toBe(out);
  expect(tokenSignature(out)).toEqual(tokenSignature(text));
  return out;
}

/** What a diff of only spacing looks like: the same lines once runs of blanks are collapsed. */
function spacingOnly(text: string): string[] {
  return text
    .split(/\r\n|\r|\n/)
    .map((l) => l.replace(/[ \t]+/g, ' ').trim())
    .filter((l, i, all) => l !== '' || (i > 0 && all[i - 1] !== ''));
}


/** Token-level mutants in the style of robustness.test.ts (most will not parse). */
function tokenMutants(count: number, seed: number): string[] {
  const rand = rng(seed);
  const pick = (n: number) => Math.floor(rand() * n);
  const alphabet = ['(', ')', '[', ']', ',', ':', '=', '|', '->', '..', '%', '#', '\n', '-', '*', '/', '+', '1e400', 'loss', 'x1', 'train', '0', ' cosine', 'epochs'];
  const out: string[] = [];
  for (let i = 0; i < count; i++) {
    let text = seeds[pick(seeds.length)]!.text;
    const edits = 1 + pick(3);
    for (let k = 0; k < edits; k++) {
      const list = sslLexer.tokenize(text).tokens;
      if (list.length === 0) break;
      const at = pick(list.length);
      const tok = list[at]!;
      const s = tok.startOffset;
      const e = s + tok.image.length;
      switch (pick(5)) {
        case 0:
          text = text.slice(0, s) + text.slice(e);
          break;
        case 1: {
          const u = list[at + 1];
          if (u) text = text.slice(0, s) + u.image + text.slice(e, u.startOffset) + tok.image + text.slice(u.startOffset + u.image.length);
          break;
        }
        case 2:
          text = text.slice(0, e) + ' ' + tok.image + text.slice(e);
          break;
        case 3: {
          const p = pick(text.length + 1);
          text = text.slice(0, p) + alphabet[pick(alphabet.length)]! + text.slice(p);
          break;
        }
        default: {
          const extremes = ['1e400', '-1', '99999999999999999999', '1e-400', '0.0', '(1)', '-(2)', '[1, 2]', '10%', '3 epochs'];
          if (tok.tokenType.name === 'NumberLiteral') text = text.slice(0, s) + extremes[pick(extremes.length)]! + text.slice(e);
        }
      }
    }
    out.push(text);
  }
  return out;
}

/** Layout mutants: the same tokens, with random whitespace, line breaks and comments between them. */
function layoutMutants(count: number, seed: number): string[] {
  const rand = rng(seed);
  const pick = (n: number) => Math.floor(rand() * n);
  const gaps = ['', ' ', '  ', '\t', '\n', '\n\n\n', '\r\n', ' # note \n', '\n  # own line\n', '\n\n# block\n\n', '   \n      '];
  const out: string[] = [];
  for (let i = 0; i < count; i++) {
    const text = seeds[pick(seeds.length)]!.text;
    const lexed = sslLexer.tokenize(text);
    const items = [...lexed.tokens, ...((lexed.groups['comments'] as IToken[] | undefined) ?? [])].sort((a, b) => a.startOffset - b.startOffset);
    let res = '';
    let prev: IToken | undefined;
    for (const tok of items) {
      const original = prev ? text.slice(prev.startOffset + prev.image.length, tok.startOffset) : '';
      let gap = rand() < 0.8 ? original : gaps[pick(gaps.length)]!;
      // Never glue two tokens that would lex as one, and a comment must end its line.
      if (gap === '' && prev && (/[A-Za-z0-9_#]$/.test(prev.image) || prev.image.startsWith('#'))) gap = prev.image.startsWith('#') ? '\n' : ' ';
      if (prev?.image.startsWith('#') && !/[\r\n]/.test(gap)) gap += '\n';
      if (gap === '' && prev && /^[-.]/.test(tok.image) && /[-.>]$/.test(prev.image)) gap = ' ';
      res += gap + tok.image;
      prev = tok;
    }
    out.push(res + (rand() < 0.5 ? '\n' : ''));
  }
  return out;
}

describe('format on the recipes and examples', () => {
  it('finds seeds', () => {
    expect(seeds.length).toBeGreaterThanOrEqual(3);
  });
  for (const { name, text } of seeds) {
    it(`${name}: idempotent, same tokens, spacing-only changes`, () => {
      const out = fmt(text);
      expect(spacingOnly(out)).toEqual(spacingOnly(text));
    });
  }
  it('recipes/ and examples/ are already formatted', () => {
    for (const { name, text } of seeds) expect(fmt(text), name).toBe(text);
  });
});

describe('format on mutants', () => {
  it('400 token mutants: those that parse format idempotently and keep their tokens', () => {
    let parsed = 0;
    for (const text of tokenMutants(400, 7)) {
      const r = format(text);
      if (r.text === undefined) {
        expect(r.diagnostics.some((d) => d.severity === 'error')).toBe(true);
        continue;
      }
      parsed++;
      expect(format(r.text).text).toBe(r.text);
      expect(tokenSignature(r.text)).toEqual(tokenSignature(text));
    }
    expect(parsed).toBeGreaterThan(20);
  });

  it('400 layout mutants (random spacing, line breaks, comments) format idempotently and keep their tokens', () => {
    let parsed = 0;
    for (const text of layoutMutants(400, 11)) {
      const r = format(text);
      if (r.text === undefined) continue;
      parsed++;
      expect(format(r.text).text, text).toBe(r.text);
      expect(tokenSignature(r.text)).toEqual(tokenSignature(text));
    }
    expect(parsed).toBeGreaterThan(300);
  });
});

describe('format rules', () => {
  it('spacing', () => {
    expect(fmt('data   train=mnist( split : "train" ,batch:256 )')).toBe('data train = mnist(split: "train", batch: 256)\n');
    expect(fmt('view a = crop(28,scale:0.2 .. 1.0)|jitter(p:0.4)')).toBe('view a = crop(28, scale: 0.2..1.0) | jitter(p: 0.4)\n');
    expect(fmt('let a = - 1 + 2*-3 - -x/4')).toBe('let a = -1 + 2 * -3 - -x / 4\n');
    expect(fmt('let a = -(1)- [ 1 , 2 ]')).toBe('let a = -(1) - [1, 2]\n');
    expect(fmt('data f = mnist(labels:10 %)')).toBe('data f = mnist(labels: 10%)\n');
    expect(fmt('schedule warmup_cosine(warmup:10   epochs)')).toBe('schedule warmup_cosine(warmup: 10 epochs)\n');
    expect(fmt('network n = conv(3)->pool()  ->  mlp([64])')).toBe('network n = conv(3) -> pool() -> mlp([64])\n');
    expect(fmt('train epochs:1,seed:0')).toBe('train epochs: 1, seed: 0\n');
    expect(fmt('optimizer -1')).toBe('optimizer -1\n');
    expect(fmt('probe (x)')).toBe('probe (x)\n');
  });

  it('new syntax: extends, teacher, ramp shapes, views lists', () => {
    const text = [
      'recipe dino',
      'extends   "base.ssl"',
      '',
      'teacher t=ema(online,momentum:0.996->1.0 cosine)',
      '',
      'let tau = 0.04->0.07 linear( over:30 epochs )',
      'loss = dino(t([x1,x2]), s([x1 , x2]))',
    ].join('\n');
    expect(fmt(text)).toBe(
      [
        'recipe  dino',
        'extends "base.ssl"',
        '',
        'teacher t = ema(online, momentum: 0.996 -> 1.0 cosine)',
        '',
        'let tau = 0.04 -> 0.07 linear(over: 30 epochs)',
        'loss = dino(t([x1, x2]), s([x1, x2]))',
        '',
      ].join('\n'),
    );
  });

  it('one statement per line, blank lines collapsed to one, none at the ends', () => {
    expect(fmt('\n\n\nrecipe x data a = m()\n\n\n\n\nloss = a\n\n\n')).toBe('recipe x\ndata a = m()\n\nloss = a\n');
  });

  it('comments: trailing, own line, at the start and end of the file', () => {
    const text = '   # head   \n\nrecipe x   # the name\n  # about data\ndata a = m()#tight\n\n   # tail';
    expect(fmt(text)).toBe('# head\n\nrecipe x  # the name\n# about data\ndata a = m()  #tight\n\n# tail\n');
  });

  it('comments on consecutive lines are aligned', () => {
    const text = 'let a = 1 # one\nlet bb = 22 # two\n\nlet c = 3      # alone';
    expect(fmt(text)).toBe('let a  = 1   # one\nlet bb = 22  # two\n\nlet c = 3  # alone\n');
  });

  it('only comments, empty, whitespace only', () => {
    expect(fmt('# a\n  # b  ')).toBe('# a\n# b\n');
    expect(fmt('')).toBe('');
    expect(fmt(' \n\t\n ')).toBe('');
  });

  it('continuation lines: operators under the =, operands after it', () => {
    expect(fmt('view aug = crop(28)\n| jitter(0.4)\n      |noise(0.1)')).toBe('view aug = crop(28)\n         | jitter(0.4)\n         | noise(0.1)\n');
    expect(fmt('loss = a(x) +\nb(x)')).toBe('loss = a(x) +\n       b(x)\n');
    expect(fmt('loss = a(x)\n    + 0.5 * b(x)')).toBe('loss = a(x)\n     + 0.5 * b(x)\n');
    // A two-character operator ends under the `=`.
    expect(fmt('network n = conv(3)\n-> mlp([2])')).toBe('network n = conv(3)\n         -> mlp([2])\n');
    // Statements without `=`: at the value's column.
    expect(fmt('train epochs: 1,\nseed: 0')).toBe('train epochs: 1,\n      seed: 0\n');
  });

  it('continuation lines inside brackets: visual and block', () => {
    expect(fmt('probe knn(k: 20,\non: test)')).toBe('probe knn(k: 20,\n          on: test)\n');
    expect(fmt('network n = mlp(\n[1, 2],\n      norm: batch\n    )')).toBe('network n = mlp(\n  [1, 2],\n  norm: batch\n)\n');
    expect(fmt('view a = crop(28)\n  | apply(0.8,\n  jitter(1))')).toBe('view a = crop(28)\n       | apply(0.8,\n               jitter(1))\n');
  });

  it('own-line comments inside a statement are indented like the next code line', () => {
    const text = 'view aug = crop(28)\n# colour\n| jitter(0.4)\n\nnetwork n = mlp(\n[1, 2],  # widths\n# norm\nnorm: batch\n# end\n)\n# after';
    expect(fmt(text)).toBe(
      'view aug = crop(28)\n         # colour\n         | jitter(0.4)\n\nnetwork n = mlp(\n  [1, 2],  # widths\n  # norm\n  norm: batch\n  # end\n)\n# after\n',
    );
  });

  it('alignment: = within blocks of definitions; values across keyword-value statements', () => {
    const text = [
      'data train = mnist(split: "train")',
      'data test = mnist(split: "test")',
      '',
      'network encoder = mlp([2])',
      'network projector = mlp([2])',
      '',
      'let x1 = aug(train)',
      'loss = f(x1)',
      'optimizer adam(lr: 1)',
      'schedule cosine()',
      'train epochs: 1',
    ].join('\n');
    expect(fmt(text)).toBe(
      [
        'data train = mnist(split: "train")',
        'data test  = mnist(split: "test")',
        '',
        'network encoder   = mlp([2])',
        'network projector = mlp([2])',
        '',
        'let x1 = aug(train)',
        'loss = f(x1)',
        'optimizer adam(lr: 1)',
        'schedule  cosine()',
        'train     epochs: 1',
        '',
      ].join('\n'),
    );
  });

  it('alignment: named definitions align whatever the keyword, multi-line ones included, continuations follow the padded =', () => {
    const text = [
      'network online = convnet(1)',
      '-> mlp([2])',
      'network predictor = mlp([2])',
      'teacher target = ema(online, momentum: 0.996 -> 1.0 cosine)',
      '',
      'view global_crop = crop(28)',
      '| blur(1)',
      'view local = crop(12)',
      '   | blur(0.5)',
      'let x1 = global_crop(train)',
      'loss = f(x1)',
      '+ g(x1)',
    ].join('\n');
    expect(fmt(text)).toBe(
      [
        'network online    = convnet(1)',
        '                 -> mlp([2])',
        'network predictor = mlp([2])',
        'teacher target    = ema(online, momentum: 0.996 -> 1.0 cosine)',
        '',
        'view global_crop = crop(28)',
        '                 | blur(1)',
        'view local       = crop(12)',
        '                 | blur(0.5)',
        'let x1           = global_crop(train)',
        'loss = f(x1)',
        '     + g(x1)',
        '',
      ].join('\n'),
    );
  });

  it('alignment: blocks end at blank lines, own-line comments, other classes; padding is recomputed', () => {
    expect(fmt('data a    = m()\n\ndata bbb   = m()')).toBe('data a = m()\n\ndata bbb = m()\n');
    expect(fmt('data a = m()\n# c\ndata bbb = m()')).toBe('data a = m()\n# c\ndata bbb = m()\n');
    expect(fmt('data a = m()\nloss = x\ndata bbb = m()')).toBe('data a = m()\nloss = x\ndata bbb = m()\n');
    expect(fmt('data a = m()\ndata bbb = m(\n1)\ndata cc = m()')).toBe('data a   = m()\ndata bbb = m(\n  1)\ndata cc  = m()\n');
    expect(fmt('data a = m()  # x\ndata bbb = m()')).toBe('data a   = m()  # x\ndata bbb = m()\n');
    expect(fmt('optimizer sgd()\ntrain\nprobe knn()')).toBe('optimizer sgd()\ntrain\nprobe     knn()\n');
    expect(fmt('optimizer sgd() schedule cosine()')).toBe('optimizer sgd()\nschedule  cosine()\n');
  });

  it('CRLF input keeps CRLF line breaks', () => {
    expect(fmt('recipe x\r\n\r\n\r\ndata a=m() # c\r\nloss = a\r\n   | b')).toBe('recipe x\r\n\r\ndata a = m()  # c\r\nloss = a\r\n     | b\r\n');
  });

  it('input without a trailing newline gets one; a byte-order mark is kept', () => {
    expect(fmt('recipe x')).toBe('recipe x\n');
    expect(fmt('\uFEFFrecipe x\n')).toBe('\uFEFFrecipe x\n');
  });

  it('refuses text with syntax or lexing errors', () => {
    for (const text of ['recipe x\ndata = ', 'loss = a(', 'let a = 1 @ 2', 'let a = "open', `let a = ${'('.repeat(200)}1${')'.repeat(200)}`]) {
      const r = format(text, 'bad.ssl');
      expect(r.text).toBeUndefined();
      expect(r.diagnostics.length).toBeGreaterThan(0);
      expect(r.diagnostics.every((d) => d.span.uri === 'bad.ssl')).toBe(true);
      expect(r.diagnostics.some((d) => d.severity === 'error')).toBe(true);
    }
  });
});
