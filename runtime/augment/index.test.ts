import '@tensorflow/tfjs-backend-wasm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AugOp, Span, View } from '../../compiler/ir.js';
import { batchTensor, subset } from '../data/dataset.js';
import { loadMnist } from '../data/mnist.js';
import { generateCbf } from '../data/synthetic.js';
import { tf } from '../tf.js';
import { createRng } from '../util/rng.js';
import { compileView } from './index.js';

const at = (line: number): Span => ({
  uri: 'quickstart.ssl',
  start: { offset: 0, line, column: 10 },
  end: { offset: 0, line, column: 20 },
});

/** The quickstart's `aug` view as the compiler lowers it. */
const quickstart: View = {
  name: 'aug',
  ops: [
    { kind: 'random_resized_crop', size: 28, scale: [0.4, 1], ratio: [3 / 4, 4 / 3], origin: at(15) },
    { kind: 'color_jitter', brightness: 0.4, contrast: 0.4, origin: at(16) },
    { kind: 'gaussian_noise', std: 0.1, origin: at(17) },
  ],
  outputShape: [28, 28, 1],
  origin: at(15),
};

const simclrLike: View = {
  name: 'full',
  ops: [
    { kind: 'random_resized_crop', size: 24, scale: [0.08, 1], ratio: [3 / 4, 4 / 3], origin: at(1) },
    { kind: 'random_flip', horizontal: true, vertical: false, p: 0.5, origin: at(2) },
    {
      kind: 'random_apply',
      p: 0.8,
      ops: [{ kind: 'color_jitter', brightness: 0.8, contrast: 0.8, origin: at(3) }],
      origin: at(3),
    },
    { kind: 'gaussian_blur', sigma: [0.1, 2], p: 0.5, origin: at(4) },
    { kind: 'gaussian_noise', std: 0.05, origin: at(5) },
  ],
  outputShape: [24, 24, 1],
  origin: at(1),
};

let mnist: tf.Tensor4D;
const results: Record<string, Float32Array> = {};

describe.each(['cpu', 'wasm'])('compileView on %s', (backend) => {
  beforeAll(async () => {
    expect(await tf.setBackend(backend)).toBe(true);
    mnist = batchTensor(subset(loadMnist('train'), 32), Array.from({ length: 32 }, (_, i) => i)) as tf.Tensor4D; // MNIST: [32, 28, 28, 1]
  });
  afterAll(() => mnist.dispose());

  it('runs the quickstart view: shape, range, determinism, fresh draws, input kept', () => {
    expect(tf.getBackend()).toBe(backend);
    const aug = compileView(quickstart, createRng(0));
    const y1 = aug(mnist);
    const y2 = aug(mnist);
    expect(y1.shape).toEqual([32, 28, 28, 1]);
    const v1 = y1.dataSync() as Float32Array;
    expect(Math.min(...v1)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...v1)).toBeLessThanOrEqual(1);
    expect(Array.from(y2.dataSync())).not.toEqual(Array.from(v1)); // two draws differ
    const again = compileView(quickstart, createRng(0))(mnist);
    expect(Array.from(again.dataSync())).toEqual(Array.from(v1)); // same seed, same draw
    // The noise (std 0.1) dominates the per-pixel change on average but the digit survives:
    // the augmented image still correlates with the original.
    const x = mnist.dataSync();
    let sxy = 0, sx = 0, sy = 0, sxx = 0, syy = 0;
    for (let i = 0; i < x.length; i++) {
      sxy += x[i] * v1[i]; sx += x[i]; sy += v1[i]; sxx += x[i] * x[i]; syy += v1[i] * v1[i];
    }
    const n = x.length;
    const corr = (sxy / n - (sx / n) * (sy / n)) / Math.sqrt((sxx / n - (sx / n) ** 2) * (syy / n - (sy / n) ** 2));
    expect(corr).toBeGreaterThan(0.2);
    expect(corr).toBeLessThan(0.99);
    expect(mnist.isDisposed).toBe(false);
    results[backend] = Float32Array.from(v1);
    tf.dispose([y1, y2, again]);
  });

  it('leaks no tensors over repeated calls (every op, nested random_apply)', () => {
    const aug = compileView(simclrLike, createRng(1));
    tf.dispose(aug(mnist)); // first call may warm up backend caches
    const before = tf.memory().numTensors;
    for (let i = 0; i < 5; i++) {
      const y = aug(mnist);
      expect(y.shape).toEqual([32, 24, 24, 1]);
      y.dispose();
    }
    expect(tf.memory().numTensors).toBe(before);
  });

  it('an empty view is a copy', () => {
    const y = compileView({ ...quickstart, ops: [] }, createRng(1))(mnist);
    expect(y).not.toBe(mnist);
    expect(Array.from(y.dataSync())).toEqual(Array.from(mnist.dataSync()));
    y.dispose();
  });

  it('errors name the recipe location', () => {
    const bad: AugOp = { kind: 'gaussian_blur', sigma: [2, 1], p: 0.5, origin: at(7) };
    expect(() => compileView({ ...quickstart, ops: [bad] }, createRng(1))).toThrow(/^quickstart\.ssl:7:10: gaussian_blur: sigma/);
    const wrong = { ...quickstart, outputShape: [24, 24, 1] };
    const before = tf.memory().numTensors;
    expect(() => compileView(wrong, createRng(1))(mnist)).toThrow(/quickstart\.ssl:15:10: view 'aug' produced examples of shape \[28, 28, 1\].*expected \[24, 24, 1\]/);
    expect(tf.memory().numTensors).toBe(before);
    const crop: AugOp = { kind: 'random_resized_crop', size: 8, scale: [0.5, 1], ratio: [1, 1], origin: at(9) };
    const nested: View = { ...quickstart, ops: [{ kind: 'random_apply', p: 0.5, ops: [crop], origin: at(8) }] };
    expect(() => compileView(nested, createRng(1))(mnist)).toThrow(/^quickstart\.ssl:8:10: random_apply: its ops change the shape/);
    expect(tf.memory().numTensors).toBe(before);
  });
});

describe('backends agree', () => {
  it('cpu and wasm give the same quickstart draw for the same seed', () => {
    const a = results.cpu;
    const b = results.wasm;
    expect(a.length).toBe(32 * 784);
    let m = 0;
    for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
    expect(m).toBeLessThan(1e-5);
  });
});

/** TS-TCC's views (Eldele et al. 2021) on CBF-like series: weak = jitter + scaling, strong = permutation + jitter. */
const weak: View = {
  name: 'weak',
  ops: [
    { kind: 'scaling', sigma: 0.1, origin: at(1) },
    { kind: 'jitter', sigma: 0.1, origin: at(2) },
  ],
  outputShape: [128, 1],
  origin: at(1),
};
const strong: View = {
  name: 'strong',
  ops: [
    { kind: 'permutation', maxSegments: 5, origin: at(3) },
    { kind: 'jitter', sigma: 0.3, origin: at(4) },
    { kind: 'random_apply', p: 0.5, ops: [{ kind: 'time_warp', sigma: 0.2, knots: 4, origin: at(5) }], origin: at(5) },
    { kind: 'crop', size: 112, origin: at(6) },
    { kind: 'zero_spans', span: 8, ratio: 0.1, origin: at(7) },
  ],
  outputShape: [128, 1],
  origin: at(3),
};

describe.each(['cpu', 'wasm'])('compileView of time-series views on %s', (backend) => {
  beforeAll(async () => {
    expect(await tf.setBackend(backend)).toBe(true);
  });

  it('runs every time-series op on [B, T, C]: shape, determinism, fresh draws, no leaks, input kept', () => {
    const { x, labels } = generateCbf(32, 1);
    const series = tf.tensor3d(x, [32, 128, 1]);
    expect(labels.length).toBe(32);
    for (const view of [weak, strong]) {
      const aug = compileView(view, createRng(2));
      const a = aug(series);
      expect(a.shape).toEqual([32, 128, 1]);
      expect(Array.from(compileView(view, createRng(2))(series).dataSync())).toEqual(Array.from(a.dataSync()));
      const before = tf.memory().numTensors;
      for (let i = 0; i < 3; i++) {
        const b = aug(series);
        expect(Array.from(b.dataSync())).not.toEqual(Array.from(a.dataSync()));
        b.dispose();
      }
      expect(tf.memory().numTensors).toBe(before);
      a.dispose();
    }
    expect(series.isDisposed).toBe(false);
    series.dispose();
  });

  it('the weak view stays close to the input, the strong one moves it further', () => {
    const { x } = generateCbf(64, 2);
    const series = tf.tensor3d(x, [64, 128, 1]);
    const distance = (view: View): number => {
      const y = compileView(view, createRng(3))(series);
      const v = y.dataSync();
      y.dispose();
      let s = 0;
      for (let i = 0; i < v.length; i++) s += (v[i] - x[i]) ** 2;
      return Math.sqrt(s / v.length);
    };
    const near = distance(weak);
    const far = distance(strong);
    // z-normalised series: the weak view's RMS change is about sqrt(0.1^2 + 0.1^2) = 0.14.
    expect(near).toBeGreaterThan(0.1);
    expect(near).toBeLessThan(0.2);
    expect(far).toBeGreaterThan(2 * near);
    series.dispose();
  });
});
