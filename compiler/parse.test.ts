import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { cstToAst } from './cst-to-ast.js';
import { SourceText } from './diagnostics.js';
import type * as A from './ast.js';
import { cstDtsPath, generateSslCstDts } from '../grammar/generate-cst-dts.js';
import { MAX_NESTING, parse } from './parse.js';
import * as t from '../grammar/tokens.js';

const quickstart = readFileSync(new URL('../examples/quickstart.ssl', import.meta.url), 'utf8');
const quickstartMlp = readFileSync(new URL('../examples/quickstart-mlp.ssl', import.meta.url), 'utf8');

function ast(text: string, uri = 'test.ssl'): A.Program {
  const r = parse(text, uri);
  expect(r.diagnostics).toEqual([]);
  return cstToAst(r.cst!, new SourceText(text, uri));
}

describe('tokens', () => {
  const lex = (s: string) => t.sslLexer.tokenize(s).tokens.map((k) => k.tokenType.name);

  it('lexes keywords before identifiers, with longer_alt', () => {
    expect(lex('recipe recipes train trainer')).toEqual(['Recipe', 'Identifier', 'Train', 'Identifier']);
  });

  it('lexes ranges, numbers, percentages and durations', () => {
    expect(lex('0.4..1.0')).toEqual(['NumberLiteral', 'DotDot', 'NumberLiteral']);
    expect(lex('1..2')).toEqual(['NumberLiteral', 'DotDot', 'NumberLiteral']);
    expect(lex('1e-3 10% 10 epochs 5 steps')).toEqual(['NumberLiteral', 'NumberLiteral', 'Percent', 'NumberLiteral', 'Epochs', 'NumberLiteral', 'Steps']);
    expect(lex('a -> b | c')).toEqual(['Identifier', 'Arrow', 'Identifier', 'Pipe', 'Identifier']);
  });

  it('keeps comments in their own group, out of the parser input', () => {
    const r = t.sslLexer.tokenize('recipe x # a comment\n# another');
    expect(r.tokens.map((k) => k.image)).toEqual(['recipe', 'x']);
    expect((r.groups['comments'] ?? []).map((k) => k.image)).toEqual(['# a comment', '# another']);
  });

  it('exports categories a highlighter can map to scopes', () => {
    for (const k of t.statementKeywords) expect(k.CATEGORIES).toContain(t.Keyword);
    for (const k of t.unitKeywords) expect(k.CATEGORIES).toContain(t.Unit);
    expect(t.NumberLiteral.CATEGORIES).toContain(t.Literal);
    expect(t.True.CATEGORIES).toContain(t.Literal);
    expect(t.Arrow.CATEGORIES).toContain(t.Operator);
    expect(t.LParen.CATEGORIES).toContain(t.Punctuation);
    expect(t.tokenCategories).toHaveLength(5);
    // every concrete token but trivia and Identifier has a category
    for (const k of t.allTokens) {
      if (k === t.WhiteSpace || k === t.Comment || k === t.Identifier || k === t.StringLiteral) continue;
      expect(k.CATEGORIES?.length ?? 0, k.name).toBeGreaterThan(0);
    }
  });
});

describe('parse: valid input', () => {
  it('parses the examples without diagnostics', () => {
    for (const text of [quickstart, quickstartMlp]) {
      const r = parse(text, 'x.ssl');
      expect(r.diagnostics).toEqual([]);
      expect(r.cst?.name).toBe('program');
    }
    expect(parse(quickstart, 'q.ssl').comments.length).toBe(10);
  });

  it('builds one statement per keyword, whatever the line breaks', () => {
    const p = ast('recipe r data d = mnist(split: "train") train epochs: 1 loss = x');
    expect(p.statements.map((s) => s.kind)).toEqual(['recipe', 'data', 'train', 'loss']);
  });

  it('lets soft keywords be names and a bare train precede a statement', () => {
    const p = ast('data train = mnist(split: "train")\nlet v = aug(train)\ntrain\nprobe knn(on: test)');
    expect(p.statements.map((s) => s.kind)).toEqual(['data', 'let', 'train', 'probe']);
    const train = p.statements[2] as A.TrainStatement;
    expect(train.args).toEqual([]);
  });

  it('respects precedence and associativity', () => {
    const p = ast('let a = 1 - 2 - 3 * -4 / 5');
    const e = (p.statements[0] as A.Definition).value as A.Binary;
    expect(e.op).toBe('-');
    expect((e.left as A.Binary).op).toBe('-');
    const r = e.right as A.Binary;
    expect(r.op).toBe('/');
    expect(((r.left as A.Binary).right as A.Unary).kind).toBe('unary');
  });

  it('parses ranges, lists, percentages, durations, pipelines and chains', () => {
    const p = ast('view v = a(0.1..2) | b(p: 10%)\nnetwork n = convnet(channels: [1, 2]) -> mlp([3])\nschedule s(warmup: 10 epochs)');
    const view = (p.statements[0] as A.Definition).value as A.Pipeline;
    expect(view.kind).toBe('pipeline');
    expect(((view.stages[0] as A.Call).args[0]!.value as A.Range).kind).toBe('range');
    expect(((view.stages[1] as A.Call).args[0]!.value as A.PercentLiteral).value).toBeCloseTo(0.1);
    const net = (p.statements[1] as A.Definition).value as A.Chain;
    expect(net.kind).toBe('chain');
    expect(((net.stages[0] as A.Call).args[0]!.value as A.List).items).toHaveLength(2);
    const dur = ((p.statements[2] as A.CallStatement).value as A.Call).args[0]!.value as A.DurationLiteral;
    expect(dur).toMatchObject({ kind: 'duration', value: 10, unit: 'epochs' });
  });

  it('accepts 100 nested parentheses', () => {
    const r = parse(`let a = ${'('.repeat(MAX_NESTING)}1${')'.repeat(MAX_NESTING)}`, 'x');
    expect(r.diagnostics).toEqual([]);
  });
});

describe('parse: spans', () => {
  const p = ast(quickstart, 'examples/quickstart.ssl');

  it('gives statements exact 1-based spans with an exclusive end', () => {
    const recipe = p.statements[0]!;
    expect(recipe.span.start).toEqual({ offset: quickstart.indexOf('recipe quickstart'), line: 10, column: 1 });
    expect(recipe.span.end).toMatchObject({ line: 10, column: 18 });
    expect(recipe.span.uri).toBe('examples/quickstart.ssl');
  });

  it('spans a multi-line view definition from keyword to last token', () => {
    const view = p.statements.find((s) => s.kind === 'view') as A.Definition;
    expect(view.span.start).toMatchObject({ line: 15, column: 1 });
    expect(view.span.end).toMatchObject({ line: 17, column: 36 });
    const pipe = view.value as A.Pipeline;
    const noise = pipe.stages[2] as A.Call;
    expect(noise.callee.span.start).toMatchObject({ line: 17, column: 12 });
    expect(noise.callee.span.end).toMatchObject({ line: 17, column: 26 });
    expect(quickstart.slice(noise.span.start.offset, noise.span.end.offset)).toBe('gaussian_noise(std: 0.1)');
  });

  it('spans named arguments and their names', () => {
    const loss = p.statements.find((s) => s.kind === 'loss') as A.LossStatement;
    const call = loss.value as A.Call;
    const temp = call.args[2]!;
    expect(temp.name!.span.start).toMatchObject({ line: 24, column: 64 });
    expect(quickstart.slice(temp.span.start.offset, temp.span.end.offset)).toBe('temperature: 0.5');
  });
});

describe('parse: invalid input', () => {
  it('recovers and reports several syntax errors, never throwing', () => {
    const text = 'recipe x\ndata train = mnist(split: "train", batch: )\nview aug = crop(28 | flip\nloss = nt_xent(a b)\n';
    const r = parse(text, 'bad.ssl');
    expect(r.diagnostics.length).toBeGreaterThanOrEqual(3);
    expect(r.diagnostics.every((d) => d.code === 'syntax-error')).toBe(true);
    expect(r.diagnostics[0]!.span.start).toMatchObject({ line: 2, column: 43 });
    expect(r.diagnostics[0]!.message).toBe("expected an expression but found ')'");
  });

  it('reports unexpected characters with their span', () => {
    const r = parse('recipe x @ y', 'bad.ssl');
    const lex = r.diagnostics.find((d) => d.code === 'unexpected-character')!;
    expect(lex.span.start).toMatchObject({ offset: 9, line: 1, column: 10 });
    expect(lex.span.end.offset).toBe(10);
  });

  it('reports a missing closing parenthesis at the end of the file', () => {
    const text = 'loss = f(a';
    const r = parse(text, 'bad.ssl');
    expect(r.diagnostics).toHaveLength(1);
    expect(r.diagnostics[0]!.span.start.offset).toBeLessThanOrEqual(text.length);
    expect(r.diagnostics[0]!.message).toContain('the end of the file');
  });

  it('reports a statement that does not start with a keyword', () => {
    const r = parse('recipe x\nfoo = 1\n', 'bad.ssl');
    expect(r.diagnostics[0]).toMatchObject({ code: 'syntax-error', span: { start: { line: 2, column: 1 } } });
    expect(r.diagnostics[0]!.message).toMatch(/^expected a statement/);
  });

  it('reports pathological nesting instead of overflowing the stack', () => {
    const r = parse(`let a = ${'('.repeat(500)}1${')'.repeat(500)}`, 'deep.ssl');
    expect(r.cst).toBeUndefined();
    expect(r.diagnostics).toHaveLength(1);
    expect(r.diagnostics[0]!.code).toBe('nesting-too-deep');
    const r2 = parse(`let a = ${'-'.repeat(5000)}1`, 'deep.ssl');
    expect(r2.diagnostics[0]!.code).toBe('nesting-too-deep');
  });
});

describe('generated CST types', () => {
  it('grammar/cst.d.ts is up to date (run `npx tsx grammar/generate-cst-dts.ts`)', () => {
    expect(readFileSync(cstDtsPath, 'utf8')).toBe(generateSslCstDts());
  });
});
