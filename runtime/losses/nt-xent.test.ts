import { beforeAll, describe, expect, it } from 'vitest';
import { tf } from '../tf.js';
import { createRng } from '../util/rng.js';
import { ntXent } from './nt-xent.js';

/** Naive reference: explicit loops over anchors, positives and negatives, in float64. */
function ntXentNaive(a: number[][], b: number[][], t: number): number {
  const z = [...a, ...b].map((row) => {
    const norm = Math.sqrt(row.reduce((s, v) => s + v * v, 0));
    return row.map((v) => v / norm);
  });
  const n2 = z.length, n = n2 / 2;
  const dot = (u: number[], v: number[]) => u.reduce((s, x, k) => s + x * v[k], 0);
  let total = 0;
  for (let i = 0; i < n2; i++) {
    const p = (i + n) % n2;
    let denom = 0;
    for (let k = 0; k < n2; k++) if (k !== i) denom += Math.exp(dot(z[i], z[k]) / t);
    total += -Math.log(Math.exp(dot(z[i], z[p]) / t) / denom);
  }
  return total / n2;
}

function randomMatrix(n: number, d: number, rng: { normal(): number }): number[][] {
  return Array.from({ length: n }, () => Array.from({ length: d }, () => rng.normal()));
}

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('ntXent', () => {
  it('matches a naive triple-loop reference over N x D x t', () => {
    const rng = createRng(42);
    for (const n of [2, 4, 8])
      for (const d of [3, 16])
        for (const t of [0.1, 0.5, 1]) {
          const a = randomMatrix(n, d, rng), b = randomMatrix(n, d, rng);
          const [ta, tb] = [tf.tensor2d(a), tf.tensor2d(b)];
          const loss = ntXent(ta, tb, t);
          const expected = ntXentNaive(a, b, t);
          const got = loss.dataSync()[0];
          expect(Math.abs(got - expected) / Math.abs(expected), `N=${n} D=${d} t=${t}`).toBeLessThan(1e-5);
          tf.dispose([ta, tb, loss]);
        }
  });

  it('is symmetric in its two views', () => {
    const rng = createRng(7);
    const a = tf.tensor2d(randomMatrix(6, 5, rng)), b = tf.tensor2d(randomMatrix(6, 5, rng));
    const l1 = ntXent(a, b, 0.3).dataSync()[0], l2 = ntXent(b, a, 0.3).dataSync()[0];
    expect(l2).toBeCloseTo(l1, 6);
    tf.dispose([a, b]);
  });

  it('gives log(1 + (2N - 2) e^{-1/t}) for identical, mutually orthogonal pairs, tending to 0 as t -> 0', () => {
    // a = b = the first N standard basis vectors (scaled: normalisation removes the scale):
    // every anchor sees its positive at s = 1/t and 2N - 2 negatives at s = 0.
    const n = 4, d = 6;
    const eye = Array.from({ length: n }, (_, i) => Array.from({ length: d }, (_, j) => (i === j ? 3 : 0)));
    for (const t of [1, 0.5, 0.1, 0.02]) {
      const a = tf.tensor2d(eye), b = tf.tensor2d(eye);
      const got = ntXent(a, b, t).dataSync()[0];
      expect(got).toBeCloseTo(Math.log(1 + (2 * n - 2) * Math.exp(-1 / t)), 5);
      tf.dispose([a, b]);
    }
    const a = tf.tensor2d(eye);
    expect(ntXent(a, a, 0.02).dataSync()[0]).toBeLessThan(1e-6);
    a.dispose();
  });

  it('has finite gradients (including for a zero embedding) and leaks nothing', () => {
    const rng = createRng(3);
    const rows = randomMatrix(4, 8, rng);
    rows[1] = rows[1].map(() => 0); // a zero row: the norm clamp keeps it finite
    const a = tf.variable(tf.tensor2d(rows)), b = tf.variable(tf.tensor2d(randomMatrix(4, 8, rng)));
    const before = tf.memory().numTensors;
    const { value, grads } = tf.variableGrads(() => ntXent(a, b, 0.1), [a, b]);
    expect(Number.isFinite(value.dataSync()[0])).toBe(true);
    for (const g of Object.values(grads)) {
      const v = g.dataSync();
      expect(v.every(Number.isFinite)).toBe(true);
      expect(v.some((x) => x !== 0)).toBe(true);
    }
    tf.dispose([value, ...Object.values(grads)]);
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([a, b]);
  });

  it('rejects bad temperatures and shapes with clear errors', () => {
    const a = tf.zeros([4, 3]) as tf.Tensor2D, b = tf.zeros([4, 3]) as tf.Tensor2D, c = tf.zeros([5, 3]) as tf.Tensor2D;
    expect(() => ntXent(a, b, 0)).toThrow(/temperature must be a finite number > 0, got 0/);
    expect(() => ntXent(a, b, -1)).toThrow(/temperature/);
    expect(() => ntXent(a, b, Number.NaN)).toThrow(/temperature/);
    expect(() => ntXent(a, c, 0.5)).toThrow(/same shape.*\[4, 3\].*\[5, 3\]/);
    const r3 = tf.zeros([2, 2, 2]) as unknown as tf.Tensor2D;
    expect(() => ntXent(r3, r3, 0.5)).toThrow(/\[N, D\]/);
    tf.dispose([a, b, c, r3]);
  });
});
