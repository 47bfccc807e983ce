import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { builtinList } from '../../compiler/builtins.js';
import { analyze, definitions } from './analysis.js';
import { complete } from './completion.js';
import { quickFixes, suggestion } from './actions.js';
import { documentSymbols } from './symbols.js';
import { compile } from '../../compiler/index.js';
import { definitionAt, scope } from './definition.js';
import { hover } from './hover.js';

/** Completion labels with the cursor at `|` in `text`. */
function labels(text: string): string[] {
  const offset = text.indexOf('|CURSOR|');
  const source = text.replace('|CURSOR|', '');
  const a = analyze(source);
  return complete(a, offset, definitions(a)).map((i) => i.label);
}

/** Builtin names of these kinds, in registry order. */
const names = (...kinds: string[]) => builtinList.filter((b) => kinds.includes(b.kind)).map((b) => b.name);
const keywords = ['recipe', 'extends', 'data', 'view', 'network', 'teacher', 'let', 'loss', 'optimizer', 'schedule', 'train', 'probe'];

const recipe = `recipe r
data train = mnist(split: "train", batch: 64)
view aug = random_flip()
network enc = mlp([16])
`;

describe('completion contexts', () => {
  it('offers the statement keywords at the start of a line (and while typing one)', () => {
    expect(labels('|CURSOR|')).toEqual(keywords);
    expect(labels(`${recipe}|CURSOR|`)).toEqual(keywords);
    expect(labels(`${recipe}ne|CURSOR|`)).toEqual(keywords);
  });

  it('offers augmentations (and views) after `view x = ` and after `|`', () => {
    expect(labels(`${recipe}view x = |CURSOR|`)).toEqual([...names('augmentation'), 'aug']);
    expect(labels(`${recipe}view x = random_flip()\n       | gau|CURSOR|`)).toEqual([...names('augmentation'), 'aug']);
  });

  it('offers network stages after `network x = ` and after `->`', () => {
    expect(labels(`${recipe}network x = |CURSOR|`)).toEqual([...names('network-stage'), 'enc']);
    expect(labels(`${recipe}network x = mlp([8]) -> |CURSOR|`)).toEqual([...names('network-stage'), 'enc']);
  });

  it('offers datasets, optimizers, schedules, probes after their keywords', () => {
    expect(labels(`${recipe}data d = |CURSOR|`)).toEqual(names('dataset'));
    expect(labels(`${recipe}optimizer |CURSOR|`)).toEqual(names('optimizer'));
    expect(labels(`${recipe}schedule |CURSOR|`)).toEqual(names('schedule'));
    expect(labels(`${recipe}probe |CURSOR|`)).toEqual(names('probe'));
  });

  it('offers losses, graph functions, names in scope and constants in loss and let expressions', () => {
    const expected = [...names('graph', 'loss'), 'train', 'aug', 'enc', 'batch', 'epochs', 'steps_per_epoch'];
    expect(labels(`${recipe}loss = |CURSOR|`)).toEqual(expected);
    expect(labels(`${recipe}let x1 = |CURSOR|`)).toEqual(expected);
  });

  it('offers the parameters not yet given inside a call, and a parameter value by its type', () => {
    const params = (text: string) => labels(text).filter((l) => l.endsWith(':'));
    expect(params(`${recipe}network x = mlp(|CURSOR|`)).toEqual(['widths:', 'norm:', 'activation:']);
    expect(params(`${recipe}network x = mlp([8], |CURSOR|`)).toEqual(['norm:', 'activation:']); // widths given by position
    expect(params(`${recipe}network x = mlp([8], norm: batch, |CURSOR|`)).toEqual(['activation:']);
    expect(labels(`${recipe}network x = convnet(channels: [8], norm: |CURSOR|`)).toEqual(['none', 'batch', 'layer']);
    expect(labels(`${recipe}network x = convnet(channels: [8], activation: g|CURSOR|`)).toEqual(['relu', 'gelu']);
    expect(labels(`${recipe}data d = mnist(split: |CURSOR|`)).toEqual(['"train"', '"test"']);
    expect(labels(`${recipe}view v = random_apply(0.5, |CURSOR|`)).toEqual(expect.arrayContaining(['color_jitter', 'aug']));
  });

  it('offers nothing inside a comment or a string', () => {
    expect(labels(`${recipe}# view x = |CURSOR|`)).toEqual([]);
    expect(labels(`${recipe}data d = mnist(split: "tr|CURSOR|`)).toEqual([]);
    expect(labels(`${recipe}data d = csv("a.csv|CURSOR|", label: 0)`)).toEqual([]);
  });

  it('offers the train statement parameters after `train`', () => {
    expect(labels(`${recipe}train |CURSOR|`)).toEqual(expect.arrayContaining(['epochs:', 'seed:']));
  });
});

describe('outline and quick fixes', () => {
  it('lists every statement of a recipe with its name', () => {
    const dino = readFileSync(new URL('../../recipes/dino.ssl', import.meta.url), 'utf8');
    const symbols = documentSymbols(analyze(dino));
    expect(symbols.map((s) => s.name)).toEqual(['recipe dino', 'train', 'test', 'global_crop', 'local_crop', 'student', 'teacher', 'globals', 'locals', 'loss', 'optimizer', 'schedule', 'train', 'probe', 'probe']);
    // A multi-line statement spans all its lines: `view global_crop = ...` is lines 19-21 (0-based 18..20).
    expect(symbols[3]!.range.start.line).toBe(18);
    expect(symbols[3]!.range.end.line).toBe(20);
    expect(symbols[3]!.selectionRange).toEqual({ start: { line: 18, character: 5 }, end: { line: 18, character: 16 } });
  });

  it('reads the suggestion of a "did you mean" hint and replaces only a name with it', () => {
    expect(suggestion("did you mean 'gaussian_noise'?\nvalid here: 'a'")).toBe('gaussian_noise');
    expect(suggestion("valid here: 'a'")).toBeUndefined();
    const range = { start: { line: 0, character: 0 }, end: { line: 0, character: 5 } };
    const d = { range, source: 'ssl', message: 'm', data: { hint: "did you mean 'mlp'?" } };
    expect(quickFixes('file:///x.ssl', [d], () => 'mpl').map((a) => a.edit?.changes?.['file:///x.ssl'])).toEqual([[{ range, newText: 'mlp' }]]);
    expect(quickFixes('file:///x.ssl', [d], () => 'extends "x"')).toEqual([]);
  });
});

describe('half-typed text', () => {
  it('never throws: completion, hover, definition and outline at every offset of every 40th prefix of dino.ssl', () => {
    const dino = readFileSync(new URL('../../recipes/dino.ssl', import.meta.url), 'utf8');
    let answers = 0;
    for (let end = 0; end <= dino.length; end += 40) {
      const text = dino.slice(0, end) + '\n)( -> | = :';
      const a = analyze(text);
      const result = compile(text, 'dino.ssl');
      const sites = scope(a, 'dino.ssl', result.bases, result.sources);
      documentSymbols(a);
      for (let offset = 0; offset <= text.length; offset += 3) {
        answers += complete(a, offset, sites).length;
        hover({ analysis: a, offset, path: 'dino.ssl', result, scope: sites, analysisOf: () => a, pathOf: () => 'dino.ssl', positionAt: (o) => ({ line: 0, character: o }) });
        definitionAt(a, offset, 'dino.ssl', sites);
      }
    }
    expect(answers).toBeGreaterThan(0);
  });
});
