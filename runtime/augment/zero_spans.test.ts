import '@tensorflow/tfjs-backend-wasm';
import { beforeAll, describe, expect, it } from 'vitest';
import { tf } from '../tf.js';
import { createRng } from '../util/rng.js';
import { validateZeroSpans, zeroSpans } from './zero_spans.js';

describe.each(['cpu', 'wasm'])('zero_spans on %s', (backend) => {
  beforeAll(async () => {
    expect(await tf.setBackend(backend)).toBe(true);
  });

  it('zeroes exactly round(ratio * T) steps per example, all channels, in runs of >= span (but one); keeps the rest', () => {
    const [b, t, c] = [200, 60, 2];
    const data = Float32Array.from({ length: b * t * c }, (_, i) => 1 + (i % 7)); // never 0
    const x = tf.tensor3d(data, [b, t, c]);
    const y = zeroSpans(x, { span: 5, ratio: 0.3 }, createRng(3));
    expect(y.shape).toEqual([b, t, c]);
    const v = y.dataSync();
    const hitCount = new Array<number>(t).fill(0);
    for (let e = 0; e < b; e++) {
      let zeroed = 0;
      const runs: number[] = [];
      let run = 0;
      for (let s = 0; s < t; s++) {
        const i = (e * t + s) * c;
        const z = v[i] === 0;
        expect(v[i + 1] === 0).toBe(z); // every channel of a step together
        if (z) {
          zeroed++;
          hitCount[s]!++;
          run++;
        } else {
          expect(v[i]).toBe(data[i]);
          expect(v[i + 1]).toBe(data[i + 1]);
          if (run > 0) runs.push(run);
          run = 0;
        }
      }
      if (run > 0) runs.push(run);
      expect(zeroed).toBe(18);
      expect(runs.filter((r) => r < 5).length).toBeLessThanOrEqual(1);
    }
    // Every step can be hit; the middle is hit about ratio of the time (ends a little less).
    const middle = hitCount.slice(10, 50).reduce((a, n) => a + n, 0) / (40 * b);
    expect(middle).toBeGreaterThan(0.27);
    expect(middle).toBeLessThan(0.36);
    expect(Math.min(...hitCount)).toBeGreaterThan(0);
    tf.dispose([x, y]);
  });

  it('is deterministic for a seed, ratio 0 is the identity, leaks nothing; bad params throw', () => {
    const x = tf.randomNormal([4, 30, 2], 0, 1, 'float32', 8) as tf.Tensor3D;
    const before = tf.memory().numTensors;
    const a = zeroSpans(x, { span: 3, ratio: 0.2 }, createRng(5));
    const b = zeroSpans(x, { span: 3, ratio: 0.2 }, createRng(5));
    expect(Array.from(a.dataSync())).toEqual(Array.from(b.dataSync()));
    const id = zeroSpans(x, { span: 3, ratio: 0 }, createRng(5));
    expect(Array.from(id.dataSync())).toEqual(Array.from(x.dataSync()));
    tf.dispose([a, b, id]);
    expect(tf.memory().numTensors).toBe(before);
    expect(() => validateZeroSpans({ span: 0, ratio: 0.2 })).toThrow(RangeError);
    expect(() => validateZeroSpans({ span: 3, ratio: 1 })).toThrow(RangeError);
    x.dispose();
  });
});
