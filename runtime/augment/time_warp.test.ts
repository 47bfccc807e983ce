import '@tensorflow/tfjs-backend-wasm';
import { beforeAll, describe, expect, it } from 'vitest';
import { tf } from '../tf.js';
import { createRng } from '../util/rng.js';
import { naturalCubicSpline, timeWarp, validateTimeWarp, warpPositions } from './time_warp.js';

/**
 * Naive natural cubic spline: solve the full (n+1) x (n+1) system for the second derivatives by
 * Gaussian elimination (M_0 = M_n = 0 as equations), then evaluate the textbook piecewise cubic.
 */
function naiveSpline(y: number[], h: number, ts: number[]): number[] {
  const n = y.length - 1;
  const a = Array.from({ length: n + 1 }, () => new Array<number>(n + 2).fill(0));
  a[0]![0] = 1;
  a[n]![n] = 1;
  for (let j = 1; j < n; j++) {
    a[j]![j - 1] = h / 6;
    a[j]![j] = (2 * h) / 3;
    a[j]![j + 1] = h / 6;
    a[j]![n + 1] = (y[j + 1]! - y[j]!) / h - (y[j]! - y[j - 1]!) / h;
  }
  for (let i = 0; i <= n; i++) {
    for (let r = i + 1; r <= n; r++) {
      const f = a[r]![i]! / a[i]![i]!;
      for (let k = i; k <= n + 1; k++) a[r]![k]! -= f * a[i]![k]!;
    }
  }
  const m = new Array<number>(n + 1).fill(0);
  for (let i = n; i >= 0; i--) {
    let s = a[i]![n + 1]!;
    for (let k = i + 1; k <= n; k++) s -= a[i]![k]! * m[k]!;
    m[i] = s / a[i]![i]!;
  }
  return ts.map((t) => {
    const j = Math.min(Math.floor(t / h), n - 1);
    const x0 = j * h, x1 = (j + 1) * h;
    return (m[j]! * (x1 - t) ** 3) / (6 * h) + (m[j + 1]! * (t - x0) ** 3) / (6 * h) + (y[j]! / h - (m[j]! * h) / 6) * (x1 - t) + (y[j + 1]! / h - (m[j + 1]! * h) / 6) * (t - x0);
  });
}

describe('naturalCubicSpline', () => {
  it('matches a naive dense solve, passes through the knots, reproduces straight lines', () => {
    const rng = createRng(1);
    for (const knots of [1, 4, 9]) {
      const t = 61;
      const h = (t - 1) / (knots + 1);
      const y = Array.from({ length: knots + 2 }, () => 1 + 0.5 * rng.normal());
      const got = naturalCubicSpline(y, h, t);
      const want = naiveSpline(y, h, [...Array(t).keys()]);
      for (let i = 0; i < t; i++) expect(got[i]).toBeCloseTo(want[i]!, 9);
      // Knots on whole steps (h = 60 / 5 = 12 for 4 knots): the spline takes the knot values.
      if (Number.isInteger(h)) y.forEach((v, j) => expect(got[j * h]).toBeCloseTo(v, 9));
    }
    const line = naturalCubicSpline([1, 2, 3, 4], 10, 31);
    for (let i = 0; i < 31; i++) expect(line[i]).toBeCloseTo(1 + i / 10, 9);
  });
});

describe('warpPositions', () => {
  it('is strictly increasing from 0 to T - 1 for any sigma; sigma 0 is the identity', () => {
    const rng = createRng(2);
    const t = 128;
    const phi = new Float32Array(t);
    for (const sigma of [0.05, 0.2, 1, 3]) {
      for (let draw = 0; draw < 200; draw++) {
        warpPositions(t, { sigma, knots: 4 }, rng, phi);
        let smallestStep = Infinity;
        for (let i = 1; i < t; i++) smallestStep = Math.min(smallestStep, phi[i] - phi[i - 1]);
        expect([phi[0], phi[t - 1]]).toEqual([0, t - 1]);
        expect(smallestStep).toBeGreaterThan(0);
      }
    }
    warpPositions(t, { sigma: 0, knots: 4 }, rng, phi);
    for (let i = 0; i < t; i++) expect(phi[i]).toBeCloseTo(i, 4);
  });

  it('the displacement grows with sigma (mean |phi(t) - t| over many draws)', () => {
    const rng = createRng(3);
    const t = 100;
    const phi = new Float32Array(t);
    const displacement = (sigma: number): number => {
      let s = 0;
      for (let d = 0; d < 300; d++) {
        warpPositions(t, { sigma, knots: 4 }, rng, phi);
        for (let i = 0; i < t; i++) s += Math.abs(phi[i] - i);
      }
      return s / (300 * t);
    };
    const small = displacement(0.05);
    const medium = displacement(0.2);
    expect(small).toBeGreaterThan(0.2);
    // Small sigma: the warp is linear in sigma, so 4x the sigma moves about 4x as far.
    expect(medium / small).toBeGreaterThan(3);
    expect(medium / small).toBeLessThan(5);
  });
});

const outputs: Record<string, Float32Array> = {};

describe.each(['cpu', 'wasm'])('timeWarp on %s', (backend) => {
  beforeAll(async () => {
    expect(await tf.setBackend(backend)).toBe(true);
  });

  it('on a ramp x(t) = t the output is the warp itself: monotone, ends fixed, all channels alike', () => {
    const [b, t, c] = [32, 64, 2];
    const data = Float32Array.from({ length: b * t * c }, (_, i) => Math.floor(i / c) % t);
    const x = tf.tensor3d(data, [b, t, c]);
    const y = timeWarp(x, { sigma: 0.3, knots: 4 }, createRng(4));
    expect(y.shape).toEqual([b, t, c]);
    const v = y.dataSync();
    outputs[backend] = Float32Array.from(v);
    const rng = createRng(4);
    const phi = new Float32Array(t);
    let moved = 0;
    for (let e = 0; e < b; e++) {
      warpPositions(t, { sigma: 0.3, knots: 4 }, rng, phi);
      for (let s = 0; s < t; s++) {
        expect(v[(e * t + s) * c]).toBeCloseTo(phi[s], 4);
        expect(v[(e * t + s) * c + 1]).toBe(v[(e * t + s) * c]);
        if (s > 0) expect(v[(e * t + s) * c]).toBeGreaterThan(v[(e * t + s - 1) * c]);
        moved = Math.max(moved, Math.abs(v[(e * t + s) * c] - s));
      }
      expect(v[e * t * c]).toBe(0);
      expect(v[(e * t + t - 1) * c]).toBe(t - 1);
    }
    expect(moved).toBeGreaterThan(1);
    tf.dispose([x, y]);
  });

  it('is deterministic for a seed, sigma 0 is the identity, leaks nothing; bad params throw', () => {
    const x = tf.randomNormal([4, 40, 3], 0, 1, 'float32', 5) as tf.Tensor3D;
    const before = tf.memory().numTensors;
    const a = timeWarp(x, { sigma: 0.2, knots: 4 }, createRng(6));
    const b = timeWarp(x, { sigma: 0.2, knots: 4 }, createRng(6));
    expect(Array.from(a.dataSync())).toEqual(Array.from(b.dataSync()));
    const id = timeWarp(x, { sigma: 0, knots: 4 }, createRng(6));
    expect(Array.from(id.dataSync())).toEqual(Array.from(x.dataSync()));
    tf.dispose([a, b, id]);
    expect(tf.memory().numTensors).toBe(before);
    expect(() => validateTimeWarp({ sigma: -1, knots: 4 })).toThrow(RangeError);
    expect(() => validateTimeWarp({ sigma: 0.2, knots: 0 })).toThrow(RangeError);
    x.dispose();
  });
});

describe('timeWarp, cpu vs wasm', () => {
  it('agree to float precision for the same seed', () => {
    const cpu = outputs['cpu']!;
    const wasm = outputs['wasm']!;
    expect(wasm.length).toBe(cpu.length);
    let worst = 0;
    for (let i = 0; i < cpu.length; i++) worst = Math.max(worst, Math.abs(cpu[i] - wasm[i]));
    expect(worst).toBeLessThan(1e-4);
  });
});
