import '@tensorflow/tfjs-backend-wasm';
import { beforeAll, describe, expect, it } from 'vitest';
import { tf } from '../tf.js';
import { createRng } from '../util/rng.js';
import { blurMatrix, blurWithSigmas, gaussianBlur } from './gaussian_blur.js';

/** Naive 2-D Gaussian convolution with reflect padding; x [H, W] row-major. */
function naiveBlur(x: Float32Array, h: number, w: number, sigma: number): Float64Array {
  const r = Math.ceil(3 * sigma);
  const g: number[] = [];
  for (let k = -r; k <= r; k++) g.push(Math.exp((-k * k) / (2 * sigma * sigma)));
  const z = g.reduce((a, b) => a + b, 0);
  const refl = (j: number, n: number) => {
    if (n === 1) return 0;
    for (;;) {
      if (j < 0) j = -j;
      else if (j > n - 1) j = 2 * (n - 1) - j;
      else return j;
    }
  };
  const out = new Float64Array(h * w);
  for (let i = 0; i < h; i++)
    for (let j = 0; j < w; j++) {
      let s = 0;
      for (let a = -r; a <= r; a++)
        for (let b = -r; b <= r; b++) s += (g[a + r] * g[b + r] * x[refl(i + a, h) * w + refl(j + b, w)]) / (z * z);
      out[i * w + j] = s;
    }
  return out;
}

describe('blurMatrix', () => {
  it('rows sum to 1 (reflect padding), is symmetric-banded inside and identity for sigma 0', () => {
    for (const [n, sigma] of [[28, 0.5], [28, 2], [5, 3]] as const) {
      const k = blurMatrix(n, sigma);
      for (let i = 0; i < n; i++) {
        let s = 0;
        for (let j = 0; j < n; j++) s += k[i * n + j];
        expect(s).toBeCloseTo(1, 6);
      }
    }
    const k = blurMatrix(28, 1);
    expect(k[14 * 28 + 13]).toBeCloseTo(k[14 * 28 + 15], 7);
    expect(k[14 * 28 + 14] / k[14 * 28 + 15]).toBeCloseTo(Math.exp(0.5), 5);
    expect(k[14 * 28 + 18]).toBe(0); // radius ceil(3 * 1) = 3
    expect(Array.from(blurMatrix(3, 0))).toEqual([1, 0, 0, 0, 1, 0, 0, 0, 1]);
    const t = blurMatrix(6, 1.3, undefined, 0, true);
    const m = blurMatrix(6, 1.3);
    for (let i = 0; i < 6; i++) for (let j = 0; j < 6; j++) expect(t[j * 6 + i]).toBe(m[i * 6 + j]);
  });
});

describe.each(['cpu', 'wasm'])('gaussian_blur on %s', (backend) => {
  beforeAll(async () => {
    expect(await tf.setBackend(backend)).toBe(true);
  });

  it('matches a naive 2-D convolution with reflect padding (per example, per channel)', () => {
    expect(tf.getBackend()).toBe(backend);
    const [b, h, w, c] = [3, 7, 9, 2];
    const x = tf.randomUniform([b, h, w, c], 0, 1, 'float32', 1) as tf.Tensor4D;
    const sigmas = [0.8, 2.5, 0]; // 2.5: radius 8 reflects more than once
    const y = blurWithSigmas(x, sigmas);
    expect(y.shape).toEqual([b, h, w, c]);
    const xv = x.dataSync();
    const yv = y.dataSync();
    let maxErr = 0;
    for (let i = 0; i < b; i++)
      for (let ch = 0; ch < c; ch++) {
        const plane = new Float32Array(h * w);
        for (let p = 0; p < h * w; p++) plane[p] = xv[(i * h * w + p) * c + ch];
        const ref = sigmas[i] > 0 ? naiveBlur(plane, h, w, sigmas[i]) : plane;
        for (let p = 0; p < h * w; p++) maxErr = Math.max(maxErr, Math.abs(yv[(i * h * w + p) * c + ch] - ref[p]));
      }
    expect(maxErr).toBeLessThan(1e-5);
    tf.dispose([x, y]);
  });

  it('keeps a constant image constant everywhere and preserves the sum of a centred blob', () => {
    const k = tf.fill([2, 28, 28, 1], 0.37) as tf.Tensor4D;
    const yk = blurWithSigmas(k, [2, 0.3]);
    for (const v of yk.dataSync()) expect(Math.abs(v - 0.37)).toBeLessThan(1e-6);
    const blob = tf.tidy(() => tf.pad(tf.ones([1, 6, 6, 1]), [[0, 0], [11, 11], [11, 11], [0, 0]])) as tf.Tensor4D;
    const yb = blurWithSigmas(blob, [1.5]);
    const sum = Array.from(yb.dataSync()).reduce((a, v) => a + v, 0);
    expect(Math.abs(sum - 36)).toBeLessThan(1e-3);
    expect(yb.dataSync()[14 * 28 + 14]).toBeLessThan(1); // it did blur
    tf.dispose([k, yk, blob, yb]);
  });

  it('random sigmas and p: p = 0 identity, p = 1 constant sigma equals blurWithSigmas, deterministic, no leaks', () => {
    const x = tf.randomUniform([6, 10, 10, 1], 0, 1, 'float32', 2) as tf.Tensor4D;
    const before = tf.memory().numTensors;
    const id = gaussianBlur(x, { sigma: [0.5, 2], p: 0 }, createRng(1));
    expect(Array.from(id.dataSync())).toEqual(Array.from(x.dataSync()));
    const a = gaussianBlur(x, { sigma: [1.2, 1.2], p: 1 }, createRng(1));
    const ref = blurWithSigmas(x, new Array(6).fill(1.2));
    expect(Array.from(a.dataSync())).toEqual(Array.from(ref.dataSync()));
    const h1 = gaussianBlur(x, { sigma: [0.1, 2], p: 0.5 }, createRng(7));
    const h2 = gaussianBlur(x, { sigma: [0.1, 2], p: 0.5 }, createRng(7));
    expect(Array.from(h1.dataSync())).toEqual(Array.from(h2.dataSync()));
    // With p = 0.5 some examples are untouched and some are blurred.
    const xv = x.dataSync();
    const hv = h1.dataSync();
    const untouched = [0, 1, 2, 3, 4, 5].filter((i) => hv.slice(i * 100, i * 100 + 100).every((v, k) => v === xv[i * 100 + k]));
    expect(untouched.length).toBeGreaterThan(0);
    expect(untouched.length).toBeLessThan(6);
    tf.dispose([id, a, ref, h1, h2]);
    expect(tf.memory().numTensors).toBe(before);
    expect(() => gaussianBlur(x, { sigma: [0, 1], p: 0.5 }, createRng(1))).toThrow(/sigma/);
    x.dispose();
  });
});
