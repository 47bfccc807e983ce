import '@tensorflow/tfjs-backend-wasm';
import { beforeAll, describe, expect, it } from 'vitest';
import { tf } from '../tf.js';
import { createRng } from '../util/rng.js';
import { randomFlip } from './random_flip.js';

function same(a: tf.Tensor, b: tf.Tensor): boolean {
  const x = a.dataSync();
  const y = b.dataSync();
  return x.length === y.length && x.every((v, i) => v === y[i]);
}

describe.each(['cpu', 'wasm'])('random_flip on %s', (backend) => {
  beforeAll(async () => {
    expect(await tf.setBackend(backend)).toBe(true);
  });

  it('p = 1 equals tf.reverse on the flipped axes; p = 0 is the identity', () => {
    expect(tf.getBackend()).toBe(backend);
    const x = tf.randomUniform([4, 5, 6, 2], 0, 1, 'float32', 1) as tf.Tensor4D;
    const before = tf.memory().numTensors;
    const rng = createRng(1);
    const cases: [boolean, boolean, number[]][] = [
      [true, false, [2]],
      [false, true, [1]],
      [true, true, [1, 2]],
    ];
    for (const [horizontal, vertical, axes] of cases) {
      const y = randomFlip(x, { horizontal, vertical, p: 1 }, rng);
      const ref = tf.reverse(x, axes);
      expect(same(y, ref)).toBe(true);
      tf.dispose([y, ref]);
    }
    const id = randomFlip(x, { horizontal: true, vertical: true, p: 0 }, rng);
    expect(id).not.toBe(x);
    expect(same(id, x)).toBe(true);
    id.dispose();
    expect(tf.memory().numTensors).toBe(before);
    x.dispose();
  });

  it('p = 0.5 flips about half the examples, each either flipped or untouched', () => {
    const b = 400;
    const x = tf.randomUniform([b, 3, 4, 1], 0, 1, 'float32', 2) as tf.Tensor4D;
    const rev = tf.reverse(x, 2);
    const y = randomFlip(x, { horizontal: true, vertical: false, p: 0.5 }, createRng(3));
    const [xv, rv, yv] = [x.dataSync(), rev.dataSync(), y.dataSync()];
    let flipped = 0;
    let neither = 0;
    for (let i = 0; i < b; i++) {
      const s = i * 12;
      const isX = yv.slice(s, s + 12).every((v, k) => v === xv[s + k]);
      const isR = yv.slice(s, s + 12).every((v, k) => v === rv[s + k]);
      if (isR && !isX) flipped++;
      if (!isR && !isX) neither++;
    }
    expect(neither).toBe(0);
    expect(Math.abs(flipped / b - 0.5)).toBeLessThan(0.1);
    // Deterministic for a seed.
    const y2 = randomFlip(x, { horizontal: true, vertical: false, p: 0.5 }, createRng(3));
    expect(same(y, y2)).toBe(true);
    tf.dispose([x, rev, y, y2]);
  });

  it('rejects p outside [0, 1]', () => {
    const x = tf.zeros([1, 2, 2, 1]) as tf.Tensor4D;
    expect(() => randomFlip(x, { horizontal: true, vertical: false, p: 1.5 }, createRng(1))).toThrow(/p must be in/);
    x.dispose();
  });
});
