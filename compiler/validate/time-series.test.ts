/**
 * The time-series augmentations in the compiler: catalog defaults and bounds, lowering to AugOps,
 * and the static shape checks that keep image ops off sequences [T, C] and time-series ops off
 * images [H, W, C], each with a stable code, the span of the offending call and a suggestion.
 */
import { describe, expect, it } from 'vitest';
import type { Diagnostic } from '../diagnostics.js';
import { compile } from '../index.js';
import type { AugOp } from '../ir.js';

/** A small contrastive recipe on CBF series (128 steps, 1 channel) with the two given views. */
function recipe(weak: string, strong = 'jitter(sigma: 0.3)', data = 'cbf'): string {
  return `recipe ts

data train = ${data}(split: "train", batch: 64)
data test  = ${data}(split: "test")

view weak   = ${weak}
view strong = ${strong}

network encoder   = ${data === 'cbf' ? 'conv1d([32, 64], kernel: 5)' : 'convnet([32, 64])'}
network projector = mlp([64, 32])

let x1 = weak(train)
let x2 = strong(train)
loss = nt_xent(projector(encoder(x1)), projector(encoder(x2)), temperature: 0.2)

optimizer adam(lr: 1e-3)
schedule  constant()
train     epochs: 1, seed: 0

probe linear(on: test)
`;
}

function errors(text: string, overrides?: string[]): Diagnostic[] {
  return compile(text, 'ts.ssl', overrides ? { overrides } : {}).diagnostics.filter((d) => d.severity === 'error');
}

function only(text: string, code: string): Diagnostic {
  const found = errors(text);
  expect(found.map((d) => d.code), JSON.stringify(found.map((d) => d.message))).toEqual([code]);
  return found[0]!;
}

const spanText = (text: string, d: Diagnostic | { start: { offset: number }; end: { offset: number } }): string => {
  const s = 'span' in d ? d.span : d;
  return text.slice(s.start.offset, s.end.offset);
};

function weakOps(text: string, overrides?: string[]): AugOp[] {
  const r = compile(text, 'ts.ssl', overrides ? { overrides } : {});
  expect(r.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
  return r.ir!.views['weak']!.ops;
}

describe('time-series augmentations lower to AugOps', () => {
  it('with the survey defaults when arguments are left out, on [128, 1] series, keeping the shape', () => {
    const text = recipe('jitter() | scaling() | permutation() | time_warp() | crop(100) | zero_spans()');
    const r = compile(text, 'ts.ssl');
    expect(r.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
    const strip = (ops: AugOp[]) => ops.map(({ origin: _, ...rest }) => rest);
    expect(strip(r.ir!.views['weak']!.ops)).toEqual([
      { kind: 'jitter', sigma: 0.03 },
      { kind: 'scaling', sigma: 0.1 },
      { kind: 'permutation', maxSegments: 5 },
      { kind: 'time_warp', sigma: 0.2, knots: 4 },
      { kind: 'crop', size: 100 },
      { kind: 'zero_spans', span: 5, ratio: 0.15 },
    ]);
    expect(r.ir!.views['weak']!.outputShape).toEqual([128, 1]);
    const origin = r.ir!.views['weak']!.ops[4]!.origin;
    expect(spanText(text, origin)).toBe('crop(100)');
  });

  it('with the given arguments, inside random_apply too; --set reaches them', () => {
    const text = recipe('scaling(sigma: 0.5) | random_apply(0.5, time_warp(sigma: 0.1, knots: 3), permutation(max_segments: 8))', 'zero_spans(span: 10, ratio: 0.25) | crop(size: 120)');
    const ops = weakOps(text);
    expect(ops[0]).toMatchObject({ kind: 'scaling', sigma: 0.5 });
    expect(ops[1]).toMatchObject({ kind: 'random_apply', p: 0.5, ops: [{ kind: 'time_warp', sigma: 0.1, knots: 3 }, { kind: 'permutation', maxSegments: 8 }] });
    const r = compile(text, 'ts.ssl');
    expect(r.ir!.views['strong']!.ops).toMatchObject([{ kind: 'zero_spans', span: 10, ratio: 0.25 }, { kind: 'crop', size: 120 }]);
    expect(weakOps(text, ['view.weak.scaling.sigma=0.2'])[0]).toMatchObject({ kind: 'scaling', sigma: 0.2 });
  });

  it('parameter bounds are checked at the argument', () => {
    for (const [op, arg] of [
      ['jitter(sigma: -0.1)', '-0.1'],
      ['scaling(sigma: -1)', '-1'],
      ['permutation(max_segments: 0)', '0'],
      ['time_warp(knots: 0)', '0'],
      ['crop(0)', '0'],
      ['zero_spans(ratio: 1)', '1'],
      ['zero_spans(span: 0)', '0'],
    ] as const) {
      const text = recipe(op);
      const d = only(text, 'value-out-of-range');
      expect(spanText(text, d)).toBe(arg);
    }
    expect(only(recipe('crop()'), 'missing-parameter').message).toBe("crop needs 'size'");
    expect(only(recipe('permutation(max_segments: 2.5)'), 'type-mismatch').hint).toContain('round it');
  });

  it('lengths that do not fit the series are errors at the argument', () => {
    for (const [op, arg, message] of [
      ['crop(129)', '129', 'crop size 129 is longer than the 128 time steps'],
      ['zero_spans(span: 200)', 'span: 200', 'zero_spans span 200 is longer than the 128 time steps'],
      ['permutation(max_segments: 300)', 'max_segments: 300', 'permutation max_segments 300 is more than the 128 time steps'],
      ['time_warp(knots: 127)', 'knots: 127', 'time_warp knots 127 (+ 2 end points) are more than the 128 time steps'],
    ] as const) {
      const text = recipe(op);
      const d = only(text, 'value-out-of-range');
      expect(d.message).toBe(message);
      expect(spanText(text, d)).toBe(arg);
    }
    expect(errors(recipe('crop(128) | time_warp(knots: 126) | permutation(max_segments: 128)'))).toEqual([]);
  });
});

describe('image ops and time-series ops are kept to their data', () => {
  it.each([
    ['random_resized_crop(28)', 'crop(SIZE)'],
    ['random_flip()', 'time-series op'],
    ['color_jitter(brightness: 0.2)', 'scaling(sigma: ...)'],
    ['gaussian_blur()', 'time-series op'],
    ['gaussian_noise(std: 0.1)', 'jitter(sigma: ...)'],
  ])('%s on sequences [T, C] is a shape-mismatch naming the time-series alternative', (op, alternative) => {
    const text = recipe(`jitter() | ${op}`);
    const d = only(text, 'shape-mismatch');
    expect(d.message).toContain('needs an image [H, W, C], got [128, 1] (a sequence [T, C])');
    expect(d.hint).toContain(alternative);
    expect(d.hint).toContain('jitter, scaling, permutation, time_warp, crop, zero_spans');
    expect(spanText(text, d)).toBe('weak(train)');
    expect(spanText(text, d.related!.find((r) => r.message === 'defined here')!.span)).toBe(op);
  });

  it.each(['jitter()', 'scaling()', 'permutation()', 'time_warp()', 'crop(20)', 'zero_spans()'])('%s on images [H, W, C] is a shape-mismatch naming the image ops', (op) => {
    const text = recipe(`random_flip() | ${op}`, 'gaussian_noise(std: 0.1)', 'mnist');
    const d = only(text, 'shape-mismatch');
    expect(d.message).toContain('is a time-series op: it needs a sequence [T, C], got [28, 28, 1] (an image [H, W, C])');
    expect(d.hint).toBe('for images use random_resized_crop, random_flip, color_jitter, gaussian_blur, gaussian_noise');
    expect(spanText(text, d.related!.find((r) => r.message === 'defined here')!.span)).toBe(op);
  });

  it('images keep every image op (gaussian_noise and color_jitter included)', () => {
    expect(errors(recipe('random_resized_crop(28, scale: 0.5..1.0) | random_flip() | color_jitter(brightness: 0.2) | gaussian_blur() | gaussian_noise(std: 0.1)', 'gaussian_noise(std: 0.1)', 'mnist'))).toEqual([]);
  });
});

describe('mask_spans (the graph mask) and zero_spans (the view op)', () => {
  it('mask_spans in a view is a type-mismatch at its name that suggests zero_spans', () => {
    const text = recipe('mask_spans(span: 5, ratio: 0.2)');
    const d = only(text, 'type-mismatch');
    expect(spanText(text, d)).toBe('mask_spans');
    expect(d.message).toContain('builds a token mask for a network');
    expect(d.hint).toContain('zero_spans(span: 5, ratio: 0.15)');
  });

  it('mask_spans in a let still builds the token mask a transformer over time windows reads', () => {
    const text = `recipe d2v
data train = cbf(split: "train", batch: 64)
data test  = cbf(split: "test")
view aug = jitter(sigma: 0.1) | zero_spans(span: 4, ratio: 0.1)
network student = transformer(patch: 8, dim: 32, depth: 2, heads: 2, pool: none)
network head    = mlp([32])
teacher target  = ema(student, momentum: 0.99)
let x = aug(train)
let m = mask_spans(x, patch: 8, span: 2, ratio: 0.5)
loss = smooth_l1(head(student(x, mask: m)), stopgrad(target(x, layers: 2)), mask: m)
optimizer adamw(lr: 1e-3)
schedule  constant()
train     epochs: 1, seed: 0
probe linear(on: test)
`;
    const r = compile(text, 'd2v.ssl');
    expect(r.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
    expect(r.ir!.graph.nodes.find((n) => n.kind === 'mask')).toMatchObject({ mask: { kind: 'spans', span: 2, ratio: 0.5, grid: [16], patch: [8] } });
    expect(r.ir!.views['aug']!.ops.map((o) => o.kind)).toEqual(['jitter', 'zero_spans']);
  });

  it('a view op given where a mask is expected says what a mask is', () => {
    const text = recipe('jitter()').replace('projector(encoder(x1))', 'projector(encoder(x1, mask: zero_spans()))');
    const found = errors(text);
    expect(found.map((d) => d.code)).toContain('type-mismatch');
    expect(found.find((d) => d.code === 'type-mismatch')!.message).toContain('mask_patches(...) or mask_spans(...)');
  });
});
