import '@tensorflow/tfjs-backend-wasm';
import { beforeAll, describe, expect, it } from 'vitest';
import { tf } from '../tf.js';
import { createRng } from '../util/rng.js';
import { permutation, permutationOrder, validatePermutation } from './permutation.js';

/** Maximal runs of consecutive steps (i, i + 1, ...) in an order. */
function runs(order: ArrayLike<number>): number {
  let n = 1;
  for (let i = 1; i < order.length; i++) if (order[i] !== order[i - 1] + 1) n++;
  return n;
}

describe('permutationOrder', () => {
  it('k is uniform on 1..max_segments; the order is a permutation of whole segments; cuts are uniform', () => {
    const rng = createRng(5);
    const t = 40;
    const out = new Float32Array(t);
    const counts = [0, 0, 0, 0, 0, 0];
    const cutAt = new Array<number>(t).fill(0); // how often a segment starts at step s > 0
    const n = 30000;
    for (let i = 0; i < n; i++) {
      const k = permutationOrder(t, 5, rng, out);
      counts[k]!++;
      expect(Array.from(out).sort((a, b) => a - b)).toEqual([...Array(t).keys()]);
      // Segments may land in their old order next to each other, so runs <= k.
      expect(runs(out)).toBeLessThanOrEqual(k);
      for (let j = 1; j < t; j++) if (out[j] !== out[j - 1] + 1 && out[j] !== 0) cutAt[out[j]]!++;
      if (i > 2000) break; // the sort check is slow; the counts below use the fast loop
    }
    for (let i = 2002; i < n; i++) counts[permutationOrder(t, 5, rng, out)]!++;
    expect(counts[0]).toBe(0);
    for (let k = 1; k <= 5; k++) expect(Math.abs(counts[k]! / n - 0.2)).toBeLessThan(0.012);
    // Each of the 39 cut places is equally likely: no place is far from the mean.
    const visible = cutAt.slice(1);
    const mean = visible.reduce((a, b) => a + b, 0) / visible.length;
    for (const c of visible) expect(Math.abs(c - mean)).toBeLessThan(0.35 * mean);
  });

  it('k = 1 is the identity; never more segments than steps', () => {
    const out = new Float32Array(3);
    expect(permutationOrder(3, 1, createRng(0), out)).toBe(1);
    expect(Array.from(out)).toEqual([0, 1, 2]);
    const rng = createRng(1);
    for (let i = 0; i < 200; i++) expect(permutationOrder(3, 10, rng, out)).toBeLessThanOrEqual(3);
  });
});

describe.each(['cpu', 'wasm'])('permutation on %s', (backend) => {
  beforeAll(async () => {
    expect(await tf.setBackend(backend)).toBe(true);
  });

  it('moves whole time steps (all channels together) by the drawn order; each channel keeps its multiset', () => {
    const [b, t, c] = [16, 30, 3];
    const data = Float32Array.from({ length: b * t * c }, (_, i) => Math.round(1000 * Math.sin(i * 1.3)) / 7);
    const x = tf.tensor3d(data, [b, t, c]);
    const y = permutation(x, { maxSegments: 6 }, createRng(9));
    expect(y.shape).toEqual([b, t, c]);
    const v = y.dataSync();
    // Naive reference: the same draws, applied by hand.
    const rng = createRng(9);
    const order = new Float32Array(t);
    let moved = 0;
    for (let e = 0; e < b; e++) {
      permutationOrder(t, 6, rng, order);
      if (runs(order) > 1) moved++;
      for (let ch = 0; ch < c; ch++) {
        const got: number[] = [];
        const input: number[] = [];
        for (let s = 0; s < t; s++) {
          expect(v[(e * t + s) * c + ch]).toBe(data[(e * t + order[s]) * c + ch]);
          got.push(v[(e * t + s) * c + ch]);
          input.push(data[(e * t + s) * c + ch]);
        }
        expect(got.sort((p, q) => p - q)).toEqual(input.sort((p, q) => p - q));
      }
    }
    expect(moved).toBeGreaterThan(8);
    tf.dispose([x, y]);
  });

  it('is deterministic for a seed, max_segments 1 is the identity, leaks nothing; bad max_segments throws', () => {
    const x = tf.randomNormal([4, 20, 2], 0, 1, 'float32', 3) as tf.Tensor3D;
    const before = tf.memory().numTensors;
    const a = permutation(x, { maxSegments: 5 }, createRng(2));
    const b = permutation(x, { maxSegments: 5 }, createRng(2));
    expect(Array.from(a.dataSync())).toEqual(Array.from(b.dataSync()));
    const id = permutation(x, { maxSegments: 1 }, createRng(2));
    expect(Array.from(id.dataSync())).toEqual(Array.from(x.dataSync()));
    tf.dispose([a, b, id]);
    expect(tf.memory().numTensors).toBe(before);
    expect(() => validatePermutation({ maxSegments: 0 })).toThrow(RangeError);
    expect(() => validatePermutation({ maxSegments: 2.5 })).toThrow(RangeError);
    x.dispose();
  });
});
