import '@tensorflow/tfjs-backend-wasm';
import { beforeAll, describe, expect, it } from 'vitest';
import { tf } from '../tf.js';
import { createRng, type Rng } from '../util/rng.js';
import { colorJitter } from './color_jitter.js';
import { randomApply } from './random_apply.js';

describe.each(['cpu', 'wasm'])('random_apply on %s', (backend) => {
  beforeAll(async () => {
    expect(await tf.setBackend(backend)).toBe(true);
  });

  const jitter = (rng: Rng) => (x: tf.Tensor4D) => colorJitter(x, { brightness: 0.4, contrast: 0.4 }, rng);

  it('p = 0 is the identity (a new tensor), p = 1 equals the op for the same seed', () => {
    expect(tf.getBackend()).toBe(backend);
    const x = tf.randomUniform([8, 5, 5, 1], 0, 1, 'float32', 1) as tf.Tensor4D;
    const before = tf.memory().numTensors;
    const r0 = createRng(1);
    const id = randomApply(x, 0, jitter(r0), r0);
    expect(id).not.toBe(x);
    expect(Array.from(id.dataSync())).toEqual(Array.from(x.dataSync()));
    const r1 = createRng(2);
    const all = randomApply(x, 1, jitter(r1), r1);
    const op = jitter(createRng(2))(x);
    expect(Array.from(all.dataSync())).toEqual(Array.from(op.dataSync()));
    tf.dispose([id, all, op]);
    expect(tf.memory().numTensors).toBe(before);
    x.dispose();
  });

  it('p = 0.3 applies the op to ~30% of examples and keeps the rest exactly', () => {
    const b = 500;
    const x = tf.randomUniform([b, 2, 2, 1], 0, 1, 'float32', 2) as tf.Tensor4D;
    const negate = (t: tf.Tensor4D) => tf.sub(1, t) as tf.Tensor4D;
    const y = randomApply(x, 0.3, negate, createRng(3));
    const xv = x.dataSync();
    const yv = y.dataSync();
    let applied = 0;
    let other = 0;
    for (let i = 0; i < b; i++) {
      const s = i * 4;
      const kept = [0, 1, 2, 3].every((k) => yv[s + k] === xv[s + k]);
      const neg = [0, 1, 2, 3].every((k) => Math.abs(yv[s + k] - (1 - xv[s + k])) < 1e-6);
      if (neg) applied++;
      else if (!kept) other++;
    }
    expect(other).toBe(0);
    expect(Math.abs(applied / b - 0.3)).toBeLessThan(0.06);
    const y2 = randomApply(x, 0.3, negate, createRng(3));
    expect(Array.from(y2.dataSync())).toEqual(Array.from(yv));
    tf.dispose([x, y, y2]);
  });

  it('rejects ops that change the shape, without leaking', () => {
    const x = tf.zeros([4, 6, 6, 1]) as tf.Tensor4D;
    const before = tf.memory().numTensors;
    const shrink = (t: tf.Tensor4D) => tf.slice(t, [0, 0, 0, 0], [4, 3, 3, 1]);
    expect(() => randomApply(x, 1, shrink, createRng(1))).toThrow(/must keep the shape/);
    expect(tf.memory().numTensors).toBe(before);
    expect(() => randomApply(x, 2, shrink, createRng(1))).toThrow(/p must be in/);
    x.dispose();
  });
});
