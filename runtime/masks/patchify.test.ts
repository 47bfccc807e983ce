import '@tensorflow/tfjs-backend-wasm';
import { beforeAll, describe, expect, it } from 'vitest';
import { tf } from '../tf.js';
import { createRng } from '../util/rng.js';
import { patchify } from './patchify.js';

function randomData(n: number, seed: number): Float32Array {
  const rng = createRng(seed);
  return Float32Array.from({ length: n }, () => rng.normal() * 2 + 0.5);
}

/** Naive image patchify: token (i, j) in row-major grid order, values in (row, col, channel) order. */
function naiveImage(x: Float32Array, [B, H, W, C]: number[], p: number): number[][][] {
  const out: number[][][] = [];
  for (let b = 0; b < B; b++) {
    const tokens: number[][] = [];
    for (let i = 0; i < H / p; i++)
      for (let j = 0; j < W / p; j++) {
        const tok: number[] = [];
        for (let r = 0; r < p; r++)
          for (let c = 0; c < p; c++)
            for (let ch = 0; ch < C; ch++) tok.push(x[((b * H + i * p + r) * W + j * p + c) * C + ch]);
        tokens.push(tok);
      }
    out.push(tokens);
  }
  return out;
}

function naiveSequence(x: Float32Array, [B, T, C]: number[], p: number): number[][][] {
  const out: number[][][] = [];
  for (let b = 0; b < B; b++) {
    const tokens: number[][] = [];
    for (let t = 0; t < T / p; t++) {
      const tok: number[] = [];
      for (let r = 0; r < p; r++) for (let ch = 0; ch < C; ch++) tok.push(x[(b * T + t * p + r) * C + ch]);
      tokens.push(tok);
    }
    out.push(tokens);
  }
  return out;
}

/** MAE norm_pix_loss with torch.var's default unbiased estimator (n - 1), computed in float64. */
function naiveNormalize(tokens: number[][][]): number[][][] {
  return tokens.map((ex) =>
    ex.map((tok) => {
      const n = tok.length;
      const mean = tok.reduce((a, v) => a + v, 0) / n;
      const variance = tok.reduce((a, v) => a + (v - mean) ** 2, 0) / (n - 1);
      return tok.map((v) => (v - mean) / Math.sqrt(variance + 1e-6));
    }),
  );
}

function expectClose(actual: number[][][], expected: number[][][], tol: number): void {
  expect(actual.length).toBe(expected.length);
  for (let b = 0; b < expected.length; b++) {
    expect(actual[b].length).toBe(expected[b].length);
    for (let t = 0; t < expected[b].length; t++) {
      expect(actual[b][t].length).toBe(expected[b][t].length);
      for (let e = 0; e < expected[b][t].length; e++) expect(Math.abs(actual[b][t][e] - expected[b][t][e])).toBeLessThan(tol);
    }
  }
}

describe.each(['cpu', 'wasm'])('patchify on %s', (backend) => {
  beforeAll(async () => {
    expect(await tf.setBackend(backend)).toBe(true);
  });

  it('image [B, H, W, C] -> [B, (H/p)(W/p), p*p*C]: row-major tokens, (row, col, channel) within, exact', () => {
    for (const [shape, p] of [[[2, 6, 4, 3], 2], [[3, 28, 28, 1], 4], [[1, 6, 9, 2], 3], [[2, 4, 4, 1], 1], [[1, 4, 4, 2], 4]] as [number[], number][]) {
      const data = randomData(shape.reduce((a, b) => a * b), 1);
      const x = tf.tensor4d(data, shape as [number, number, number, number]);
      const before = tf.memory().numTensors;
      const y = patchify(x, p, false);
      expect(tf.memory().numTensors).toBe(before + 1);
      const [B, H, W, C] = shape;
      expect(y.shape).toEqual([B, (H / p) * (W / p), p * p * C]);
      expect(y.dtype).toBe('float32');
      expect(y.arraySync()).toEqual(naiveImage(Float32Array.from(x.dataSync()), shape, p).map((ex) => ex.map((t) => t.map(Math.fround))));
      tf.dispose([x, y]);
    }
  });

  it('the layout on a tiny hand example (2x4 image, 1 channel, patch 2)', () => {
    const x = tf.tensor4d([1, 2, 3, 4, 5, 6, 7, 8], [1, 2, 4, 1]);
    const y = patchify(x, 2, false);
    expect(y.arraySync()).toEqual([[[1, 2, 5, 6], [3, 4, 7, 8]]]);
    tf.dispose([x, y]);
  });

  it('sequence [B, T, C] -> [B, T/p, p*C], exact', () => {
    for (const [shape, p] of [[[2, 12, 3], 4], [[3, 10, 1], 5], [[1, 6, 2], 1]] as [number[], number][]) {
      const data = randomData(shape.reduce((a, b) => a * b), 2);
      const x = tf.tensor3d(data, shape as [number, number, number]);
      const y = patchify(x, p, false);
      expect(y.shape).toEqual([shape[0], shape[1] / p, p * shape[2]]);
      expect(y.arraySync()).toEqual(naiveSequence(data, shape, p).map((ex) => ex.map((t) => t.map(Math.fround))));
      tf.dispose([x, y]);
    }
  });

  it('normalize: each token (x - mean) / sqrt(var + 1e-6) with the unbiased variance (torch.var default)', () => {
    const shape = [2, 8, 8, 3];
    const data = randomData(2 * 8 * 8 * 3, 3);
    const x = tf.tensor4d(data, shape as [number, number, number, number]);
    const before = tf.memory().numTensors;
    const y = patchify(x, 4, true);
    expect(tf.memory().numTensors).toBe(before + 1);
    const got = y.arraySync();
    expectClose(got, naiveNormalize(naiveImage(data, shape, 4)), 2e-5);
    // Unbiased: every token has sample variance (n - 1 denominator) ~1, not (n - 1) / n.
    for (const tok of got[0]) {
      const n = tok.length;
      const m = tok.reduce((a, v) => a + v, 0) / n;
      expect(Math.abs(m)).toBeLessThan(1e-5);
      expect(tok.reduce((a, v) => a + (v - m) ** 2, 0) / (n - 1)).toBeCloseTo(1, 4);
    }
    const seq = tf.tensor3d(randomData(2 * 9 * 2, 4), [2, 9, 2]);
    const ys = patchify(seq, 3, true);
    expectClose(ys.arraySync(), naiveNormalize(naiveSequence(seq.dataSync() as Float32Array, [2, 9, 2], 3)), 2e-5);
    // A constant token normalises to 0 (epsilon keeps it finite).
    const flat = tf.fill([1, 4, 4, 1], 0.3);
    const yf = patchify(flat, 2, true);
    for (const v of yf.dataSync()) expect(Math.abs(v)).toBeLessThan(1e-3);
    // One value per token: unbiased variance undefined -> 0 output, not NaN.
    const one = patchify(seq, 1, true); // p*C = 2: the smallest token with a defined unbiased variance
    expectClose(one.arraySync(), naiveNormalize(naiveSequence(seq.dataSync() as Float32Array, [2, 9, 2], 1)), 2e-5);
    const single = tf.tensor3d([1, 2, 3], [1, 3, 1]);
    const ys1 = patchify(single, 1, true);
    expect(Array.from(ys1.dataSync())).toEqual([0, 0, 0]);
    tf.dispose([x, y, seq, ys, flat, yf, one, single, ys1]);
    expect(tf.memory().numTensors).toBe(before - 1);
  });

  it('rejects indivisible shapes, bad patches and other ranks, leaking nothing', () => {
    const img = tf.zeros([1, 6, 6, 1]);
    const before = tf.memory().numTensors;
    expect(() => patchify(img, 4, false)).toThrow(/divisible/);
    expect(() => patchify(img, 0, false)).toThrow(/positive integer/);
    const seq = tf.zeros([1, 7, 2]);
    expect(() => patchify(seq, 2, true)).toThrow(/divisible/);
    const flat = tf.zeros([4, 4]);
    expect(() => patchify(flat, 2, false)).toThrow(/image .* or a sequence/);
    expect(tf.memory().numTensors).toBe(before + 2);
    tf.dispose([img, seq, flat]);
  });
});
