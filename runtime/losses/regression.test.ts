import { beforeAll, describe, expect, it } from 'vitest';
import { tf } from '../tf.js';
import { createRng, type Rng } from '../util/rng.js';
import { createLoss } from './index.js';
import { mse, smoothL1 } from './regression.js';
import { gradientError, randomFlat, relError, toTensor, type Flat } from './testing.js';

/** torch's smooth_l1 of one difference. */
const smoothL1Of = (x: number, beta: number) => (Math.abs(x) < beta ? (0.5 * x * x) / beta : Math.abs(x) - 0.5 * beta);

/** Naive per-element loop: mean over every element, or over hidden tokens x D with a [B, T] mask. */
function regressionNaive(p: Flat, y: Flat, err: (x: number) => number, mask: number[] | null): number {
  const d = p.shape[p.shape.length - 1];
  let total = 0, count = 0;
  p.data.forEach((v, i) => {
    const token = Math.floor(i / d); // index into the flattened [B, T] mask
    const w = mask === null ? 1 : mask[token];
    total += w * err(v - y.data[i]);
    count += w;
  });
  return count === 0 ? 0 : total / count;
}
const mseNaive = (p: Flat, y: Flat, mask: number[] | null = null) => regressionNaive(p, y, (x) => x * x, mask);
const smoothNaive = (p: Flat, y: Flat, beta: number, mask: number[] | null = null) =>
  regressionNaive(p, y, (x) => smoothL1Of(x, beta), mask);

const randomMask = (b: number, t: number, rng: Rng) => {
  const m = Array.from({ length: b * t }, () => (rng.next() < 0.6 ? 1 : 0));
  m[0] = 1; // at least one hidden token
  return m;
};
const read = (t: tf.Tensor) => t.dataSync()[0];

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('mse and smoothL1', () => {
  it('match naive references without a mask over [B, D] and [B, T, D]', () => {
    const rng = createRng(3);
    for (const shape of [[4, 3], [1, 8], [2, 5, 4], [3, 1, 2]]) {
      const p = randomFlat(shape, rng), y = randomFlat(shape, rng);
      const [tp, ty] = [toTensor(p), toTensor(y)];
      expect(relError(read(mse(tp, ty)), mseNaive(p, y)), `mse ${shape}`).toBeLessThan(1e-5);
      for (const beta of [0, 0.5, 1, 2]) {
        expect(relError(read(smoothL1(tp, ty, beta)), smoothNaive(p, y, beta)), `smooth_l1 ${shape} beta=${beta}`).toBeLessThan(1e-5);
      }
      tf.dispose([tp, ty]);
    }
  });

  it('match naive references with a [B, T] mask (mean over hidden tokens and D), float or int mask', () => {
    const rng = createRng(4);
    for (const [b, t, d] of [[2, 5, 3], [4, 8, 1], [1, 3, 6]]) {
      const p = randomFlat([b, t, d], rng), y = randomFlat([b, t, d], rng), mask = randomMask(b, t, rng);
      const [tp, ty] = [toTensor(p), toTensor(y)];
      for (const dtype of ['float32', 'int32'] as const) {
        const tm = tf.tensor2d(mask, [b, t], dtype);
        expect(relError(read(mse(tp, ty, tm)), mseNaive(p, y, mask)), `mse ${[b, t, d]} ${dtype}`).toBeLessThan(1e-5);
        expect(relError(read(smoothL1(tp, ty, 1, tm)), smoothNaive(p, y, 1, mask)), `smooth_l1 ${[b, t, d]}`).toBeLessThan(1e-5);
        tm.dispose();
      }
      tf.dispose([tp, ty]);
    }
  });

  it('analytic facts: beta 0 is L1, |x| < beta is mse / (2 beta), visible tokens do not count, empty mask gives 0', () => {
    const p = tf.tensor3d([[[0.1, -0.2], [0.3, 0.05]], [[-0.4, 0.2], [0, 0.1]]]), y = tf.zerosLike(p);
    expect(read(smoothL1(p, y, 0))).toBeCloseTo((0.1 + 0.2 + 0.3 + 0.05 + 0.4 + 0.2 + 0 + 0.1) / 8, 6);
    expect(read(smoothL1(p, y, 1))).toBeCloseTo(read(mse(p, y)) / 2, 6);
    expect(read(smoothL1(p, y, 0.5))).toBeCloseTo(read(mse(p, y)) / 1, 6);
    expect(read(mse(p, y))).toBeCloseTo((0.01 + 0.04 + 0.09 + 0.0025 + 0.16 + 0.04 + 0 + 0.01) / 8, 6);
    // Hide token (0, 1) and (1, 0) only: mean of their squared errors over D = 2.
    const mask = tf.tensor2d([[0, 1], [1, 0]]);
    expect(read(mse(p, y, mask))).toBeCloseTo((0.09 + 0.0025 + 0.16 + 0.04) / 4, 6);
    // Changing the visible tokens' predictions changes nothing.
    const p2 = tf.add(p, tf.mul(tf.expandDims(tf.sub(1, mask), 2), 100));
    expect(read(mse(p2, y, mask))).toBeCloseTo(read(mse(p, y, mask)), 6);
    expect(read(mse(p, y, tf.ones([2, 2])))).toBeCloseTo(read(mse(p, y)), 6);
    expect(read(mse(p, y, tf.zeros([2, 2])))).toBe(0);
    expect(read(smoothL1(p, y, 1, tf.zeros([2, 2])))).toBe(0);
    tf.dispose([p, y, mask, p2]);
  });

  it('have gradients matching finite differences (masked and not)', () => {
    const rng = createRng(5);
    const p = randomFlat([2, 3, 2], rng), y = randomFlat([2, 3, 2], rng), mask = randomMask(2, 3, rng);
    const tm = tf.tensor2d(mask, [2, 3]);
    expect(gradientError((a, b) => mse(a, b), (a, b) => mseNaive(a, b), [p, y])).toBeLessThan(1e-2);
    expect(gradientError((a, b) => mse(a, b, tm), (a, b) => mseNaive(a, b, mask), [p, y])).toBeLessThan(1e-2);
    expect(gradientError((a, b) => smoothL1(a, b, 0.7, tm), (a, b) => smoothNaive(a, b, 0.7, mask), [p, y])).toBeLessThan(1e-2);
    expect(gradientError((a, b) => smoothL1(a, b, 0), (a, b) => smoothNaive(a, b, 0), [p, y])).toBeLessThan(1e-2);
    tm.dispose();
  });

  it('reject bad shapes, masks and beta with clear errors', () => {
    const x3 = tf.zeros([2, 3, 4]), x2 = tf.zeros([2, 4]), other = tf.zeros([2, 3, 5]), m = tf.zeros([2, 3]), badMask = tf.zeros([2, 4]);
    expect(() => mse(x3, other)).toThrow(/mse: prediction and target must have the same shape, got \[2, 3, 4\] and \[2, 3, 5\]/);
    expect(() => mse(x2, x2, m)).toThrow(/mse: a token mask needs per-token \[B, T, D\] inputs, got prediction \[2, 4\] and mask \[2, 3\]/);
    expect(() => smoothL1(x3, x3, 1, badMask)).toThrow(/smooth_l1: the mask must be \[B, T\] = \[2, 3\] for prediction \[2, 3, 4\], got \[2, 4\]/);
    expect(() => smoothL1(x3, x3, -1)).toThrow(/smooth_l1: beta must be a finite number >= 0, got -1/);
    const r4 = tf.zeros([1, 1, 1, 1]);
    expect(() => mse(r4, r4)).toThrow(/mse: expected prediction to be \[B, D\] or \[B, T, D\], got \[1, 1, 1, 1\]/);
    tf.dispose([x3, x2, other, m, badMask, r4]);
  });
});

describe('mse / smooth_l1 LossModules', () => {
  it('pass the node mask and params through, leak nothing, and name the loss in errors', () => {
    const rng = createRng(6);
    const p = randomFlat([2, 4, 3], rng), y = randomFlat([2, 4, 3], rng), mask = randomMask(2, 4, rng);
    const [tp, ty, tm] = [toTensor(p), toTensor(y), tf.tensor2d(mask, [2, 4])];
    const m1 = createLoss('mse', 'mae'), m2 = createLoss('smooth_l1', 'd2v');
    const before = tf.memory().numTensors;
    for (let i = 0; i < 3; i++) {
      tf.tidy(() => {
        expect(relError(read(m1.forward({ prediction: [tp], target: [ty] }, tm, {}).loss), mseNaive(p, y, mask))).toBeLessThan(1e-5);
        expect(relError(read(m1.forward({ prediction: [tp], target: [ty] }, null, {}).loss), mseNaive(p, y))).toBeLessThan(1e-5);
        expect(relError(read(m2.forward({ prediction: [tp], target: [ty] }, tm, { beta: 0.25 }).loss), smoothNaive(p, y, 0.25, mask))).toBeLessThan(1e-5);
      });
      m1.afterStep();
      m2.afterStep();
    }
    expect(tf.memory().numTensors).toBe(before);
    expect([m1.state, m2.state]).toEqual([[], []]);
    expect(() => m2.forward({ prediction: [tp], target: [ty] }, tm, {})).toThrow(/smooth_l1 'd2v': missing parameter 'beta'/);
    expect(() => m1.forward({ prediction: [tp] }, tm, {})).toThrow(/mse 'mae': expected exactly one tensor for 'target', got nothing/);
    m1.dispose();
    m2.dispose();
    tf.dispose([tp, ty, tm]);
  });
});
