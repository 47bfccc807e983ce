/**
 * Additive Gaussian pixel noise: out = clip(x + N(0, std^2), 0, 1), i.i.d. per pixel.
 *
 * Not one of SimCLR's ImageNet augmentations (Chen et al. 2020, arXiv:2002.05709, appendix A
 * lists crop, flip, colour distortion and blur); Gaussian noise is among the transformations
 * studied in its section 3 / figure 4 ("Gaussian noise"), and suits small grayscale data where
 * colour distortion has little to act on.
 *
 * The noise is drawn on the host by `normalNoise` (sfc32 seeded from the rng, polar method; i.i.d.
 * N(0, std^2), deterministic for a seed) and uploaded once: `tf.randomNormal` draws the same
 * amount in 5-8x the time (its per-value JS generator dominated this op). Values are clipped, so
 * for x near 0 or 1 the effective std is below `std`.
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
  const noise = normalNoise(x.size, params.std, seed);
  return tf.tidy(() => tf.clipByValue(tf.add(x, tf.tensor(noise, x.shape, 'float32')), 0, 1) as tf.Tensor4D);
}

/**
 * n i.i.d. N(0, std^2) samples, a pure function of `seed`. Uniforms from sfc32 (Doty-Humphrey's
 * small fast counter generator, 128-bit state, passes PractRand; inlined, as a closure it ran 3x
 * slower) with 32 random bits each; normals by Marsaglia's polar method, two per accepted pair
 * (u, v uniform in (-1, 1), s = u^2 + v^2 in (0, 1): z = u, v times sqrt(-2 ln s / s)), no trig.
 */
export function normalNoise(n: number, std: number, seed: number): Float32Array {
  let a = 0x9e3779b9 | 0, b = seed | 0, c = 0x85ebca6b | 0, d = 1;
  for (let i = 0; i < 12; i++) {
    const t = (((a + b) | 0) + d) | 0;
    d = (d + 1) | 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) | 0;
    c = (c << 21) | (c >>> 11);
    c = (c + t) | 0;
  }
  const out = new Float32Array(n);
  const inv = 1 / 2147483648; // int32 -> [-1, 1)
  let i = 0;
  while (i < n) {
    let t = (((a + b) | 0) + d) | 0;
    d = (d + 1) | 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) | 0;
    c = (c << 21) | (c >>> 11);
    c = (c + t) | 0;
    const u = t * inv;
    t = (((a + b) | 0) + d) | 0;
    d = (d + 1) | 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) | 0;
    c = (c << 21) | (c >>> 11);
    c = (c + t) | 0;
    const v = t * inv;
    const q = u * u + v * v;
    if (q >= 1 || q === 0) continue;
    const f = std * Math.sqrt((-2 * Math.log(q)) / q);
    out[i++] = u * f;
    if (i < n) out[i++] = v * f;
  }
  return out;
}
