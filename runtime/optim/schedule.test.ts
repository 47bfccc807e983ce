import { describe, expect, it } from 'vitest';
import type { Schedule, Span } from '../../compiler/ir.js';
import { learningRateAt } from './schedule.js';

const origin: Span = { uri: 'test', start: { offset: 0, line: 1, column: 1 }, end: { offset: 0, line: 1, column: 1 } };

describe('learningRateAt', () => {
  it('constant returns the base rate at every step', () => {
    const s: Schedule = { kind: 'constant', origin: null };
    expect([0, 1, 1000].map((k) => learningRateAt(s, 0.3, k))).toEqual([0.3, 0.3, 0.3]);
  });

  it('warmup_cosine: linear warmup (step + 1) / W, cosine to finalLr, clamped past the end', () => {
    const s: Schedule = { kind: 'warmup_cosine', warmupSteps: 10, totalSteps: 110, finalLr: 0.01, origin };
    const base = 1;
    expect(learningRateAt(s, base, 0)).toBeCloseTo(0.1, 12);
    expect(learningRateAt(s, base, 4)).toBeCloseTo(0.5, 12);
    expect(learningRateAt(s, base, 9)).toBeCloseTo(1, 12); // warmup ends at the base rate
    expect(learningRateAt(s, base, 10)).toBeCloseTo(1, 12); // cosine starts at the base rate
    expect(learningRateAt(s, base, 60)).toBeCloseTo(0.01 + 0.99 * 0.5, 12); // half-way
    expect(learningRateAt(s, base, 35)).toBeCloseTo(0.01 + 0.99 * 0.5 * (1 + Math.cos(Math.PI / 4)), 12);
    expect(learningRateAt(s, base, 110)).toBeCloseTo(0.01, 12);
    expect(learningRateAt(s, base, 500)).toBeCloseTo(0.01, 12);
    // Monotone non-increasing after warmup.
    for (let k = 10; k < 120; k++) expect(learningRateAt(s, base, k + 1)).toBeLessThanOrEqual(learningRateAt(s, base, k) + 1e-15);
  });

  it('warmup_cosine without warmup starts at the base rate; rejects bad steps', () => {
    const s: Schedule = { kind: 'warmup_cosine', warmupSteps: 0, totalSteps: 4, finalLr: 0, origin };
    expect([0, 1, 2, 3, 4].map((k) => learningRateAt(s, 2, k))).toEqual([2, 1 + Math.cos(Math.PI / 4), 1 + Math.cos(Math.PI / 2), 1 + Math.cos((3 * Math.PI) / 4), 0].map((v, i) => (i === 0 ? 2 : v)));
    expect(() => learningRateAt(s, 1, -1)).toThrow(/step/);
    expect(() => learningRateAt(s, 1, 1.5)).toThrow(/step/);
  });
});
