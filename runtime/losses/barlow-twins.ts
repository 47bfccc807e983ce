/**
 * The Barlow Twins redundancy-reduction loss (Zbontar, Jing, Misra, LeCun & Deny 2021, "Barlow
 * Twins: Self-Supervised Learning via Redundancy Reduction", https://arxiv.org/abs/2103.03230,
 * eq. 1-2 and Algorithm 1).
 *
 * Each embedding dimension is standardised over the batch, as the official code's
 * BatchNorm1d(affine=False) in training mode does: a_n = (a - mean_b a) / sqrt(var_b a + 1e-5), with
 * the biased (1 / B) batch variance and BatchNorm's eps 1e-5. Then the cross-correlation
 *
 *   C = a_n^T b_n / B                                              [D, D]
 *   L = sum_i (1 - C_ii)^2  +  lambda * sum_{i != j} C_ij^2
 *         `--- on_diag ---'     `------- off_diag -------'
 *
 * C_ii is the correlation of dimension i between the two views (invariance); the off-diagonal
 * terms decorrelate different dimensions (redundancy reduction). The paper's lambda is 5e-3.
 *
 * Shapes: a, b [B, D] with B >= 2; C [D, D]. The parts logged are on_diag and off_diag, the
 * latter already multiplied by lambda, so on_diag + off_diag = loss.
 */
import { tf } from '../tf.js';
import { checkMatrix, checkNonNegative, checkSameShape, noMask, param, single, statelessModule } from './common.js';
import type { LossModule } from './types.js';

/** BatchNorm1d's eps. */
export const BARLOW_BN_EPS = 1e-5;

export interface BarlowTwinsResult {
  loss: tf.Scalar;
  /** sum_i (1 - C_ii)^2 */
  onDiag: tf.Scalar;
  /** lambda * sum_{i != j} C_ij^2 */
  offDiag: tf.Scalar;
}

/** x standardised per column over the batch with the biased variance (BatchNorm1d without affine). */
function standardise(x: tf.Tensor2D): tf.Tensor2D {
  const { mean, variance } = tf.moments(x, 0, true);
  return tf.div(tf.sub(x, mean), tf.sqrt(tf.add(variance, BARLOW_BN_EPS))) as tf.Tensor2D;
}

/**
 * @param a first view's embeddings [B, D]
 * @param b second view's embeddings [B, D]
 * @param lambda weight of the off-diagonal (redundancy) term, >= 0
 */
export function barlowTwins(a: tf.Tensor, b: tf.Tensor, lambda: number): BarlowTwinsResult {
  checkNonNegative('barlow_twins', 'lambda', lambda);
  checkMatrix('barlow_twins', 'a', a);
  checkMatrix('barlow_twins', 'b', b);
  checkSameShape('barlow_twins', ['a', 'b'], a, b);
  const [n, d] = a.shape;
  if (n < 2) throw new Error(`barlow_twins: needs a batch of at least 2 to standardise, got [${a.shape.join(', ')}]`);
  const [onDiag, offDiag] = tf.tidy(() => {
    const c = tf.div(tf.matMul(tf.transpose(standardise(a)), standardise(b as tf.Tensor2D)), n); // [D, D]
    const eye = tf.eye(d);
    const diag = tf.sum(tf.mul(c, eye), 1); // [D]
    const on = tf.sum(tf.square(tf.sub(1, diag))) as tf.Scalar;
    const off = tf.mul(tf.sum(tf.mul(tf.square(c), tf.sub(1, eye))), lambda) as tf.Scalar;
    return [on, off];
  });
  return { loss: tf.add(onDiag, offDiag) as tf.Scalar, onDiag, offDiag };
}

/** LossModule for `barlow_twins` { a, b }, params { lambda }; parts { on_diag, off_diag }. */
export function createBarlowTwins(name: string): LossModule {
  const label = `barlow_twins '${name}'`;
  return statelessModule((inputs, mask, params) => {
    noMask(label, mask);
    const r = barlowTwins(single(label, inputs, 'a'), single(label, inputs, 'b'), param(label, params, 'lambda'));
    return { loss: r.loss, parts: { on_diag: r.onDiag, off_diag: r.offDiag } };
  });
}
