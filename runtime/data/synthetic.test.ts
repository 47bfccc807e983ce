import { describe, expect, it } from 'vitest';
import { generateCbf, generateSyntheticControl, zNormalizeSeries } from './synthetic.js';

interface Series {
  x: Float32Array;
  labels: Uint8Array;
}

/** Row i of x as a plain array (t = 1..L is index 0..L-1). */
function row(x: Float32Array, i: number, length: number): number[] {
  return Array.from(x.subarray(i * length, (i + 1) * length));
}

function meanOf(xs: readonly number[]): number {
  return xs.reduce((a, b) => a + b, 0) / xs.length;
}

function varianceOf(xs: readonly number[]): number {
  const m = meanOf(xs);
  return meanOf(xs.map((v) => (v - m) ** 2));
}

/** Least-squares slope of ys against t = first, first + 1, ... */
function slope(ys: readonly number[]): number {
  const n = ys.length;
  const tBar = (n - 1) / 2;
  const yBar = meanOf(ys);
  let num = 0;
  let den = 0;
  ys.forEach((y, t) => {
    num += (t - tBar) * (y - yBar);
    den += (t - tBar) ** 2;
  });
  return num / den;
}

/** Rows of one class. */
function ofClass(d: Series, length: number, label: number): number[][] {
  const out: number[][] = [];
  for (let i = 0; i < d.labels.length; i++) if (d.labels[i] === label) out.push(row(d.x, i, length));
  return out;
}

/** Naive 1-NN with squared Euclidean distance (the UCR archive's ED baseline). */
function oneNnEuclidean(train: Series, test: Series, length: number): number {
  let correct = 0;
  for (let i = 0; i < test.labels.length; i++) {
    let best = Infinity;
    let label = -1;
    for (let j = 0; j < train.labels.length; j++) {
      let d = 0;
      for (let t = 0; t < length; t++) d += (test.x[i * length + t] - train.x[j * length + t]) ** 2;
      if (d < best) [best, label] = [d, train.labels[j]];
    }
    if (label === test.labels[i]) correct++;
  }
  return correct / test.labels.length;
}

/** Naive unconstrained DTW (squared differences), 1-NN accuracy. */
function oneNnDtw(train: Series, test: Series, length: number): number {
  const prev = new Float64Array(length + 1);
  const cur = new Float64Array(length + 1);
  const dtw = (a: number, b: number): number => {
    prev.fill(Infinity);
    prev[0] = 0;
    for (let i = 1; i <= length; i++) {
      cur.fill(Infinity);
      for (let j = 1; j <= length; j++) {
        const e = test.x[a + i - 1] - train.x[b + j - 1];
        cur[j] = e * e + Math.min(prev[j], prev[j - 1], cur[j - 1]);
      }
      prev.set(cur);
    }
    return prev[length];
  };
  let correct = 0;
  for (let i = 0; i < test.labels.length; i++) {
    let best = Infinity;
    let label = -1;
    for (let j = 0; j < train.labels.length; j++) {
      const d = dtw(i * length, j * length);
      if (d < best) [best, label] = [d, train.labels[j]];
    }
    if (label === test.labels[i]) correct++;
  }
  return correct / test.labels.length;
}

describe.each([
  ['generateCbf', generateCbf, 128, 3],
  ['generateSyntheticControl', generateSyntheticControl, 60, 6],
] as const)('%s', (_name, generate, length, numClasses) => {
  it('has shape [n, length, 1], round-robin balanced labels, finite values', () => {
    const d = generate(601, 3);
    expect(d.length).toBe(length);
    expect(d.numClasses).toBe(numClasses);
    expect(d.x).toBeInstanceOf(Float32Array);
    expect(d.x.length).toBe(601 * length);
    expect(Array.from(d.labels.slice(0, 2 * numClasses))).toEqual([...Array(2 * numClasses).keys()].map((i) => i % numClasses));
    const counts = new Array<number>(numClasses).fill(0);
    for (const l of d.labels) counts[l]!++;
    expect(Math.max(...counts) - Math.min(...counts)).toBeLessThanOrEqual(1);
    expect(d.x.every(Number.isFinite)).toBe(true);
    expect(generate(0, 1).x.length).toBe(0);
    expect(() => generate(-1, 1)).toThrow(RangeError);
    expect(() => generate(2.5, 1)).toThrow(RangeError);
  });

  it('is deterministic for a seed, different across seeds; a prefix of n is the first examples of more', () => {
    const a = generate(30, 7);
    expect(Array.from(a.x)).toEqual(Array.from(generate(30, 7).x));
    expect(Array.from(a.x)).not.toEqual(Array.from(generate(30, 8).x));
    expect(Array.from(generate(60, 7, { normalize: false }).x.slice(0, 30 * length))).toEqual(Array.from(generate(30, 7, { normalize: false }).x));
  });

  it('z-normalises each series by default (mean 0, std 1), as the UCR archive does', () => {
    const d = generate(20, 5);
    for (let i = 0; i < 20; i++) {
      const r = row(d.x, i, length);
      expect(Math.abs(meanOf(r))).toBeLessThan(1e-5);
      expect(Math.sqrt(varianceOf(r))).toBeCloseTo(1, 4);
    }
    const raw = generate(20, 5, { normalize: false });
    const again = zNormalizeSeries(Float32Array.from(raw.x), length);
    expect(Array.from(again)).toEqual(Array.from(d.x));
  });
});

describe('CBF structure (raw values)', () => {
  const d = generateCbf(900, 11, { normalize: false });
  const [cylinder, bell, funnel] = [0, 1, 2].map((c) => ofClass(d, 128, c)) as [number[][], number[][], number[][]];
  const at = (rows: number[][], t: number): number => meanOf(rows.map((r) => r[t - 1]!));

  it('before t = 16 every class is N(0, 1) noise', () => {
    for (const rows of [cylinder, bell, funnel]) {
      const values = rows.flatMap((r) => r.slice(0, 15));
      expect(Math.abs(meanOf(values))).toBeLessThan(0.05);
      expect(varianceOf(values)).toBeGreaterThan(0.9);
      expect(varianceOf(values)).toBeLessThan(1.1);
    }
  });

  it('cylinder: flat at 6 + eta on [a, b], eta drawn once per series; onset a uniform on 16..32', () => {
    // Every cylinder is on over t = 32..48 (a <= 32, b >= a + 32).
    const plateau = cylinder.map((r) => meanOf(r.slice(31, 48)));
    expect(Math.abs(meanOf(plateau) - 6)).toBeLessThan(0.15);
    // Var of a series' plateau mean: var(eta) + var(eps) / 17 = 1 + 1/17 (eta per series, not per step).
    expect(varianceOf(plateau)).toBeGreaterThan(0.85);
    expect(varianceOf(plateau)).toBeLessThan(1.3);
    expect(Math.abs(meanOf(cylinder.map((r) => slope(r.slice(31, 48)))))).toBeLessThan(0.01);
    // P(a <= t) = (t - 15) / 17 for t in 16..32, so the class mean ramps 0 -> 6 across it.
    expect(Math.abs(at(cylinder, 15))).toBeLessThan(0.2);
    expect(at(cylinder, 24)).toBeGreaterThan((6 * 9) / 17 - 0.5);
    expect(at(cylinder, 24)).toBeLessThan((6 * 9) / 17 + 0.5);
    expect(at(cylinder, 33)).toBeGreaterThan(5.7);
  });

  it('bell ramps up and funnel ramps down on [a, b]: mean slope +-E[(6 + eta) / (b - a)] = +-6 ln(3) / 64', () => {
    const expected = (6 * Math.log(3)) / 64; // E[1 / L] for L uniform on 32..96 is about ln(96 / 32) / 64
    const bellSlope = meanOf(bell.map((r) => slope(r.slice(31, 48))));
    const funnelSlope = meanOf(funnel.map((r) => slope(r.slice(31, 48))));
    expect(Math.abs(bellSlope - expected)).toBeLessThan(0.015);
    expect(Math.abs(funnelSlope + expected)).toBeLessThan(0.015);
    // The bell starts at 0 at a and ends near 6 at b; the funnel the other way round.
    expect(at(bell, 33)).toBeLessThan(at(bell, 48));
    expect(at(funnel, 33)).toBeGreaterThan(at(funnel, 48));
  });

  it('1-NN on the UCR protocol (30 train / 900 test, z-normalised) lands near the archive: ED 0.852, DTW 0.997', () => {
    const accuracies = [0, 1, 2, 3, 4, 5].map((s) => oneNnEuclidean(generateCbf(30, 100 + s), generateCbf(900, 200 + s), 128));
    const ed = meanOf(accuracies);
    console.log(`CBF 1-NN Euclidean over 6 draws of 30/900: ${accuracies.map((a) => a.toFixed(3)).join(' ')} (mean ${ed.toFixed(3)}; UCR 0.852)`);
    expect(ed).toBeGreaterThan(0.75);
    expect(ed).toBeLessThan(0.9);
    const dtw = oneNnDtw(generateCbf(30, 100), generateCbf(300, 200), 128);
    console.log(`CBF 1-NN DTW 30/300: ${dtw.toFixed(3)} (UCR 0.997)`);
    expect(dtw).toBeGreaterThan(0.97);
  });
});

describe('SyntheticControl structure (raw values)', () => {
  const d = generateSyntheticControl(600, 13, { normalize: false });
  const classes = [0, 1, 2, 3, 4, 5].map((c) => ofClass(d, 60, c));
  const [normal, cyclic, up, down, shiftUp, shiftDown] = classes as [number[][], number[][], number[][], number[][], number[][], number[][]];

  /** Autocorrelation of a de-meaned series at `lag`. */
  const autocorrelation = (r: number[], lag: number): number => {
    const m = meanOf(r);
    let num = 0;
    let den = 0;
    for (let t = 0; t < r.length; t++) {
      den += (r[t]! - m) ** 2;
      if (t + lag < r.length) num += (r[t]! - m) * (r[t + lag]! - m);
    }
    return num / den;
  };
  const peakLag = (r: number[]): { lag: number; value: number } => {
    let best = { lag: 0, value: -Infinity };
    for (let lag = 7; lag <= 18; lag++) {
      const value = autocorrelation(r, lag);
      if (value > best.value) best = { lag, value };
    }
    return best;
  };

  it('normal: m + r s with r ~ U[-3, 3]: every value in [24, 36], mean 30, variance 4 * 36 / 12 = 12, no trend', () => {
    const values = normal.flat();
    expect(Math.min(...values)).toBeGreaterThanOrEqual(24);
    expect(Math.max(...values)).toBeLessThanOrEqual(36);
    expect(Math.abs(meanOf(values) - 30)).toBeLessThan(0.1);
    expect(Math.abs(varianceOf(values) - 12)).toBeLessThan(0.5);
    for (const r of normal) expect(Math.abs(slope(r))).toBeLessThan(0.12);
  });

  it('trends: every increasing series has slope in [0.2, 0.5] and every decreasing one in [-0.5, -0.2] (+- noise)', () => {
    for (const r of up) {
      expect(slope(r)).toBeGreaterThan(0.1);
      expect(slope(r)).toBeLessThan(0.6);
    }
    for (const r of down) {
      expect(slope(r)).toBeLessThan(-0.1);
      expect(slope(r)).toBeGreaterThan(-0.6);
    }
    expect(Math.abs(meanOf(up.map(slope)) - 0.35)).toBeLessThan(0.02);
    expect(Math.abs(meanOf(down.map(slope)) + 0.35)).toBeLessThan(0.02);
  });

  it('shifts: a step of +-[7.5, 20] between t < 20 and t > 40 (t3 in [20, 40]); up for upward, down for downward', () => {
    const step = (r: number[]): number => meanOf(r.slice(40)) - meanOf(r.slice(0, 19));
    for (const r of shiftUp) {
      expect(step(r)).toBeGreaterThan(2);
      expect(step(r)).toBeLessThan(25);
    }
    for (const r of shiftDown) {
      expect(step(r)).toBeLessThan(-2);
      expect(step(r)).toBeGreaterThan(-25);
    }
    expect(Math.abs(meanOf(shiftUp.map(step)) - 13.75)).toBeLessThan(1);
    expect(Math.abs(meanOf(shiftDown.map(step)) + 13.75)).toBeLessThan(1);
    // The step is sharp: no trend before it.
    for (const r of [...shiftUp, ...shiftDown]) expect(Math.abs(slope(r.slice(0, 19)))).toBeLessThan(0.5);
  });

  it('cyclic: the autocorrelation peaks at a lag in the period range [10, 15]; normal series have no such peak', () => {
    const peaks = cyclic.map(peakLag);
    for (const p of peaks) {
      expect(p.lag).toBeGreaterThanOrEqual(9);
      expect(p.lag).toBeLessThanOrEqual(16);
      expect(p.value).toBeGreaterThan(0.2);
    }
    expect(meanOf(peaks.map((p) => p.lag))).toBeGreaterThan(11.5);
    expect(meanOf(peaks.map((p) => p.lag))).toBeLessThan(13.5);
    // The largest of 12 noise autocorrelations is biased up, but far below a cycle's.
    expect(meanOf(peaks.map((p) => p.value))).toBeGreaterThan(0.45);
    expect(meanOf(normal.map((r) => peakLag(r).value))).toBeLessThan(0.25);
  });

  it('1-NN on the UCR protocol (300 train / 300 test, z-normalised) lands near the archive: ED 0.880, DTW 0.993', () => {
    const accuracies = [0, 1, 2].map((s) => oneNnEuclidean(generateSyntheticControl(300, 100 + s), generateSyntheticControl(300, 200 + s), 60));
    const ed = meanOf(accuracies);
    console.log(`SyntheticControl 1-NN Euclidean over 3 draws of 300/300: ${accuracies.map((a) => a.toFixed(3)).join(' ')} (mean ${ed.toFixed(3)}; UCR 0.880)`);
    expect(ed).toBeGreaterThan(0.84);
    expect(ed).toBeLessThan(0.94);
    const dtw = oneNnDtw(generateSyntheticControl(300, 100), generateSyntheticControl(120, 200), 60);
    console.log(`SyntheticControl 1-NN DTW 300/120: ${dtw.toFixed(3)} (UCR 0.993)`);
    expect(dtw).toBeGreaterThan(0.97);
  });
});
