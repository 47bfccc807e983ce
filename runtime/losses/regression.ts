/**
 * Per-token regression losses of masked prediction: mean squared error (MAE, He et al. 2021,
 * "Masked Autoencoders Are Scalable Vision Learners", https://arxiv.org/abs/2111.06377, sec. 3:
 * "the loss is computed only on masked patches") and smooth L1 (data2vec, Baevski et al. 2022,
 * "data2vec: A General Framework for Self-supervised Learning in Speech, Vision and Language",
 * https://arxiv.org/abs/2202.03555, eq. 2, beta as in torch.nn.functional.smooth_l1_loss).
 *
 * Shapes: prediction, target [B, T, D] (per token) or [B, D]; mask [B, T] of 0/1 (1 = hidden), only
 * with [B, T, D] inputs. With e the elementwise error (e = (p - y)^2, or smooth_l1(p - y)):
 *
 *   no mask:  L = mean over all elements of e
 *   mask:     L = sum_{b,t,d} e[b,t,d] m[b,t] / (D * sum_{b,t} m[b,t])   (mean over hidden tokens and D)
 *
 * A mask that hides nothing gives 0 (the denominator is clamped to >= 1).
 *
 *   smooth_l1(x) = 0.5 x^2 / beta   if |x| < beta
 *                  |x| - 0.5 beta   otherwise          (beta = 0: plain L1, |x|)
 *
 * Gradient semantics are the graph's: the recipe stops the target's gradient, these just compute.
 */
import { tf } from '../tf.js';
import { checkNonNegative, checkSameShape, param, shapeOf, single, statelessModule } from './common.js';
import type { LossModule } from './types.js';

function checkInputs(loss: string, p: tf.Tensor, y: tf.Tensor, mask: tf.Tensor | null): void {
  if (p.rank !== 2 && p.rank !== 3) throw new Error(`${loss}: expected prediction to be [B, D] or [B, T, D], got ${shapeOf(p)}`);
  checkSameShape(loss, ['prediction', 'target'], p, y);
  if (p.size === 0) throw new Error(`${loss}: empty inputs ${shapeOf(p)}`);
  if (mask !== null) {
    if (p.rank !== 3) throw new Error(`${loss}: a token mask needs per-token [B, T, D] inputs, got prediction ${shapeOf(p)} and mask ${shapeOf(mask)}`);
    if (mask.rank !== 2 || mask.shape[0] !== p.shape[0] || mask.shape[1] !== p.shape[1]) {
      throw new Error(`${loss}: the mask must be [B, T] = [${p.shape[0]}, ${p.shape[1]}] for prediction ${shapeOf(p)}, got ${shapeOf(mask)}`);
    }
  }
}

/** Mean of the elementwise error e over all elements, or over the hidden tokens (and D) of `mask`. */
function reduce(e: tf.Tensor, mask: tf.Tensor | null): tf.Scalar {
  if (mask === null) return tf.mean(e) as tf.Scalar;
  const m = tf.cast(mask, 'float32'); // [B, T]
  const d = e.shape[2] as number;
  const total = tf.sum(tf.mul(e, tf.expandDims(m, 2))); // sum over hidden tokens
  return tf.div(total, tf.maximum(tf.mul(tf.sum(m), d), 1)) as tf.Scalar;
}

/**
 * Mean squared error.
 * @param prediction [B, T, D] or [B, D]
 * @param target same shape
 * @param mask [B, T] (1 = hidden) or null
 */
export function mse(prediction: tf.Tensor, target: tf.Tensor, mask: tf.Tensor | null = null): tf.Scalar {
  checkInputs('mse', prediction, target, mask);
  return tf.tidy(() => reduce(tf.squaredDifference(prediction, target), mask));
}

/**
 * Smooth L1 (Huber / beta) loss, torch's definition.
 * @param prediction [B, T, D] or [B, D]
 * @param target same shape
 * @param beta >= 0; 0 gives the L1 loss
 * @param mask [B, T] (1 = hidden) or null
 */
export function smoothL1(prediction: tf.Tensor, target: tf.Tensor, beta: number, mask: tf.Tensor | null = null): tf.Scalar {
  checkNonNegative('smooth_l1', 'beta', beta);
  checkInputs('smooth_l1', prediction, target, mask);
  return tf.tidy(() => {
    const a = tf.abs(tf.sub(prediction, target));
    if (beta === 0) return reduce(a, mask);
    // With q = min(|x|, beta): 0.5 q^2 / beta + |x| - q is both branches at once, and unlike
    // tf.where(tf.less(...)) it is differentiable in TF.js (Less has no registered gradient).
    const q = tf.minimum(a, beta);
    return reduce(tf.add(tf.div(tf.mul(tf.square(q), 0.5), beta), tf.sub(a, q)), mask);
  });
}

/** LossModule for `mse` { prediction, target } (with the node's optional token mask). */
export function createMse(name: string): LossModule {
  const label = `mse '${name}'`;
  return statelessModule((inputs, mask) => ({
    loss: mse(single(label, inputs, 'prediction'), single(label, inputs, 'target'), mask),
  }));
}

/** LossModule for `smooth_l1` { prediction, target }, params { beta } (with the node's optional token mask). */
export function createSmoothL1(name: string): LossModule {
  const label = `smooth_l1 '${name}'`;
  return statelessModule((inputs, mask, params) => ({
    loss: smoothL1(single(label, inputs, 'prediction'), single(label, inputs, 'target'), param(label, params, 'beta'), mask),
  }));
}
