/**
 * Hiding masked tokens from a network that has no tokens (convnet, resnet, conv1d, mlp on raw
 * input): the [B, tokens] mask (1 = hidden) is expanded to the input elements each token covers
 * and those elements are set to zero, x * (1 - m).
 *
 * Images [H, W, C] with grid [gh, gw] and patch [ph, pw]: token i = r * gw + c covers rows
 * r*ph .. r*ph+ph-1 and columns c*pw .. c*pw+pw-1 (the row-major patch grid of `patchify` and the
 * transformer). Sequences [T, C] with grid [g] and patch [p]: token i covers steps i*p .. i*p+p-1.
 */
import { tf } from '../tf.js';

export interface MaskGeometry {
  /** Token grid: [gh, gw] for images, [g] for sequences. */
  grid: number[];
  /** Input elements per token along each grid axis. */
  patch: number[];
}

/**
 * The geometry for `inputShape` ([H, W, C] or [T, C]) and a mask of `tokens` tokens: the given
 * one (checked), or else inferred: sequences p = T / tokens, images square patches
 * p = sqrt(H W / tokens) dividing H and W.
 */
export function maskGeometry(inputShape: number[], tokens: number, spec?: MaskGeometry): MaskGeometry {
  const where = `mask over input [${inputShape}]`;
  if (inputShape.length === 3) {
    const [H, W] = inputShape;
    let g = spec;
    if (!g) {
      const p = Math.round(Math.sqrt((H * W) / tokens));
      if (!(p >= 1) || H % p !== 0 || W % p !== 0 || (H / p) * (W / p) !== tokens) {
        throw new Error(`${where}: cannot infer square patches for ${tokens} tokens; pass maskSpec { grid, patch }`);
      }
      g = { grid: [H / p, W / p], patch: [p, p] };
    }
    if (g.grid.length !== 2 || g.patch.length !== 2) throw new Error(`${where}: an image mask needs a 2-D grid and patch, got grid [${g.grid}] patch [${g.patch}]`);
    if (g.grid[0] * g.patch[0] !== H || g.grid[1] * g.patch[1] !== W || g.grid[0] * g.grid[1] !== tokens) {
      throw new Error(`${where}: grid [${g.grid}] x patch [${g.patch}] does not tile [${H}, ${W}] with ${tokens} tokens`);
    }
    return g;
  }
  if (inputShape.length === 2) {
    const [T] = inputShape;
    const g = spec ?? { grid: [tokens], patch: [T / tokens] };
    if (g.grid.length !== 1 || g.patch.length !== 1 || !Number.isInteger(g.patch[0]) || g.grid[0] * g.patch[0] !== T || g.grid[0] !== tokens) {
      throw new Error(`${where}: grid [${g.grid}] x patch [${g.patch}] does not tile ${T} steps with ${tokens} tokens`);
    }
    return g;
  }
  throw new Error(`${where}: only image [H, W, C] or sequence [T, C] inputs can be masked`);
}

/**
 * The mask expanded to input elements: images [B, H, W, 1], sequences [B, T, 1]; 1 = hidden.
 * Broadcasts against x of shape [B, ...inputShape].
 */
export function expandMask(mask: tf.Tensor, inputShape: number[], spec?: MaskGeometry): tf.Tensor {
  return tf.tidy(() => {
    if (mask.rank !== 2) throw new Error(`mask must be [B, tokens], got [${mask.shape}]`);
    const [B, tokens] = mask.shape;
    const g = maskGeometry(inputShape, tokens, spec);
    const m = tf.cast(mask, 'float32');
    if (inputShape.length === 3) {
      const [gh, gw] = g.grid;
      const [ph, pw] = g.patch;
      // [B*gh, 1, gw, 1] tiled to [B*gh, ph, gw, pw], which is [B, gh*ph, gw*pw] row-major.
      const tiled = tf.tile(tf.reshape(m, [B * gh, 1, gw, 1]), [1, ph, 1, pw]);
      return tf.reshape(tiled, [B, gh * ph, gw * pw, 1]);
    }
    const [p] = g.patch;
    return tf.reshape(tf.tile(tf.reshape(m, [B, tokens, 1]), [1, 1, p]), [B, tokens * p, 1]);
  });
}

/** x [B, ...inputShape] (or flattened) with the hidden elements zeroed: x * (1 - m). Returns [B, ...inputShape]. */
export function maskInput(x: tf.Tensor, mask: tf.Tensor, inputShape: number[], spec?: MaskGeometry): tf.Tensor {
  return tf.tidy(() => {
    const perExample = inputShape.reduce((a, b) => a * b, 1);
    if (x.size !== x.shape[0] * perExample) throw new Error(`mask: expected input [B, ${inputShape.join(', ')}], got [${x.shape}]`);
    if (mask.shape[0] !== x.shape[0]) throw new Error(`mask: batch ${mask.shape[0]} does not match the input's ${x.shape[0]}`);
    const shaped = tf.reshape(x, [x.shape[0], ...inputShape]);
    return tf.mul(shaped, tf.sub(1, expandMask(mask, inputShape, spec)));
  });
}
