import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { compile, formatDiagnostic, resolvedRecipeText, type CompileOptions, type CompileResult } from './index.js';
import { resolveBasePath } from './extends.js';
import type { IR } from './ir.js';

/** An in-memory file system: readFile and listFiles over a map of path -> text. */
function memfs(files: Record<string, string>): Required<Pick<CompileOptions, 'readFile' | 'listFiles'>> {
  return {
    readFile: (p) => files[p],
    listFiles: (dir) => {
      const prefix = dir === '.' ? '' : `${dir}/`;
      const names = Object.keys(files)
        .filter((p) => p.startsWith(prefix) && !p.slice(prefix.length).includes('/'))
        .map((p) => p.slice(prefix.length));
      return names.length > 0 ? names : undefined;
    },
  };
}

const BASE = `# a small SimCLR base
recipe base

data train = mnist(split: "train", batch: 64, limit: 512)
data test  = mnist(split: "test", limit: 100)

view aug = random_resized_crop(28, scale: 0.4..1.0)
         | gaussian_noise(std: 0.1)

network encoder   = convnet(channels: [8, 16], kernel: 3, stride: 2)
network projector = mlp([16, 8])

let x1 = aug(train)
let x2 = aug(train)
loss = nt_xent(projector(encoder(x1)), projector(encoder(x2)), temperature: 0.5)

optimizer adam(lr: 1e-3)
schedule  warmup_cosine(warmup: 2 steps)
train     epochs: 1, seed: 7

probe linear(on: test, epochs: 2)
probe knn(k: 5, on: test)
`;

function build(child: string, files: Record<string, string> = {}, uri = 'child.ssl', overrides?: string[]): CompileResult {
  return compile(child, uri, { ...memfs({ 'base.ssl': BASE, ...files }), ...(overrides ? { overrides } : {}) });
}

function ok(r: CompileResult): IR {
  const errors = r.diagnostics.filter((d) => d.severity === 'error');
  expect(errors, errors.map((d) => formatDiagnostic(d, r.sources[d.span.uri] ?? '')).join('\n')).toEqual([]);
  expect(r.ir).toBeDefined();
  return r.ir!;
}

/** The IR without spans and source, for comparing two compilations of the same recipe. */
function stripSpans(x: unknown): unknown {
  if (Array.isArray(x)) return x.map(stripSpans);
  if (x && typeof x === 'object') {
    return Object.fromEntries(
      Object.entries(x)
        .filter(([k]) => k !== 'origin' && k !== 'span' && k !== 'source' && k !== 'firstUse')
        .map(([k, v]) => [k, stripSpans(v)]),
    );
  }
  return x;
}

describe('extends: the merge rule', () => {
  it('a child with only `extends` compiles to the base, with its own uri in the IR', () => {
    const r = build('extends "base.ssl"\n');
    const ir = ok(r);
    expect(r.diagnostics).toEqual([]);
    expect(ir.source.uri).toBe('child.ssl');
    expect(ir.recipe).toBe('base');
    expect(stripSpans(ir)).toEqual(stripSpans(ok(compile(BASE, 'base.ssl'))));
    expect(r.bases).toEqual(['base.ssl']);
    expect(r.sources).toEqual({ 'child.ssl': 'extends "base.ssl"\n', 'base.ssl': BASE });
  });

  it('definitions replace the base definition of the same name, in place; new ones are appended', () => {
    const child = `extends "base.ssl"
network projector = mlp([32, 4])
view aug2 = gaussian_noise(std: 0.2)
let x2 = aug2(train)
`;
    const r = build(child);
    const ir = ok(r);
    expect(ir.networks['projector']!.stages[0]).toMatchObject({ kind: 'mlp', widths: [32, 4] });
    expect(ir.networks['projector']!.origin.uri).toBe('child.ssl');
    expect(ir.networks['encoder']!.origin.uri).toBe('base.ssl');
    expect(Object.keys(ir.views).sort()).toEqual(['aug', 'aug2']);
    // The base's order is kept; the new view comes after the base's statements.
    const text = resolvedRecipeText(child, 'child.ssl', memfs({ 'base.ssl': BASE }))!;
    const order = text.split('\n').filter((l) => /^(network|view|let) /.test(l)).map((l) => l.split(/\s+/).slice(0, 2).join(' '));
    expect(order).toEqual(['view aug', 'network encoder', 'network projector', 'let x1', 'let x2', 'view aug2']);
  });

  it('each section in the child replaces the base section; the rest are kept', () => {
    const ir = ok(build('extends "base.ssl"\nrecipe child\noptimizer sgd(lr: 0.1)\ntrain epochs: 2\n'));
    expect(ir.recipe).toBe('child');
    expect(ir.optimizer).toMatchObject({ kind: 'sgd', lr: 0.1 });
    expect(ir.train).toMatchObject({ epochs: 2, seed: 0 }); // the whole train section is replaced: seed back to its default
    expect(ir.schedule).toMatchObject({ kind: 'warmup_cosine', warmupSteps: 2 });
    expect(ir.graph.nodes.find((n) => n.kind === 'loss')).toMatchObject({ fn: 'nt_xent', params: { temperature: 0.5 } });
  });

  it('any probe in the child replaces all of the base probes; none keeps them', () => {
    expect(ok(build('extends "base.ssl"\n')).probes.map((p) => p.kind)).toEqual(['linear', 'knn']);
    const ir = ok(build('extends "base.ssl"\nprobe knn(k: 3, on: test)\n'));
    expect(ir.probes).toHaveLength(1);
    expect(ir.probes[0]).toMatchObject({ kind: 'knn', k: 3 });
  });

  it('a section written twice in the child is still a duplicate-section', () => {
    const r = build('extends "base.ssl"\ntrain epochs: 1\ntrain epochs: 2\n');
    const d = r.diagnostics.find((x) => x.code === 'duplicate-section')!;
    expect(d.span).toMatchObject({ uri: 'child.ssl', start: { line: 3, column: 1 } });
    expect(r.ir).toBeUndefined();
  });

  it('a definition written twice in the child is still a duplicate-definition', () => {
    const r = build('extends "base.ssl"\nnetwork projector = mlp([8])\nnetwork projector = mlp([4])\n');
    const d = r.diagnostics.find((x) => x.code === 'duplicate-definition')!;
    expect(d.span).toMatchObject({ uri: 'child.ssl', start: { line: 3, column: 9 } });
    expect(d.related?.[0]?.span).toMatchObject({ uri: 'child.ssl', start: { line: 2 } });
  });

  it('no unused-definition warnings for base definitions the child made unused; the child still gets its own', () => {
    const child = `extends "base.ssl"
view aug2 = gaussian_noise(std: 0.2)
view spare = gaussian_noise(std: 0.3)
let x1 = aug2(train)
let x2 = aug2(train)
`;
    const r = build(child);
    ok(r);
    const unused = r.diagnostics.filter((d) => d.code === 'unused-definition');
    expect(unused.map((d) => [d.span.uri, d.message])).toEqual([['child.ssl', "view 'spare' is never used; it is left out of the run"]]);
    // The same recipe in one file warns about aug.
    const flat = compile(BASE + 'view aug2 = gaussian_noise(std: 0.2)\n', 'flat.ssl');
    expect(flat.diagnostics.filter((d) => d.code === 'unused-definition').map((d) => d.message)).toEqual(["view 'aug2' is never used; it is left out of the run"]);
  });

  it('replacing a base definition with one of another kind is allowed, with a warning', () => {
    const files = { 'base.ssl': BASE.replace('let x1 = aug(train)', 'view x1 = gaussian_noise(std: 0.1)\nlet y1 = aug(train)').replace('encoder(x1)', 'encoder(y1)') };
    const r = build('extends "base.ssl"\nlet x1 = aug(train)\n', files);
    const w = r.diagnostics.find((d) => d.code === 'override-kind-change')!;
    expect(w.severity).toBe('warning');
    expect(w.message).toBe("let 'x1' replaces the base recipe's view 'x1'");
    expect(w.span).toMatchObject({ uri: 'child.ssl', start: { line: 2, column: 5 } });
    expect(w.related?.[0]?.span.uri).toBe('base.ssl');
    ok(r);
  });
});

describe('extends: finding bases', () => {
  it('resolves paths relative to the extending file, keeps absolute paths and uri schemes', () => {
    expect(resolveBasePath('child.ssl', 'base.ssl')).toBe('base.ssl');
    expect(resolveBasePath('test/fixtures/x.ssl', '../../recipes/simclr.ssl')).toBe('recipes/simclr.ssl');
    expect(resolveBasePath('/home/u/r/x.ssl', './b/base.ssl')).toBe('/home/u/r/b/base.ssl');
    expect(resolveBasePath('/home/u/r/x.ssl', '/etc/base.ssl')).toBe('/etc/base.ssl');
    expect(resolveBasePath('file:///home/u/x.ssl', '../base.ssl')).toBe('file:///home/base.ssl');
    expect(resolveBasePath('recipes\\x.ssl', 'base.ssl')).toBe('recipes/base.ssl');
  });

  it('follows chains: the nearest definition wins, and bases are listed nearest first', () => {
    const files = {
      'lib/mid.ssl': 'extends "../base.ssl"\nrecipe mid\nnetwork projector = mlp([12, 6])\ntrain epochs: 3\n',
    };
    const r = build('extends "lib/mid.ssl"\ntrain epochs: 2, seed: 1\n', files);
    const ir = ok(r);
    expect(ir.recipe).toBe('mid');
    expect(ir.train).toMatchObject({ epochs: 2, seed: 1 });
    expect(ir.networks['projector']!.stages[0]).toMatchObject({ widths: [12, 6] });
    expect(r.bases).toEqual(['lib/mid.ssl', 'base.ssl']);
  });

  it('a cycle is an extends-cycle error at the extends statement of the file being compiled', () => {
    const files = { 'a.ssl': 'extends "b.ssl"\n', 'b.ssl': 'extends "./a.ssl"\n' };
    const r = compile(files['a.ssl'], 'a.ssl', memfs(files));
    expect(r.ir).toBeUndefined();
    expect(r.diagnostics).toHaveLength(1);
    const d = r.diagnostics[0]!;
    expect(d.code).toBe('extends-cycle');
    expect(d.message).toBe("recipes extend each other in a cycle: 'a.ssl' -> 'b.ssl' -> 'a.ssl'");
    expect(d.span).toMatchObject({ uri: 'a.ssl', start: { line: 1, column: 1 }, end: { line: 1, column: 16 } });
    expect(d.related?.map((x) => x.span.uri)).toEqual(['b.ssl']);

    const self = compile('recipe s\nextends "s.ssl"\n', 's.ssl', memfs({}));
    expect(self.diagnostics.map((x) => [x.code, x.span.start.line])).toEqual([['extends-cycle', 2]]);
  });

  it('a missing base is base-not-found at the path, with the closest .ssl file and the folder listing', () => {
    const files = { 'recipes/simclr.ssl': BASE, 'recipes/byol.ssl': BASE, 'recipes/notes.txt': '' };
    const r = compile('recipe c\nextends "../recipes/simclrr.ssl"\n', 'examples/c.ssl', memfs(files));
    expect(r.diagnostics).toHaveLength(1);
    const d = r.diagnostics[0]!;
    expect(d.code).toBe('base-not-found');
    expect(d.span).toMatchObject({ uri: 'examples/c.ssl', start: { line: 2, column: 9 }, end: { line: 2, column: 33 } });
    expect(d.hint).toBe(
      [
        "did you mean '../recipes/simclr.ssl'?",
        "the path is relative to the folder of 'examples/c.ssl': it names 'recipes/simclrr.ssl'",
        ".ssl files in 'recipes': 'byol.ssl', 'simclr.ssl'",
      ].join('\n'),
    );
    expect(formatDiagnostic(d, r.sources[d.span.uri]!)).toContain('^~~~~~~~~~~~~~~~~~~~~~~~');
  });

  it('without a file loader, extends is base-not-found saying so', () => {
    const r = compile('extends "base.ssl"\n', 'c.ssl');
    expect(r.diagnostics.map((d) => d.code)).toEqual(['base-not-found']);
    expect(r.diagnostics[0]!.hint).toMatch(/no file loader/);
  });

  it('a throwing loader is a base-not-found, not an exception', () => {
    const r = compile('extends "base.ssl"\n', 'c.ssl', {
      readFile: () => {
        throw new Error('EACCES: permission denied');
      },
    });
    expect(r.diagnostics.map((d) => [d.code, d.message])).toEqual([['base-not-found', "cannot read base recipe 'base.ssl': EACCES: permission denied"]]);
  });

  it('a second extends is a duplicate-section', () => {
    const r = build('extends "base.ssl"\nextends "other.ssl"\n', { 'other.ssl': BASE });
    expect(r.diagnostics.map((d) => [d.code, d.span.start.line])).toEqual([['duplicate-section', 2]]);
    expect(r.ir).toBeUndefined();
  });
});

describe('extends: diagnostics inside a base point into the base', () => {
  it('syntax errors carry the base uri and its line/column, and stop compilation', () => {
    const files = { 'base.ssl': BASE.replace('network projector = mlp([16, 8])', 'network projector = mlp([16, 8]') };
    const r = build('extends "base.ssl"\ntrain epochs: 1\n', files);
    expect(r.ir).toBeUndefined();
    expect(r.diagnostics.length).toBeGreaterThan(0);
    for (const d of r.diagnostics) {
      expect(d.code).toBe('syntax-error');
      expect(d.span.uri).toBe('base.ssl');
    }
    expect(r.diagnostics[0]!.span.start.line).toBeGreaterThanOrEqual(11);
  });

  it('a validation error in a kept base definition is reported in the base file, with a caret from its text', () => {
    const files = { 'base.ssl': BASE.replace('gaussian_noise(std: 0.1)', 'gausian_noise(std: 0.1)') };
    const r = build('extends "base.ssl"\ntrain epochs: 1\n', files);
    const d = r.diagnostics.find((x) => x.code === 'unknown-name')!;
    expect(d.span).toMatchObject({ uri: 'base.ssl', start: { line: 8, column: 12 } });
    const printed = formatDiagnostic(d, r.sources[d.span.uri]!);
    expect(printed).toContain('base.ssl:8:12: error[unknown-name]');
    expect(printed).toContain(' 8 |          | gausian_noise(std: 0.1)');
    expect(printed).toContain("did you mean 'gaussian_noise'?");
  });

  it('the child can fix a base mistake by overriding the definition', () => {
    const files = { 'base.ssl': BASE.replace('gaussian_noise(std: 0.1)', 'gausian_noise(std: 0.1)') };
    ok(build('extends "base.ssl"\nview aug = random_resized_crop(28)\n', files));
  });

  it('diagnostics are ordered: the recipe, then its bases, then the overrides', () => {
    const files = { 'base.ssl': BASE.replace('mlp([16, 8])', 'mlp([16, 0])') };
    const r = build('extends "base.ssl"\ndata test = mnist(split: "tset")\n', files, 'child.ssl', ['train.seed=-1']);
    expect(r.diagnostics.filter((d) => d.severity === 'error').map((d) => d.span.uri)).toEqual(['child.ssl', 'base.ssl', '--set[1]']);
  });
});

describe('the recipe as resolved', () => {
  const root = new URL('../', import.meta.url);
  const files = ['examples', 'recipes'].flatMap((dir) =>
    readdirSync(new URL(`${dir}/`, root))
      .filter((f) => f.endsWith('.ssl'))
      .map((f) => `${dir}/${f}`),
  );

  it.each(files)('%s printed back compiles to the same IR', (file) => {
    const text = readFileSync(new URL(file, root), 'utf8');
    const original = compile(text, file);
    if (!original.ir) return; // a recipe being edited; the golden tests report it
    const printed = resolvedRecipeText(text, file)!;
    expect(printed).toBeDefined();
    const again = compile(printed, 'printed.ssl');
    expect(again.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
    expect(stripSpans(again.ir)).toEqual(stripSpans(original.ir));
  });

  it('with extends and overrides, is one self-contained recipe with the same IR', () => {
    const child = 'extends "base.ssl"\nrecipe child\nnetwork projector = mlp([32, 4])\n';
    const overrides = ['train.epochs=2', 'optimizer.lr=2e-3 * (batch + 64) / 256', 'view.aug.gaussian_noise.std=0.05'];
    const fs = memfs({ 'base.ssl': BASE });
    const text = resolvedRecipeText(child, 'child.ssl', { ...fs, overrides })!;
    expect(text.split('\n').slice(0, 2)).toEqual([
      "# child.ssl as resolved, extending 'base.ssl'",
      '# with --set train.epochs=2 --set optimizer.lr=2e-3 * (batch + 64) / 256 --set view.aug.gaussian_noise.std=0.05',
    ]);
    expect(text).not.toContain('extends');
    expect(text).toContain('optimizer adam(lr: 2e-3 * (batch + 64) / 256)');
    const merged = ok(compile(child, 'child.ssl', { ...fs, overrides }));
    expect(merged.train.epochs).toBe(2);
    expect(stripSpans(ok(compile(text, 'resolved.ssl')))).toEqual(stripSpans(merged));
  });

  it('is undefined when the recipe cannot be merged', () => {
    expect(resolvedRecipeText('extends "nope.ssl"\n', 'c.ssl', memfs({}))).toBeUndefined();
    expect(resolvedRecipeText('recipe (', 'c.ssl')).toBeUndefined();
  });
});
