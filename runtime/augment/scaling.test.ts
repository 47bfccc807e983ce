import '@tensorflow/tfjs-backend-wasm';
import { beforeAll, describe, expect, it } from 'vitest';
import { tf } from '../tf.js';
import { createRng } from '../util/rng.js';
import { scaling, scalingFactors, validateScaling } from './scaling.js';

const outputs: Record<string, Float32Array> = {};

describe.each(['cpu', 'wasm'])('scaling on %s', (backend) => {
  beforeAll(async () => {
    expect(await tf.setBackend(backend)).toBe(true);
  });

  it('multiplies each example and channel by one factor ~ N(1, sigma^2), constant over time', () => {
    const [b, t, c] = [2000, 6, 3];
    const data = Float32Array.from({ length: b * t * c }, (_, i) => 1 + (i % 5)); // 1..5, never 0
    const x = tf.tensor3d(data, [b, t, c]);
    const y = scaling(x, { sigma: 0.2 }, createRng(7));
    expect(y.shape).toEqual([b, t, c]);
    const v = y.dataSync();
    outputs[backend] = Float32Array.from(v);
    const factors: number[] = [];
    let drift = 0; // largest change of an example's factor over time
    for (let e = 0; e < b; e++) {
      for (let ch = 0; ch < c; ch++) {
        const f = v[e * t * c + ch] / data[e * t * c + ch];
        for (let s = 1; s < t; s++) drift = Math.max(drift, Math.abs(v[(e * t + s) * c + ch] / data[(e * t + s) * c + ch] - f));
        factors.push(f);
      }
    }
    expect(drift).toBeLessThan(1e-5);
    const mean = factors.reduce((a, z) => a + z, 0) / factors.length;
    const std = Math.sqrt(factors.reduce((a, z) => a + (z - mean) ** 2, 0) / factors.length);
    expect(Math.abs(mean - 1)).toBeLessThan(0.01);
    expect(Math.abs(std - 0.2)).toBeLessThan(0.006);
    // The factors are the host draws: the same seed gives the same numbers.
    const want = scalingFactors(b, c, 0.2, createRng(7));
    expect(factors[0]).toBeCloseTo(want[0], 5);
    expect(factors[factors.length - 1]).toBeCloseTo(want[want.length - 1], 5);
    tf.dispose([x, y]);
  });

  it('is deterministic for a seed, sigma 0 is the identity, leaks nothing; bad sigma throws', () => {
    const x = tf.randomNormal([4, 16, 2], 0, 1, 'float32', 2) as tf.Tensor3D;
    const before = tf.memory().numTensors;
    const a = scaling(x, { sigma: 0.3 }, createRng(1));
    const b = scaling(x, { sigma: 0.3 }, createRng(1));
    expect(Array.from(a.dataSync())).toEqual(Array.from(b.dataSync()));
    const id = scaling(x, { sigma: 0 }, createRng(1));
    expect(Array.from(id.dataSync())).toEqual(Array.from(x.dataSync()));
    tf.dispose([a, b, id]);
    expect(tf.memory().numTensors).toBe(before);
    expect(() => validateScaling({ sigma: -0.1 })).toThrow(RangeError);
    x.dispose();
  });
});

describe('scaling, cpu vs wasm', () => {
  it('the same seed gives the same output on both backends', () => {
    expect(outputs['cpu']).toBeDefined();
    expect(Array.from(outputs['wasm']!)).toEqual(Array.from(outputs['cpu']!));
  });
});
