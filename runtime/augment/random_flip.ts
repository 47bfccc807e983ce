/**
 * Random horizontal and/or vertical flip, each an independent Bernoulli(p) per example.
 * SimCLR (Chen et al. 2020, arXiv:2002.05709, appendix A) pairs its crop with a random
 * horizontal flip (p = 0.5); vertical flips are offered for data without an up/down (not digits).
 *
 * The flipped batch is made once with `tf.reverse` and the per-example choice is a select with a
 * [B, 1, 1, 1] mask broadcast over the image, so no per-pixel work happens on the host.
 *
 * Shapes: x [B, H, W, C] -> [B, H, W, C]; horizontal = reverse axis 2 (W), vertical = axis 1 (H).
 */
import type { AugOp } from '../../compiler/ir.js';
import { tf } from '../tf.js';
import { bernoulli, type Rng } from '../util/rng.js';

export type RandomFlipParams = Pick<Extract<AugOp, { kind: 'random_flip' }>, 'horizontal' | 'vertical' | 'p'>;

export function validateRandomFlip(p: RandomFlipParams): void {
  if (!(p.p >= 0 && p.p <= 1)) throw new RangeError(`random_flip: p must be in [0, 1], got ${p.p}`);
}

/**
 * Reverse `axis` in the examples where flags[b] is set; x [B, H, W, C].
 * Returns a new tensor (a clone when no example flips).
 */
export function flipWhere(x: tf.Tensor4D, flags: readonly boolean[], axis: 1 | 2): tf.Tensor4D {
  const b = x.shape[0];
  const n = flags.filter(Boolean).length;
  if (n === 0) return tf.clone(x);
  if (n === b) return tf.reverse(x, axis);
  return tf.tidy(() => {
    const mask = tf.tensor4d(Uint8Array.from(flags, Number), [b, 1, 1, 1], 'bool'); // [B, 1, 1, 1]
    return tf.where(tf.broadcastTo(mask, x.shape), tf.reverse(x, axis), x);
  });
}

export function randomFlip(x: tf.Tensor4D, params: RandomFlipParams, rng: Rng): tf.Tensor4D {
  validateRandomFlip(params);
  const b = x.shape[0];
  const hFlags = params.horizontal ? Array.from({ length: b }, () => bernoulli(rng, params.p)) : null;
  const vFlags = params.vertical ? Array.from({ length: b }, () => bernoulli(rng, params.p)) : null;
  return tf.tidy(() => {
    let y: tf.Tensor4D = hFlags ? flipWhere(x, hFlags, 2) : tf.clone(x);
    if (vFlags) y = flipWhere(y, vFlags, 1);
    return y;
  });
}
