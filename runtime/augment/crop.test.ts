import '@tensorflow/tfjs-backend-wasm';
import { beforeAll, describe, expect, it } from 'vitest';
import { tf } from '../tf.js';
import { createRng } from '../util/rng.js';
import { crop, validateCrop } from './crop.js';

/** Naive window slicing: the same start draws, then np.interp-style linear interpolation. */
function naiveCrop(x: Float32Array, [b, t, c]: [number, number, number], size: number, seed: number): Float32Array {
  const rng = createRng(seed);
  const out = new Float32Array(b * t * c);
  for (let e = 0; e < b; e++) {
    const start = rng.int(t - size + 1);
    for (let i = 0; i < t; i++) {
      const p = start + (i * (size - 1)) / (t - 1);
      const lo = Math.floor(p);
      const hi = Math.min(lo + 1, t - 1);
      for (let ch = 0; ch < c; ch++) {
        const a = x[(e * t + lo) * c + ch];
        out[(e * t + i) * c + ch] = a + (x[(e * t + hi) * c + ch] - a) * (p - lo);
      }
    }
  }
  return out;
}

describe.each(['cpu', 'wasm'])('crop on %s', (backend) => {
  beforeAll(async () => {
    expect(await tf.setBackend(backend)).toBe(true);
  });

  it('matches a naive window-slice reference and keeps the shape [B, T, C]', () => {
    const shape: [number, number, number] = [8, 50, 3];
    const rng = createRng(0);
    const data = Float32Array.from({ length: 8 * 50 * 3 }, () => rng.normal());
    const x = tf.tensor3d(data, shape);
    for (const size of [45, 20, 1]) {
      const y = crop(x, { size }, createRng(11));
      expect(y.shape).toEqual(shape);
      const want = naiveCrop(data, shape, size, 11);
      const got = y.dataSync();
      // Positions are float32 on the backend path: agreement to float32 precision of the position.
      let worst = 0;
      for (let i = 0; i < want.length; i++) worst = Math.max(worst, Math.abs(got[i] - want[i]));
      expect(worst).toBeLessThan(5e-5);
      y.dispose();
    }
    x.dispose();
  });

  it('on a ramp: each output is the window [start, start + size - 1] stretched linearly; starts are uniform', () => {
    const [b, t] = [3000, 20];
    const x = tf.tensor3d(Float32Array.from({ length: b * t }, (_, i) => i % t), [b, t, 1]);
    const y = crop(x, { size: 16 }, createRng(12));
    const v = y.dataSync();
    const starts = new Array<number>(5).fill(0);
    for (let e = 0; e < b; e++) {
      const first = v[e * t];
      expect(Number.isInteger(first)).toBe(true);
      expect(v[e * t + t - 1]).toBeCloseTo(first + 15, 4);
      expect(v[e * t + 10]).toBeCloseTo(first + (10 * 15) / 19, 4);
      starts[first]!++;
    }
    for (const n of starts) expect(Math.abs(n / b - 0.2)).toBeLessThan(0.03);
    tf.dispose([x, y]);
  });

  it('size T is the identity, deterministic for a seed, leaks nothing; bad sizes throw', () => {
    const x = tf.randomNormal([4, 24, 2], 0, 1, 'float32', 7) as tf.Tensor3D;
    const before = tf.memory().numTensors;
    const id = crop(x, { size: 24 }, createRng(1));
    expect(Array.from(id.dataSync())).toEqual(Array.from(x.dataSync()));
    const a = crop(x, { size: 20 }, createRng(1));
    const b = crop(x, { size: 20 }, createRng(1));
    expect(Array.from(a.dataSync())).toEqual(Array.from(b.dataSync()));
    tf.dispose([id, a, b]);
    expect(tf.memory().numTensors).toBe(before);
    expect(() => crop(x, { size: 25 }, createRng(1))).toThrow(/longer than the 24 time steps/);
    expect(() => validateCrop({ size: 0 })).toThrow(RangeError);
    x.dispose();
  });
});
