import '@tensorflow/tfjs-backend-wasm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AugOp, Span, View } from '../../compiler/ir.js';
import { batchTensor, subset } from '../data/dataset.js';
import { loadMnist } from '../data/mnist.js';
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
    mnist = batchTensor(subset(loadMnist('train'), 32), Array.from({ length: 32 }, (_, i) => i));
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
