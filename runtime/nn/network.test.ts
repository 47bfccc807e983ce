import { beforeAll, describe, expect, it } from 'vitest';
import type { Network, Span, Stage } from '../../compiler/ir.js';
import { tf } from '../tf.js';
import { createRng } from '../util/rng.js';
import { createNetwork } from './network.js';

const span: Span = { uri: 'test', start: { offset: 0, line: 1, column: 1 }, end: { offset: 0, line: 1, column: 1 } };

function convStage(channels: number[], kernel: number, stride: number, norm: 'none' | 'batch', inputShape: number[]): Stage {
  return { kind: 'convnet', channels, kernel, stride, norm, activation: 'relu', inputShape, outputShape: [channels[channels.length - 1]], origin: span };
}
function mlpStage(widths: number[], norm: 'none' | 'batch', inputShape: number[]): Stage {
  return { kind: 'mlp', widths, norm, activation: 'relu', inputShape, outputShape: [widths[widths.length - 1]], origin: span };
}
function network(name: string, stages: Stage[]): Network {
  return { name, stages, inputShape: stages[0].inputShape, outputShape: stages[stages.length - 1].outputShape, origin: span };
}

// --- naive references (plain JS, NHWC row-major) -----------------------------------------------

/** TF 'same' padding: out = ceil(H / s), pad_before = floor(max((out - 1) s + k - H, 0) / 2). */
function convSame(x: Float32Array, [B, H, W, C]: number[], w: Float32Array, k: number, cout: number, s: number, bias: Float32Array) {
  const Ho = Math.ceil(H / s), Wo = Math.ceil(W / s);
  const pt = Math.floor(Math.max((Ho - 1) * s + k - H, 0) / 2), pl = Math.floor(Math.max((Wo - 1) * s + k - W, 0) / 2);
  const y = new Float64Array(B * Ho * Wo * cout);
  for (let b = 0; b < B; b++)
    for (let i = 0; i < Ho; i++)
      for (let j = 0; j < Wo; j++)
        for (let o = 0; o < cout; o++) {
          let acc = bias[o];
          for (let di = 0; di < k; di++)
            for (let dj = 0; dj < k; dj++) {
              const r = i * s + di - pt, c = j * s + dj - pl;
              if (r < 0 || r >= H || c < 0 || c >= W) continue;
              for (let ci = 0; ci < C; ci++) acc += x[((b * H + r) * W + c) * C + ci] * w[((di * k + dj) * C + ci) * cout + o];
            }
          y[((b * Ho + i) * Wo + j) * cout + o] = acc;
        }
  return { y, shape: [B, Ho, Wo, cout] };
}

/** Batch norm over all but the last axis with batch statistics (biased variance), gamma 1, beta 0. */
function batchNormTrain(y: Float64Array, C: number) {
  const n = y.length / C;
  const mean = new Float64Array(C), v = new Float64Array(C);
  for (let i = 0; i < y.length; i++) mean[i % C] += y[i] / n;
  for (let i = 0; i < y.length; i++) v[i % C] += (y[i] - mean[i % C]) ** 2 / n;
  const out = new Float64Array(y.length);
  for (let i = 0; i < y.length; i++) out[i] = (y[i] - mean[i % C]) / Math.sqrt(v[i % C] + 1e-5);
  return { out, mean, v, n };
}

const relu = (y: Float64Array) => y.map((v) => Math.max(v, 0));

function expectClose(actual: ArrayLike<number>, expected: ArrayLike<number>, tol = 1e-4) {
  expect(actual.length).toBe(expected.length);
  for (let i = 0; i < expected.length; i++) {
    const e = expected[i], a = actual[i];
    if (Math.abs(a - e) > tol * Math.max(1, Math.abs(e))) throw new Error(`index ${i}: ${a} vs ${e}`);
  }
}

function randomInput(shape: number[], seed: number): tf.Tensor {
  const rng = createRng(seed);
  const n = shape.reduce((a, b) => a * b, 1);
  return tf.tensor(Float32Array.from({ length: n }, () => rng.normal()), shape);
}

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('createNetwork', () => {
  it('names variables uniquely, counts parameters and marks biases / norm parameters', () => {
    const net = createNetwork(network('enc', [convStage([4, 8], 3, 2, 'batch', [8, 8, 1]), mlpStage([16, 5], 'batch', [8])]), createRng(1));
    try {
      expect(net.trainable.map((v) => v.name)).toEqual([
        'enc/0/conv0/kernel', 'enc/0/conv0/bias', 'enc/0/bn0/gamma', 'enc/0/bn0/beta',
        'enc/0/conv1/kernel', 'enc/0/conv1/bias', 'enc/0/bn1/gamma', 'enc/0/bn1/beta',
        'enc/1/dense0/kernel', 'enc/1/dense0/bias', 'enc/1/bn0/gamma', 'enc/1/bn0/beta',
        'enc/1/dense1/kernel', 'enc/1/dense1/bias',
      ]);
      expect(net.state.map((v) => v.name)).toEqual([
        'enc/0/bn0/moving_mean', 'enc/0/bn0/moving_variance', 'enc/0/bn1/moving_mean', 'enc/0/bn1/moving_variance',
        'enc/1/bn0/moving_mean', 'enc/1/bn0/moving_variance',
      ]);
      expect(net.state.every((v) => !v.trainable)).toBe(true);
      const expected = (9 * 1 * 4 + 4 + 8) + (9 * 4 * 8 + 8 + 16) + (8 * 16 + 16 + 32) + (16 * 5 + 5);
      expect(net.paramCount).toBe(expected);
      const flagged = net.trainable.filter((v) => net.isBiasOrNorm(v)).map((v) => v.name);
      expect(flagged.every((n) => /\/(bias|gamma|beta)$/.test(n))).toBe(true);
      expect(flagged).toHaveLength(10);
    } finally {
      net.dispose();
    }
  });

  it('draws He-normal kernels (std sqrt(2 / fan_in)), zero biases, deterministically from the seed', () => {
    const make = (seed: number) => createNetwork(network('he', [mlpStage([400, 10], 'none', [300])]), createRng(seed));
    const a = make(7);
    const k = a.trainable[0].dataSync() as Float32Array;
    const mean = k.reduce((s, v) => s + v, 0) / k.length;
    const std = Math.sqrt(k.reduce((s, v) => s + (v - mean) ** 2, 0) / k.length);
    expect(Math.abs(mean)).toBeLessThan(0.002);
    expect(std).toBeCloseTo(Math.sqrt(2 / 300), 3);
    expect(Array.from(a.trainable[1].dataSync()).every((v) => v === 0)).toBe(true);
    const ka = Array.from(k.slice(0, 50));
    a.dispose(); // frees the names for the next module
    const b = make(7);
    expect(Array.from(b.trainable[0].dataSync().slice(0, 50))).toEqual(ka);
    b.dispose();
    const c = make(8);
    expect(Array.from(c.trainable[0].dataSync().slice(0, 50))).not.toEqual(ka);
    c.dispose();
  });

  it('convnet forward matches a naive conv + bias + relu + global-average-pool reference', () => {
    for (const [k, s, H] of [[3, 1, 5], [3, 2, 7], [5, 2, 8], [1, 3, 6]]) {
      const net = createNetwork(network('c', [convStage([3, 4], k, s, 'none', [H, H, 2])]), createRng(k * 10 + s));
      const x = randomInput([2, H, H, 2], 3);
      // Non-zero biases so the bias path is exercised.
      net.trainable[1].assign(tf.tensor1d([0.1, -0.2, 0.3]));
      net.trainable[3].assign(tf.tensor1d([0.05, -0.1, 0.2, 0.0]));
      const [out] = net.apply(x, false);
      const w = net.trainable.map((v) => v.dataSync() as Float32Array);
      let h = convSame(x.dataSync() as Float32Array, [2, H, H, 2], w[0], k, 3, s, w[1]);
      const a1 = Float32Array.from(relu(h.y));
      h = convSame(a1, h.shape, w[2], k, 4, s, w[3]);
      const a2 = relu(h.y);
      const [, Ho, Wo] = h.shape;
      const pooled = new Float64Array(2 * 4);
      for (let i = 0; i < a2.length; i++) pooled[Math.floor(i / (Ho * Wo * 4)) * 4 + (i % 4)] += a2[i] / (Ho * Wo);
      expect(out.shape).toEqual([2, 4]);
      expectClose(out.dataSync(), pooled);
      tf.dispose([x, out]);
      net.dispose();
    }
  });

  it('mlp forward matches a naive reference: dense -> batch norm -> relu, last layer linear', () => {
    // A rank-3 input is flattened (rank 2 would be token-wise, see stages.test.ts).
    const net = createNetwork(network('m', [mlpStage([6, 3], 'batch', [2, 2, 1])]), createRng(5));
    const x = randomInput([5, 2, 2, 1], 9);
    const [out] = net.apply(x, true);
    const [w0, b0, , , w1, b1] = net.trainable.map((v) => v.dataSync());
    const xs = x.dataSync();
    const h = new Float64Array(5 * 6);
    for (let b = 0; b < 5; b++) for (let o = 0; o < 6; o++) { let acc = b0[o]; for (let i = 0; i < 4; i++) acc += xs[b * 4 + i] * w0[i * 6 + o]; h[b * 6 + o] = acc; }
    const a = relu(batchNormTrain(h, 6).out);
    const y = new Float64Array(5 * 3);
    for (let b = 0; b < 5; b++) for (let o = 0; o < 3; o++) { let acc = b1[o]; for (let i = 0; i < 6; i++) acc += a[b * 6 + i] * w1[i * 3 + o]; y[b * 3 + o] = acc; }
    expectClose(out.dataSync(), y);
    expect(out.dataSync().some((v) => v < 0)).toBe(true); // last layer is linear
    tf.dispose([x, out]);
    net.dispose();
  });

  it('batch norm: training updates running stats (momentum 0.9, unbiased var); eval uses them; works inside variableGrads without leaks', () => {
    const net = createNetwork(network('bn', [convStage([3], 3, 1, 'batch', [4, 4, 2]), mlpStage([5, 2], 'batch', [3])]), createRng(2));
    const x = randomInput([4, 4, 4, 2], 11);
    const [mMean, mVar] = net.state;
    // Reference for the first conv layer's batch statistics.
    const w = net.trainable.map((v) => v.dataSync() as Float32Array);
    const conv = convSame(x.dataSync() as Float32Array, [4, 4, 4, 2], w[0], 3, 3, 1, w[1]);
    const { mean, v, n } = batchNormTrain(conv.y, 3);

    const before = tf.memory().numTensors;
    const { value, grads } = tf.variableGrads(() => {
      const outs = net.apply(x, true);
      return tf.sum(tf.square(outs[outs.length - 1])) as tf.Scalar;
    });
    tf.dispose([value, ...Object.values(grads)]);
    expect(tf.memory().numTensors).toBe(before);
    expect(Object.keys(grads).sort()).toEqual(net.trainable.map((t) => t.name).sort());
    for (const g of Object.values(grads)) expect(g.isDisposed).toBe(true);

    expectClose(mMean.dataSync(), Array.from(mean, (m) => 0.1 * m));
    expectClose(mVar.dataSync(), Array.from(v, (s) => 0.9 + 0.1 * s * n / (n - 1)));

    // A second step in a loop keeps the tensor count flat.
    for (let step = 0; step < 2; step++) {
      const r = tf.variableGrads(() => tf.sum(net.apply(x, true)[1]) as tf.Scalar);
      tf.dispose([r.value, ...Object.values(r.grads)]);
      expect(tf.memory().numTensors).toBe(before);
    }

    // Eval mode: (x - running_mean) / sqrt(running_var + eps), no update of the running stats.
    const runMean = Array.from(mMean.dataSync()), runVar = Array.from(mVar.dataSync());
    const [feat] = net.apply(x, false);
    const ref = new Float64Array(4 * 3);
    const H = 4 * 4;
    for (let i = 0; i < conv.y.length; i++) {
      const c = i % 3;
      ref[Math.floor(i / (H * 3)) * 3 + c] += Math.max((conv.y[i] - runMean[c]) / Math.sqrt(runVar[c] + 1e-5), 0) / H;
    }
    expectClose(feat.dataSync(), ref);
    expect(Array.from(mMean.dataSync())).toEqual(runMean);
    tf.dispose(feat);
    x.dispose();
    net.dispose();
  });

  it('apply returns every stage output and leaks nothing; shape errors are clear', () => {
    const net = createNetwork(network('o', [convStage([4], 3, 2, 'none', [6, 6, 1]), mlpStage([3], 'none', [4])]), createRng(3));
    const x = tf.zeros([2, 6, 6, 1]);
    const before = tf.memory().numTensors;
    const outs = net.apply(x, false);
    expect(outs.map((o) => o.shape)).toEqual([[2, 4], [2, 3]]);
    expect(tf.memory().numTensors).toBe(before + 2);
    tf.dispose(outs);
    const flat = tf.zeros([2, 36]);
    const flatOuts = net.apply(flat, false);
    expect(flatOuts[1].shape).toEqual([2, 3]); // flattened input is reshaped
    // global average pooling: other image sizes with the same channels are fine (probes on full images)
    const big = tf.zeros([2, 9, 9, 1]);
    const larger = net.apply(big, false);
    expect(larger.map((o) => o.shape)).toEqual([[2, 4], [2, 3]]);
    const bad = tf.zeros([2, 5, 5, 2]);
    expect(() => net.apply(bad, false)).toThrow(/expected input \[B, 6, 6, 1\]/);
    const badFlat = tf.zeros([2, 30]);
    expect(() => net.apply(badFlat, false)).toThrow(/expected input \[B, 6, 6, 1\]/);
    tf.dispose([x, flat, big, bad, badFlat, ...flatOuts, ...larger]);
    net.dispose();
    expect(tf.memory().numTensors).toBe(before - 1 - net.trainable.length);
  });
});
