import '@tensorflow/tfjs-backend-wasm';
import { beforeAll, describe, expect, it } from 'vitest';
import { tf } from '../tf.js';
import { createRng } from '../util/rng.js';
import { gaussianNoise } from './gaussian_noise.js';

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
