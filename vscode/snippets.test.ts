/**
 * vscode/snippets/ssl.json: every snippet, expanded the way VS Code inserts it when the user
 * accepts each default (`${1:x}` -> x, `${1|a,b|}` -> a, a mirrored `${1}` -> tabstop 1's value,
 * bare tabstops -> nothing), is checked by the compiler itself:
 * - each method skeleton compiles with no errors and uses the loss of the recipe it is modelled on;
 * - each block snippet, put into a small complete recipe in place of the statements it defines,
 *   compiles with no errors.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { CstNode, IToken } from 'chevrotain';
import { describe, expect, it } from 'vitest';
import { builtins } from '../compiler/builtins.js';
import { compile } from '../compiler/index.js';
import { parse } from '../compiler/parse.js';
import * as t from '../grammar/tokens.js';

interface Snippet {
  prefix: string | string[];
  body: string[];
  description: string;
}

// vscode/ is a CommonJS package, so paths are taken from the repository root vitest runs in.
const root = process.cwd();
const snippets = JSON.parse(readFileSync(join(root, 'vscode/snippets/ssl.json'), 'utf8')) as Record<string, Snippet>;

// ---------------------------------------------------------------------------------------------
// VS Code snippet syntax (the subset a snippet file may use here: no variables)

type Node =
  | { kind: 'text'; text: string }
  | { kind: 'tabstop'; index: number }
  | { kind: 'placeholder'; index: number; children: Node[] }
  | { kind: 'choice'; index: number; options: string[] };

/** Parses snippet text up to the end or, nested, up to the `}` closing a placeholder. */
function parseSnippet(s: string, start = 0, nested = false): { nodes: Node[]; end: number } {
  const nodes: Node[] = [];
  let text = '';
  const flush = () => {
    if (text) nodes.push({ kind: 'text', text });
    text = '';
  };
  let i = start;
  while (i < s.length) {
    const c = s[i]!;
    if (c === '\\' && '$}\\'.includes(s[i + 1] ?? '')) {
      text += s[i + 1];
      i += 2;
    } else if (c === '}' && nested) {
      flush();
      return { nodes, end: i + 1 };
    } else if (c === '$') {
      const simple = /^\$(\d+)/.exec(s.slice(i));
      const braced = /^\$\{(\d+)([:|}])/.exec(s.slice(i));
      if (simple) {
        flush();
        nodes.push({ kind: 'tabstop', index: Number(simple[1]) });
        i += simple[0].length;
      } else if (braced?.[2] === '}') {
        flush();
        nodes.push({ kind: 'tabstop', index: Number(braced[1]) });
        i += braced[0].length;
      } else if (braced?.[2] === ':') {
        flush();
        const inner = parseSnippet(s, i + braced[0].length, true);
        nodes.push({ kind: 'placeholder', index: Number(braced[1]), children: inner.nodes });
        i = inner.end;
      } else if (braced?.[2] === '|') {
        flush();
        const close = s.indexOf('|}', i + braced[0].length);
        if (close < 0) throw new Error(`unclosed choice at ${i}: ${s}`);
        nodes.push({ kind: 'choice', index: Number(braced[1]), options: s.slice(i + braced[0].length, close).split(',') });
        i = close + 2;
      } else {
        throw new Error(`unsupported snippet syntax (a variable?) at ${i}: ${s.slice(i, i + 20)}`);
      }
    } else {
      text += c;
      i++;
    }
  }
  if (nested) throw new Error(`unclosed placeholder in: ${s}`);
  flush();
  return { nodes, end: i };
}

/** The text VS Code inserts when every default is accepted, and the tabstop numbers used. */
function expand(snippet: Snippet): { text: string; tabstops: Set<number> } {
  const { nodes } = parseSnippet(snippet.body.join('\n'));
  const values = new Map<number, string>();
  const tabstops = new Set<number>();
  const render = (ns: Node[]): string =>
    ns
      .map((n) => {
        if (n.kind === 'text') return n.text;
        tabstops.add(n.index);
        if (n.kind === 'tabstop') return values.get(n.index) ?? '';
        const value = n.kind === 'choice' ? n.options[0]! : render(n.children);
        if (!values.has(n.index)) values.set(n.index, value);
        return value;
      })
      .join('');
  render(nodes); // first pass: the value of every tabstop, so mirrors before their placeholder resolve
  return { text: render(nodes), tabstops };
}

// ---------------------------------------------------------------------------------------------

const methods: Record<string, string> = {
  simclr: 'simclr',
  moco: 'moco_v3',
  byol: 'byol',
  simsiam: 'simsiam',
  barlow_twins: 'barlow_twins',
  vicreg: 'vicreg',
  dino: 'dino',
  data2vec: 'data2vec',
  mae: 'mae',
};
const prefixesOf = (s: Snippet) => (Array.isArray(s.prefix) ? s.prefix : [s.prefix]);
const methodSnippet = (method: string) => Object.values(snippets).find((s) => prefixesOf(s).includes(`recipe-${method}`));
const isMethod = (s: Snippet) => prefixesOf(s).some((p) => p.startsWith('recipe-'));

const errorsOf = (text: string, uri: string) => compile(text, uri).diagnostics.filter((d) => d.severity === 'error').map((d) => `${d.code}: ${d.message}`);

/** The loss builtins a recipe calls, in order. */
const lossesOf = (text: string) =>
  t.sslLexer
    .tokenize(text)
    .tokens.filter((k) => builtins.get(k.image)?.kind === 'loss')
    .map((k) => k.image);

/** Small complete recipes, one statement per key (`data train`, `loss`, `probe`...): one on images, one on time series. */
const imageRecipe: [string, string][] = [
  ['recipe', 'recipe snippet_check'],
  ['data train', 'data train = mnist(split: "train", batch: 256)'],
  ['data test', 'data test = mnist(split: "test")'],
  ['view aug', 'view aug = random_resized_crop(28, scale: 0.2..1.0)'],
  ['network encoder', 'network encoder = convnet(channels: [32, 64, 128], kernel: 3, stride: 2, norm: batch)'],
  ['network projector', 'network projector = mlp([512, 128], norm: batch)'],
  ['let x1', 'let x1 = aug(train)'],
  ['let x2', 'let x2 = aug(train)'],
  ['loss', 'loss = nt_xent(projector(encoder(x1)), projector(encoder(x2)), temperature: 0.5)'],
  ['optimizer', 'optimizer adam(lr: 1e-3)'],
  ['schedule', 'schedule warmup_cosine(warmup: 1 epochs)'],
  ['train', 'train epochs: 20, seed: 0'],
  ['probe', 'probe linear(on: test)'],
];
const timeSeriesRecipe: [string, string][] = imageRecipe.map(([key, statement]): [string, string] => {
  switch (key) {
    case 'data train':
      return [key, 'data train = cbf(split: "train", batch: 64)'];
    case 'data test':
      return [key, 'data test = cbf(split: "test")'];
    case 'view aug':
      return [key, 'view aug = jitter(sigma: 0.05)'];
    case 'network encoder':
      return [key, 'network encoder = conv1d([32, 64], kernel: 8, stride: 2, norm: batch)'];
    default:
      return [key, statement];
  }
});

/** The statement keys (as in `baseRecipe`) a piece of recipe text defines, read off its parse tree. */
function statementKeys(text: string): string[] {
  const r = parse(text, 'block.ssl');
  expect(r.diagnostics).toEqual([]);
  const keywordNames = new Set(t.statementKeywords.map((k) => k.name));
  const keys: string[] = [];
  for (const statement of r.cst!.children.statement as CstNode[]) {
    for (const stmt of Object.values(statement.children).flat() as CstNode[]) {
      const keyword = Object.entries(stmt.children).find(([k]) => keywordNames.has(k))![1][0] as IToken;
      const name = stmt.children.name?.[0] as IToken | undefined;
      keys.push(name && keyword.image !== 'recipe' ? `${keyword.image} ${name.image}` : keyword.image);
    }
  }
  return keys;
}

describe('snippet syntax', () => {
  it('expands placeholders, choices, mirrors and tabstops as VS Code does', () => {
    const s: Snippet = { prefix: 'x', description: '', body: ['a ${1:b ${2:c}} ${3|d,e|} ${1} $2 \\$ $0'] };
    expect(expand(s).text).toBe('a b c d b c c $ ');
    expect([...expand(s).tabstops].sort()).toEqual([0, 1, 2, 3]);
    expect(() => expand({ prefix: 'x', description: '', body: ['${TM_FILENAME}'] })).toThrow(/unsupported/);
  });

  it('every snippet has a prefix, a description and tabstops numbered 1..N then $0', () => {
    for (const [key, s] of Object.entries(snippets)) {
      expect(prefixesOf(s).length, key).toBeGreaterThan(0);
      expect(s.description.length, key).toBeGreaterThan(10);
      const stops = [...expand(s).tabstops].sort((a, b) => a - b);
      expect(stops, key).toEqual([...Array(stops.length).keys()]);
      expect(s.body.join('\n').endsWith('$0'), key).toBe(true);
    }
  });

  it('prefixes are unique', () => {
    const all = Object.values(snippets).flatMap(prefixesOf);
    expect(all.length).toBe(new Set(all).size);
  });
});

describe('method skeletons', () => {
  it('there is one per method family', () => {
    expect(Object.keys(methods).filter((m) => !methodSnippet(m))).toEqual([]);
    expect(Object.values(snippets).filter(isMethod)).toHaveLength(Object.keys(methods).length);
  });

  for (const [method, recipe] of Object.entries(methods)) {
    it(`${method}: compiles with no errors and uses the loss of recipes/${recipe}.ssl`, () => {
      const snippet = methodSnippet(method)!;
      const { text } = expand(snippet);
      expect(errorsOf(text, `snippet-${method}.ssl`)).toEqual([]);
      const reference = readFileSync(join(root, 'recipes', `${recipe}.ssl`), 'utf8');
      expect(lossesOf(text)).toEqual(lossesOf(reference));
      expect(snippet.description).toMatch(/\(.*\d{4}/); // cites its paper
    });
  }
});

describe('block snippets', () => {
  const blocks = Object.entries(snippets).filter(([, s]) => !isMethod(s));

  it('cover every statement a recipe body is made of', () => {
    const covered = new Set(blocks.flatMap(([, s]) => statementKeys(expand(s).text).map((k) => k.split(' ')[0]!)));
    const needed = t.statementKeywords.map((k) => (k.PATTERN as RegExp).source).filter((w) => w !== 'recipe' && w !== 'extends');
    expect(needed.filter((w) => !covered.has(w))).toEqual([]);
  });

  it('the base recipes compile on their own', () => {
    expect(errorsOf(imageRecipe.map(([, s]) => s).join('\n'), 'image.ssl')).toEqual([]);
    expect(errorsOf(timeSeriesRecipe.map(([, s]) => s).join('\n'), 'series.ssl')).toEqual([]);
  });

  /** The errors of `block` put into `base` in place of the statements it defines. */
  const errorsIn = (base: [string, string][], block: string): string[] => {
    const defined = new Set(statementKeys(block));
    const kept = base.filter(([k]) => !defined.has(k)).map(([, s]) => s);
    // Insert before the sections so every name the block defines exists before `loss` reads it.
    const at = kept.findIndex((s) => /^(loss|optimizer|schedule|train|probe)\b/.test(s));
    return errorsOf([...kept.slice(0, at), block, ...kept.slice(at)].join('\n'), 'block.ssl');
  };

  for (const [key, snippet] of blocks) {
    it(`${key}: parses, and compiles in place of the statements it defines (in the image or the time-series recipe)`, () => {
      const { text } = expand(snippet);
      expect(statementKeys(text).length).toBeGreaterThan(0);
      const image = errorsIn(imageRecipe, text);
      const series = errorsIn(timeSeriesRecipe, text);
      expect(image.length === 0 || series.length === 0, `image recipe: ${image.join('; ')}\ntime-series recipe: ${series.join('; ')}`).toBe(true);
    });
  }
});
