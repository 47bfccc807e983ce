import { beforeAll, describe, expect, it } from 'vitest';
import { tf } from '../tf.js';
import { createRng } from '../util/rng.js';
import { createLoss } from './index.js';
import { gradientError, randomFlat, relError, rows, toTensor, type Flat } from './testing.js';
import { VICREG_STD_EPS, vicreg } from './vicreg.js';

/** Naive VICReg (official code's formulas) in float64, raw terms and the weighted loss. */
function vicregNaive(a: Flat, b: Flat, w = { invariance: 25, variance: 25, covariance: 1 }) {
  const x = rows(a), y = rows(b);
  const n = x.length, d = x[0].length;
  let inv = 0;
  for (let i = 0; i < n; i++) for (let j = 0; j < d; j++) inv += (x[i][j] - y[i][j]) ** 2 / (n * d);
  const branch = (z: number[][]) => {
    const mean = Array.from({ length: d }, (_, j) => z.reduce((s, r) => s + r[j], 0) / n);
    const cov = (i: number, j: number) => z.reduce((s, r) => s + (r[i] - mean[i]) * (r[j] - mean[j]), 0) / (n - 1);
    let hinge = 0, off = 0;
    for (let i = 0; i < d; i++) {
      hinge += Math.max(0, 1 - Math.sqrt(cov(i, i) + VICREG_STD_EPS)) / d;
      for (let j = 0; j < d; j++) if (i !== j) off += cov(i, j) ** 2 / d;
    }
    return [hinge, off];
  };
  const [hx, cx] = branch(x), [hy, cy] = branch(y);
  const variance = hx / 2 + hy / 2, covariance = cx + cy;
  return { invariance: inv, variance, covariance, loss: w.invariance * inv + w.variance * variance + w.covariance * covariance };
}

const read = (t: tf.Tensor) => t.dataSync()[0];

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('vicreg', () => {
  it('matches a naive float64 reference (loss and raw terms) over B x D', () => {
    const rng = createRng(17);
    for (const [n, d] of [[2, 2], [4, 3], [16, 8], [8, 24]])
      for (const scale of [0.3, 2]) {
        const a = randomFlat([n, d], rng, scale), b = randomFlat([n, d], rng, scale, 0.5);
        const [ta, tb] = [toTensor(a), toTensor(b)];
        const coef = { invariance: 25, variance: 25, covariance: 1 };
        const got = vicreg(ta, tb, coef), want = vicregNaive(a, b, coef);
        const tag = `B=${n} D=${d} scale=${scale}`;
        expect(relError(read(got.loss), want.loss), tag).toBeLessThan(1e-4);
        expect(relError(read(got.invariance), want.invariance), tag).toBeLessThan(1e-4);
        expect(relError(read(got.variance), want.variance, 1e-5), tag).toBeLessThan(1e-4);
        expect(relError(read(got.covariance), want.covariance), tag).toBeLessThan(1e-4);
        tf.dispose([ta, tb, got.loss, got.invariance, got.variance, got.covariance]);
      }
  });

  it('analytic cases: identical views, wide spread, collapse, decorrelated dimensions', () => {
    const coef = { invariance: 1, variance: 1, covariance: 1 };
    // Columns orthogonal and centred over the batch (no covariance), std = 10 * sqrt(4/3) > 1.
    const spread = tf.mul(tf.tensor2d([[1, 1], [-1, 1], [1, -1], [-1, -1]]), 10);
    const r = vicreg(spread, spread, coef);
    expect(read(r.invariance)).toBe(0);
    expect(read(r.variance)).toBe(0);
    expect(read(r.covariance)).toBeCloseTo(0, 6);
    // A collapsed (constant) embedding: std = sqrt(1e-4) = 0.01 in every dimension of both views.
    const collapsed = tf.fill([5, 3], 0.7);
    const c = vicreg(collapsed, collapsed, coef);
    expect(read(c.variance)).toBeCloseTo(0.99, 6);
    expect(read(c.covariance)).toBe(0);
    // Fully correlated dimensions: x_j = t for every j, sample variance s: cov_ij = s for all i, j.
    const t = [1, 2, 3, 4];
    const s = 5 / 3; // unbiased variance of 1..4
    const same = tf.tensor2d(t.map((v) => [v, v, v]));
    const f = vicreg(same, same, coef);
    expect(read(f.covariance)).toBeCloseTo(2 * ((3 * 2 * s * s) / 3), 4); // both views, 6 off-diagonal entries / D
    expect(read(f.variance)).toBeCloseTo(0, 6); // std = sqrt(5/3 + 1e-4) > 1
    tf.dispose([spread, collapsed, same, ...Object.values(r), ...Object.values(c), ...Object.values(f)]);
  });

  it('has gradients matching finite differences of the reference', () => {
    const rng = createRng(1);
    const a = randomFlat([5, 3], rng, 0.4), b = randomFlat([5, 3], rng, 0.4);
    const coef = { invariance: 25, variance: 25, covariance: 1 };
    expect(gradientError((x, y) => vicreg(x, y, coef).loss, (x, y) => vicregNaive(x, y, coef).loss, [a, b])).toBeLessThan(1e-2);
  });

  it('rejects bad coefficients, shapes and batches of 1', () => {
    const a = tf.zeros([4, 3]), c = tf.zeros([3, 3]), one = tf.zeros([1, 3]);
    const coef = { invariance: 25, variance: 25, covariance: 1 };
    expect(() => vicreg(a, a, { ...coef, variance: -1 })).toThrow(/vicreg: variance must be a finite number >= 0, got -1/);
    expect(() => vicreg(a, c, coef)).toThrow(/vicreg: a and b must have the same shape, got \[4, 3\] and \[3, 3\]/);
    expect(() => vicreg(one, one, coef)).toThrow(/vicreg: needs a batch of at least 2/);
    tf.dispose([a, c, one]);
  });
});

describe('vicreg LossModule', () => {
  it('parts are the weighted terms and sum to the loss; leaks nothing; checks params', () => {
    const rng = createRng(2);
    const a = randomFlat([8, 6], rng, 0.5), b = randomFlat([8, 6], rng, 0.5);
    const [ta, tb] = [toTensor(a), toTensor(b)];
    const params = { invariance: 25, variance: 20, covariance: 2 };
    const want = vicregNaive(a, b, params);
    const m = createLoss('vicreg', 'vic');
    const before = tf.memory().numTensors;
    for (let i = 0; i < 3; i++) {
      tf.tidy(() => {
        const out = m.forward({ a: [ta], b: [tb] }, null, params);
        const p = out.parts!;
        expect(Object.keys(p).sort()).toEqual(['covariance', 'invariance', 'variance']);
        expect(relError(read(out.loss), want.loss)).toBeLessThan(1e-4);
        expect(relError(read(p.invariance), 25 * want.invariance)).toBeLessThan(1e-4);
        expect(relError(read(p.variance), 20 * want.variance)).toBeLessThan(1e-4);
        expect(relError(read(p.covariance), 2 * want.covariance)).toBeLessThan(1e-4);
        expect(relError(read(p.invariance) + read(p.variance) + read(p.covariance), read(out.loss))).toBeLessThan(1e-5);
      });
      m.afterStep();
    }
    expect(tf.memory().numTensors).toBe(before);
    expect(() => m.forward({ a: [ta], b: [tb] }, null, { invariance: 1, variance: 1 })).toThrow(/vicreg 'vic': missing parameter 'covariance'/);
    m.dispose();
    tf.dispose([ta, tb]);
  });
});
