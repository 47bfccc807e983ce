import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { closest, editDistance, formatDiagnostic, type Diagnostic } from './diagnostics.js';
import { compile } from './index.js';
import { allCodes } from './codes.js';

const quickstart = readFileSync(new URL('../examples/quickstart.ssl', import.meta.url), 'utf8');

/** Compiles the quickstart with `from` replaced by `to` (which must occur). */
function variant(from: string | RegExp, to: string): { text: string; diagnostics: Diagnostic[]; ok: boolean } {
  const text = quickstart.replace(from, to);
  expect(text, `pattern ${String(from)} not found`).not.toBe(quickstart);
  const r = compile(text, 'q.ssl');
  return { text, diagnostics: r.diagnostics, ok: r.ir !== undefined };
}

function only(diags: Diagnostic[], code: string): Diagnostic {
  const found = diags.filter((d) => d.code === code);
  expect(found, `${code} in ${JSON.stringify(diags.map((d) => d.code))}`).toHaveLength(1);
  return found[0]!;
}

function at(text: string, d: Diagnostic): string {
  return text.slice(d.span.start.offset, d.span.end.offset);
}

describe('names', () => {
  it('unknown function: lists valid names and suggests the closest', () => {
    const { text, diagnostics, ok } = variant('gaussian_noise(std: 0.1)', 'gausian_blur(sigma: 0.5)');
    expect(ok).toBe(false);
    const d = only(diagnostics, 'unknown-name');
    expect(d.severity).toBe('error');
    expect(d.span.start).toMatchObject({ line: 17, column: 12 });
    expect(at(text, d)).toBe('gausian_blur');
    expect(d.hint).toContain("did you mean 'gaussian_blur'?");
    expect(d.hint).toContain("'random_flip'");
  });

  it('unknown parameter: suggests the closest parameter', () => {
    const { text, diagnostics } = variant('temperature: 0.5', 'temprature: 0.5');
    const d = only(diagnostics, 'unknown-parameter');
    expect(d.span.start).toMatchObject({ line: 24, column: 64 });
    expect(at(text, d)).toBe('temprature');
    expect(d.hint).toMatch(/^did you mean 'temperature'\?/);
  });

  it('unknown variable: suggests a defined name', () => {
    const { text, diagnostics } = variant('let x2 = aug(train)', 'let x2 = aug(trian)');
    const d = only(diagnostics, 'unknown-name');
    expect(at(text, d)).toBe('trian');
    expect(d.hint).toContain("did you mean 'train'?");
  });

  it('no suggestion when nothing is close', () => {
    const { diagnostics } = variant('optimizer adam(', 'optimizer zzzzzz(');
    const d = only(diagnostics, 'unknown-name');
    expect(d.message).toBe("unknown optimizer 'zzzzzz'");
    expect(d.hint).not.toContain('did you mean');
    expect(d.hint).toContain('sgd, adam, adamw, lars'.split(', ').map((s) => `'${s}'`).join(', '));
  });

  it('unknown enum word in an identifier-enum parameter', () => {
    const { text, diagnostics } = variant('stride: 2)', 'stride: 2, norm: btach)');
    const d = only(diagnostics, 'unknown-name');
    expect(at(text, d)).toBe('btach');
    expect(d.hint).toContain("did you mean 'batch'?");
  });

  it('duplicate definitions and sections point at the second one, with the first as related', () => {
    const { text, diagnostics } = variant('data test  =', 'data train =');
    const d = only(diagnostics, 'duplicate-definition');
    expect(d.span.start.line).toBe(13);
    expect(at(text, d)).toBe('train');
    expect(d.related?.[0]?.span.start.line).toBe(12);
    const s = variant('train     epochs: 1, seed: 0', 'train epochs: 1\ntrain epochs: 2');
    expect(only(s.diagnostics, 'duplicate-section').span.start.line).toBe(29);
  });

  it('missing sections are errors at the start of the file', () => {
    const { diagnostics } = variant(/^loss = .*$/m, '');
    const d = only(diagnostics, 'missing-section');
    expect(d.message).toContain("'loss'");
    expect(d.span.start).toEqual({ offset: 0, line: 1, column: 1 });
    // no cascade about `batch` in the optimizer
    expect(diagnostics.filter((x) => x.code === 'invalid-context')).toEqual([]);
    const r = compile('', 'empty.ssl');
    expect(r.diagnostics.filter((x) => x.code === 'missing-section').map((x) => x.message)).toHaveLength(4);
  });

  it('unused definitions warn and do not block compilation', () => {
    const { text, diagnostics, ok } = variant('network projector', 'network unused = mlp([3])\nnetwork projector');
    expect(ok).toBe(true);
    const d = only(diagnostics, 'unused-definition');
    expect(d.severity).toBe('warning');
    expect(at(text, d)).toBe('unused');
  });

  it('reserved names and cycles', () => {
    expect(only(variant('let x1 =', 'let mlp =').diagnostics, 'reserved-name').message).toContain('mlp');
    const c = variant('let x1 = aug(train)', 'let x1 = aug(train)\nlet a = b + 1\nlet b = a * 2\nlet c = a');
    expect(only(c.diagnostics, 'cyclic-definition').span.start.line).toBe(24);
  });

  it('batch is not known inside data definitions', () => {
    const d = only(variant('batch: 256)', 'batch: batch)').diagnostics, 'invalid-context');
    expect(d.span.start.line).toBe(12);
  });
});

describe('parameters, types and ranges', () => {
  it('missing required parameter', () => {
    const { text, diagnostics } = variant('gaussian_noise(std: 0.1)', 'gaussian_noise()');
    const d = only(diagnostics, 'missing-parameter');
    expect(at(text, d)).toBe('gaussian_noise()');
    expect(d.message).toContain("'std'");
    expect(only(variant('probe knn(k: 20, fit: mnist(split: "train"), on: test)', 'probe knn(k: 20)').diagnostics, 'missing-parameter').message).toContain("'on'");
  });

  it('duplicate parameter and too many arguments', () => {
    expect(only(variant('seed: 0', 'seed: 0, seed: 1').diagnostics, 'duplicate-parameter').span.start.line).toBe(28);
    expect(only(variant('mlp([128, 64])', 'mlp([128, 64], [3])').diagnostics, 'too-many-arguments').span.start.line).toBe(20);
  });

  it('type mismatches', () => {
    const cases: [string, string, string][] = [
      ['brightness: 0.4', 'brightness: "x"', '"x"'],
      ['batch: 256', 'batch: 25.5', '25.5'],
      ['split: "test"', 'split: train', 'train'],
      ['warmup: 10 steps', 'warmup: 10', '10'],
      ['channels: [32, 64, 128]', 'channels: 32', '32'],
      ['loss = nt_xent', 'loss = 2 + nt_xent', ''],
      ['let x2 = aug(train)', 'let x2 = aug(encoder(x1))', 'encoder(x1)'],
    ];
    for (const [from, to, where] of cases) {
      const { text, diagnostics } = variant(from, to);
      const d = only(diagnostics, 'type-mismatch');
      if (where) expect(at(text, d)).toBe(where);
    }
  });

  it('values out of range', () => {
    const cases: [string, string, string][] = [
      ['batch: 256', 'batch: -3', '-3'],
      ['split: "test"', 'split: "tset"', '"tset"'],
      ['temperature: 0.5', 'temperature: 0', '0'],
      ['lr: 1e-3 * batch / 256', 'lr: 0', '0'],
      ['scale: 0.4..1.0', 'scale: 0.4..1.5', '0.4..1.5'],
      ['scale: 0.4..1.0', 'scale: 0.9..0.4', '0.9..0.4'],
      ['random_resized_crop(28', 'random_resized_crop(32', '32'],
      ['gaussian_noise(std: 0.1)', 'random_flip(p: 1.5)', '1.5'],
      ['epochs: 1,', 'epochs: 0,', '0'],
      ['data test  = mnist(split: "test")', 'data test  = mnist(split: "test", labels: 0%)', '0%'],
    ];
    for (const [from, to, where] of cases) {
      const { text, diagnostics } = variant(from, to);
      const d = only(diagnostics, 'value-out-of-range');
      expect(at(text, d), `${to}`).toBe(where);
    }
    expect(only(variant('split: "test"', 'split: "tset"').diagnostics, 'value-out-of-range').hint).toContain('did you mean "test"'.replace(/"/g, "'"));
  });

  it('arithmetic: division by zero, overflow and huge literals', () => {
    const z = variant('1e-3 * batch / 256', '1e-3 * batch / (256 - 256)');
    expect(at(z.text, only(z.diagnostics, 'invalid-arithmetic'))).toBe('(256 - 256)');
    const h = variant('lr: 1e-3', 'lr: 1e400');
    expect(at(h.text, only(h.diagnostics, 'invalid-arithmetic'))).toBe('1e400');
    const o = variant('lr: 1e-3', 'lr: 1e300 * 1e300');
    expect(only(o.diagnostics, 'invalid-arithmetic').message).toContain('not a finite number');
  });
});

describe('shapes', () => {
  it('nt_xent inputs of widths 128 and 64', () => {
    const { text, diagnostics } = variant('projector(encoder(x2))', 'encoder(x2)');
    const d = only(diagnostics, 'shape-mismatch');
    expect(d.message).toContain('[64]');
    expect(d.message).toContain('[128]');
    expect(d.span.start.line).toBe(24);
    expect(at(text, d).startsWith('nt_xent(')).toBe(true);
  });

  it('mlp widths 128 vs 64 in two projectors', () => {
    const { diagnostics } = variant('network projector = mlp([128, 64])', 'network projector = mlp([128, 64])\nnetwork other = mlp([128])');
    expect(diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
    const r = compile(
      quickstart
        .replace('network projector = mlp([128, 64])', 'network projector = mlp([128, 64])\nnetwork other = mlp([128])')
        .replace('projector(encoder(x2))', 'other(encoder(x2))'),
      'q.ssl',
    );
    const d = only(r.diagnostics, 'shape-mismatch');
    expect(d.message).toBe('nt_xent needs two embeddings of the same width, got [64] and [128]');
    expect(d.span.start.line).toBe(25);
  });

  it('convnet needs an image', () => {
    const { text, diagnostics } = variant('let x1 = aug(train)', 'let x1 = aug(train)\nnetwork conv = convnet(channels: [8])\nlet y = conv(encoder(x1))');
    const d = only(diagnostics, 'shape-mismatch');
    expect(d.message).toBe("in network 'conv': convnet needs an image input [H, W, C], got [128]");
    expect(at(text, d)).toBe('conv(encoder(x1))');
  });

  it('a network reused on its own output', () => {
    const { text, diagnostics } = variant('projector(encoder(x2))', 'projector(encoder(encoder(x2)))');
    const d = only(diagnostics, 'shape-mismatch');
    expect(d.message).toBe("network 'encoder' is applied to [28, 28, 1] and [128] inputs; its weights fit one input shape");
    expect(at(text, d)).toBe('encoder(encoder(x2))');
  });

  it('a network applied to inputs of different shapes', () => {
    // A conv encoder pools globally, so 28x28 and 20x20 crops share it (multi-crop) ...
    expect(variant('let x2 = aug(train)', 'view small = random_resized_crop(20)\nlet x2 = small(train)').ok).toBe(true);
    // ... but an MLP's weights fit one input size.
    const { diagnostics } = variant(
      /let x2 = aug\(train\)[^]*?loss = .*\n/,
      'view small = random_resized_crop(20)\nnetwork flat = mlp([64])\nlet x2 = small(train)\nloss = nt_xent(flat(x1), flat(x2))\n',
    );
    const d = only(diagnostics, 'shape-mismatch');
    expect(d.message).toContain('[28, 28, 1]');
    expect(d.message).toContain('[20, 20, 1]');
  });

  it('random_apply ops must keep the shape', () => {
    const { diagnostics } = variant('| gaussian_noise(std: 0.1)', '| random_apply(0.5, random_resized_crop(20))');
    expect(only(diagnostics, 'shape-mismatch').message).toContain('random_apply');
  });
});

describe('training data', () => {
  it('no data source in the loss', () => {
    const { diagnostics } = variant(/^loss = .*$/m, 'loss = nt_xent(projector(encoder(x1)), projector(encoder(x2)))\nlet x3 = 1');
    expect(diagnostics.some((d) => d.code === 'no-training-data')).toBe(false);
  });

  it('two data sources in the loss', () => {
    const { diagnostics } = variant('let x2 = aug(train)', 'let x2 = aug(test)');
    expect(only(diagnostics, 'multiple-training-data').message).toContain("'train', 'test'");
  });
});

describe('formatDiagnostic', () => {
  it('prints location, code, the source line, a caret line and help lines', () => {
    const { text, diagnostics } = variant('gaussian_noise(std: 0.1)', 'gausian_blur(sigma: 0.5)');
    const d = only(diagnostics, 'unknown-name');
    const lines = formatDiagnostic(d, text).split('\n');
    expect(lines[0]).toBe("q.ssl:17:12: error[unknown-name]: unknown function 'gausian_blur'");
    expect(lines[1]).toBe(' 17 |          | gausian_blur(sigma: 0.5)');
    expect(lines[2]).toBe('    |            ^' + '~'.repeat('gausian_blur'.length - 1));
    expect(lines[3]).toBe("  = help: did you mean 'gaussian_blur'?");
    expect(lines[4]).toMatch(/^ {2}= help: valid here: 'random_resized_crop'/);
  });

  it('prints related locations as notes and a single caret for empty spans', () => {
    const d: Diagnostic = {
      severity: 'warning',
      code: 'unused-definition',
      message: 'm',
      span: { uri: 'a.ssl', start: { offset: 2, line: 1, column: 3 }, end: { offset: 2, line: 1, column: 3 } },
      related: [{ message: 'here', span: { uri: 'a.ssl', start: { offset: 0, line: 1, column: 1 }, end: { offset: 1, line: 1, column: 2 } } }],
    };
    expect(formatDiagnostic(d, 'abcdef')).toBe('a.ssl:1:3: warning[unused-definition]: m\n 1 | abcdef\n   |   ^\n  = note: a.ssl:1:1: here');
  });
});

describe('suggestions', () => {
  it('Damerau-Levenshtein distance counts a transposition as one edit', () => {
    expect(editDistance('gaussian', 'gausian')).toBe(1);
    expect(editDistance('temperature', 'temprature')).toBe(1);
    expect(editDistance('ab', 'ba')).toBe(1);
    expect(editDistance('', 'abc')).toBe(3);
  });

  it('suggests only reasonably close names', () => {
    expect(closest('gausian_blur', ['gaussian_blur', 'random_flip'])).toBe('gaussian_blur');
    expect(closest('xyz', ['gaussian_blur', 'random_flip'])).toBeUndefined();
    expect(closest('ADAM', ['adam', 'sgd'])).toBe('adam');
  });

  it('codes are unique kebab-case', () => {
    expect(new Set(allCodes).size).toBe(allCodes.length);
    for (const c of allCodes) expect(c).toMatch(/^[a-z]+(-[a-z]+)*$/);
  });
});
