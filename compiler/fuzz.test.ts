/**
 * Fuzzing `compile`: thousands of mutated recipes (seeds: every file in recipes/ and examples/, read
 * at test time) and pathological inputs. Properties, for every input:
 * - `compile` does not throw, and returns within 2 s (a hang detector, not a performance check);
 * - every diagnostic (and related note) has a span inside the text, `start <= end`, and a line and
 *   column that agree with its offset (recomputed here from the text: 1-based, UTF-16 code units,
 *   `\n`, `\r\n` and `\r` end lines), a code from `allCodes` other than `internal-error` and
 *   `invalid-ir` (those mean a compiler bug was caught), a known severity and a non-empty message;
 * - no IR comes back only together with an error diagnostic.
 * Failures are minimised (a bounded delta-debugging pass) and listed with the minimal input.
 * The PRNG is seeded (mulberry32), so a failure reproduces.
 */
import { readdirSync, readFileSync } from 'node:fs';
import type { IToken } from 'chevrotain';
import { afterAll, describe, expect, it } from 'vitest';
import { sslLexer } from '../grammar/tokens.js';
import { allCodes, compile, type CompileOptions } from './index.js';
import type { Diagnostic } from './diagnostics.js';
import type { Span } from './ir.js';
import { mulberry32 } from '../test/helpers/prng.js';

const URI = 'fuzz.ssl';
const TIME_LIMIT_MS = 2000;

const root = new URL('../', import.meta.url);
function sslFiles(folder: string): string[] {
  const dir = new URL(`${folder}/`, root);
  return readdirSync(dir)
    .filter((f) => f.endsWith('.ssl'))
    .sort()
    .map((f) => readFileSync(new URL(f, dir), 'utf8'));
}
const seeds = [...sslFiles('recipes'), ...sslFiles('examples')];


// ---------------------------------------------------------------------------------------------
// The property

const codes = new Set<string>(allCodes);
const severities = new Set(['error', 'warning', 'info']);

/** 1-based line/column of `offset`, computed from scratch (a position between `\r` and `\n` is on the `\r`'s line). */
function lineStarts(text: string): number[] {
  const starts = [0];
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '\n') starts.push(i + 1);
    else if (c === '\r') {
      if (text[i + 1] === '\n') i++;
      starts.push(i + 1);
    }
  }
  return starts;
}
function expectedPosition(starts: number[], offset: number): { line: number; column: number } {
  let line = 0;
  while (line + 1 < starts.length && starts[line + 1]! <= offset) line++;
  return { line: line + 1, column: offset - starts[line]! + 1 };
}

function spanProblem(span: Span | undefined, sources: Record<string, string>): string | undefined {
  if (!span || !span.start || !span.end) return 'no span';
  const text = sources[span.uri];
  if (typeof text !== 'string') return `span uri ${JSON.stringify(span.uri)} is not among the result's sources`;
  const { start, end } = span;
  for (const p of [start, end]) {
    if (![p.offset, p.line, p.column].every(Number.isSafeInteger)) return `non-integer position ${JSON.stringify(p)}`;
  }
  if (!(start.offset >= 0 && start.offset <= end.offset && end.offset <= text.length)) {
    return `span offsets ${start.offset}..${end.offset} outside 0..${text.length} of ${span.uri}`;
  }
  const starts = lineStarts(text);
  for (const p of [start, end]) {
    const want = expectedPosition(starts, p.offset);
    if (want.line !== p.line || want.column !== p.column) {
      return `offset ${p.offset} of ${span.uri} has line:column ${p.line}:${p.column}, expected ${want.line}:${want.column}`;
    }
  }
  return undefined;
}

function diagnosticProblem(d: Diagnostic, sources: Record<string, string>): string | undefined {
  if (!codes.has(d.code)) return `unknown code ${JSON.stringify(d.code)}`;
  if (d.code === 'internal-error' || d.code === 'invalid-ir') return `${d.code}: ${d.message}`;
  if (!severities.has(d.severity)) return `bad severity ${JSON.stringify(d.severity)}`;
  if (typeof d.message !== 'string' || d.message.trim() === '') return `empty message (code ${d.code})`;
  const span = spanProblem(d.span, sources);
  if (span) return `${d.code}: ${span}`;
  for (const r of d.related ?? []) {
    if (typeof r.message !== 'string' || r.message.trim() === '') return `empty related message (code ${d.code})`;
    const rs = spanProblem(r.span, sources);
    if (rs) return `${d.code} related: ${rs}`;
  }
  return undefined;
}

/** The compile options of an input: an in-memory file loader for `extends`, `--set` overrides. */
interface Env {
  files?: Record<string, string>;
  overrides?: string[];
}

function optionsFor(env: Env): CompileOptions {
  const options: CompileOptions = {};
  if (env.files) {
    const files = env.files;
    options.readFile = (path: string) => {
      if (path.endsWith('throws.ssl')) throw new Error('EACCES: the loader throws');
      return Object.prototype.hasOwnProperty.call(files, path) ? files[path] : undefined;
    };
    options.listFiles = () => Object.keys(files);
  }
  if (env.overrides) options.overrides = env.overrides;
  return options;
}

/** `undefined` when `compile(text)` behaves; else what went wrong (its first word is the kind). */
function check(text: string, env: Env = {}): { problem?: string; ms: number } {
  const options = optionsFor(env);
  const t0 = performance.now();
  let result: ReturnType<typeof compile>;
  try {
    result = compile(text, URI, options);
  } catch (err) {
    return { problem: `throws ${err instanceof Error ? `${err.name}: ${err.message}` : String(err)}`, ms: performance.now() - t0 };
  }
  const ms = performance.now() - t0;
  if (ms > TIME_LIMIT_MS) return { problem: `slow: took ${Math.round(ms)} ms`, ms };
  if (!result || !Array.isArray(result.diagnostics)) return { problem: 'shape: no diagnostics array', ms };
  const sources = result.sources ?? { [URI]: text };
  if (sources[URI] !== text) return { problem: 'shape: sources do not hold the recipe text', ms };
  for (const d of result.diagnostics) {
    const p = diagnosticProblem(d, sources);
    if (p) return { problem: `diagnostic ${p}`, ms };
  }
  if (!result.ir && !result.diagnostics.some((d) => d.severity === 'error')) return { problem: 'shape: no IR and no error', ms };
  if (result.ir && result.diagnostics.some((d) => d.severity === 'error')) return { problem: 'shape: an IR despite an error', ms };
  return { ms };
}

const kindOf = (problem: string) => problem.split(/[\s:]/)[0]! + ' ' + (problem.match(/diagnostic (\S+?):/)?.[1] ?? '');

/** Delta debugging (chunks of lines, then of characters), bounded in time. */
function minimise(text: string, problem: string, env: Env, budgetMs = 3000): string {
  const kind = kindOf(problem);
  const fails = (s: string) => {
    const p = check(s, env).problem;
    return p !== undefined && kindOf(p) === kind;
  };
  const deadline = performance.now() + budgetMs;
  let cur = text;
  for (const unit of ['line', 'char'] as const) {
    let parts = unit === 'line' ? cur.split(/(?<=\n)/) : [...cur];
    let n = 2;
    while (parts.length >= 2 && performance.now() < deadline) {
      const size = Math.ceil(parts.length / n);
      let reduced = false;
      for (let i = 0; i < parts.length && performance.now() < deadline; i += size) {
        const candidate = [...parts.slice(0, i), ...parts.slice(i + size)];
        if (fails(candidate.join(''))) {
          parts = candidate;
          n = Math.max(n - 1, 2);
          reduced = true;
          break;
        }
      }
      if (!reduced) {
        if (size === 1) break;
        n = Math.min(parts.length, n * 2);
      }
    }
    cur = parts.join('');
  }
  return cur;
}

// ---------------------------------------------------------------------------------------------
// Inputs

const weird = [
  '\0', '\uD800', '\uDC00', '\uDBFF\uDFFF', '\uFEFF', '\u2028', '\u00A0', '\r', '\r\n', '\t', '\v', '\f', 'é', 'ß', '日本',
  '🙂', '\u0301', '\\', '"', '#', '@', '$', '.', '`', "'", '{', '}', ';', '!', '?', '<', '>', '&', '^', '~',
  '(', ')', '[', ']', ',', ':', '=', '|', '->', '..', '%', '-', '+', '*', '/', '\n',
];
const extremes = ['1e400', '-1e400', '1e-400', '99999999999999999999', '9'.repeat(400), '0', '-0', '0.0', '1e308', '4294967296', '-1', '0.5', '10%', '1e400%', '99999999999999999999 epochs', '0 steps'];
const vocabulary = [
  'recipe', 'extends', 'data', 'view', 'network', 'teacher', 'let', 'loss', 'optimizer', 'schedule', 'train', 'probe', 'epochs',
  'steps', 'true', 'false', 'linear', 'cosine', 'ema', 'online', 'momentum', 'batch', 'mnist', 'mlp', 'convnet', 'x1', 'x2', 'aug',
  'encoder', 'projector', 'nt_xent', 'knn', 'split', 'labels', '"train"', '"test"', '""', '"base.ssl"', '[x1, x2]', '0.04 -> 0.07 linear(over: 30 epochs)',
  'ema(online, momentum: 0.996 -> 1.0 cosine)', 'extends "base.ssl"', 'teacher t = ema(encoder, momentum: 0.99)',
  'teacher t = ema(encoder, momentum: 0.996 -> 1.0 cosine)', 'let tau = 0.04 -> 0.07 linear(over: 30 epochs)', 'let both = [x1, x2]',
  'loss = nt_xent(projector(encoder(x1)), projector(encoder(x2)), temperature: 0.04 -> 0.07 linear(over: 30 epochs))',
  'probe knn(k: 20, on: train)', 'train epochs: 0', 'optimizer sgd(lr: 0.1 -> 0 cosine)',
];

function hugeList(n: number): string {
  return `[${Array.from({ length: n }, (_, i) => String(i)).join(', ')}]`;
}

const identifiers = [...new Set(seeds.flatMap((text) => sslLexer.tokenize(text).tokens.filter((tok) => tok.tokenType.name === 'Identifier').map((tok) => tok.image)))];
const numbers = [...extremes.filter((x) => /^[-\d.e]+$/.test(x)), '1', '2', '3', '28', '256', '0.999', '1e-9', '1e9', '65536', '2147483648', '0.1'];
const strings = ['"train"', '"test"', '""', '"\\u0000"', '"\u0000"', '"é日本🙂"', `"${'s'.repeat(5000)}"`, '"../../etc"', '"base.ssl"'];

/**
 * A mutant that most likely still parses: values, names and whole lines swapped, so the later
 * phases (names, types, ranges, shapes, lowering) see odd but well-formed recipes.
 */
function valueMutant(rand: () => number): string {
  const pick = (n: number) => Math.floor(rand() * n);
  const any = <T>(xs: readonly T[]): T => xs[pick(xs.length)]!;
  let text = any(seeds);
  for (let k = 1 + pick(3); k > 0; k--) {
    const tokens = sslLexer.tokenize(text).tokens;
    const of = (type: string) => tokens.filter((tok) => tok.tokenType.name === type);
    const replace = (tok: IToken | undefined, by: string) => {
      if (tok) text = text.slice(0, tok.startOffset) + by + text.slice(tok.startOffset + tok.image.length);
    };
    const lines = text.split('\n');
    switch (pick(7)) {
      case 0:
      case 1:
        replace(any(of('NumberLiteral').concat(tokens.slice(0, 1))), any(numbers));
        break;
      case 2:
        replace(any(of('Identifier').concat(tokens.slice(0, 1))), any(identifiers));
        break;
      case 3:
        replace(any(of('StringLiteral').concat(tokens.slice(0, 1))), any(strings));
        break;
      case 4: // delete a line
        lines.splice(pick(lines.length), 1);
        text = lines.join('\n');
        break;
      case 5: {
        // move a line
        const [line] = lines.splice(pick(lines.length), 1);
        lines.splice(pick(lines.length + 1), 0, line!);
        text = lines.join('\n');
        break;
      }
      default: {
        // a line from another seed, or a statement of the newer syntax
        const other = any(seeds).split('\n');
        const extra = rand() < 0.5 ? any(other) : any(vocabulary.filter((v) => v.includes(' ')));
        lines.splice(pick(lines.length + 1), 0, extra);
        text = lines.join('\n');
      }
    }
  }
  return text;
}

/** One mutant: a seed (or a splice of two) with 1-4 edits. */
function mutant(rand: () => number): string {
  const pick = (n: number) => Math.floor(rand() * n);
  const any = <T>(xs: readonly T[]): T => xs[pick(xs.length)]!;
  let text = any(seeds);
  const edits = 1 + pick(4);
  let tokens: IToken[] = sslLexer.tokenize(text).tokens;
  for (let k = 0; k < edits; k++) {
    if (k > 0) tokens = sslLexer.tokenize(text).tokens;
    const tok = tokens.length > 0 ? any(tokens) : undefined;
    const s = tok?.startOffset ?? pick(text.length + 1);
    const e = tok ? s + tok.image.length : s;
    const at = pick(text.length + 1);
    switch (pick(14)) {
      case 0: // delete a token
        text = text.slice(0, s) + text.slice(e);
        break;
      case 1: {
        // swap a token with the next one
        const u = tok && tokens[tokens.indexOf(tok) + 1];
        if (tok && u) text = text.slice(0, s) + u.image + text.slice(e, u.startOffset) + tok.image + text.slice(u.startOffset + u.image.length);
        break;
      }
      case 2: {
        // swap two tokens anywhere
        const u = tokens.length > 0 ? any(tokens) : undefined;
        if (tok && u && u.startOffset > e) text = text.slice(0, s) + u.image + text.slice(e, u.startOffset) + tok.image + text.slice(u.startOffset + u.image.length);
        break;
      }
      case 3: // duplicate a token (sometimes many times)
        if (tok) text = text.slice(0, e) + (' ' + tok.image).repeat(rand() < 0.9 ? 1 : 1 + pick(200)) + text.slice(e);
        break;
      case 4: {
        // insert random characters: odd ones, or random UTF-16 code units
        let junk = '';
        for (let j = 1 + pick(6); j > 0; j--) junk += rand() < 0.7 ? any(weird) : String.fromCharCode(pick(0x10000));
        text = text.slice(0, at) + junk + text.slice(at);
        break;
      }
      case 5: {
        // splice two seeds (or this text with a seed)
        const other = any(seeds);
        text = text.slice(0, at) + other.slice(pick(other.length + 1));
        break;
      }
      case 6: // an extreme number
        if (tok?.tokenType.name === 'NumberLiteral') text = text.slice(0, s) + any(extremes) + text.slice(e);
        else text = text.slice(0, at) + any(extremes) + text.slice(at);
        break;
      case 7: // a very long identifier
        if (tok?.tokenType.name === 'Identifier') text = text.slice(0, s) + 'x'.repeat(1000 + pick(20000)) + text.slice(e);
        else text = text.slice(0, at) + ' ' + 'y'.repeat(1000 + pick(20000)) + ' ' + text.slice(at);
        break;
      case 8: // truncate
        text = text.slice(0, at);
        break;
      case 9: // a word or phrase of the language somewhere
        text = text.slice(0, at) + ' ' + any(vocabulary) + ' ' + text.slice(at);
        break;
      case 10: {
        // delete or duplicate a line
        const lines = text.split('\n');
        const i = pick(lines.length);
        if (rand() < 0.5) lines.splice(i, 1);
        else lines.splice(i, 0, lines[i]!);
        text = lines.join('\n');
        break;
      }
      case 11: // a huge list in place of a token
        text = text.slice(0, s) + hugeList(rand() < 0.9 ? 10 + pick(300) : 3000) + text.slice(e);
        break;
      case 12: {
        // deep nesting in place of a token, balanced or not
        const depth = 50 + pick(2000);
        const open = any(['(', '[', 'a(', '-', '[(', 'f(x, ']);
        const close = open === '-' ? '' : open.includes('[') ? (open === '[(' ? ')]' : ']') : ')';
        text = text.slice(0, s) + open.repeat(depth) + '1' + (rand() < 0.7 ? close.repeat(depth) : '') + text.slice(e);
        break;
      }
      default: {
        // replace a token by one from another seed
        const other = sslLexer.tokenize(any(seeds)).tokens;
        if (other.length > 0) text = text.slice(0, s) + ' ' + any(other).image + ' ' + text.slice(e);
      }
    }
  }
  return text;
}

const overrideSamples = [
  'train.epochs=1', 'train.epochs=0', 'train.epochs=1e400', 'train.epochs=-1', 'train.seed=99999999999999999999', 'optimizer.lr=0.1',
  'optimizer.lrr=1', 'optimizer=sgd(lr: 0.1)', 'schedule.warmup=1e400 epochs', 'loss.temperature=0.2', 'loss.temperature=0 / 0',
  'loss=nt_xent(x1, x2)', 'data.train.batch=-1', 'data.train.batch=1.5', 'data.train.split=test', 'data.train.split=nope',
  'data.nope.batch=1', 'view.aug.random_resized_crop.scale=0.1..1', 'view.aug.gaussian_blur.0.sigma=1', 'view.aug=aug',
  'network.encoder.channels=[1, 2]', 'network.encoder.0.channels=[]', 'network.encoder.9.kernel=3', 'network.encoder=encoder',
  'teacher.target.momentum=0.9 -> 1 cosine', 'teacher.nope.momentum=1', 'probe.0.k=5', 'probe.99.k=5', 'probe.-1.k=5', 'probe.0=knn(k: 1)',
  'let.x1=x1', 'let.x1=aug(aug(train))', 'recipe=x', 'recipe=', 'recipe=1', '=', '', '.', '..=..', 'garbage', 'a.b.c.d.e=1',
  'loss=((((', `loss=${'('.repeat(300)}1${')'.repeat(300)}`, `train.epochs=${'9'.repeat(500)}`, `data.${'x'.repeat(3000)}.batch=1`,
  'train.epochs=1 # comment', 'train.epochs=\n1', 'train.epochs=1\ntrain epochs: 2', 'train.epochs=\0', 'loss.temperature=\uD800',
];

/** Sometimes compile with a file loader (and an `extends`), sometimes with `--set` overrides. */
function withEnv(text: string, rand: () => number): { text: string; env?: Env } {
  const pick = (n: number) => Math.floor(rand() * n);
  const any = <T>(xs: readonly T[]): T => xs[pick(xs.length)]!;
  const env: Env = {};
  let out = text;
  if (rand() < 0.15) {
    const base = rand() < 0.6 ? any(seeds) : mutant(rand);
    env.files = {
      'base.ssl': base,
      'cycle.ssl': `extends "cycle.ssl"\n${any(seeds)}`,
      'a.ssl': `extends "b.ssl"\n${any(seeds)}`,
      'b.ssl': `extends "a.ssl"\n`,
      'sub/base.ssl': `extends "../base.ssl"\n${rand() < 0.5 ? any(seeds) : mutant(rand)}`,
      'sub/deeper.ssl': `extends "base.ssl"\nextends "../base.ssl"\n`,
      '../up.ssl': any(seeds),
      '/abs/base.ssl': `extends "../base.ssl"\n${any(seeds)}`,
      'broken.ssl': `recipe x\nloss = (((\n`,
      'binary.ssl': '\0\uD800@@@\u0001',
      'empty.ssl': '',
      [URI]: text,
    };
    const target = any(['base.ssl', 'cycle.ssl', 'a.ssl', 'sub/base.ssl', 'sub/deeper.ssl', '../up.ssl', '/abs/base.ssl', 'broken.ssl', 'binary.ssl', 'empty.ssl', URI, 'missing.ssl', 'throws.ssl', '', '.', 'sub', 'x://host/base.ssl']);
    const line = `extends "${target}"\n`;
    if (rand() < 0.8) out = line + out;
    else {
      const at = pick(out.length + 1);
      out = out.slice(0, at) + line + out.slice(at);
    }
  }
  if (rand() < 0.1) {
    env.overrides = Array.from({ length: 1 + pick(3) }, () => {
      let o = any(overrideSamples);
      if (rand() < 0.3) {
        const at = pick(o.length + 1);
        o = o.slice(0, at) + any(weird) + o.slice(at);
      }
      return o;
    });
  }
  return env.files || env.overrides ? { text: out, env } : { text: out };
}

function pathological(): { name: string; text: string }[] {
  const base = seeds[0]!;
  const inLet = (expr: string) => `${base}\nlet z = ${expr}\n`;
  const cases: { name: string; text: string }[] = [
    { name: 'empty', text: '' },
    { name: 'whitespace', text: ' \n\t\r\n\r \f\v\uFEFF' },
    { name: 'only comments', text: '# a\n# b\n   # c' },
    { name: 'comment without newline', text: '#' },
    { name: 'NUL', text: '\0' },
    { name: 'NULs', text: '\0'.repeat(10000) },
    { name: 'lone surrogates', text: `recipe \uD800x\nloss = \uDC00` },
    { name: 'BOM', text: '\uFEFF' + base },
    { name: 'CRLF', text: base.replace(/\n/g, '\r\n') },
    { name: 'CR only', text: base.replace(/\n/g, '\r') },
    { name: 'unicode line separators', text: base.replace(/\n/g, '\u2028') },
    { name: 'repeated 30x', text: base.repeat(30) },
    { name: 'all seeds joined', text: seeds.join('\n') },
    { name: '((( 2000', text: `let a = ${'('.repeat(2000)}1${')'.repeat(2000)}` },
    { name: '((( 2000 unclosed', text: `let a = ${'('.repeat(2000)}1` },
    { name: ')))) 2000', text: `let a = 1${')'.repeat(2000)}` },
    { name: '[[[ 2000', text: `let a = ${'['.repeat(2000)}1${']'.repeat(2000)}` },
    { name: 'a(a(a( 2000', text: `let a = ${'a('.repeat(2000)}1${')'.repeat(2000)}` },
    { name: 'a(a(a( 2000 in a recipe', text: inLet(`${'a('.repeat(2000)}x1${')'.repeat(2000)}`) },
    { name: '[( 2000 mixed', text: `let a = ${'[('.repeat(1000)}1${')]'.repeat(1000)}` },
    { name: '- 5000', text: `let a = ${'-'.repeat(5000)}1` },
    { name: '(-( 2000', text: `let a = ${'(-'.repeat(2000)}1${')'.repeat(2000)}` },
    { name: 'nesting at the limit', text: inLet(`${'('.repeat(100)}1${')'.repeat(100)}`) },
    { name: 'nesting just past the limit', text: inLet(`${'('.repeat(101)}1${')'.repeat(101)}`) },
    { name: 'sum of 5000', text: inLet(Array.from({ length: 5000 }, () => '1').join(' + ')) },
    { name: 'product of 5000', text: inLet(Array.from({ length: 5000 }, () => '2').join(' * ')) },
    { name: 'pipeline of 3000', text: `${base}\nview v = ${Array.from({ length: 3000 }, () => 'aug').join(' | ')}\n` },
    { name: 'chain of 3000', text: `${base}\nnetwork n = ${Array.from({ length: 3000 }, () => 'mlp([4])').join(' -> ')}\n` },
    { name: 'ramp chain', text: inLet(`${Array.from({ length: 500 }, (_, i) => String(i)).join(' -> ')} cosine`) },
    { name: 'ranges', text: inLet('1..2..3..4') },
    { name: 'huge list 20000', text: inLet(hugeList(20000)) },
    { name: 'huge list as channels', text: base.replace(/\[32, 64, 128\]/, hugeList(5000)) },
    { name: 'nested lists', text: inLet(`[${Array.from({ length: 2000 }, () => '[1, [2]]').join(', ')}]`) },
    { name: '1e400', text: inLet('1e400') },
    { name: '-1e400', text: inLet('-1e400') },
    { name: '1e-400', text: inLet('1e-400') },
    { name: '99999999999999999999', text: inLet('99999999999999999999') },
    { name: '400 nines', text: inLet('9'.repeat(400)) },
    { name: '0 / 0', text: inLet('0 / 0') },
    { name: 'huge batch', text: base.replace(/batch: \d+/, 'batch: 1e400') },
    { name: 'huge batch 2', text: base.replace(/batch: \d+/, 'batch: 99999999999999999999') },
    { name: 'tiny batch', text: base.replace(/batch: \d+/, 'batch: 1e-400') },
    { name: 'huge epochs', text: base.replace(/epochs: \d+/, 'epochs: 1e400') },
    { name: 'huge percent', text: base.replace(/labels: 1%/, 'labels: 1e400%') },
    { name: 'huge duration', text: base.replace(/10 (epochs|steps)/, '1e400 epochs') },
    { name: 'long identifier', text: `data ${'x'.repeat(100000)} = mnist(split: "train")` },
    { name: 'long identifier in a recipe', text: base.replace(/\bx1\b/g, 'x'.repeat(50000)) },
    { name: 'long string', text: base.replace('"train"', `"${'s'.repeat(100000)}"`) },
    { name: 'long comment', text: `#${'c'.repeat(200000)}\n${base}` },
    { name: 'many statements', text: Array.from({ length: 3000 }, (_, i) => `let v${i} = ${i}`).join('\n') },
    { name: 'many errors', text: '= '.repeat(20000) },
    { name: 'many unexpected characters', text: '@'.repeat(20000) },
    { name: 'many strings unclosed', text: '"\n'.repeat(5000) },
    { name: 'keywords only', text: Array.from({ length: 2000 }, (_, i) => vocabulary[i % 12]).join(' ') },
    { name: 'extends missing', text: `extends "does-not-exist.ssl"\n${base}` },
    { name: 'extends empty', text: `extends ""\n${base}` },
    { name: 'extends folder', text: `extends "."\n${base}` },
    { name: 'extends twice', text: `extends "a.ssl"\nextends "b.ssl"\n${base}` },
    { name: 'teacher', text: `${base}\nteacher t = ema(encoder, momentum: 0.996 -> 1.0 cosine)\n` },
    { name: 'teacher of itself', text: `${base}\nteacher t = ema(t, momentum: 0.996)\n` },
    { name: 'cyclic lets', text: `${base}\nlet a = b\nlet b = a\n` },
    { name: 'self-referential let', text: `${base}\nlet a = a(a)\n` },
    { name: 'long cyclic chain', text: `${base}\n${Array.from({ length: 2000 }, (_, i) => `let c${i} = c${(i + 1) % 2000}`).join('\n')}\n` },
    { name: 'long let chain', text: `${base}\n${Array.from({ length: 2000 }, (_, i) => `let d${i} = ${i === 0 ? 'x1' : `d${i - 1}`}`).join('\n')}\n` },
  ];
  return cases;
}

// ---------------------------------------------------------------------------------------------

const stats = { inputs: 0, ms: 0, slowest: 0, start: performance.now() };
afterAll(() => {
  const total = (performance.now() - stats.start) / 1000;
  console.log(
    `fuzz: ${stats.inputs} inputs compiled in ${(stats.ms / 1000).toFixed(1)} s of compile time (${total.toFixed(1)} s in all); slowest ${Math.round(stats.slowest)} ms`,
  );
});

interface Input {
  name: string;
  text: string;
  env?: Env;
}

function run(inputs: Iterable<Input>): string[] {
  const failures: (Input & { problem: string })[] = [];
  for (const { name, text, env } of inputs) {
    const { problem, ms } = check(text, env);
    stats.inputs++;
    stats.ms += ms;
    stats.slowest = Math.max(stats.slowest, ms);
    if (problem) failures.push({ name, text, env, problem });
  }
  // Minimise a few distinct kinds of failure for the report.
  const seen = new Set<string>();
  const report: string[] = [];
  for (const f of failures) {
    const kind = kindOf(f.problem);
    if (seen.has(kind)) continue;
    seen.add(kind);
    const small = seen.size <= 5 ? minimise(f.text, f.problem, f.env ?? {}) : f.text.slice(0, 200);
    const env = f.env ? `\n  with: ${JSON.stringify(f.env).slice(0, 2000)}` : '';
    report.push(`${f.name}: ${f.problem}\n  minimal input: ${JSON.stringify(small.length > 500 ? small.slice(0, 500) + '…' : small)}${env}`);
  }
  if (failures.length > 0) report.unshift(`${failures.length} failing inputs, ${seen.size} kinds`);
  return report;
}

describe('fuzz compile', () => {
  it('has seeds', () => {
    expect(seeds.length).toBeGreaterThanOrEqual(3);
  });

  it('3200 mutated recipes', () => {
    const rand = mulberry32(0x5eed);
    const inputs = function* () {
      for (let i = 0; i < 3200; i++) {
        const text = rand() < 0.35 ? valueMutant(rand) : mutant(rand);
        yield { name: `mutant ${i}`, ...withEnv(text, rand) };
      }
    };
    expect(run(inputs())).toEqual([]);
  });

  it('pathological inputs', () => {
    expect(run(pathological())).toEqual([]);
  });
});

/**
 * Inputs the fuzzer found that still fail; each should pass once the compiler is fixed (then it
 * stays here as a regression test).
 */
describe('found by fuzzing', () => {
  const found: { name: string; text: string }[] = [
    {
      // `closest()` (compiler/diagnostics.ts) runs a full O(m*n) edit distance, with an (m+1)x(n+1)
      // table, between an unknown name and every candidate: a 9000-character name next to a
      // 9000-character definition takes seconds and hundreds of MB (20000 characters: ~10 s, GBs).
      name: "'did you mean' on a very long unknown name next to a very long definition",
      text: `recipe r\ndata ${'x'.repeat(9000)} = mnist(split: "test")\nprobe knn(on: ${'x'.repeat(8999)})\n`,
    },
    {
      // Each unknown name runs `closest()` over every defined name and lists them all in its hint:
      // quadratic in time (1000 lines: 1.5 s, 1500: 3.4 s, 2000: 6.6 s, 4000: 34 s) and in
      // output (1500 lines: 18.7 million characters of hints).
      name: "'did you mean' for 1500 unknown names among 1500 definitions",
      text: Array.from({ length: 1500 }, (_, i) => `let v${i} = u${i}`).join('\n'),
    },
  ];
  for (const { name, text } of found) {
    it(name, () => {
      expect(check(text).problem).toBeUndefined();
    });
  }
});
