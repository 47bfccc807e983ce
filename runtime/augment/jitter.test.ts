import '@tensorflow/tfjs-backend-wasm';
import { beforeAll, describe, expect, it } from 'vitest';
import { tf } from '../tf.js';
import { createRng } from '../util/rng.js';
import { jitter, validateJitter } from './jitter.js';

describe.each(['cpu', 'wasm'])('jitter on %s', (backend) => {
  beforeAll(async () => {
    expect(await tf.setBackend(backend)).toBe(true);
  });

  it('adds N(0, sigma^2) without clipping: measured mean, std and 2-sigma mass of y - x', () => {
    const rng = createRng(0);
    const data = Float32Array.from({ length: 64 * 128 * 2 }, (_, i) => 5 * Math.sin(i / 7)); // far outside [0, 1]
    const x = tf.tensor3d(data, [64, 128, 2]);
    const y = jitter(x, { sigma: 0.8 }, rng);
    expect(y.shape).toEqual([64, 128, 2]);
    const v = y.dataSync();
    let s = 0, s2 = 0, within = 0;
    for (let i = 0; i < v.length; i++) {
      const d = v[i] - data[i];
      s += d;
      s2 += d * d;
      if (Math.abs(d) < 1.6) within++;
    }
    const n = v.length;
    expect(Math.abs(s / n)).toBeLessThan(0.02);
    expect(Math.abs(Math.sqrt(s2 / n) - 0.8)).toBeLessThan(0.01);
    expect(Math.abs(within / n - 0.9545)).toBeLessThan(0.005);
    expect(Math.max(...v)).toBeGreaterThan(5.5);
    expect(Math.min(...v)).toBeLessThan(-5.5);
    tf.dispose([x, y]);
  });

  it('is deterministic for a seed, fresh per call, sigma 0 is the identity; leaks nothing; bad sigma throws', () => {
    const x = tf.randomNormal([4, 16, 3], 0, 1, 'float32', 1) as tf.Tensor3D;
    const before = tf.memory().numTensors;
    const a = jitter(x, { sigma: 0.1 }, createRng(3));
    const b = jitter(x, { sigma: 0.1 }, createRng(3));
    expect(Array.from(a.dataSync())).toEqual(Array.from(b.dataSync()));
    const rng = createRng(4);
    const c = jitter(x, { sigma: 0.1 }, rng);
    const d = jitter(x, { sigma: 0.1 }, rng);
    expect(Array.from(c.dataSync())).not.toEqual(Array.from(d.dataSync()));
    const id = jitter(x, { sigma: 0 }, rng);
    expect(id).not.toBe(x);
    expect(Array.from(id.dataSync())).toEqual(Array.from(x.dataSync()));
    tf.dispose([a, b, c, d, id]);
    expect(tf.memory().numTensors).toBe(before);
    expect(() => validateJitter({ sigma: -1 })).toThrow(RangeError);
    expect(() => validateJitter({ sigma: NaN })).toThrow(RangeError);
    x.dispose();
  });
});
