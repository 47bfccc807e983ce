/**
 * Batch normalisation, Ioffe & Szegedy 2015 (arXiv:1502.03167), over every axis but the last
 * (channels-last: [B, C] after a dense layer, [B, H, W, C] after a conv).
 *
 * Conventions (PyTorch's, which the anchors' reference runs used): eps 1e-5; running statistics
 * updated as running = 0.9 * running + 0.1 * batch (Keras momentum 0.9 = PyTorch momentum 0.1),
 * with the unbiased batch variance; normalisation in training uses the biased batch variance.
 */
import { tf } from '../tf.js';
import { constantVariable } from './init.js';

export const BN_MOMENTUM = 0.9;
export const BN_EPSILON = 1e-5;

export interface BatchNorm {
  gamma: tf.Variable;
  beta: tf.Variable;
  movingMean: tf.Variable;
  movingVariance: tf.Variable;
  /**
   * training=true: normalise with batch statistics and update the running statistics by
   * assignment (safe inside tf.variableGrads: the state variables are not trainable and the
   * assignment is not part of the loss). training=false: normalise with the running statistics.
   */
  apply(x: tf.Tensor, training: boolean): tf.Tensor;
}

export function createBatchNorm(prefix: string, channels: number): BatchNorm {
  const gamma = constantVariable(`${prefix}/gamma`, [channels], 1, true);
  const beta = constantVariable(`${prefix}/beta`, [channels], 0, true);
  const movingMean = constantVariable(`${prefix}/moving_mean`, [channels], 0, false);
  const movingVariance = constantVariable(`${prefix}/moving_variance`, [channels], 1, false);

  const apply = (x: tf.Tensor, training: boolean): tf.Tensor =>
    tf.tidy(() => {
      const c = x.shape[x.rank - 1];
      if (c !== channels) throw new Error(`batch norm '${prefix}': expected ${channels} channels, got shape [${x.shape}]`);
      const axes = Array.from({ length: x.rank - 1 }, (_, i) => i);
      let mean: tf.Tensor;
      let variance: tf.Tensor;
      if (training) {
        const count = x.size / c;
        if (count < 2) throw new Error(`batch norm '${prefix}': training needs more than one value per channel, got shape [${x.shape}]`);
        const moments = tf.moments(x, axes); // mean, variance: [C] (biased)
        mean = moments.mean;
        variance = moments.variance;
        const unbiased = tf.mul(variance, count / (count - 1));
        movingMean.assign(tf.add(tf.mul(movingMean, BN_MOMENTUM), tf.mul(mean, 1 - BN_MOMENTUM)) as tf.Tensor1D);
        movingVariance.assign(tf.add(tf.mul(movingVariance, BN_MOMENTUM), tf.mul(unbiased, 1 - BN_MOMENTUM)) as tf.Tensor1D);
      } else {
        mean = movingMean;
        variance = movingVariance;
      }
      // y = (x - mean) / sqrt(var + eps) * gamma + beta, broadcast over the last axis.
      const scale = tf.mul(tf.rsqrt(tf.add(variance, BN_EPSILON)), gamma); // [C]
      return tf.add(tf.mul(tf.sub(x, mean), scale), beta);
    });

  return { gamma, beta, movingMean, movingVariance, apply };
}
