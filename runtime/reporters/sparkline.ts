/** Eight block heights, lowest first. */
export const SPARK_CHARS = ['▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'] as const;

/** Character for a slot whose values are all NaN/±Infinity. */
export const SPARK_GAP = ' ';

/**
 * Mean of the finite values in `values[from, to)`; NaN when there are none.
 * NaN and ±Infinity (a diverged loss) are skipped rather than poisoning the bucket.
 */
function finiteMean(values: readonly number[], from: number, to: number): number {
  let sum = 0;
  let count = 0;
  for (let i = from; i < to; i++) {
    const v = values[i];
    if (Number.isFinite(v)) {
      sum += v;
      count++;
    }
  }
  return count === 0 ? Number.NaN : sum / count;
}

/**
 * Resamples `values` to at most `width` points by averaging equal-width buckets.
 * A series shorter than `width` is returned as is: stretching it would invent resolution.
 */
export function resample(values: readonly number[], width: number): number[] {
  const w = Math.max(0, Math.floor(width));
  const n = values.length;
  if (n === 0 || w === 0) return [];
  if (n <= w) return values.map((v) => (Number.isFinite(v) ? v : Number.NaN));
  const out: number[] = [];
  for (let i = 0; i < w; i++) {
    const from = Math.floor((i * n) / w);
    const to = Math.floor(((i + 1) * n) / w);
    out.push(finiteMean(values, from, Math.max(to, from + 1)));
  }
  return out;
}

/**
 * A one-line chart of `values` using ▁▂▃▄▅▆▇█, scaled between the series' finite min and max.
 *
 * - Longer series are bucket-averaged down to `width` characters; shorter ones get one character
 *   per value (so the result has `min(values.length, width)` characters).
 * - A constant series draws a flat middle line (▄).
 * - Non-finite values (NaN, ±Infinity) are skipped inside a bucket; a bucket with no finite value
 *   is drawn as a space.
 * - Empty input or a width below 1 gives ''.
 */
export function sparkline(values: readonly number[], width: number): string {
  const points = resample(values, width);
  if (points.length === 0) return '';
  let min = Infinity;
  let max = -Infinity;
  for (const v of points) {
    if (!Number.isFinite(v)) continue;
    if (v < min) min = v;
    if (v > max) max = v;
  }
  const top = SPARK_CHARS.length - 1;
  const range = max - min;
  return points
    .map((v) => {
      if (!Number.isFinite(v)) return SPARK_GAP;
      if (!(range > 0)) return SPARK_CHARS[3];
      const level = Math.round(((v - min) / range) * top);
      return SPARK_CHARS[Math.min(top, Math.max(0, level))];
    })
    .join('');
}
