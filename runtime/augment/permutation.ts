/**
 * Permutation: cut each series into k segments at random points and put the segments back in a
 * random order (every channel moves together).
 *
 * Um et al. 2017 (arXiv:1706.00527), section 3.1 "permutation"; Iwana & Uchida 2021
 * (arXiv:2007.15951), section 3.1.6; with jitter, the "strong" view of TS-TCC (Eldele et al. 2021,
 * arXiv:2106.14112, section 4.1: "split the signal into a random number of segments with a maximum
 * of M and randomly shuffle them").
 *
 * Per example: k ~ U{1, ..., min(maxSegments, T)}; the k - 1 cut points are a uniform random subset
 * of the T - 1 places between steps (so no segment is empty; TS-TCC's code can cut at 0 and get an
 * empty one); the segment order is a uniform random permutation (Fisher-Yates), which may be the
 * identity. k = 1 draws nothing more and leaves the example as it is.
 *
 * The new order is computed on the host (B x T integers) and applied with one gather on the backend.
 *
 * Shapes: x [B, T, C] -> [B, T, C].
 */
import type { AugOp } from '../../compiler/ir.js';
import { tf } from '../tf.js';
import { shuffleInPlace, type Rng } from '../util/rng.js';
import { checkSequenceBatch, resampleTime } from './sequence.js';

export type PermutationParams = Pick<Extract<AugOp, { kind: 'permutation' }>, 'maxSegments'>;

export function validatePermutation(p: PermutationParams): void {
  if (!(Number.isInteger(p.maxSegments) && p.maxSegments >= 1)) throw new RangeError(`permutation: max_segments must be a positive integer, got ${p.maxSegments}`);
}

/**
 * One example's new order: out[i] = the input step that output step i takes, for T steps. Writes
 * into `out` at `offset` and returns the number of segments used.
 */
export function permutationOrder(t: number, maxSegments: number, rng: Rng, out: Float32Array, offset = 0): number {
  const k = 1 + rng.int(Math.min(maxSegments, t));
  if (k === 1) {
    for (let i = 0; i < t; i++) out[offset + i] = i;
    return 1;
  }
  // A uniform (k - 1)-subset of the cut places 1..T-1: partial Fisher-Yates.
  const places = new Int32Array(t - 1);
  for (let i = 0; i < places.length; i++) places[i] = i + 1;
  for (let i = 0; i < k - 1; i++) {
    const j = i + rng.int(places.length - i);
    [places[i], places[j]] = [places[j], places[i]];
  }
  const bounds = [0, ...Array.from(places.subarray(0, k - 1)).sort((a, b) => a - b), t];
  const order = new Int32Array(k);
  for (let i = 0; i < k; i++) order[i] = i;
  shuffleInPlace(order, rng);
  let o = offset;
  for (const seg of order) for (let s = bounds[seg]; s < bounds[seg + 1]; s++) out[o++] = s;
  return k;
}

export function permutation(x: tf.Tensor3D, params: PermutationParams, rng: Rng): tf.Tensor3D {
  validatePermutation(params);
  checkSequenceBatch('permutation', x);
  const [b, t] = x.shape;
  const positions = new Float32Array(b * t);
  for (let i = 0; i < b; i++) permutationOrder(t, params.maxSegments, rng, positions, i * t);
  return resampleTime(x, positions, t);
}
