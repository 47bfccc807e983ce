import { beforeAll, describe, expect, it } from 'vitest';
import { tf } from './tf.js';
import { stopGradient, withoutTape } from './autograd.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('stopGradient', () => {
  it('blocks the gradient of the stopped path and keeps the others', () => {
    const w = tf.variable(tf.tensor1d([2, 3]), true, 'autograd-test/w');
    // f = sum(w * w) + sum(stop(w) * w): d/dw = 2w + stop(w) = 3w, not 4w.
    const { value, grads } = tf.variableGrads(() => tf.add(tf.sum(tf.mul(w, w)), tf.sum(tf.mul(stopGradient(w), w))) as tf.Scalar, [w]);
    expect(value.dataSync()[0]).toBeCloseTo(26);
    expect(Array.from(grads['autograd-test/w']!.dataSync())).toEqual([6, 9]);
    tf.dispose([value, ...Object.values(grads)]);
    w.dispose();
  });

  it('gives no gradient at all through a tape-less forward', () => {
    const w = tf.variable(tf.tensor1d([1, 2]), true, 'autograd-test/v');
    const u = tf.variable(tf.tensor1d([5, 7]), true, 'autograd-test/u');
    const { grads } = tf.variableGrads(() => {
      const t = withoutTape(() => tf.mul(u, 2));
      return tf.sum(tf.mul(t, w)) as tf.Scalar;
    }, [w, u]);
    expect(Array.from(grads['autograd-test/v']!.dataSync())).toEqual([10, 14]);
    // u was only read without the tape: tfjs returns zeros for variables with no path.
    expect(Array.from(grads['autograd-test/u']?.dataSync() ?? [0, 0])).toEqual([0, 0]);
    tf.dispose(Object.values(grads));
    w.dispose();
    u.dispose();
  });

  it('leaks no tensors', () => {
    const x = tf.tensor1d([1, 2, 3]);
    const before = tf.memory().numTensors;
    for (let i = 0; i < 3; i++) tf.tidy(() => {
      stopGradient(tf.mul(x, 2));
    });
    expect(tf.memory().numTensors).toBe(before);
    x.dispose();
  });
});
