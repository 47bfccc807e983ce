/**
 * Jitter: additive Gaussian noise on sequences, out = x + N(0, sigma^2), i.i.d. per example, time
 * step and channel, with no clipping (series have no fixed range).
 *
 * Um et al. 2017, "Data augmentation of wearable sensor data for Parkinson's disease monitoring
 * using convolutional neural networks" (ICMI, arXiv:1706.00527), section 3.1 "jittering" (a way to
 * simulate additive sensor noise); Iwana & Uchida 2021 (PLOS ONE, arXiv:2007.15951), section 3.1.1;
 * with scaling, the "weak" view of TS-TCC (Eldele et al. 2021, IJCAI, arXiv:2106.14112) and part of
 * its "strong" view with permutation.
 *
 * The noise is drawn on the host with `normalNoise` (seeded from the rng, see gaussian_noise.ts for
 * why not tf.randomNormal) and uploaded once; the add runs on the backend.
 *
 * Shapes: x [B, T, C] -> [B, T, C].
 */
import type { AugOp } from '../../compiler/ir.js';
import { tf } from '../tf.js';
import type { Rng } from '../util/rng.js';
import { normalNoise } from './gaussian_noise.js';
import { checkSequenceBatch } from './sequence.js';

export type JitterParams = Pick<Extract<AugOp, { kind: 'jitter' }>, 'sigma'>;

export function validateJitter(p: JitterParams): void {
  if (!(p.sigma >= 0 && Number.isFinite(p.sigma))) throw new RangeError(`jitter: sigma must be >= 0, got ${p.sigma}`);
}

export function jitter(x: tf.Tensor3D, params: JitterParams, rng: Rng): tf.Tensor3D {
  validateJitter(params);
  checkSequenceBatch('jitter', x);
  if (params.sigma === 0) return tf.clone(x);
  const noise = normalNoise(x.size, params.sigma, rng.uint32());
  return tf.tidy(() => tf.add(x, tf.tensor3d(noise, x.shape, 'float32')));
}
