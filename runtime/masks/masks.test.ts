import '@tensorflow/tfjs-backend-wasm';
import { beforeAll, describe, expect, it } from 'vitest';
import type { MaskSpec } from '../../compiler/ir.js';
import { tf } from '../tf.js';
import { createRng } from '../util/rng.js';
import { createMaskSampler, expandMask, gridTokens, maskCount, sampleMasks } from './masks.js';

const patches = (ratio: number, grid: number[], patch = grid.map(() => 1)): MaskSpec => ({ kind: 'patches', ratio, grid, patch });
const spans = (ratio: number, span: number, grid: number[], patch = grid.map(() => 1)): MaskSpec => ({ kind: 'spans', ratio, span, grid, patch });

const GRIDS = [[7, 7], [4, 4], [10], [3, 5], [1, 8], [8, 1], [2], [50], [2, 3, 4]];
const RATIOS = [0, 0.01, 0.1, 0.25, 0.4, 0.5, 0.6, 0.65, 0.75, 0.9, 0.99, 1];
const SPAN_LENGTHS = [1, 2, 3, 5, 10];

/** round(ratio * n) clamped to [1, n - 1] for 0 < ratio < 1, written independently of masks.ts. */
function expectedCount(ratio: number, n: number): number {
  if (ratio === 0) return 0;
  if (ratio === 1) return n;
  return Math.min(n - 1, Math.max(1, Math.round(ratio * n)));
}

function rowSums(m: Float32Array, tokens: number): number[] {
  const sums: number[] = [];
  for (let b = 0; b < m.length / tokens; b++) {
    let s = 0;
    for (let i = 0; i < tokens; i++) s += m[b * tokens + i];
    sums.push(s);
  }
  return sums;
}

/** Lengths of the maximal runs of 1s inside each row (length L) of one example's mask. */
function runsWithinRows(m: Float32Array, offset: number, tokens: number, L: number): number[] {
  const runs: number[] = [];
  for (let r = 0; r < tokens / L; r++) {
    let len = 0;
    for (let c = 0; c < L; c++) {
      if (m[offset + r * L + c] === 1) len++;
      else if (len > 0) {
        runs.push(len);
        len = 0;
      }
    }
    if (len > 0) runs.push(len);
  }
  return runs;
}

describe('mask counts', () => {
  it('every example hides exactly round(ratio * tokens), clamped to [1, tokens - 1], values 0/1', () => {
    const rng = createRng(1);
    for (const grid of GRIDS) {
      const n = gridTokens(grid);
      for (const ratio of RATIOS) {
        const specs = [patches(ratio, grid), ...SPAN_LENGTHS.map((s) => spans(ratio, s, grid))];
        for (const spec of specs) {
          const k = expectedCount(ratio, n);
          expect(maskCount(spec)).toBe(k);
          const m = sampleMasks(spec, rng, 16);
          expect(m.length).toBe(16 * n);
          expect(m.every((v) => v === 0 || v === 1)).toBe(true);
          expect(rowSums(m, n)).toEqual(new Array(16).fill(k));
          if (ratio > 0 && ratio < 1) expect(k >= 1 && k <= n - 1).toBe(true);
        }
      }
    }
    // The clamp at work: 1% of 10 rounds to 0 -> 1; 99% of 10 rounds to 10 -> 9.
    expect(maskCount(patches(0.01, [10]))).toBe(1);
    expect(maskCount(patches(0.99, [10]))).toBe(9);
    expect(maskCount(patches(0.75, [7, 7]))).toBe(37);
  });

  it('ratio 0 and 1 draw nothing from the rng', () => {
    const a = createRng(2);
    const b = createRng(2);
    sampleMasks(patches(0, [4, 4]), a, 8);
    sampleMasks(spans(1, 3, [4, 4]), a, 8);
    expect(a.uint32()).toBe(b.uint32());
  });

  it('rejects bad specs', () => {
    expect(() => maskCount(patches(1.5, [4]))).toThrow(/ratio/);
    expect(() => maskCount(patches(-0.1, [4]))).toThrow(/ratio/);
    expect(() => maskCount(patches(Number.NaN, [4]))).toThrow(/ratio/);
    expect(() => maskCount(patches(0.5, [1]))).toThrow(/1 token/);
    expect(() => maskCount(spans(0.5, 0, [4]))).toThrow(/span/);
    expect(() => maskCount(spans(0.5, 1.5, [4]))).toThrow(/span/);
    expect(() => maskCount(patches(0.5, [4, 0]))).toThrow(/grid/);
    expect(() => maskCount(patches(0.5, [4, 4], [2]))).toThrow(/patch/);
    expect(() => createMaskSampler(patches(2, [4]), createRng(0))).toThrow(/ratio/);
    expect(() => sampleMasks(patches(0.5, [4]), createRng(0), -1)).toThrow(/batch/);
  });
});

describe('span masks', () => {
  it('hidden tokens form runs of >= min(span, row) within each row, all but at most one per example', () => {
    const rng = createRng(3);
    for (const grid of GRIDS) {
      const n = gridTokens(grid);
      const L = grid[grid.length - 1];
      for (const ratio of RATIOS) {
        for (const span of SPAN_LENGTHS) {
          const s = Math.min(span, L);
          const m = sampleMasks(spans(ratio, span, grid), rng, 16);
          for (let b = 0; b < 16; b++) {
            const short = runsWithinRows(m, b * n, n, L).filter((len) => len < s);
            expect(short.length).toBeLessThanOrEqual(1);
          }
        }
      }
    }
  });

  it('spans never cross a row: with span >= row length, rows are empty, full, or one prefix', () => {
    const rng = createRng(4);
    for (const [grid, span] of [[[6, 5], 5], [[6, 5], 9], [[3, 4, 3], 3]] as [number[], number][]) {
      const n = gridTokens(grid);
      const L = grid[grid.length - 1];
      for (const ratio of [0.1, 0.3, 0.5, 0.7, 0.9]) {
        const m = sampleMasks(spans(ratio, span, grid), rng, 32);
        for (let b = 0; b < 32; b++) {
          let partial = 0;
          for (let r = 0; r < n / L; r++) {
            const row = Array.from(m.subarray(b * n + r * L, b * n + (r + 1) * L));
            const h = row.filter((v) => v === 1).length;
            if (h === 0 || h === L) continue;
            partial++;
            expect(row).toEqual(row.map((_, c) => (c < h ? 1 : 0))); // the cut last span: a prefix
          }
          expect(partial).toBeLessThanOrEqual(1);
        }
      }
    }
  });

  it('frequencies: uniform for span 1; for longer spans mirror-symmetric within a row, equal across rows, edges below the middle', () => {
    const draws = 4000;
    const freq = (spec: MaskSpec, seed: number): number[] => {
      const n = gridTokens(spec.grid);
      const m = sampleMasks(spec, createRng(seed), draws);
      const f = new Array(n).fill(0);
      for (let i = 0; i < m.length; i++) f[i % n] += m[i] / draws;
      return f;
    };
    // span 1: every token ~ k / n (binomial sd ~0.007; tolerance ~6 sd).
    const f1 = freq(spans(0.5, 1, [4, 8]), 5);
    for (const v of f1) expect(Math.abs(v - 0.5)).toBeLessThan(0.04);
    // span 3 on [4, 8]: the mean is exactly k / n, the per-position profile is symmetric.
    const f3 = freq(spans(0.5, 3, [4, 8]), 6);
    expect(f3.reduce((a, b) => a + b, 0) / 32).toBeCloseTo(0.5, 10);
    const byCol = new Array(8).fill(0);
    for (let i = 0; i < 32; i++) byCol[i % 8] += f3[i] / 4;
    for (let i = 0; i < 32; i++) expect(Math.abs(f3[i] - byCol[i % 8])).toBeLessThan(0.05); // rows alike
    for (let c = 0; c < 4; c++) expect(Math.abs(byCol[c] - byCol[7 - c])).toBeLessThan(0.03); // mirror
    expect(byCol[0]).toBeLessThan(byCol[3] - 0.1); // edge hidden less often (whole spans only)
  });
});

describe('patch masks', () => {
  it('each token is hidden with frequency ~ k / tokens', () => {
    for (const [grid, ratio, seed] of [[[7, 7], 0.75, 7], [[16], 0.25, 8], [[3, 5], 0.5, 9]] as [number[], number, number][]) {
      const n = gridTokens(grid);
      const p = expectedCount(ratio, n) / n;
      const draws = 4000;
      const m = sampleMasks(patches(ratio, grid), createRng(seed), draws);
      const f = new Array(n).fill(0);
      for (let i = 0; i < m.length; i++) f[i % n] += m[i] / draws;
      for (const v of f) expect(Math.abs(v - p)).toBeLessThan(0.04); // sd <= 0.008
    }
  });

  it('pairs of tokens are hidden together as often as sampling without replacement predicts', () => {
    const n = 6;
    const k = 3;
    const draws = 6000;
    const m = sampleMasks(patches(0.5, [n]), createRng(10), draws);
    let both = 0;
    for (let b = 0; b < draws; b++) both += m[b * n] * m[b * n + 5];
    expect(Math.abs(both / draws - (k * (k - 1)) / (n * (n - 1)))).toBeLessThan(0.03); // 0.2
  });
});

describe('createMaskSampler', () => {
  beforeAll(async () => {
    expect(await tf.setBackend('cpu')).toBe(true);
  });

  it('returns [B, tokens] float32, deterministic for a seed, fresh per call, leaks nothing', () => {
    for (const spec of [patches(0.75, [7, 7], [4, 4]), spans(0.5, 3, [12], [2])]) {
      const before = tf.memory().numTensors;
      const n = gridTokens(spec.grid);
      const a = createMaskSampler(spec, createRng(11));
      const b = createMaskSampler(spec, createRng(11));
      const a1 = a(8);
      const b1 = b(8);
      expect(a1.shape).toEqual([8, n]);
      expect(a1.dtype).toBe('float32');
      expect(Array.from(a1.dataSync())).toEqual(Array.from(b1.dataSync()));
      const a2 = a(8);
      expect(Array.from(a2.dataSync())).not.toEqual(Array.from(a1.dataSync()));
      // Examples within a batch differ too.
      const rows = a1.arraySync();
      expect(new Set(rows.map((r) => r.join(''))).size).toBeGreaterThan(1);
      const other = createMaskSampler(spec, createRng(12))(8);
      expect(Array.from(other.dataSync())).not.toEqual(Array.from(a1.dataSync()));
      expect(tf.memory().numTensors).toBe(before + 4);
      tf.dispose([a1, b1, a2, other]);
      expect(tf.memory().numTensors).toBe(before);
    }
  });
});

describe.each(['cpu', 'wasm'])('expandMask on %s', (backend) => {
  beforeAll(async () => {
    expect(await tf.setBackend(backend)).toBe(true);
  });

  it('image grid [gh, gw], patch [ph, pw] -> [B, gh*ph, gw*pw, 1], exact', () => {
    const mask = tf.tensor2d([[1, 0, 0, 0, 1, 1], [0, 1, 0, 1, 0, 0]], [2, 6]);
    const before = tf.memory().numTensors;
    const e = expandMask(mask, [2, 3], [2, 1]);
    expect(e.shape).toEqual([2, 4, 3, 1]);
    expect(e.dtype).toBe('float32');
    const v = e.arraySync() as number[][][][];
    expect(v[0].map((row) => row.map((px) => px[0]))).toEqual([[1, 0, 0], [1, 0, 0], [0, 1, 1], [0, 1, 1]]);
    expect(v[1].map((row) => row.map((px) => px[0]))).toEqual([[0, 1, 0], [0, 1, 0], [1, 0, 0], [1, 0, 0]]);
    e.dispose();
    expect(tf.memory().numTensors).toBe(before);
    // Against the rule element (y, x) <- token (floor(y / ph), floor(x / pw)) on a random mask.
    const rm = tf.tensor2d(sampleMasks(patches(0.5, [3, 4]), createRng(13), 3), [3, 12]);
    const big = expandMask(rm, [3, 4], [2, 3]);
    expect(big.shape).toEqual([3, 6, 12, 1]);
    const mv = rm.dataSync();
    const bv = big.dataSync();
    for (let b = 0; b < 3; b++)
      for (let y = 0; y < 6; y++)
        for (let x = 0; x < 12; x++) expect(bv[(b * 6 + y) * 12 + x]).toBe(mv[b * 12 + Math.floor(y / 2) * 4 + Math.floor(x / 3)]);
    tf.dispose([mask, rm, big]);
  });

  it('sequence grid [g], patch [p] -> [B, g*p, 1]; rejects mismatched shapes', () => {
    const mask = tf.tensor2d([[0, 1, 1], [1, 0, 0]], [2, 3]);
    const before = tf.memory().numTensors;
    const e = expandMask(mask, [3], [2]);
    expect(e.shape).toEqual([2, 6, 1]);
    expect(Array.from(e.dataSync())).toEqual([0, 0, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0]);
    e.dispose();
    expect(() => expandMask(mask, [4], [2])).toThrow(/does not fit/);
    expect(() => expandMask(mask, [3], [2, 2])).toThrow(/patch/);
    expect(tf.memory().numTensors).toBe(before);
    mask.dispose();
  });
});
