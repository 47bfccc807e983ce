import { describe, expect, it } from 'vitest';
import { formatCount, formatDuration, formatLoss, formatLr, formatPercent, formatRate, formatSpan } from './format.js';

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
});
