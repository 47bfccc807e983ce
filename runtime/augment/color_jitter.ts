/**
 * Colour jitter for grayscale (or per-channel) images: random brightness and contrast.
 *
 * SimCLR (Chen et al. 2020, arXiv:2002.05709), appendix A, pseudo-code `color_jitter(x, s)`:
 *   x = tf.image.random_brightness(x, max_delta=0.8*s)           # x + U(-b, b)
 *   x = tf.image.random_contrast(x, lower=1-0.8*s, upper=1+0.8*s) # (x - mean) * f + mean
 *   … saturation, hue …
 *   x = tf.clip_by_value(x, 0, 1)
 * Brightness is additive as in that pseudo-code (torchvision's is multiplicative); the mean is
 * per image and per channel as in `tf.image.adjust_contrast`; clipping happens once at the end,
 * as in the pseudo-code. Saturation and hue do not exist for one channel and are left out. The
 * random order of the jitter ops in SimCLR's code is not needed: without the intermediate clip
 * brightness and contrast commute, (x + d - m - d) f + m + d = (x - m) f + m + d.
 *
 * Per example, drawn on the host: d ~ U(-b, b), f ~ U(1 - c, 1 + c) (floored at 0).
 * Then out = clip(x * f + (m * (1 - f) + d), 0, 1): one multiply-add over the image.
 *
 * Shapes: x [B, H, W, C]; m [B, 1, 1, C]; f, d [B, 1, 1, 1] -> [B, H, W, C].
 */
import type { AugOp } from '../../compiler/ir.js';
import { tf } from '../tf.js';
import { uniform, type Rng } from '../util/rng.js';

export type ColorJitterParams = Pick<Extract<AugOp, { kind: 'color_jitter' }>, 'brightness' | 'contrast'>;

export function validateColorJitter(p: ColorJitterParams): void {
  if (!(p.brightness >= 0 && Number.isFinite(p.brightness))) throw new RangeError(`color_jitter: brightness must be >= 0, got ${p.brightness}`);
  if (!(p.contrast >= 0 && Number.isFinite(p.contrast))) throw new RangeError(`color_jitter: contrast must be >= 0, got ${p.contrast}`);
}

/** Apply given per-example deltas d[b] and contrast factors f[b]; x [B, H, W, C]. */
export function jitterWith(x: tf.Tensor4D, delta: Float32Array, factor: Float32Array): tf.Tensor4D {
  const b = x.shape[0];
  return tf.tidy(() => {
    const f = tf.tensor4d(factor, [b, 1, 1, 1]);
    const d = tf.tensor4d(delta, [b, 1, 1, 1]);
    const m = tf.mean(x, [1, 2], true); // [B, 1, 1, C]
    const shift = tf.add(tf.mul(m, tf.sub(1, f)), d); // [B, 1, 1, C]
    return tf.clipByValue(tf.add(tf.mul(x, f), shift), 0, 1) as tf.Tensor4D;
  });
}

export function colorJitter(x: tf.Tensor4D, params: ColorJitterParams, rng: Rng): tf.Tensor4D {
  validateColorJitter(params);
  const b = x.shape[0];
  const delta = new Float32Array(b);
  const factor = new Float32Array(b);
  const { brightness: br, contrast: c } = params;
  for (let i = 0; i < b; i++) {
    delta[i] = uniform(rng, -br, br);
    factor[i] = Math.max(0, uniform(rng, 1 - c, 1 + c));
  }
  return jitterWith(x, delta, factor);
}
