/**
 * Test support for the loss tests (not used by the runtime): random inputs, and gradient checks of
 * a TF.js loss against central finite differences of a naive float64 reference.
 */
import { tf } from '../tf.js';
import type { Rng } from '../util/rng.js';

/** A flat float64 array with its shape (row-major), the naive references' input. */
export interface Flat {
  data: number[];
  shape: number[];
}

export function randomFlat(shape: number[], rng: Rng, scale = 1, offset = 0): Flat {
  const size = shape.reduce((a, b) => a * b, 1);
  return { data: Array.from({ length: size }, () => offset + scale * rng.normal()), shape };
}

/** Rows of a flat [N, D] array. */
export function rows(x: Flat): number[][] {
  const d = x.shape[x.shape.length - 1];
  return Array.from({ length: x.data.length / d }, (_, i) => x.data.slice(i * d, (i + 1) * d));
}

export function randomMatrix(n: number, d: number, rng: Rng, scale = 1): number[][] {
  return rows(randomFlat([n, d], rng, scale));
}

export function toTensor(x: Flat): tf.Tensor {
  return tf.tensor(x.data, x.shape, 'float32');
}

/** |got - expected| / max(|expected|, floor): the relative error, absolute near 0. */
export function relError(got: number, expected: number, floor = 1e-6): number {
  return Math.abs(got - expected) / Math.max(Math.abs(expected), floor);
}

/**
 * The largest difference between TF.js's gradient of `loss` and the central finite difference
 * (step h, in float64) of `reference`, over every input coordinate, relative to the largest
 * finite-difference entry of that input (entrywise relative error is meaningless for the entries
 * that are ~0). Leaks nothing.
 */
export function gradientError(
  loss: (...xs: tf.Tensor[]) => tf.Scalar,
  reference: (...xs: Flat[]) => number,
  inputs: Flat[],
  h = 1e-5,
): number {
  const tensors = inputs.map(toTensor);
  const grads = tf.grads((...xs: tf.Tensor[]) => loss(...xs))(tensors);
  const analytic = grads.map((g) => Array.from(g.dataSync()));
  tf.dispose([...tensors, ...grads]);
  let worst = 0;
  inputs.forEach((x, which) => {
    const numeric = x.data.map((_, k) => {
      const shifted = (delta: number) =>
        reference(...inputs.map((y, i) => (i === which ? { shape: y.shape, data: y.data.map((v, j) => (j === k ? v + delta : v)) } : y)));
      return (shifted(h) - shifted(-h)) / (2 * h);
    });
    const scale = Math.max(...numeric.map(Math.abs), 1e-8);
    numeric.forEach((n, k) => {
      worst = Math.max(worst, Math.abs(analytic[which][k] - n) / scale);
    });
  });
  return worst;
}
