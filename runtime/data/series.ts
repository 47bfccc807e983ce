/**
 * Missing values and unequal lengths in time-series archives (UCR, UEA), decided once for both:
 *
 * - A series' length is up to its last observed value; `NaN` (UCR) / `?` (UEA) after it is the
 *   padding the archives use for varying-length sets.
 * - Every example of a dataset gets the longest length over both splits (train and test must share
 *   a shape for one network), padded at the end with zeros: the usual sequence padding, and what
 *   a conv1d or transformer sees as "no signal" (the archive's padded variants use low-amplitude
 *   noise for the same purpose).
 * - A value missing inside a series is filled by linear interpolation between its observed
 *   neighbours (the archive's recommendation for its few sets with gaps, Dau et al. 2019); missing
 *   values before the first observation take the first observed value.
 */

/** Index after the last observed (non-NaN) value: the series' length. */
export function observedLength(raw: readonly number[]): number {
  let n = raw.length;
  while (n > 0 && Number.isNaN(raw[n - 1])) n--;
  return n;
}

/**
 * Writes `raw` (NaN = missing) into channel `channel` of the [T, C] example at `out[offset..]`:
 * gaps interpolated, leading gaps filled with the first value, zeros from its length up to T.
 * `raw` must have at least one observed value and at most T of them.
 */
export function writeSeries(raw: readonly number[], out: Float32Array, offset: number, channels: number, channel: number, T: number): void {
  const n = observedLength(raw);
  let prev = -1;
  for (let t = 0; t < n; t++) {
    if (Number.isNaN(raw[t])) continue;
    if (prev < 0) {
      for (let u = 0; u < t; u++) out[offset + u * channels + channel] = raw[t];
    } else {
      for (let u = prev + 1; u < t; u++) out[offset + u * channels + channel] = raw[prev] + ((raw[t] - raw[prev]) * (u - prev)) / (t - prev);
    }
    out[offset + t * channels + channel] = raw[t];
    prev = t;
  }
  for (let t = n; t < T; t++) out[offset + t * channels + channel] = 0;
}

/** Class names in id order: numeric order when every label is a number, else code-unit order. */
export function sortLabels(labels: Iterable<string>): string[] {
  const unique = [...new Set(labels)];
  const numeric = unique.every((l) => l !== '' && Number.isFinite(Number(l)));
  return numeric ? unique.sort((a, b) => Number(a) - Number(b)) : unique.sort();
}
