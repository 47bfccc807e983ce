/**
 * Online probes (`probe linear(..., online: true, every: ...)`): the IR they compile to, and the
 * diagnostics for an `every` that cannot take effect.
 */
import { describe, expect, it } from 'vitest';
import { compile, validateIr } from '../index.js';
import type { IR } from '../ir.js';

// 1000 / 100 = 10 steps per epoch.
const recipe = (probes: string) => `recipe t
data train = mnist(split: "train", batch: 100, limit: 1000)
data test = mnist(split: "test", limit: 500)
view aug = gaussian_noise(std: 0.1)
network enc = mlp([32, 16])
loss = vicreg(enc(aug(train)), enc(aug(train)))
optimizer sgd(lr: 0.1)
train epochs: 3
${probes}
`;

function compileProbes(probes: string) {
  const r = compile(recipe(probes), 'test.ssl');
  return { ir: r.ir, errors: r.diagnostics.filter((d) => d.severity === 'error') };
}

function ok(probes: string): IR {
  const { ir, errors } = compileProbes(probes);
  expect(errors.map((d) => `${d.code}: ${d.message}`)).toEqual([]);
  expect(validateIr(ir)).toEqual([]);
  return ir!;
}

describe('online linear probes', () => {
  it('a plain linear probe has no `online` field (IR unchanged for existing recipes)', () => {
    const ir = ok('probe linear(on: test)');
    expect(ir.probes[0]).not.toHaveProperty('online');
  });

  it('`online: true` reports every epoch by default, in steps', () => {
    const ir = ok('probe linear(on: test, online: true)');
    expect(ir.probes[0]).toMatchObject({ kind: 'linear', online: { everySteps: 10 }, features: { network: 'enc', stage: 0, dim: 16 } });
  });

  it('`every` in steps or epochs (fractions of an epoch round to whole steps)', () => {
    expect(ok('probe linear(on: test, online: true, every: 25 steps)').probes[0]).toMatchObject({ online: { everySteps: 25 } });
    expect(ok('probe linear(on: test, online: true, every: 2 epochs)').probes[0]).toMatchObject({ online: { everySteps: 20 } });
    expect(ok('probe linear(on: test, online: true, every: 0.25 epochs)').probes[0]).toMatchObject({ online: { everySteps: 3 } });
  });

  it('`online: false` is the same as leaving it out', () => {
    expect(ok('probe linear(on: test, online: false)').probes[0]).not.toHaveProperty('online');
  });

  it('`every` without `online: true` is an error at the argument, not silently ignored', () => {
    const { ir, errors } = compileProbes('probe linear(on: test, every: 2 epochs)');
    expect(ir).toBeUndefined();
    expect(errors.map((d) => d.code)).toEqual(['unknown-parameter']);
    expect(errors[0]!.span.start).toMatchObject({ line: 9, column: 24 });
    expect(errors[0]!.hint).toContain('online: true');
  });

  it('an `every` shorter than one step is out of range', () => {
    const { errors } = compileProbes('probe linear(on: test, online: true, every: 0.01 epochs)');
    expect(errors.map((d) => d.code)).toEqual(['value-out-of-range']);
  });

  it('knn has no online mode', () => {
    const { errors } = compileProbes('probe knn(on: test, online: true)');
    expect(errors.map((d) => d.code)).toEqual(['unknown-parameter']);
  });
});
