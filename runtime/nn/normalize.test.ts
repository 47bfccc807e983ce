import { beforeAll, describe, expect, it } from 'vitest';
import { tf } from '../tf.js';
import { createNormalize } from './normalize.js';

const origin = { uri: 't', start: { offset: 0, line: 1, column: 1 }, end: { offset: 0, line: 1, column: 1 } };

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('normalize stage', () => {
  it('gives unit rows (and unit tokens), zero rows stay zero, gradients are finite', () => {
    const stage = createNormalize({ kind: 'normalize', inputShape: [2, 3], outputShape: [2, 3], origin }, 'n/0');
    const x = tf.tensor3d([[[3, 4, 0], [0, 0, 0]]]);
    const y = stage.apply(x, true);
    expect(Array.from(y.dataSync())).toEqual([0.6, 0.8, 0, 0, 0, 0].map((v) => Math.fround(v)));
    const g = tf.grad((a: tf.Tensor) => tf.sum(tf.mul(stage.apply(a, true), tf.tensor3d([[[1, 0, 0], [0, 1, 0]]]))))(x);
    // d(x0/|x|)/dx = (I - u u^T) / |x| e0 at u = (0.6, 0.8, 0), |x| = 5.
    expect(Array.from(g.dataSync()).slice(0, 3).map((v) => +v.toFixed(4))).toEqual([0.128, -0.096, 0]);
    expect(Array.from(g.dataSync()).every(Number.isFinite)).toBe(true);
    tf.dispose([x, y, g]);
  });
});
