import '@tensorflow/tfjs-backend-wasm';
import { beforeAll, describe, expect, it } from 'vitest';
import { tf } from '../tf.js';
import { createRng } from '../util/rng.js';
import { gaussianNoise, normalNoise } from './gaussian_noise.js';

describe.each(['cpu', 'wasm'])('gaussian_noise on %s', (backend) => {
  beforeAll(async () => {
    expect(await tf.setBackend(backend)).toBe(true);
  });

  it('adds N(0, std^2): measured mean and std match, clipped to [0, 1]', () => {
    expect(tf.getBackend()).toBe(backend);
    const x = tf.fill([16, 28, 28, 1], 0.5) as tf.Tensor4D;
    const y = gaussianNoise(x, { std: 0.1 }, createRng(1));
    const v = y.dataSync();
    let s = 0;
    let s2 = 0;
    for (const a of v) {
      s += a - 0.5;
      s2 += (a - 0.5) ** 2;
    }
    const n = v.length;
    expect(Math.abs(s / n)).toBeLessThan(0.002);
    expect(Math.abs(Math.sqrt(s2 / n - (s / n) ** 2) - 0.1)).toBeLessThan(0.002);
    const big = gaussianNoise(x, { std: 2 }, createRng(2));
    const bv = big.dataSync();
    expect(Math.min(...bv)).toBe(0);
    expect(Math.max(...bv)).toBe(1);
    tf.dispose([x, y, big]);
  });

  it('is deterministic for a seed, fresh per call, std 0 is the identity, leaks nothing', () => {
    const x = tf.fill([2, 4, 4, 1], 0.5) as tf.Tensor4D;
    const before = tf.memory().numTensors;
    const a = gaussianNoise(x, { std: 0.1 }, createRng(3));
    const b = gaussianNoise(x, { std: 0.1 }, createRng(3));
    expect(Array.from(a.dataSync())).toEqual(Array.from(b.dataSync()));
    const rng = createRng(4);
    const c = gaussianNoise(x, { std: 0.1 }, rng);
    const d = gaussianNoise(x, { std: 0.1 }, rng);
    expect(Array.from(c.dataSync())).not.toEqual(Array.from(d.dataSync()));
    const id = gaussianNoise(x, { std: 0 }, rng);
    expect(id).not.toBe(x);
    expect(Array.from(id.dataSync())).toEqual(Array.from(x.dataSync()));
    tf.dispose([a, b, c, d, id]);
    expect(tf.memory().numTensors).toBe(before);
    x.dispose();
  });
});

describe('normalNoise', () => {
  it('is N(0, std^2): moments and the 1- and 2-sigma masses match, seeded', () => {
    const n = 200001; // odd: the last pair is cut
    const z = normalNoise(n, 2, 11);
    let s = 0, s2 = 0, s4 = 0, in1 = 0, in2 = 0;
    for (const v of z) {
      s += v;
      s2 += v * v;
      s4 += v ** 4;
      if (Math.abs(v) < 2) in1++;
      if (Math.abs(v) < 4) in2++;
    }
    const mean = s / n, variance = s2 / n - mean ** 2;
    expect(Math.abs(mean)).toBeLessThan(0.02);
    expect(Math.abs(variance / 4 - 1)).toBeLessThan(0.015);
    expect(Math.abs(s4 / n / 16 - 3)).toBeLessThan(0.06);
    expect(Math.abs(in1 / n - 0.6827)).toBeLessThan(0.005);
    expect(Math.abs(in2 / n - 0.9545)).toBeLessThan(0.003);
    expect(Number.isFinite(z[n - 1])).toBe(true);
    expect(Array.from(normalNoise(100, 1, 5))).toEqual(Array.from(normalNoise(100, 1, 5)));
    expect(Array.from(normalNoise(100, 1, 5))).not.toEqual(Array.from(normalNoise(100, 1, 6)));
  });
});
