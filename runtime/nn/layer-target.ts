/**
 * data2vec targets (Baevski et al. 2022, arXiv:2202.03555, sec. 3.3): the mean of the outputs of
 * the top K blocks of a transformer, each optionally instance-normalised first.
 *
 * Instance norm as data2vec's F.instance_norm on [B, dim, tokens]: per example and channel,
 * normalised over the token axis, biased variance, eps 1e-5, no affine parameters.
 */
import { tf } from '../tf.js';

export const INSTANCE_NORM_EPSILON = 1e-5;

/** x [B, T, D] normalised over T for every (b, d). */
export function instanceNorm(x: tf.Tensor): tf.Tensor {
  return tf.tidy(() => {
    if (x.rank !== 3) throw new Error(`instance norm expects [B, tokens, dim], got [${x.shape}]`);
    const { mean, variance } = tf.moments(x, 1, true);
    return tf.mul(tf.sub(x, mean), tf.rsqrt(tf.add(variance, INSTANCE_NORM_EPSILON)));
  });
}

/** Mean of the last `top` of `blocks` ([B, T, D] each), each instance-normalised when norm = 'instance'. */
export function layerTarget(blocks: tf.Tensor[], top: number, norm: 'instance' | 'none'): tf.Tensor {
  if (!(Number.isInteger(top) && top >= 1 && top <= blocks.length)) {
    throw new Error(`layer targets: top must be an integer in [1, ${blocks.length}] (the transformer's depth), got ${top}`);
  }
  return tf.tidy(() => {
    const chosen = blocks.slice(blocks.length - top).map((b) => (norm === 'instance' ? instanceNorm(b) : b));
    return chosen.length === 1 ? tf.clone(chosen[0]) : tf.div(tf.addN(chosen), chosen.length);
  });
}
