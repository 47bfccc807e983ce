/**
 * Layer normalisation, Ba et al. 2016 (arXiv:1607.06450), over the last axis (channels-last:
 * the features of a token, the channels of a pixel or time step), with a learned per-channel
 * gain gamma (init 1) and shift beta (init 0). eps 1e-5 (PyTorch's default); biased variance.
 * No running statistics: training and evaluation compute the same thing.
 */
import { tf } from '../tf.js';
import { constantVariable } from './init.js';

export const LN_EPSILON = 1e-5;

export interface LayerNorm {
  gamma: tf.Variable;
  beta: tf.Variable;
  apply(x: tf.Tensor): tf.Tensor;
}

export function createLayerNorm(prefix: string, channels: number): LayerNorm {
  const gamma = constantVariable(`${prefix}/gamma`, [channels], 1, true);
  const beta = constantVariable(`${prefix}/beta`, [channels], 0, true);
  const apply = (x: tf.Tensor): tf.Tensor =>
    tf.tidy(() => {
      if (x.shape[x.rank - 1] !== channels) throw new Error(`layer norm '${prefix}': expected ${channels} channels, got shape [${x.shape}]`);
      const { mean, variance } = tf.moments(x, x.rank - 1, true);
      return tf.add(tf.mul(tf.mul(tf.sub(x, mean), tf.rsqrt(tf.add(variance, LN_EPSILON))), gamma), beta);
    });
  return { gamma, beta, apply };
}
