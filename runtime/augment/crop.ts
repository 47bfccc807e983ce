/**
 * Crop for sequences: window slicing (Le Guennec, Malinowski & Tavenard 2016, "Data augmentation
 * for time series classification using convolutional neural networks", ECML/PKDD workshop AALTD):
 * a window of `size` consecutive steps at a uniform random start, stretched back to the input
 * length T by linear interpolation, as in Iwana & Uchida's survey code (2021, arXiv:2007.15951,
 * section 3.2.1, `window_slice`). Le Guennec et al. use windows of 90 % of T.
 *
 * Why stretch back rather than output `size` steps: an example keeps its shape [T, C], so the
 * same encoder (a transformer's position embeddings, a conv1d's receptive fields) sees training
 * views and the probes' whole series alike, and views of different windows can be compared.
 *
 *   start ~ U{0, ..., T - size}
 *   out[b, i, c] = x[b, start + i (size - 1) / (T - 1), c],  i = 0..T-1  (linear interpolation;
 *   the window's first and last steps land on the output's first and last)
 * size = T is the identity and draws nothing.
 *
 * Shapes: x [B, T, C] -> [B, T, C].
 */
import type { AugOp } from '../../compiler/ir.js';
import { tf } from '../tf.js';
import type { Rng } from '../util/rng.js';
import { checkSequenceBatch, resampleTime } from './sequence.js';

export type CropParams = Pick<Extract<AugOp, { kind: 'crop' }>, 'size'>;

export function validateCrop(p: CropParams): void {
  if (!(Number.isInteger(p.size) && p.size >= 1)) throw new RangeError(`crop: size must be a positive integer, got ${p.size}`);
}

/** One example's read positions for a window [start, start + size) stretched to T steps. */
export function windowPositions(t: number, start: number, size: number, out: Float32Array, offset = 0): void {
  const step = t === 1 ? 0 : (size - 1) / (t - 1);
  for (let i = 0; i < t; i++) out[offset + i] = start + i * step;
}

export function crop(x: tf.Tensor3D, params: CropParams, rng: Rng): tf.Tensor3D {
  validateCrop(params);
  checkSequenceBatch('crop', x);
  const [b, t] = x.shape;
  if (params.size > t) throw new RangeError(`crop: size ${params.size} is longer than the ${t} time steps`);
  if (params.size === t) return tf.clone(x);
  const positions = new Float32Array(b * t);
  for (let i = 0; i < b; i++) windowPositions(t, rng.int(t - params.size + 1), params.size, positions, i * t);
  return resampleTime(x, positions, t);
}
