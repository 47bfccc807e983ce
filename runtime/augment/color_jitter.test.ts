import '@tensorflow/tfjs-backend-wasm';
import { beforeAll, describe, expect, it } from 'vitest';
import { tf } from '../tf.js';
import { createRng } from '../util/rng.js';
import { colorJitter, jitterWith } from './color_jitter.js';

/** Per-example mean and std of x [B, N] (flattened images). */
function stats(t: tf.Tensor): { mean: number[]; std: number[] } {
  const [b] = t.shape;
  const v = t.dataSync();
  const n = v.length / b;
  const mean: number[] = [];
  const std: number[] = [];
  for (let i = 0; i < b; i++) {
    let s = 0;
    let s2 = 0;
    for (let k = 0; k < n; k++) {
      s += v[i * n + k];
      s2 += v[i * n + k] ** 2;
    }
    mean.push(s / n);
    std.push(Math.sqrt(Math.max(0, s2 / n - (s / n) ** 2)));
  }
  return { mean, std };
}

describe.each(['cpu', 'wasm'])('color_jitter on %s', (backend) => {
  beforeAll(async () => {
    expect(await tf.setBackend(backend)).toBe(true);
  });

  it('given deltas and factors move each mean by d and scale each std by f', () => {
    expect(tf.getBackend()).toBe(backend);
    // Values in [0.4, 0.6] so nothing clips.
    const x = tf.randomUniform([3, 10, 10, 1], 0.4, 0.6, 'float32', 1) as tf.Tensor4D;
    const d = Float32Array.from([0.1, -0.2, 0]);
    const f = Float32Array.from([1, 1.5, 0.5]);
    const y = jitterWith(x, d, f);
    const sx = stats(x);
    const sy = stats(y);
    for (let i = 0; i < 3; i++) {
      expect(sy.mean[i]).toBeCloseTo(sx.mean[i] + d[i], 5);
      expect(sy.std[i]).toBeCloseTo(sx.std[i] * f[i], 5);
    }
    tf.dispose([x, y]);
  });

  it('random draws: brightness shifts ~ U(-b, b), contrast ~ U(1-c, 1+c), output in [0, 1]', () => {
    const b = 512;
    const x = tf.randomUniform([b, 8, 8, 1], 0.45, 0.55, 'float32', 2) as tf.Tensor4D;
    const sx = stats(x);
    const bright = colorJitter(x, { brightness: 0.3, contrast: 0 }, createRng(3));
    const sb = stats(bright);
    const shifts = sb.mean.map((m, i) => m - sx.mean[i]);
    expect(Math.max(...shifts)).toBeLessThanOrEqual(0.3 + 1e-5);
    expect(Math.min(...shifts)).toBeGreaterThanOrEqual(-0.3 - 1e-5);
    expect(Math.abs(shifts.reduce((a, v) => a + v, 0) / b)).toBeLessThan(0.02);
    const varShift = shifts.reduce((a, v) => a + v * v, 0) / b;
    expect(Math.abs(varShift - 0.09 / 3)).toBeLessThan(0.005); // Var U(-b, b) = b^2 / 3
    expect(Math.max(...sb.std.map((s, i) => Math.abs(s - sx.std[i])))).toBeLessThan(1e-5);

    const con = colorJitter(x, { brightness: 0, contrast: 0.4 }, createRng(4));
    const sc = stats(con);
    const ratios = sc.std.map((s, i) => s / sx.std[i]);
    expect(Math.min(...ratios)).toBeGreaterThan(0.6 - 1e-3);
    expect(Math.max(...ratios)).toBeLessThan(1.4 + 1e-3);
    expect(Math.abs(ratios.reduce((a, v) => a + v, 0) / b - 1)).toBeLessThan(0.03);
    expect(Math.max(...sc.mean.map((m, i) => Math.abs(m - sx.mean[i])))).toBeLessThan(1e-5); // contrast keeps the mean

    const strong = colorJitter(x, { brightness: 0.9, contrast: 3 }, createRng(5));
    const v = strong.dataSync();
    expect(Math.min(...v)).toBe(0);
    expect(Math.max(...v)).toBe(1);
    tf.dispose([x, bright, con, strong]);
  });

  it('is deterministic for a seed and leaks nothing', () => {
    const x = tf.randomUniform([8, 6, 6, 1], 0, 1, 'float32', 6) as tf.Tensor4D;
    const before = tf.memory().numTensors;
    for (let i = 0; i < 3; i++) {
      const a = colorJitter(x, { brightness: 0.4, contrast: 0.4 }, createRng(9));
      const c = colorJitter(x, { brightness: 0.4, contrast: 0.4 }, createRng(9));
      expect(Array.from(a.dataSync())).toEqual(Array.from(c.dataSync()));
      tf.dispose([a, c]);
    }
    expect(tf.memory().numTensors).toBe(before);
    expect(() => colorJitter(x, { brightness: -1, contrast: 0 }, createRng(1))).toThrow(/brightness/);
    x.dispose();
  });
});
