/**
 * Gaussian blur with a random sigma per example, applied with probability p.
 *
 * SimCLR (Chen et al. 2020, arXiv:2002.05709), appendix A: "We blur the image 50% of the time
 * using a Gaussian kernel. We randomly sample σ ∈ [0.1, 2.0], and the kernel size is set to be
 * 10% of the image height/width." Here the kernel radius is ceil(3σ) instead (for 28x28 images
 * 10% would be a 3-tap kernel, truncating σ = 2 to a near box filter), and the kernel is
 * normalised to sum 1.
 *
 * Separable and exact: a 2-D Gaussian blur is K_h · X · K_w^T with K_h [H, H], K_w [W, W] the
 * 1-D blur written as matrices. Each example gets its own matrices (identity when it is not
 * blurred) and the whole batch is two batched matmuls:
 *   X  [B·C, H, W]   (channels moved next to the batch)
 *   Y  = K_h [B·C, H, H] @ X          -> [B·C, H, W]
 *   Z  = Y @ K_w^T [B·C, W, W]        -> [B·C, H, W]
 * (K_w^T is built transposed on the host: transposed BatchMatMul is slow on wasm.)
 * Borders use reflect padding (… c b | a b c d | c b …, torchvision's `padding_mode="reflect"`),
 * folded into the matrices, so every row sums to 1 and a constant image stays constant
 * everywhere. Cost per example 2·H·W·(H+W) multiply-adds, e.g. 88k for 28x28.
 *
 * Shapes: x [B, H, W, C] -> [B, H, W, C].
 */
import type { AugOp } from '../../compiler/ir.js';
import { tf } from '../tf.js';
import { bernoulli, uniform, type Rng } from '../util/rng.js';

export type GaussianBlurParams = Pick<Extract<AugOp, { kind: 'gaussian_blur' }>, 'sigma' | 'p'>;

export function validateGaussianBlur(p: GaussianBlurParams): void {
  const [lo, hi] = p.sigma;
  if (!(lo > 0 && lo <= hi && Number.isFinite(hi))) throw new RangeError(`gaussian_blur: sigma must satisfy 0 < lo <= hi, got [${lo}, ${hi}]`);
  if (!(p.p >= 0 && p.p <= 1)) throw new RangeError(`gaussian_blur: p must be in [0, 1], got ${p.p}`);
}

/** Index j reflected into [0, n) without repeating the edge (period 2(n-1)). */
function reflect(j: number, n: number): number {
  if (n === 1) return 0;
  const period = 2 * (n - 1);
  const m = ((j % period) + period) % period;
  return m < n ? m : period - m;
}

/**
 * The 1-D blur as an [n, n] row-major matrix: out[i] = sum_j K[i, j] * in[j], with normalised
 * taps g(k) ∝ exp(-k²/2σ²), k = -ceil(3σ)..ceil(3σ), reflect padding. sigma <= 0 gives identity.
 * Written into `out` at `offset`; `transposed` writes K^T instead.
 */
export function blurMatrix(n: number, sigma: number, out = new Float32Array(n * n), offset = 0, transposed = false): Float32Array {
  if (!(sigma > 0)) {
    for (let i = 0; i < n; i++) out[offset + i * n + i] = 1;
    return out;
  }
  const r = Math.ceil(3 * sigma);
  const taps = new Float64Array(2 * r + 1);
  let sum = 0;
  for (let k = -r; k <= r; k++) sum += taps[k + r] = Math.exp((-k * k) / (2 * sigma * sigma));
  for (let i = 0; i < n; i++) {
    for (let k = -r; k <= r; k++) {
      const j = reflect(i + k, n);
      const at = transposed ? j * n + i : i * n + j;
      out[offset + at] += taps[k + r] / sum;
    }
  }
  return out;
}

/** Blur example b with sigmas[b] (0 = leave it as is); x [B, H, W, C]. */
export function blurWithSigmas(x: tf.Tensor4D, sigmas: ArrayLike<number>): tf.Tensor4D {
  const [b, h, w, c] = x.shape;
  const bc = b * c;
  const kh = new Float32Array(bc * h * h); // [B·C, H, H]
  const kwT = new Float32Array(bc * w * w); // [B·C, W, W]
  for (let i = 0; i < b; i++) {
    for (let ch = 0; ch < c; ch++) {
      const e = i * c + ch;
      blurMatrix(h, sigmas[i], kh, e * h * h);
      blurMatrix(w, sigmas[i], kwT, e * w * w, true);
    }
  }
  return tf.tidy(() => {
    // [B, H, W, C] -> [B·C, H, W]
    const x3 = c === 1 ? tf.reshape(x, [b, h, w]) : tf.reshape(tf.transpose(x, [0, 3, 1, 2]), [bc, h, w]);
    const y = tf.matMul(tf.tensor3d(kh, [bc, h, h]), x3); // [B·C, H, W]
    const z = tf.matMul(y, tf.tensor3d(kwT, [bc, w, w])); // [B·C, H, W]
    return c === 1 ? tf.reshape(z, [b, h, w, 1]) : tf.transpose(tf.reshape(z, [b, c, h, w]), [0, 2, 3, 1]);
  });
}

export function gaussianBlur(x: tf.Tensor4D, params: GaussianBlurParams, rng: Rng): tf.Tensor4D {
  validateGaussianBlur(params);
  const b = x.shape[0];
  const sigmas = new Float64Array(b);
  let any = false;
  for (let i = 0; i < b; i++) {
    if (bernoulli(rng, params.p)) {
      sigmas[i] = uniform(rng, params.sigma[0], params.sigma[1]);
      any = true;
    }
  }
  return any ? blurWithSigmas(x, sigmas) : tf.clone(x);
}
