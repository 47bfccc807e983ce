import '@tensorflow/tfjs-backend-wasm';
import { beforeAll, describe, expect, it } from 'vitest';
import { tf } from '../tf.js';
import { createRng } from '../util/rng.js';
import { checkSequenceBatch, resampleTime } from './sequence.js';

/** Naive reference: out[b, i, c] by the formula, one value at a time. */
function naiveResample(x: Float32Array, [b, t, c]: number[], positions: Float32Array, outLength: number): Float32Array {
  const out = new Float32Array(b * outLength * c);
  for (let e = 0; e < b; e++) {
    for (let i = 0; i < outLength; i++) {
      const p = Math.min(Math.max(positions[e * outLength + i], 0), t - 1);
      const lo = Math.floor(p);
      const hi = Math.min(lo + 1, t - 1);
      for (let ch = 0; ch < c; ch++) {
        const a = x[(e * t + lo) * c + ch];
        const z = x[(e * t + hi) * c + ch];
        out[(e * outLength + i) * c + ch] = a + (z - a) * (p - lo);
      }
    }
  }
  return out;
}

describe.each(['cpu', 'wasm'])('resampleTime on %s', (backend) => {
  beforeAll(async () => {
    expect(await tf.setBackend(backend)).toBe(true);
  });

  it('matches the naive reference for random positions (clamped outside [0, T - 1]), other lengths too', () => {
    const rng = createRng(1);
    const shape = [3, 17, 2];
    const data = Float32Array.from({ length: 3 * 17 * 2 }, () => rng.normal());
    const x = tf.tensor3d(data, shape as [number, number, number]);
    const before = tf.memory().numTensors;
    for (const outLength of [17, 5, 30]) {
      const positions = Float32Array.from({ length: 3 * outLength }, () => -1 + 19 * rng.next());
      const y = resampleTime(x, positions, outLength);
      expect(y.shape).toEqual([3, outLength, 2]);
      const want = naiveResample(data, shape, positions, outLength);
      const got = y.dataSync();
      for (let i = 0; i < want.length; i++) expect(got[i]).toBeCloseTo(want[i], 5);
      y.dispose();
    }
    expect(tf.memory().numTensors).toBe(before);
    x.dispose();
  });

  it('integer positions are an exact gather (each example reads only its own steps)', () => {
    const x = tf.tensor3d([0, 1, 2, 3, 10, 11, 12, 13], [2, 4, 1]);
    const y = resampleTime(x, Float32Array.from([3, 2, 1, 0, 0, 0, 3, 3]), 4);
    expect(Array.from(y.dataSync())).toEqual([3, 2, 1, 0, 10, 10, 13, 13]);
    tf.dispose([x, y]);
  });

  it('rejects a wrong number of positions and batches that are not [B, T, C]', () => {
    const x = tf.zeros([2, 4, 1]) as tf.Tensor3D;
    expect(() => resampleTime(x, new Float32Array(7), 4)).toThrow(/7 positions for 2 examples of 4 steps/);
    const image = tf.zeros([1, 4, 4, 1]);
    expect(() => checkSequenceBatch('jitter', image)).toThrow(/jitter needs a batch of sequences \[B, T, C\], got \[1, 4, 4, 1\] \(a batch of images\)/);
    tf.dispose([x, image]);
  });
});
