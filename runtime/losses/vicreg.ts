/**
 * VICReg: Variance-Invariance-Covariance Regularization (Bardes, Ponce & LeCun 2022,
 * https://arxiv.org/abs/2105.04906, eq. 1-6), following the official code
 * (facebookresearch/vicreg, main_vicreg.py, VICReg.forward):
 *
 *   invariance  s = (1 / (B D)) sum_{b,d} (a_bd - b_bd)^2                      (F.mse_loss)
 *   variance    v = mean_d relu(1 - std_d(a)) / 2 + mean_d relu(1 - std_d(b)) / 2,
 *               std_d(x) = sqrt(Var_d(x) + 1e-4), unbiased (B - 1) variance over the batch
 *   covariance  c = (1 / D) sum_{i != j} Cov(a)_ij^2 + (1 / D) sum_{i != j} Cov(b)_ij^2,
 *               Cov(x) = (x - mean x)^T (x - mean x) / (B - 1)                    [D, D]
 *
 *   L = invariance * s + variance * v + covariance * c      (paper: 25, 25, 1)
 *
 * The variance term is the average of the two branches (the code's "/ 2"), the covariance term
 * their sum, as in the official code.
 *
 * Shapes: a, b [B, D], B >= 2. `vicreg` returns the raw (unweighted) s, v and c; the LossModule's
 * parts { invariance, variance, covariance } are the WEIGHTED terms (coefficient * raw), so they sum
 * to the loss like every other loss's parts.
 */
import { tf } from '../tf.js';
import { checkMatrix, checkNonNegative, checkSameShape, noMask, param, single, statelessModule } from './common.js';
import type { LossModule } from './types.js';

/** The official code's eps inside the square root of the variance. */
export const VICREG_STD_EPS = 1e-4;

export interface VicregCoefficients {
  invariance: number;
  variance: number;
  covariance: number;
}

export interface VicregResult {
  /** invariance * s + variance * v + covariance * c */
  loss: tf.Scalar;
  /** s, unweighted */
  invariance: tf.Scalar;
  /** v, unweighted */
  variance: tf.Scalar;
  /** c, unweighted */
  covariance: tf.Scalar;
}

/** [std hinge mean_d relu(1 - std_d), off-diagonal covariance sum / D] for one branch. */
function branchTerms(x: tf.Tensor2D): [tf.Scalar, tf.Scalar] {
  const [n, d] = x.shape;
  const centred = tf.sub(x, tf.mean(x, 0, true)); // [B, D]
  const cov = tf.div(tf.matMul(tf.transpose(centred), centred), n - 1); // [D, D]
  const variance = tf.div(tf.sum(tf.square(centred), 0), n - 1); // [D]
  const std = tf.sqrt(tf.add(variance, VICREG_STD_EPS));
  const hinge = tf.mean(tf.relu(tf.sub(1, std))) as tf.Scalar;
  const off = tf.div(tf.sum(tf.mul(tf.square(cov), tf.sub(1, tf.eye(d)))), d) as tf.Scalar;
  return [hinge, off];
}

/**
 * @param a first view's embeddings [B, D]
 * @param b second view's embeddings [B, D]
 * @param coefficients weights of the three terms, each >= 0
 */
export function vicreg(a: tf.Tensor, b: tf.Tensor, coefficients: VicregCoefficients): VicregResult {
  for (const k of ['invariance', 'variance', 'covariance'] as const) checkNonNegative('vicreg', k, coefficients[k]);
  checkMatrix('vicreg', 'a', a);
  checkMatrix('vicreg', 'b', b);
  checkSameShape('vicreg', ['a', 'b'], a, b);
  if (a.shape[0] < 2) throw new Error(`vicreg: needs a batch of at least 2 for the (B - 1) variance, got [${a.shape.join(', ')}]`);
  const [invariance, variance, covariance] = tf.tidy(() => {
    const inv = tf.mean(tf.squaredDifference(a, b)) as tf.Scalar;
    const [hingeA, covA] = branchTerms(a);
    const [hingeB, covB] = branchTerms(b as tf.Tensor2D);
    return [inv, tf.div(tf.add(hingeA, hingeB), 2) as tf.Scalar, tf.add(covA, covB) as tf.Scalar];
  });
  const loss = tf.tidy(
    () =>
      tf.addN([
        tf.mul(invariance, coefficients.invariance),
        tf.mul(variance, coefficients.variance),
        tf.mul(covariance, coefficients.covariance),
      ]) as tf.Scalar,
  );
  return { loss, invariance, variance, covariance };
}

/**
 * LossModule for `vicreg` { a, b }, params { invariance, variance, covariance }; parts are the
 * weighted terms { invariance, variance, covariance } (they sum to the loss).
 */
export function createVicreg(name: string): LossModule {
  const label = `vicreg '${name}'`;
  return statelessModule((inputs, mask, params) => {
    noMask(label, mask);
    const coefficients = {
      invariance: param(label, params, 'invariance'),
      variance: param(label, params, 'variance'),
      covariance: param(label, params, 'covariance'),
    };
    const r = vicreg(single(label, inputs, 'a'), single(label, inputs, 'b'), coefficients);
    const parts = tf.tidy(() => ({
      invariance: tf.mul(r.invariance, coefficients.invariance) as tf.Scalar,
      variance: tf.mul(r.variance, coefficients.variance) as tf.Scalar,
      covariance: tf.mul(r.covariance, coefficients.covariance) as tf.Scalar,
    }));
    tf.dispose([r.invariance, r.variance, r.covariance]);
    return { loss: r.loss, parts };
  });
}
