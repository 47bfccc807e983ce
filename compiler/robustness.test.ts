/**
 * Robustness: hundreds of mutated quickstarts (token deletions, swaps, duplications, random bytes,
 * truncations) and pathological inputs never make `compile` throw, and every diagnostic's span lies
 * inside the text with line/column agreeing with its offset.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { sslLexer } from '../grammar/tokens.js';
import { SourceText, type Diagnostic } from './diagnostics.js';
import { compile, validateIr } from './index.js';
import type { Span } from './ir.js';
import { mulberry32 as rng } from '../test/helpers/prng.js';

const quickstart = readFileSync(new URL('../examples/quickstart.ssl', import.meta.url), 'utf8');


function mutants(count: number, seed: number): string[] {
  const rand = rng(seed);
  const pick = (n: number) => Math.floor(rand() * n);
  const tokens = sslLexer.tokenize(quickstart).tokens;
  const alphabet = ['(', ')', '[', ']', ',', ':', '=', '|', '->', '..', '%', '"', '#', '\n', '-', '*', '/', '@', '\0', '\u00e9', '🙂', '1e400', 'loss', 'x1', 'train', '0', '\\'];
  const out: string[] = [];
  for (let i = 0; i < count; i++) {
    let text = quickstart;
    const edits = 1 + pick(3);
    for (let k = 0; k < edits; k++) {
      const toks = sslLexer.tokenize(text).tokens;
      const list = toks.length > 0 ? toks : tokens;
      const t = list[pick(list.length)]!;
      const s = t.startOffset;
      const e = s + t.image.length;
      switch (pick(6)) {
        case 0: // delete a token
          text = text.slice(0, s) + text.slice(e);
          break;
        case 1: {
          // swap with the next token
          const u = list[list.indexOf(t) + 1];
          if (!u) break;
          text = text.slice(0, s) + u.image + text.slice(e, u.startOffset) + t.image + text.slice(u.startOffset + u.image.length);
          break;
        }
        case 2: // duplicate a token
          text = text.slice(0, e) + ' ' + t.image + text.slice(e);
          break;
        case 3: {
          // insert random bytes
          const at = pick(text.length + 1);
          text = text.slice(0, at) + alphabet[pick(alphabet.length)]! + text.slice(at);
          break;
        }
        case 4: // truncate
          text = text.slice(0, pick(text.length + 1));
          break;
        default: {
          // replace a number with an extreme one
          const extremes = ['1e400', '0', '-1', '99999999999999999999', '1e-400', '0.0', '3.5'];
          if (t.tokenType.name === 'NumberLiteral') text = text.slice(0, s) + extremes[pick(extremes.length)]! + text.slice(e);
          else text = text.slice(0, s) + text.slice(e);
        }
      }
    }
    out.push(text);
  }
  return out;
}

function checkSpan(span: Span, src: SourceText, uri: string): void {
  expect(span.uri).toBe(uri);
  expect(span.start.offset).toBeGreaterThanOrEqual(0);
  expect(span.start.offset).toBeLessThanOrEqual(span.end.offset);
  expect(span.end.offset).toBeLessThanOrEqual(src.text.length);
  expect(src.position(span.start.offset)).toEqual(span.start);
  expect(src.position(span.end.offset)).toEqual(span.end);
}

function checkCompile(text: string): Diagnostic[] {
  const uri = 'mutant.ssl';
  let result: ReturnType<typeof compile> | undefined;
  expect(() => (result = compile(text, uri))).not.toThrow();
  const src = new SourceText(text, uri);
  for (const d of result!.diagnostics) {
    expect(['error', 'warning', 'info']).toContain(d.severity);
    expect(d.code).not.toBe('internal-error');
    checkSpan(d.span, src, uri);
    for (const r of d.related ?? []) checkSpan(r.span, src, uri);
  }
  if (result!.ir) expect(validateIr(result!.ir)).toEqual([]);
  else expect(result!.diagnostics.some((d) => d.severity === 'error')).toBe(true);
  return result!.diagnostics;
}

describe('robustness', () => {
  it('400 mutated quickstarts never throw and keep spans inside the text', () => {
    for (const text of mutants(400, 42)) checkCompile(text);
  });

  it('pathological inputs', () => {
    const cases = [
      `let a = ${'('.repeat(500)}1${')'.repeat(500)}`,
      `let a = ${'['.repeat(500)}1${']'.repeat(500)}`,
      `let a = ${'-'.repeat(3000)}1`,
      `let a = ${Array.from({ length: 3000 }, () => '1').join(' + ')}`,
      `let a = 1e400\nlet b = -1e400\nlet c = 1e-400`,
      `let a = ${'9'.repeat(400)}`,
      `data ${'x'.repeat(10000)} = mnist(split: "train")`,
      quickstart.replace('batch: 256', 'batch: 1e400'),
      quickstart.replace('temperature: 0.5', 'temperature: 0 / 0'),
      quickstart.repeat(20),
      '\uFEFFrecipe bom',
      'recipe x\r\nloss = \r',
    ];
    for (const text of cases) checkCompile(text);
    const deep = checkCompile(cases[0]!);
    expect(deep.map((d) => d.code)).toContain('nesting-too-deep');
  });
});
