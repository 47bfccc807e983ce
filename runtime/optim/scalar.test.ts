import { describe, expect, it } from 'vitest';
import type { Ramp } from '../../compiler/ir.js';
import { resolveParams, scalarAt } from './scalar.js';

const ramp = (from: number, to: number, shape: Ramp['shape'], startStep: number, endStep: number): Ramp => ({
  kind: 'ramp',
  from,
  to,
  shape,
  startStep,
  endStep,
});

describe('scalarAt', () => {
  it('a constant is itself at every step', () => {
    expect([0, 1, 10_000].map((k) => scalarAt(0.5, k))).toEqual([0.5, 0.5, 0.5]);
  });

  it('linear: from at start, to at end, evenly spaced in between, held outside', () => {
    const r = ramp(0.04, 0.07, 'linear', 10, 40);
    expect(scalarAt(r, 0)).toBe(0.04); // before the start: from
    expect(scalarAt(r, 10)).toBe(0.04);
    expect(scalarAt(r, 40)).toBe(0.07);
    expect(scalarAt(r, 1000)).toBe(0.07); // holds `to` afterwards
    for (let k = 10; k <= 40; k++) expect(scalarAt(r, k)).toBeCloseTo(0.04 + (0.03 * (k - 10)) / 30, 14);
    expect(scalarAt(r, 25)).toBeCloseTo(0.055, 14);
    // Decreasing ramps work the same way.
    const d = ramp(1, 0, 'linear', 0, 4);
    expect([0, 1, 2, 3, 4, 5].map((k) => scalarAt(d, k))).toEqual([1, 0.75, 0.5, 0.25, 0, 0]);
  });

  it('cosine: endpoints exact, midpoint (from + to) / 2, the ir.ts formula, monotone, held after end', () => {
    const r = ramp(0.996, 1, 'cosine', 0, 100);
    expect(scalarAt(r, 0)).toBe(0.996);
    expect(scalarAt(r, 100)).toBe(1);
    expect(scalarAt(r, 101)).toBe(1);
    expect(scalarAt(r, 1e6)).toBe(1);
    expect(scalarAt(r, 50)).toBeCloseTo((0.996 + 1) / 2, 14);
    for (let k = 0; k <= 100; k++) {
      const t = k / 100;
      expect(scalarAt(r, k)).toBeCloseTo(1 - (0.004 * (1 + Math.cos(Math.PI * t))) / 2, 14);
      if (k > 0) expect(scalarAt(r, k)).toBeGreaterThanOrEqual(scalarAt(r, k - 1));
    }
    // Slow at both ends (cosine), unlike linear: a quarter of the way it has moved (1 - cos(pi/4)) / 2.
    expect(scalarAt(r, 25)).toBeCloseTo(0.996 + 0.004 * (1 - Math.SQRT1_2) / 2, 14);
    // With an offset start.
    const o = ramp(0, 2, 'cosine', 20, 30);
    expect(scalarAt(o, 19)).toBe(0);
    expect(scalarAt(o, 25)).toBeCloseTo(1, 14);
    expect(scalarAt(o, 30)).toBe(2);
  });

  it('endStep === startStep is a jump to `to` at startStep', () => {
    for (const shape of ['linear', 'cosine'] as const) {
      const r = ramp(3, 7, shape, 5, 5);
      expect([0, 4, 5, 6, 100].map((k) => scalarAt(r, k))).toEqual([3, 3, 7, 7, 7]);
      expect(scalarAt(ramp(3, 7, shape, 0, 0), 0)).toBe(7);
    }
  });

  it('rejects bad steps and malformed ramps', () => {
    const r = ramp(0, 1, 'linear', 0, 10);
    expect(() => scalarAt(r, -1)).toThrow(/step/);
    expect(() => scalarAt(r, 1.5)).toThrow(/step/);
    expect(() => scalarAt(r, Number.NaN)).toThrow(/step/);
    expect(() => scalarAt(ramp(0, 1, 'linear', 10, 5), 0)).toThrow(/startStep <= endStep/);
    expect(() => scalarAt({ ...r, shape: 'exp' } as unknown as Ramp, 3)).toThrow(/unknown ramp shape/);
  });
});

describe('resolveParams', () => {
  it('evaluates every parameter at the step, keeping the keys', () => {
    const params = { temperature: 0.1, teacher_temperature: ramp(0.04, 0.07, 'linear', 0, 30), queue: 0 };
    expect(resolveParams(params, 0)).toEqual({ temperature: 0.1, teacher_temperature: 0.04, queue: 0 });
    expect(resolveParams(params, 15).teacher_temperature).toBeCloseTo(0.055, 14);
    expect(resolveParams(params, 30)).toEqual({ temperature: 0.1, teacher_temperature: 0.07, queue: 0 });
    expect(resolveParams({}, 3)).toEqual({});
  });
});
