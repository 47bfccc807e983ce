import { beforeAll, describe, expect, it } from 'vitest';
import { tf } from '../tf.js';
import { createRng } from '../util/rng.js';
import { cosineRegress, negCosine } from './cosine.js';
import { createLoss } from './index.js';
import { gradientError, randomFlat, relError, rows, toTensor, type Flat } from './testing.js';

/** Naive float64 cosine of each last-axis vector pair. */
function cosines(p: Flat, z: Flat): number[] {
  const pr = rows(p), zr = rows(z);
  return pr.map((u, i) => {
    const v = zr[i];
    let dot = 0, nu = 0, nv = 0;
    for (let k = 0; k < u.length; k++) {
      dot += u[k] * v[k];
      nu += u[k] * u[k];
      nv += v[k] * v[k];
    }
    return dot / (Math.sqrt(nu) * Math.sqrt(nv));
  });
}
const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
const byolNaive = (p: Flat, z: Flat) => mean(cosines(p, z).map((c) => 2 - 2 * c));
const simsiamNaive = (p: Flat, z: Flat) => mean(cosines(p, z).map((c) => -c));

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('cosine_regress (BYOL) and neg_cosine (SimSiam)', () => {
  it('match naive float64 references over [B, D] and [B, T, D]', () => {
    const rng = createRng(11);
    for (const shape of [[1, 3], [3, 2], [8, 16], [2, 3, 4]]) {
      const p = randomFlat(shape, rng), z = randomFlat(shape, rng);
      const [tp, tz] = [toTensor(p), toTensor(z)];
      const byol = cosineRegress(tp, tz), simsiam = negCosine(tp, tz);
      expect(relError(byol.dataSync()[0], byolNaive(p, z)), `BYOL ${shape}`).toBeLessThan(1e-5);
      expect(relError(simsiam.dataSync()[0], simsiamNaive(p, z)), `SimSiam ${shape}`).toBeLessThan(1e-5);
      tf.dispose([tp, tz, byol, simsiam]);
    }
  });

  it('BYOL is 0 for p a positive multiple of z and 4 for p = -z; SimSiam is -1 and 1; BYOL = 2 + 2 SimSiam', () => {
    const rng = createRng(5);
    const z = toTensor(randomFlat([5, 7], rng));
    const scaled = tf.mul(z, tf.tensor2d([[0.5], [2], [3], [10], [0.1]]));
    const opposite = tf.neg(z);
    expect(cosineRegress(scaled, z).dataSync()[0]).toBeCloseTo(0, 5);
    expect(cosineRegress(opposite, z).dataSync()[0]).toBeCloseTo(4, 5);
    expect(negCosine(scaled, z).dataSync()[0]).toBeCloseTo(-1, 5);
    expect(negCosine(opposite, z).dataSync()[0]).toBeCloseTo(1, 5);
    // Orthogonal pairs: cos = 0.
    const e1 = tf.tensor2d([[1, 0], [0, 3]]), e2 = tf.tensor2d([[0, 2], [-4, 0]]);
    expect(cosineRegress(e1, e2).dataSync()[0]).toBeCloseTo(2, 6);
    expect(negCosine(e1, e2).dataSync()[0]).toBeCloseTo(0, 6);
    const p = toTensor(randomFlat([5, 7], rng));
    expect(cosineRegress(p, z).dataSync()[0]).toBeCloseTo(2 + 2 * negCosine(p, z).dataSync()[0], 5);
    tf.dispose([z, scaled, opposite, e1, e2, p]);
  });

  it('has gradients matching finite differences of the reference', () => {
    const rng = createRng(2);
    const p = randomFlat([3, 4], rng), z = randomFlat([3, 4], rng);
    expect(gradientError(cosineRegress, byolNaive, [p, z])).toBeLessThan(1e-2);
    expect(gradientError(negCosine, simsiamNaive, [p, z])).toBeLessThan(1e-2);
    const p3 = randomFlat([2, 2, 3], rng), z3 = randomFlat([2, 2, 3], rng);
    expect(gradientError(cosineRegress, byolNaive, [p3, z3])).toBeLessThan(1e-2);
  });

  it('keeps a zero prediction finite (cosine 0) with finite gradients', () => {
    const p = tf.variable(tf.tensor2d([[0, 0, 0], [1, 2, 3]])), z = tf.tensor2d([[1, 1, 1], [1, 2, 3]]);
    const { value, grads } = tf.variableGrads(() => cosineRegress(p, z), [p]);
    expect(value.dataSync()[0]).toBeCloseTo((2 + 0) / 2, 5);
    expect(Array.from(grads[p.name].dataSync()).every(Number.isFinite)).toBe(true);
    tf.dispose([p, z, value, grads[p.name]]);
  });

  it('works as LossModules: stateless, no parts, mask and shape errors name the loss', () => {
    const rng = createRng(9);
    const p = randomFlat([4, 6], rng), z = randomFlat([4, 6], rng);
    const [tp, tz] = [toTensor(p), toTensor(z)];
    const byol = createLoss('cosine_regress', 'byol'), simsiam = createLoss('neg_cosine', 'simsiam');
    const before = tf.memory().numTensors;
    for (let i = 0; i < 3; i++) {
      tf.tidy(() => {
        const out = byol.forward({ prediction: [tp], target: [tz] }, null, {});
        expect(relError(out.loss.dataSync()[0], byolNaive(p, z))).toBeLessThan(1e-5);
        expect(out.parts).toBeUndefined();
        expect(relError(simsiam.forward({ prediction: [tp], target: [tz] }, null, {}).loss.dataSync()[0], simsiamNaive(p, z))).toBeLessThan(1e-5);
      });
      byol.afterStep();
      simsiam.afterStep();
    }
    expect(tf.memory().numTensors).toBe(before);
    expect(byol.state).toEqual([]);
    const mask = tf.ones([4, 6]), short = tf.zeros([3, 6]), r4 = tf.zeros([1, 2, 3, 4]);
    expect(() => byol.forward({ prediction: [tp], target: [tz] }, mask, {})).toThrow(/cosine_regress 'byol'.*no token mask/);
    expect(() => byol.forward({ prediction: [tp], target: [short] }, null, {})).toThrow(/cosine_regress.*same shape.*\[4, 6\].*\[3, 6\]/);
    expect(() => simsiam.forward({ prediction: [r4], target: [r4] }, null, {})).toThrow(/neg_cosine.*\[B, D\] or \[B, T, D\].*\[1, 2, 3, 4\]/);
    expect(() => simsiam.forward({ prediction: [tp] }, null, {})).toThrow(/neg_cosine 'simsiam'.*'target'/);
    expect(tf.memory().numTensors).toBe(before + 3);
    byol.dispose();
    simsiam.dispose();
    tf.dispose([tp, tz, mask, short, r4]);
  });
});
