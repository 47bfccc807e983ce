import { beforeAll, describe, expect, it } from 'vitest';
import { tf } from '../tf.js';
import { createRng } from '../util/rng.js';
import { BARLOW_BN_EPS, barlowTwins } from './barlow-twins.js';
import { createLoss } from './index.js';
import { gradientError, randomFlat, relError, rows, toTensor, type Flat } from './testing.js';

/** Naive Barlow Twins in float64: explicit loops for BatchNorm, the correlation and both sums. */
function barlowNaive(a: Flat, b: Flat, lambda: number): { loss: number; onDiag: number; offDiag: number } {
  const standardise = (x: number[][]) => {
    const n = x.length, d = x[0].length;
    const out = x.map((r) => r.slice());
    for (let j = 0; j < d; j++) {
      let mean = 0;
      for (let i = 0; i < n; i++) mean += x[i][j] / n;
      let variance = 0;
      for (let i = 0; i < n; i++) variance += (x[i][j] - mean) ** 2 / n;
      for (let i = 0; i < n; i++) out[i][j] = (x[i][j] - mean) / Math.sqrt(variance + BARLOW_BN_EPS);
    }
    return out;
  };
  const an = standardise(rows(a)), bn = standardise(rows(b));
  const n = an.length, d = an[0].length;
  let onDiag = 0, offDiag = 0;
  for (let i = 0; i < d; i++)
    for (let j = 0; j < d; j++) {
      let c = 0;
      for (let k = 0; k < n; k++) c += (an[k][i] * bn[k][j]) / n;
      if (i === j) onDiag += (1 - c) ** 2;
      else offDiag += c * c;
    }
  return { loss: onDiag + lambda * offDiag, onDiag, offDiag: lambda * offDiag };
}

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('barlowTwins', () => {
  it('matches a naive float64 reference (loss and both parts) over B x D x lambda', () => {
    const rng = createRng(21);
    for (const [n, d] of [[2, 2], [5, 3], [16, 8], [8, 32]])
      for (const lambda of [0, 5e-3, 1]) {
        const a = randomFlat([n, d], rng, 2, 1), b = randomFlat([n, d], rng);
        const [ta, tb] = [toTensor(a), toTensor(b)];
        const got = barlowTwins(ta, tb, lambda);
        const want = barlowNaive(a, b, lambda);
        const tag = `B=${n} D=${d} lambda=${lambda}`;
        expect(relError(got.loss.dataSync()[0], want.loss), tag).toBeLessThan(1e-4);
        expect(relError(got.onDiag.dataSync()[0], want.onDiag), tag).toBeLessThan(1e-4);
        expect(relError(got.offDiag.dataSync()[0], want.offDiag, 1e-5), tag).toBeLessThan(1e-4);
        tf.dispose([ta, tb, got.loss, got.onDiag, got.offDiag]);
      }
  });

  it('is ~0 for identical views whose standardised dimensions are orthogonal, whatever their scale and offset', () => {
    // Columns +-1 patterns, orthogonal over the batch, each with mean 0 and variance 1; then each
    // dimension scaled and shifted (BatchNorm removes that): C = I / (1 + eps).
    const base = [[1, 1, 1], [-1, 1, -1], [1, -1, -1], [-1, -1, 1]];
    const x = tf.add(tf.mul(tf.tensor2d(base), tf.tensor1d([3, 0.5, 10])), tf.tensor1d([7, -2, 0]));
    const r = barlowTwins(x, x, 1);
    const expectedOn = 3 * (1 - 1 / (1 + BARLOW_BN_EPS)) ** 2; // ~3e-10
    expect(r.onDiag.dataSync()[0]).toBeCloseTo(expectedOn, 8);
    expect(r.offDiag.dataSync()[0]).toBeCloseTo(0, 8);
    // b = -a: perfectly anti-correlated, C_ii = -1: on_diag = 4 D.
    const neg = barlowTwins(x, tf.neg(x), 1);
    expect(neg.onDiag.dataSync()[0]).toBeCloseTo(4 * 3, 3);
    expect(neg.offDiag.dataSync()[0]).toBeCloseTo(0, 6);
    tf.dispose([x, r.loss, r.onDiag, r.offDiag, neg.loss, neg.onDiag, neg.offDiag]);
  });

  it('weights only the off-diagonal part by lambda; parts sum to the loss', () => {
    const rng = createRng(3);
    const [a, b] = [toTensor(randomFlat([6, 4], rng)), toTensor(randomFlat([6, 4], rng))];
    const one = barlowTwins(a, b, 1), small = barlowTwins(a, b, 5e-3);
    expect(small.onDiag.dataSync()[0]).toBeCloseTo(one.onDiag.dataSync()[0], 6);
    expect(relError(small.offDiag.dataSync()[0], 5e-3 * one.offDiag.dataSync()[0])).toBeLessThan(1e-5);
    expect(relError(small.loss.dataSync()[0], small.onDiag.dataSync()[0] + small.offDiag.dataSync()[0])).toBeLessThan(1e-6);
    tf.dispose([a, b, one.loss, one.onDiag, one.offDiag, small.loss, small.onDiag, small.offDiag]);
  });

  it('has gradients matching finite differences of the reference', () => {
    const rng = createRng(8);
    const a = randomFlat([4, 3], rng), b = randomFlat([4, 3], rng);
    const err = gradientError((x, y) => barlowTwins(x, y, 0.5).loss, (x, y) => barlowNaive(x, y, 0.5).loss, [a, b]);
    expect(err).toBeLessThan(1e-2);
  });

  it('rejects bad lambda, shapes and batches of 1', () => {
    const a = tf.zeros([4, 3]), c = tf.zeros([4, 5]), one = tf.zeros([1, 3]), r3 = tf.zeros([4, 3, 1]);
    expect(() => barlowTwins(a, a, -1)).toThrow(/barlow_twins: lambda must be a finite number >= 0, got -1/);
    expect(() => barlowTwins(a, c, 1)).toThrow(/barlow_twins: a and b must have the same shape, got \[4, 3\] and \[4, 5\]/);
    expect(() => barlowTwins(one, one, 1)).toThrow(/barlow_twins: needs a batch of at least 2.*\[1, 3\]/);
    expect(() => barlowTwins(r3, r3, 1)).toThrow(/barlow_twins: expected a to be \[B, D\], got \[4, 3, 1\]/);
    tf.dispose([a, c, one, r3]);
  });
});

describe('barlow_twins LossModule', () => {
  it('returns the loss with parts { on_diag, off_diag }, leaks nothing, and checks its params', () => {
    const rng = createRng(30);
    const a = randomFlat([8, 4], rng), b = randomFlat([8, 4], rng);
    const [ta, tb] = [toTensor(a), toTensor(b)];
    const m = createLoss('barlow_twins', 'bt');
    const want = barlowNaive(a, b, 5e-3);
    const before = tf.memory().numTensors;
    for (let i = 0; i < 3; i++) {
      tf.tidy(() => {
        const out = m.forward({ a: [ta], b: [tb] }, null, { lambda: 5e-3 });
        expect(Object.keys(out.parts ?? {}).sort()).toEqual(['off_diag', 'on_diag']);
        expect(relError(out.loss.dataSync()[0], want.loss)).toBeLessThan(1e-4);
        expect(relError(out.parts!.on_diag.dataSync()[0], want.onDiag)).toBeLessThan(1e-4);
        expect(relError(out.parts!.off_diag.dataSync()[0], want.offDiag)).toBeLessThan(1e-4);
      });
      m.afterStep();
    }
    expect(tf.memory().numTensors).toBe(before);
    expect(m.state).toEqual([]);
    expect(() => m.forward({ a: [ta], b: [tb] }, null, {})).toThrow(/barlow_twins 'bt': missing parameter 'lambda'/);
    expect(() => m.forward({ a: [ta] }, null, { lambda: 1 })).toThrow(/barlow_twins 'bt'.*'b'/);
    m.dispose();
    tf.dispose([ta, tb]);
  });
});
