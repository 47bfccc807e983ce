/**
 * Additive Gaussian pixel noise: out = clip(x + N(0, std^2), 0, 1), i.i.d. per pixel.
 *
 * Not one of SimCLR's ImageNet augmentations (Chen et al. 2020, arXiv:2002.05709, appendix A
 * lists crop, flip, colour distortion and blur); Gaussian noise is among the transformations
 * studied in its section 3 / figure 4 ("Gaussian noise"), and suits small grayscale data where
 * colour distortion has little to act on.
 *
 * The noise comes from `tf.randomNormal` with a seed drawn from the rng (deterministic for a
 * seed). Values are clipped, so for x near 0 or 1 the effective std is below `std`.
 *
 * Shapes: x [B, H, W, C] -> [B, H, W, C].
 */
import type { AugOp } from '../../compiler/ir.js';
import { tf } from '../tf.js';
import type { Rng } from '../util/rng.js';

export type GaussianNoiseParams = Pick<Extract<AugOp, { kind: 'gaussian_noise' }>, 'std'>;

export function validateGaussianNoise(p: GaussianNoiseParams): void {
  if (!(p.std >= 0 && Number.isFinite(p.std))) throw new RangeError(`gaussian_noise: std must be >= 0, got ${p.std}`);
}

export function gaussianNoise(x: tf.Tensor4D, params: GaussianNoiseParams, rng: Rng): tf.Tensor4D {
  validateGaussianNoise(params);
  if (params.std === 0) return tf.clone(x);
  const seed = rng.uint32();
  return tf.tidy(() => tf.clipByValue(tf.add(x, tf.randomNormal(x.shape, 0, params.std, 'float32', seed)), 0, 1) as tf.Tensor4D);
}
