import { describe, expect, it } from 'vitest';
import {
  formatCount,
  formatDuration,
  formatLoss,
  formatLr,
  formatMomenta,
  formatMomentum,
  formatPercent,
  formatRate,
  formatSpan,
  formatTerms,
  formatValue,
  groupTerms,
} from './format.js';

describe('formatters', () => {
  it('formats durations as m:ss or h:mm:ss', () => {
    expect(formatDuration(42_000)).toBe('0:42');
    expect(formatDuration(59_600)).toBe('1:00');
    expect(formatDuration(3_723_000)).toBe('1:02:03');
    expect(formatDuration(null)).toBe('--:--');
    expect(formatDuration(Number.NaN)).toBe('--:--');
  });

  it('formats loss, lr, rates, percents and counts', () => {
    expect(formatLoss(4.81234)).toBe('4.8123');
    expect(formatLoss(Number.NaN)).toBe('nan');
    expect(formatLoss(Infinity)).toBe('inf');
    expect(formatLr(0.001)).toBe('1.00e-3');
    expect(formatLr(0.00025)).toBe('2.50e-4');
    expect(formatLr(0)).toBe('0');
    expect(formatRate(812.4)).toBe('812');
    expect(formatPercent(0.9371)).toBe('93.71%');
    expect(formatCount(812)).toBe('812');
    expect(formatCount(33_024)).toBe('33.0k');
    expect(formatCount(1_234_567)).toBe('1.23M');
    expect(formatSpan({ uri: 'a.ssl', start: { line: 3, column: 7 } })).toBe('a.ssl:3:7');
  });

  it('formats term values and the std with 3 significant digits', () => {
    expect([4.1234, 57.93, 0.05231, 0.5, -0.98, 99.96, 999.7, 12345.6].map(formatValue)).toEqual([
      '4.12', '57.9', '0.0523', '0.500', '-0.980', '100', '1000', '12346',
    ]);
    expect([0.0001234, 2e6, 0].map(formatValue)).toEqual(['1.23e-4', '2.00e6', '0']);
    expect([Number.NaN, -Infinity, null].map(formatValue)).toEqual(['nan', '-inf', '-']);
  });

  it('formats momentum with enough decimals to tell it from 1', () => {
    expect([0.996, 0.9962, 0.999, 0.99996, 0.99999, 1].map(formatMomentum)).toEqual([
      '0.9960', '0.9962', '0.9990', '0.99996', '0.99999', '1',
    ]);
    expect(formatMomenta({ target: 0.9962 })).toBe('0.9962');
    expect(formatMomenta({ target: 0.9962, key: 0.999 })).toBe('target 0.9962, key 0.9990');
  });

  it('formats terms with sub-terms by part name after their term', () => {
    expect(formatTerms({ nt_xent: 4.1234, 'nt_xent#2': 4.1 })).toBe('nt_xent 4.12, nt_xent#2 4.10');
    expect(
      formatTerms({ vicreg: 57.93, 'vicreg/invariance': 29.41, 'vicreg/variance': 4.731, 'vicreg/covariance': 23.79, byol: 0.31 }),
    ).toBe('vicreg 57.9 (invariance 29.4, variance 4.73, covariance 23.8), byol 0.310');
    // Parts without their term's own value still group.
    expect(formatTerms({ 'a/x': 1, 'a/y': 2 })).toBe('a (x 1.00, y 2.00)');
    expect(groupTerms({ 'a/x': 1, a: 3 })).toEqual([{ name: 'a', value: 3, parts: [{ name: 'x', value: 1 }] }]);
  });
});
