/**
 * Random token masks for masked prediction (the IR's 'mask' node): [B, tokens] float32 of 0/1,
 * 1 = hidden, 0 = visible, tokens = product(spec.grid), tokens numbered row-major over the grid
 * (for a 2-D grid [gh, gw], token i*gw + j is grid cell (i, j): the order `patchify` and a ViT
 * patch embedding use).
 *
 * Masks are drawn on the host from the seeded `Rng` (B x tokens is small: a shuffle per row costs
 * microseconds) and uploaded once, so a seed gives the same masks on every backend. Each call of a
 * sampler draws from `rng`, so consecutive calls give fresh masks.
 *
 * Hidden count: every example hides exactly k = round(ratio * tokens) tokens (Math.round, halves
 * up). For 0 < ratio < 1, k is clamped to [1, tokens - 1] so there is always something to predict
 * and something to predict it from; this needs tokens >= 2 (rejected otherwise). ratio 0 hides
 * nothing, ratio 1 hides everything; neither draws from `rng`.
 *
 *  - 'patches' (MAE, He et al. 2021, arXiv:2111.06377, sec. 3 "random sampling"): k tokens chosen
 *    uniformly without replacement per example (a partial Fisher-Yates shuffle), so every subset
 *    of size k is equally likely and each token is hidden with probability k / tokens.
 *  - 'spans' (wav2vec 2.0, Baevski et al. 2020, arXiv:2006.11477, sec. 3.1; data2vec, Baevski et
 *    al. 2022, arXiv:2202.03555, sec. 3.2): spans of `span` consecutive tokens along the LAST grid
 *    axis. The grid is read row-major as rows of length L = grid[last] (a 1-D grid is one row) and
 *    a span never crosses a row boundary: its start is drawn uniformly among all R * (L - s + 1)
 *    positions where it fits whole (s = min(span, L): a span longer than a row is the whole row),
 *    as wav2vec draws starts in [0, T - span]. Spans may overlap. Tokens of a span are hidden left
 *    to right until exactly k are hidden, so only the last span may be cut short. Consequences:
 *    every maximal run of hidden tokens within a row has length >= s, except at most one per
 *    example (the run holding the cut last span); and, as in wav2vec, positions within s - 1 of a
 *    row's ends are covered by fewer starts, so they are hidden less often than the middle of the
 *    row (uniform only for s = 1). The average over all tokens is exactly k / tokens.
 */
import type { MaskSpec } from '../../compiler/ir.js';
import { tf } from '../tf.js';
import type { Rng } from '../util/rng.js';

/** Number of tokens of a grid: the product of its sizes. */
export function gridTokens(grid: number[]): number {
  return grid.reduce((a, b) => a * b, 1);
}

function checkDims(what: string, dims: number[]): void {
  if (!Array.isArray(dims) || dims.length === 0 || !dims.every((d) => Number.isInteger(d) && d >= 1)) {
    throw new RangeError(`mask: ${what} must be a non-empty list of positive integers, got ${JSON.stringify(dims)}`);
  }
}

/** Validates `spec` and returns k, the exact number of hidden tokens per example (see above). */
export function maskCount(spec: MaskSpec): number {
  checkDims('grid', spec.grid);
  checkDims('patch', spec.patch);
  if (spec.patch.length !== spec.grid.length) {
    throw new RangeError(`mask: patch ${JSON.stringify(spec.patch)} must have one size per grid axis ${JSON.stringify(spec.grid)}`);
  }
  const { ratio } = spec;
  if (!(ratio >= 0 && ratio <= 1)) throw new RangeError(`mask: ratio must be in [0, 1], got ${ratio}`);
  if (spec.kind === 'spans' && !(Number.isInteger(spec.span) && spec.span >= 1)) {
    throw new RangeError(`mask: span must be a positive integer, got ${spec.span}`);
  }
  if (spec.kind !== 'patches' && spec.kind !== 'spans') throw new Error(`mask: unknown kind '${(spec as { kind: string }).kind}'`);
  const tokens = gridTokens(spec.grid);
  if (ratio === 0) return 0;
  if (ratio === 1) return tokens;
  if (tokens < 2) throw new RangeError(`mask: a grid of ${tokens} token cannot have both hidden and visible tokens (ratio ${ratio})`);
  return Math.min(Math.max(Math.round(ratio * tokens), 1), tokens - 1);
}

/**
 * Host-side draw of `batch` masks: a Float32Array of batch * tokens, row b = example b. The
 * tensor-returning sampler below wraps this; exposed for tests and host-side consumers.
 */
export function sampleMasks(spec: MaskSpec, rng: Rng, batch: number, k = maskCount(spec)): Float32Array {
  if (!Number.isInteger(batch) || batch < 0) throw new RangeError(`mask: batch must be an integer >= 0, got ${batch}`);
  const tokens = gridTokens(spec.grid);
  const out = new Float32Array(batch * tokens);
  if (k === 0) return out;
  if (k === tokens) return out.fill(1);
  if (spec.kind === 'patches') {
    const perm = new Int32Array(tokens);
    for (let b = 0; b < batch; b++) {
      for (let i = 0; i < tokens; i++) perm[i] = i;
      // Partial Fisher-Yates: perm[0..k) is a uniform random k-subset.
      for (let i = 0; i < k; i++) {
        const j = i + rng.int(tokens - i);
        const t = perm[i];
        perm[i] = perm[j];
        perm[j] = t;
        out[b * tokens + perm[i]] = 1;
      }
    }
    return out;
  }
  const L = spec.grid[spec.grid.length - 1];
  const rows = tokens / L;
  const s = Math.min(spec.span, L);
  const startsPerRow = L - s + 1;
  for (let b = 0; b < batch; b++) {
    const base = b * tokens;
    let hidden = 0;
    // Terminates: every token lies in some whole span, so while hidden < k <= tokens - 1 some
    // start adds at least one token with probability >= 1 / (rows * startsPerRow).
    while (hidden < k) {
      const idx = rng.int(rows * startsPerRow);
      const first = base + Math.floor(idx / startsPerRow) * L + (idx % startsPerRow);
      for (let j = 0; j < s && hidden < k; j++) {
        if (out[first + j] === 0) {
          out[first + j] = 1;
          hidden++;
        }
      }
    }
  }
  return out;
}

/**
 * A sampler for `spec`: each call returns a fresh [batch, tokens] float32 mask (1 = hidden) drawn
 * from `rng`. The spec is validated here, once.
 */
export function createMaskSampler(spec: MaskSpec, rng: Rng): (batch: number) => tf.Tensor2D {
  const k = maskCount(spec);
  const tokens = gridTokens(spec.grid);
  return (batch: number) => tf.tensor2d(sampleMasks(spec, rng, batch, k), [batch, tokens], 'float32');
}

/**
 * The per-element mask of a token mask: every token's value repeated over its patch.
 *  - image grid [gh, gw], patch [ph, pw]: [B, gh*gw] -> [B, gh*ph, gw*pw, 1] (NHWC, one channel
 *    that broadcasts over C): element (y, x) takes token (floor(y / ph), floor(x / pw)).
 *  - sequence grid [g], patch [p]: [B, g] -> [B, g*p, 1]: step t takes token floor(t / p).
 * Any grid rank d works the same way: [B, g1*p1, ..., gd*pd, 1]. Output float32 (the mask's dtype).
 */
export function expandMask(mask: tf.Tensor2D, grid: number[], patch: number[]): tf.Tensor {
  checkDims('grid', grid);
  checkDims('patch', patch);
  if (patch.length !== grid.length) throw new RangeError(`expandMask: patch ${JSON.stringify(patch)} must match grid ${JSON.stringify(grid)}`);
  if (mask.rank !== 2 || mask.shape[1] !== gridTokens(grid)) {
    throw new RangeError(`expandMask: mask of shape [${mask.shape}] does not fit grid ${JSON.stringify(grid)} (want [B, ${gridTokens(grid)}])`);
  }
  const B = mask.shape[0];
  return tf.tidy(() => {
    // [B, g1, 1, g2, 1, ...] -> broadcast to [B, g1, p1, g2, p2, ...] -> [B, g1*p1, g2*p2, ..., 1]
    const split = [B, ...grid.flatMap((g) => [g, 1])];
    const full = [B, ...grid.flatMap((g, i) => [g, patch[i]])];
    const spread = tf.broadcastTo(tf.reshape(mask, split), full);
    return tf.reshape(spread, [B, ...grid.map((g, i) => g * patch[i]), 1]);
  });
}
