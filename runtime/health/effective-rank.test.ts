/**
 * RankMe against matrices whose singular values are known by construction: Z = U diag(s) V^T
 * with orthonormal U [n, r] and V [d, r] (Gram-Schmidt of seeded Gaussian matrices), and the
 * entropy computed here by hand from `s`.
 */
import { describe, expect, it } from 'vitest';
import { mulberry32 } from '../../test/helpers/prng.js';
import { effectiveRank, effectiveRankFromSingularValues, RANKME_EPS, singularValues } from './effective-rank.js';

function gaussian(next: () => number): number {
  return Math.sqrt(-2 * Math.log(1 - next())) * Math.cos(2 * Math.PI * next());
}

/** r orthonormal columns of length m, as a column-major array of r vectors. */
function orthonormalColumns(m: number, r: number, next: () => number): Float64Array[] {
  const cols: Float64Array[] = [];
  while (cols.length < r) {
    const v = Float64Array.from({ length: m }, () => gaussian(next));
    for (const c of cols) {
      let dot = 0;
      for (let i = 0; i < m; i++) dot += v[i]! * c[i]!;
      for (let i = 0; i < m; i++) v[i] -= dot * c[i]!;
    }
    const norm = Math.hypot(...v);
    if (norm < 1e-6) continue;
    cols.push(v.map((x) => x / norm));
  }
  return cols;
}

/** Z = U diag(s) V^T, [n, d] row-major, with the given singular values s (length r <= min(n, d)). */
function withSingularValues(n: number, d: number, s: number[], seed: number): Float32Array {
  const next = mulberry32(seed);
  const u = orthonormalColumns(n, s.length, next);
  const v = orthonormalColumns(d, s.length, next);
  const z = new Float32Array(n * d);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < d; j++) {
      let x = 0;
      for (let k = 0; k < s.length; k++) x += u[k]![i]! * s[k]! * v[k]![j]!;
      z[i * d + j] = x;
    }
  }
  return z;
}

/** The RankMe formula written out for a list of singular values padded with zeros to K. */
function naiveRankMe(s: number[], k: number): number {
  const padded = [...s, ...Array(k - s.length).fill(0)];
  const l1 = padded.reduce((a, b) => a + b, 0);
  const p = padded.map((x) => x / l1 + RANKME_EPS);
  return Math.exp(-p.reduce((a, q) => a + q * Math.log(q), 0));
}

describe('singularValues', () => {
  it('recovers the singular values of U diag(s) V^T (N >= D: Gram of columns)', () => {
    const s = [9, 5, 2.5, 1, 0.5];
    const sigma = singularValues(withSingularValues(64, 16, s, 1), 64, 16);
    expect(sigma).toHaveLength(16);
    s.forEach((x, i) => expect(sigma[i]).toBeCloseTo(x, 3));
    for (let i = s.length; i < 16; i++) expect(sigma[i]).toBeLessThan(1e-2);
  });

  it('N < D uses the Gram of rows and gives the same nonzero singular values', () => {
    const s = [4, 3, 2, 1];
    const sigma = singularValues(withSingularValues(8, 40, s, 2), 8, 40);
    expect(sigma).toHaveLength(8);
    s.forEach((x, i) => expect(sigma[i]).toBeCloseTo(x, 3));
  });

  it('rejects inconsistent sizes with a clear message', () => {
    expect(() => singularValues(new Float32Array(5), 2, 3)).toThrow(/expected n\*d = 6/);
    expect(() => singularValues(new Float32Array(0), 0, 3)).toThrow(/positive integers/);
  });
});

describe('effectiveRank (RankMe)', () => {
  it('matches the formula written out by hand, over a sweep of spectra and shapes', () => {
    const cases: [number, number, number[]][] = [
      [64, 16, [9, 5, 2.5, 1, 0.5]],
      [32, 32, [1, 1, 1, 1, 1, 1, 1, 1]],
      [10, 30, [3, 0.1]],
      [128, 24, Array.from({ length: 24 }, (_, i) => Math.exp(-i / 4))],
    ];
    cases.forEach(([n, d, s], i) => {
      const z = withSingularValues(n, d, s, 10 + i);
      expect(effectiveRank(z, n, d)).toBeCloseTo(naiveRankMe(s, Math.min(n, d)), 2);
    });
  });

  it('a rank-r matrix with equal singular values has effective rank ~r', () => {
    for (const r of [1, 3, 7, 16]) {
      const z = withSingularValues(100, 32, Array(r).fill(2), 20 + r);
      expect(effectiveRank(z, 100, 32)).toBeCloseTo(r, 2);
    }
  });

  it('an identity-like (orthogonal, isotropic) embedding has the full rank D', () => {
    const d = 24;
    const z = new Float32Array(d * d);
    for (let i = 0; i < d; i++) z[i * d + i] = 3;
    expect(effectiveRank(z, d, d)).toBeCloseTo(d, 3);
    // Many isotropic Gaussian rows: close to D (sampling noise only).
    const next = mulberry32(7);
    const g = Float32Array.from({ length: 2000 * 16 }, () => gaussian(next));
    expect(effectiveRank(g, 2000, 16)).toBeGreaterThan(15.5);
  });

  it('collapse (every row the same vector, plus tiny noise) gives ~1', () => {
    const next = mulberry32(3);
    const v = Array.from({ length: 32 }, () => gaussian(next));
    const z = new Float32Array(256 * 32);
    for (let i = 0; i < 256; i++) for (let j = 0; j < 32; j++) z[i * 32 + j] = v[j]! + 1e-4 * gaussian(next);
    const rank = effectiveRank(z, 256, 32);
    expect(rank).toBeGreaterThanOrEqual(1);
    expect(rank).toBeLessThan(1.1);
  });

  it('all-zero input is rank 1 (fully collapsed); non-finite input is NaN', () => {
    expect(effectiveRank(new Float32Array(12), 4, 3)).toBe(1);
    const z = new Float32Array(12).fill(1);
    z[5] = Number.NaN;
    expect(effectiveRank(z, 4, 3)).toBeNaN();
  });

  it('effectiveRankFromSingularValues is scale-invariant and order-free', () => {
    const s = [5, 1, 0.2, 3];
    const r = effectiveRankFromSingularValues(s);
    expect(effectiveRankFromSingularValues(s.map((x) => x * 1000))).toBeCloseTo(r, 9);
    expect(effectiveRankFromSingularValues([...s].reverse())).toBeCloseTo(r, 12);
  });
});
