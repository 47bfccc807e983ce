/**
 * NT-Xent, the normalised temperature-scaled cross-entropy of SimCLR
 * (Chen et al. 2020, "A Simple Framework for Contrastive Learning of Visual Representations",
 * https://arxiv.org/abs/2002.05709, eq. 1).
 *
 * For a batch of N pairs (a_i, b_i), let z = l2normalise(concat(a, b)) and s_ij = z_i . z_j / t.
 * Each of the 2N embeddings has one positive, p(i) = i + N (mod 2N), and 2N - 2 negatives:
 *
 *   l_i = -log( exp(s_{i,p(i)}) / sum_{k != i} exp(s_ik) ),   L = (1 / 2N) sum_i l_i
 *
 * Shapes (n = N pairs, d = embedding size):
 *   a, b:   [n, d]
 *   z:      [2n, d]
 *   logits: [2n, 2n]  (diagonal masked out)
 *
 * The diagonal is masked with a large negative constant rather than -Inf so that exp() underflows
 * to exactly 0 while every gradient stays finite.
 *
 * @param a first view's embeddings, [N, D]
 * @param b second view's embeddings, [N, D]; row i is the positive of a's row i
 * @param temperature t > 0 (SimCLR: 0.5 for CIFAR-10, 0.1 for ImageNet with large batches)
 * @returns the scalar mean loss over the 2N anchors
 * @throws Error if the temperature is not a finite positive number or the shapes do not match
 */
import { tf } from '../tf.js';

/** Added to the self-similarity logits; exp(-1e9 + |s|) is 0 in float32 for any t >= 1e-7. */
const MASK_VALUE = -1e9;
/** Same clamp as torch.nn.functional.normalize (eps 1e-12 on the norm), applied to the squared norm. */
const NORM_EPS_SQ = 1e-24;

export function ntXent(a: tf.Tensor2D, b: tf.Tensor2D, temperature: number): tf.Scalar {
  if (!Number.isFinite(temperature) || temperature <= 0) {
    throw new Error(`ntXent: temperature must be a finite number > 0, got ${temperature}`);
  }
  if (a.rank !== 2 || b.rank !== 2) {
    throw new Error(`ntXent: expected two [N, D] embeddings, got [${a.shape.join(', ')}] and [${b.shape.join(', ')}]`);
  }
  if (a.shape[0] !== b.shape[0] || a.shape[1] !== b.shape[1]) {
    throw new Error(`ntXent: the two views must have the same shape, got [${a.shape.join(', ')}] and [${b.shape.join(', ')}]`);
  }
  const [n] = a.shape;
  if (n < 1 || a.shape[1] < 1) throw new Error(`ntXent: empty embeddings [${a.shape.join(', ')}]`);

  return tf.tidy(() => {
    const x = tf.concat([a, b], 0); // [2N, D]
    const sq = tf.sum(tf.square(x), 1, true); // [2N, 1]
    const z = tf.mul(x, tf.rsqrt(tf.maximum(sq, NORM_EPS_SQ))); // [2N, D], unit rows
    // Explicit transpose: the wasm backend's transposed BatchMatMul is much slower (notes/backends.md).
    const sim = tf.div(tf.matMul(z, tf.transpose(z)), temperature); // [2N, 2N]
    const logits = tf.add(sim, tf.mul(tf.eye(2 * n), MASK_VALUE)); // [2N, 2N], self-pairs masked
    // Positives: row i -> column (i + N) mod 2N.
    const positives = tf.oneHot(
      tf.tensor1d(Array.from({ length: 2 * n }, (_, i) => (i + n) % (2 * n)), 'int32'),
      2 * n,
    ); // [2N, 2N]
    const logProb = tf.logSoftmax(logits); // [2N, 2N]
    return tf.neg(tf.mean(tf.sum(tf.mul(positives, logProb), 1))) as tf.Scalar;
  });
}
