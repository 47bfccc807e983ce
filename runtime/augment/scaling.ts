/**
 * Scaling: multiply each channel of each example by a random factor, constant over time:
 * out[b, t, c] = x[b, t, c] * s[b, c], s[b, c] ~ N(1, sigma^2) i.i.d.
 *
 * Um et al. 2017 (arXiv:1706.00527), section 3.1 "scaling" (one factor per sensor axis, simulating
 * a change of gain); Iwana & Uchida 2021 (arXiv:2007.15951), section 3.1.2; with jitter the weak
 * view of TS-TCC (Eldele et al. 2021, arXiv:2106.14112). The factor is not truncated: with a large
 * sigma a channel may change sign, as in the papers' code.
 *
 * B x C factors are drawn on the host (rng.normal()) and uploaded; the multiply runs on the backend.
 *
 * Shapes: x [B, T, C] -> [B, T, C].
 */
import type { AugOp } from '../../compiler/ir.js';
import { tf } from '../tf.js';
import type { Rng } from '../util/rng.js';
import { checkSequenceBatch } from './sequence.js';

export type ScalingParams = Pick<Extract<AugOp, { kind: 'scaling' }>, 'sigma'>;

export function validateScaling(p: ScalingParams): void {
  if (!(p.sigma >= 0 && Number.isFinite(p.sigma))) throw new RangeError(`scaling: sigma must be >= 0, got ${p.sigma}`);
}

/** The B x C factors, row-major [B, C], drawn from `rng`. */
export function scalingFactors(batch: number, channels: number, sigma: number, rng: Rng): Float32Array {
  const s = new Float32Array(batch * channels);
  for (let i = 0; i < s.length; i++) s[i] = 1 + sigma * rng.normal();
  return s;
}

export function scaling(x: tf.Tensor3D, params: ScalingParams, rng: Rng): tf.Tensor3D {
  validateScaling(params);
  checkSequenceBatch('scaling', x);
  if (params.sigma === 0) return tf.clone(x);
  const [b, , c] = x.shape;
  const s = scalingFactors(b, c, params.sigma, rng);
  return tf.tidy(() => tf.mul(x, tf.tensor3d(s, [b, 1, c], 'float32')));
}
