import { beforeAll, describe, expect, it } from 'vitest';
import { tf } from '../tf.js';
import { createRng, type Rng } from '../util/rng.js';
import { featureStats, fitLogisticRegression, LINEAR_BATCH, LINEAR_LR, linearPlan, linearProbe, standardise, type LinearModel } from './linear.js';
import type { Features } from './types.js';

/** n points around `classes` random centres (spread `centreScale`) with unit noise. */
function blobs(rng: Rng, n: number, d: number, classes: number, centreScale: number, centres?: number[][]): Features & { centres: number[][] } {
  const c = centres ?? Array.from({ length: classes }, () => Array.from({ length: d }, () => centreScale * rng.normal()));
  const x = new Float32Array(n * d);
  const y = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    y[i] = i % classes;
    for (let j = 0; j < d; j++) x[i * d + j] = c[y[i]][j] + rng.normal();
  }
  return { x, y, n, d, centres: c };
}

/** Mean cross-entropy + l2/2 ||W||^2 of a model on standardised rows, float64. */
function objective(xs: Float32Array, y: Int32Array, n: number, d: number, C: number, w: ArrayLike<number>, b: ArrayLike<number>, l2: number): number {
  let total = 0;
  for (let i = 0; i < n; i++) {
    const z = Array.from({ length: C }, (_, c) => { let s = b[c]; for (let j = 0; j < d; j++) s += xs[i * d + j] * w[j * C + c]; return s; });
    const m = Math.max(...z);
    const lse = m + Math.log(z.reduce((s, v) => s + Math.exp(v - m), 0));
    total += lse - z[y[i]];
  }
  let sq = 0;
  for (let k = 0; k < w.length; k++) sq += w[k] * w[k];
  return total / n + (l2 / 2) * sq;
}

/** Gradient of `objective` w.r.t. (W, b), float64, over rows `rows`. */
function gradient(xs: Float32Array, y: Int32Array, rows: ArrayLike<number>, d: number, C: number, w: Float64Array, b: Float64Array, l2: number) {
  const gw = new Float64Array(d * C), gb = new Float64Array(C);
  const B = rows.length;
  for (let r = 0; r < B; r++) {
    const i = rows[r];
    const z = Array.from({ length: C }, (_, c) => { let s = b[c]; for (let j = 0; j < d; j++) s += xs[i * d + j] * w[j * C + c]; return s; });
    const m = Math.max(...z);
    const e = z.map((v) => Math.exp(v - m));
    const sum = e.reduce((s, v) => s + v, 0);
    for (let c = 0; c < C; c++) {
      const dl = (e[c] / sum - (y[i] === c ? 1 : 0)) / B;
      gb[c] += dl;
      for (let j = 0; j < d; j++) gw[j * C + c] += xs[i * d + j] * dl;
    }
  }
  for (let k = 0; k < gw.length; k++) gw[k] += l2 * w[k];
  return { gw, gb };
}

/** Plain-JS replica of fitLogisticRegression: same seeded order, Adam, cosine rate. */
function fitReference(xs: Float32Array, y: Int32Array, n: number, d: number, C: number, l2: number, epochs: number, seed: number) {
  const rng = createRng(seed);
  const w = new Float64Array(d * C), b = new Float64Array(C);
  const state = [w, b].map((p) => ({ p, m: new Float64Array(p.length), v: new Float64Array(p.length) }));
  const { batch, stepsPerEpoch: steps, passes } = linearPlan(n, epochs);
  const total = passes * steps;
  let t = 0;
  for (let e = 0; e < passes; e++) {
    const order = Array.from({ length: n }, (_, i) => i);
    for (let i = n - 1; i > 0; i--) { const j = rng.int(i + 1); [order[i], order[j]] = [order[j], order[i]]; }
    for (let s = 0; s < steps; s++) {
      const rows = order.slice(s * batch, Math.min((s + 1) * batch, n));
      t++;
      const lr = LINEAR_LR * 0.5 * (1 + Math.cos((Math.PI * (t - 1)) / total));
      const { gw, gb } = gradient(xs, y, rows, d, C, w, b, l2);
      [gw, gb].forEach((g, k) => {
        const { p, m, v } = state[k];
        for (let q = 0; q < p.length; q++) {
          m[q] = 0.9 * m[q] + 0.1 * g[q];
          v[q] = 0.999 * v[q] + 0.001 * g[q] * g[q];
          p[q] -= (lr * (m[q] / (1 - 0.9 ** t))) / (Math.sqrt(v[q] / (1 - 0.999 ** t)) + 1e-8);
        }
      });
    }
  }
  return { w, b };
}

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('linear probe', () => {
  it('standardises with the train mean / population std; constant features keep std 1', () => {
    const f: Features = { x: Float32Array.from([1, 5, 2, 3, 5, 2, 5, 5, 2]), y: new Int32Array(3), n: 3, d: 3 };
    const { mean, std } = featureStats(f);
    expect(Array.from(mean)).toEqual([3, 5, 2]);
    expect(std[0]).toBeCloseTo(Math.sqrt(8 / 3), 6);
    expect([std[1], std[2]]).toEqual([1, 1]);
    const xs = standardise(f, mean, std);
    expect(xs[0]).toBeCloseTo(-2 / Math.sqrt(8 / 3), 6);
    expect([xs[1], xs[2]]).toEqual([0, 0]);
  });

  it('plans batches and passes: 512-row batches for large sets, >= 1000 updates for small ones', () => {
    expect(linearPlan(60000, 10)).toEqual({ batch: LINEAR_BATCH, stepsPerEpoch: 118, passes: 10 });
    expect(linearPlan(600, 10)).toEqual({ batch: 32, stepsPerEpoch: 19, passes: 53 });
    expect(linearPlan(10, 3)).toEqual({ batch: 10, stepsPerEpoch: 1, passes: 1000 });
  });

  it('fitLogisticRegression matches a plain-JS minibatch Adam reference (same order, incl. a partial batch)', async () => {
    const n = 1000, d = 5, C = 3; // batch 32: 31 full batches and a partial one per pass
    const data = blobs(createRng(1), n, d, C, 1.0);
    const { mean, std } = featureStats(data);
    const xs = standardise(data, mean, std);
    const got = await fitLogisticRegression(xs, data.y, n, d, { numClasses: C, l2: 1e-3, epochs: 3, seed: 5 });
    const want = fitReference(xs, data.y, n, d, C, 1e-3, 3, 5);
    for (let k = 0; k < want.w.length; k++) expect(Math.abs(got.w[k] - want.w[k]), `w[${k}]`).toBeLessThan(1e-4);
    for (let k = 0; k < C; k++) expect(Math.abs(got.b[k] - want.b[k]), `b[${k}]`).toBeLessThan(1e-4);
  });

  it('converges: the objective approaches the optimum found by long full-batch gradient descent', async () => {
    const n = 300, d = 4, C = 3, l2 = 1e-2;
    const data = blobs(createRng(2), n, d, C, 1.0); // overlapping classes: a finite optimum
    const { mean, std } = featureStats(data);
    const xs = standardise(data, mean, std);
    // Reference: 3000 steps of full-batch gradient descent with step 1 (L-smooth, convex).
    const w = new Float64Array(d * C), b = new Float64Array(C);
    const all = Array.from({ length: n }, (_, i) => i);
    for (let it = 0; it < 3000; it++) {
      const { gw, gb } = gradient(xs, data.y, all, d, C, w, b, l2);
      for (let k = 0; k < w.length; k++) w[k] -= gw[k];
      for (let k = 0; k < C; k++) b[k] -= gb[k];
    }
    const optimum = objective(xs, data.y, n, d, C, w, b, l2); // ~0.306
    const gap = async (epochs: number) => {
      const model: LinearModel = await fitLogisticRegression(xs, data.y, n, d, { numClasses: C, l2, epochs });
      return objective(xs, data.y, n, d, C, model.w, model.b, l2) - optimum;
    };
    const minimal = await gap(1); // the MIN_STEPS budget: 1000 updates of 32 rows
    const longer = await gap(300); // 3000 updates
    expect(minimal).toBeGreaterThan(-1e-6);
    expect(minimal).toBeLessThan(3e-3); // measured 1.7e-3 (0.6 % of the objective)
    expect(longer).toBeGreaterThan(-1e-6);
    expect(longer).toBeLessThan(1e-4); // measured 2e-5
  });

  it('separates well-separated blobs perfectly and leaks no tensors', async () => {
    const rng = createRng(3);
    const train = blobs(rng, 600, 8, 4, 8);
    const test = blobs(rng, 200, 8, 4, 8, train.centres);
    const before = tf.memory().numTensors;
    const r = await linearProbe(train, test, { numClasses: 4, l2: 1e-4, epochs: 5 });
    expect(tf.memory().numTensors).toBe(before);
    expect(r).toEqual({ top1: 1, trainTop1: 1 });
  });

  it('is near chance on random labels (and fits the training set better than the test set)', async () => {
    const rng = createRng(4);
    const mk = (n: number): Features => {
      const d = 20;
      return { x: Float32Array.from({ length: n * d }, () => rng.normal()), y: Int32Array.from({ length: n }, () => rng.int(10)), n, d };
    };
    const r = await linearProbe(mk(2000), mk(1000), { numClasses: 10, l2: 1e-4, epochs: 10 });
    expect(r.top1).toBeGreaterThan(0.05);
    expect(r.top1).toBeLessThan(0.15);
    expect(r.trainTop1).toBeGreaterThan(r.top1 + 0.03);
  });

  it('rejects inconsistent inputs with clear errors', async () => {
    const f: Features = { x: new Float32Array(6), y: Int32Array.from([0, 1, 2]), n: 3, d: 2 };
    const g: Features = { x: new Float32Array(9), y: Int32Array.from([0, 1, 0]), n: 3, d: 3 };
    await expect(linearProbe(f, f, { numClasses: 2, l2: 0, epochs: 1 })).rejects.toThrow(/label 2 at row 2 is outside \[0, 2\)/);
    await expect(linearProbe(f, g, { numClasses: 3, l2: 0, epochs: 1 })).rejects.toThrow(/d=2.*d=3/);
    await expect(linearProbe(f, f, { numClasses: 3, l2: 0, epochs: 0 })).rejects.toThrow(/epochs/);
    await expect(linearProbe({ ...f, n: 4 }, f, { numClasses: 3, l2: 0, epochs: 1 })).rejects.toThrow(/x has 6 values/);
  });
});
