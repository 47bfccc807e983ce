import { beforeAll, describe, expect, it } from 'vitest';
import { tf } from '../tf.js';
import { createRng, type Rng } from '../util/rng.js';
import { knnPredict, knnProbe } from './knn.js';
import type { Features } from './types.js';

function randomFeatures(rng: Rng, n: number, d: number, classes: number): Features {
  return { x: Float32Array.from({ length: n * d }, () => rng.normal()), y: Int32Array.from({ length: n }, () => rng.int(classes)), n, d };
}

/** Naive reference: float64 cosine similarities, full sort (ties: lower index), explicit vote. */
function knnNaive(train: Features, test: Features, C: number, k: number, T: number): number[] {
  const unit = (f: Features, i: number) => {
    const row = Array.from(f.x.subarray(i * f.d, (i + 1) * f.d));
    const norm = Math.sqrt(row.reduce((s, v) => s + v * v, 0));
    return row.map((v) => v / norm);
  };
  const tr = Array.from({ length: train.n }, (_, i) => unit(train, i));
  return Array.from({ length: test.n }, (_, q) => {
    const z = unit(test, q);
    const sims = tr.map((t, i) => ({ s: t.reduce((a, v, j) => a + v * z[j], 0), i }));
    sims.sort((a, b) => b.s - a.s || a.i - b.i);
    const votes = new Array(C).fill(0), simSum = new Array(C).fill(0);
    for (const { s, i } of sims.slice(0, k)) {
      votes[train.y[i]] += T > 0 ? Math.exp(s / T) : 1;
      simSum[train.y[i]] += s;
    }
    let best = 0;
    for (let c = 1; c < C; c++) if (votes[c] > votes[best] || (T === 0 && votes[c] === votes[best] && simSum[c] > simSum[best])) best = c;
    return best;
  });
}

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('knn probe', () => {
  it('predicts exactly as a naive implementation (majority and weighted votes, several chunks)', async () => {
    const rng = createRng(1);
    const train = randomFeatures(rng, 300, 6, 4);
    const test = randomFeatures(rng, 97, 6, 4);
    for (const k of [1, 5, 20])
      for (const T of [0, 0.07, 0.5]) {
        const want = knnNaive(train, test, 4, k, T);
        // 300 * 10 elements per chunk: 10 test rows at a time, the last chunk partial.
        expect(Array.from(await knnPredict(train, test, { numClasses: 4, k, temperature: T }, 3000)), `k=${k} T=${T}`).toEqual(want);
        expect(Array.from(await knnPredict(train, test, { numClasses: 4, k, temperature: T })), `k=${k} T=${T}`).toEqual(want);
      }
  });

  it('breaks majority ties by summed similarity; temperature weighting can overturn a majority', async () => {
    // Unit vectors at angles: query at 0 rad. Class 0 at sims 0.95 and 0.1; class 1 at 0.6 and 0.5.
    const angles = [Math.acos(0.95), Math.acos(0.1), Math.acos(0.6), Math.acos(0.5), Math.PI];
    const train: Features = { x: Float32Array.from(angles.flatMap((a) => [Math.cos(a), Math.sin(a)])), y: Int32Array.from([0, 0, 1, 1, 1]), n: 5, d: 2 };
    const test: Features = { x: Float32Array.from([1, 0]), y: Int32Array.from([0]), n: 1, d: 2 };
    // k=4: 2 votes each; summed similarity 1.05 (class 0) > 1.1? no: 1.05 < 1.1 -> class 1.
    expect((await knnPredict(train, test, { numClasses: 2, k: 4, temperature: 0 }))[0]).toBe(1);
    // Make class 0's sum larger: move its far neighbour to 0.3 -> 1.25 > 1.1 -> class 0.
    const a2 = [...angles];
    a2[1] = Math.acos(0.3);
    const train2 = { ...train, x: Float32Array.from(a2.flatMap((a) => [Math.cos(a), Math.sin(a)])) };
    expect((await knnPredict(train2, test, { numClasses: 2, k: 4, temperature: 0 }))[0]).toBe(0);
    // k=5 majority is class 1 (3 votes vs 2); with T=0.05 exp(0.95/T) dominates -> class 0.
    expect((await knnPredict(train2, test, { numClasses: 2, k: 5, temperature: 0 }))[0]).toBe(1);
    expect((await knnPredict(train2, test, { numClasses: 2, k: 5, temperature: 0.05 }))[0]).toBe(0);
  });

  it('is perfect on well-separated blobs, near chance on random labels, and leaks nothing', async () => {
    const rng = createRng(2);
    const d = 16, C = 5;
    const centres = Array.from({ length: C }, () => Array.from({ length: d }, () => 6 * rng.normal()));
    const blobs = (n: number): Features => {
      const y = Int32Array.from({ length: n }, (_, i) => i % C);
      const x = new Float32Array(n * d);
      for (let i = 0; i < n; i++) for (let j = 0; j < d; j++) x[i * d + j] = centres[y[i]][j] + rng.normal();
      return { x, y, n, d };
    };
    const before = tf.memory().numTensors;
    expect((await knnProbe(blobs(500), blobs(200), { numClasses: C, k: 10, temperature: 0 })).top1).toBe(1);
    const chance = (await knnProbe(randomFeatures(rng, 2000, d, 10), randomFeatures(rng, 1000, d, 10), { numClasses: 10, k: 20, temperature: 0.07 })).top1;
    expect(chance).toBeGreaterThan(0.05);
    expect(chance).toBeLessThan(0.15);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('rejects bad options with clear errors', async () => {
    const rng = createRng(3);
    const f = randomFeatures(rng, 10, 3, 2);
    await expect(knnProbe(f, f, { numClasses: 2, k: 11, temperature: 0 })).rejects.toThrow(/k must be an integer in \[1, 10\]/);
    await expect(knnProbe(f, f, { numClasses: 2, k: 3, temperature: -1 })).rejects.toThrow(/temperature/);
    await expect(knnProbe(f, randomFeatures(rng, 5, 4, 2), { numClasses: 2, k: 3, temperature: 0 })).rejects.toThrow(/d=3.*d=4/);
    await expect(knnProbe(f, f, { numClasses: 1, k: 3, temperature: 0 })).rejects.toThrow(/label 1/);
  });
});
