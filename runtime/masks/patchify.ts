/**
 * The input cut into non-overlapping tokens (the IR's 'patchify' node): the regression target of
 * masked reconstruction (MAE, He et al. 2021, arXiv:2111.06377).
 *
 * Order (the same a ViT patch embedding must use, so token i of the target is token i of the
 * network, and the same as MAE's `patchify`, einsum 'nchpwq->nhwpqc'):
 *  - image x [B, H, W, C], patch p, grid gh = H / p, gw = W / p -> [B, gh*gw, p*p*C]. Tokens are
 *    the grid cells in row-major order: token t = i*gw + j is the patch whose top-left pixel is
 *    (i*p, j*p). Within a token, values are in (row, col, channel) order: entry (r*p + c)*C + ch
 *    is x[b, i*p + r, j*p + c, ch].
 *  - sequence x [B, T, C], patch p -> [B, T/p, p*C]: token t holds steps t*p .. t*p + p - 1,
 *    entry r*C + ch is x[b, t*p + r, ch] (step, channel) order.
 *
 * normalize (MAE's norm_pix_loss target, models_mae.py `forward_loss`): each token is standardised
 * by its own statistics, (x - mean) / sqrt(var + 1e-6), mean and variance over the token's n
 * values. MAE computes `target.var(dim=-1)`, and torch.var defaults to the UNBIASED estimator
 * (divides by n - 1); this matches it. With n = 1 the unbiased variance is undefined (torch gives
 * NaN); here it is taken as 0, so such tokens normalise to 0.
 */
import { tf } from '../tf.js';

export const PATCHIFY_EPSILON = 1e-6;

export function patchify(x: tf.Tensor, patch: number, normalize: boolean): tf.Tensor3D {
  if (!Number.isInteger(patch) || patch < 1) throw new RangeError(`patchify: patch must be a positive integer, got ${patch}`);
  return tf.tidy(() => {
    let tokens: tf.Tensor3D;
    if (x.rank === 4) {
      const [B, H, W, C] = x.shape;
      if (H % patch !== 0 || W % patch !== 0) throw new RangeError(`patchify: image ${H}x${W} is not divisible by patch ${patch}`);
      const gh = H / patch;
      const gw = W / patch;
      // [B*gh, p(row), gw, p(col)*C] -> [B*gh, gw, p(row), p(col)*C] -> [B, gh*gw, p*p*C]
      // (a rank-4 transpose, the same one runtime/nn/transformer.ts uses for its patch embedding)
      const cells = tf.transpose(tf.reshape(x, [B * gh, patch, gw, patch * C]), [0, 2, 1, 3]);
      tokens = tf.reshape(cells, [B, gh * gw, patch * patch * C]);
    } else if (x.rank === 3) {
      const [B, T, C] = x.shape;
      if (T % patch !== 0) throw new RangeError(`patchify: sequence length ${T} is not divisible by patch ${patch}`);
      tokens = tf.reshape(x, [B, T / patch, patch * C]);
    } else {
      throw new RangeError(`patchify: expected an image [B, H, W, C] or a sequence [B, T, C], got shape [${x.shape}]`);
    }
    if (x.dtype !== 'float32') tokens = tf.cast(tokens, 'float32');
    if (!normalize) return tokens;
    const n = tokens.shape[2];
    const mean = tf.mean(tokens, -1, true);
    const centred = tf.sub(tokens, mean);
    if (n === 1) return tf.zerosLike(centred) as tf.Tensor3D;
    const variance = tf.div(tf.sum(tf.square(centred), -1, true), n - 1);
    return tf.div(centred, tf.sqrt(tf.add(variance, PATCHIFY_EPSILON))) as tf.Tensor3D;
  });
}
