import { describe, expect, it } from 'vitest';
import { resample, SPARK_CHARS, sparkline } from './sparkline.js';

describe('sparkline', () => {
  it('maps min to ▁ and max to █, linearly in between', () => {
    expect(sparkline([0, 1, 2, 3, 4, 5, 6, 7], 8)).toBe('▁▂▃▄▅▆▇█');
    expect(sparkline([7, 6, 5, 4, 3, 2, 1, 0], 20)).toBe('█▇▆▅▄▃▂▁');
  });

  it('returns one char per value when shorter than width, never more than width', () => {
    expect(sparkline([1, 2, 3], 10)).toHaveLength(3);
    const long = Array.from({ length: 1000 }, (_, i) => i);
    const s = sparkline(long, 40);
    expect([...s]).toHaveLength(40);
    expect(s[0]).toBe('▁');
    expect(s.at(-1)).toBe('█');
  });

  it('averages buckets when downsampling', () => {
    expect(resample([0, 2, 4, 6], 2)).toEqual([1, 5]);
    expect(resample([1, 2, 3, 4, 5], 2)).toEqual([1.5, 4]);
  });

  it('draws a constant series as a flat middle line', () => {
    expect(sparkline([3, 3, 3, 3], 10)).toBe('▄▄▄▄');
    expect(sparkline([5], 10)).toBe('▄');
  });

  it('skips NaN and Infinity inside buckets and leaves all-bad slots blank', () => {
    expect(sparkline([0, Number.NaN, 7], 10)).toBe('▁ █');
    expect(sparkline([0, Infinity, -Infinity, 7], 10)).toBe('▁  █');
    expect(sparkline([Number.NaN, Number.NaN], 5)).toBe('  ');
    // A bucket mixing good and bad values uses the good ones.
    expect(resample([1, Number.NaN, 3, Infinity], 2)).toEqual([1, 3]);
  });

  it('handles empty input and degenerate widths', () => {
    expect(sparkline([], 10)).toBe('');
    expect(sparkline([1, 2, 3], 0)).toBe('');
    expect(sparkline([1, 2, 3], -4)).toBe('');
    expect(sparkline([1, 2, 3], 2.9)).toHaveLength(2);
  });

  it('only uses the eight block characters (plus space for gaps)', () => {
    const s = sparkline(Array.from({ length: 500 }, (_, i) => Math.sin(i / 10) * 1e6), 60);
    for (const ch of s) expect([...SPARK_CHARS, ' ']).toContain(ch);
  });
});
