/**
 * Zero spans: set round(ratio * T) time steps of each example to 0 (every channel), in spans of
 * `span` consecutive steps at random places: time masking as an input augmentation (SpecAugment,
 * Park et al. 2019, arXiv:1904.08779, section 2 "time masking"; Iwana & Uchida 2021 list masking
 * among the magnitude-domain transformations). On z-normalised series 0 is the series mean.
 *
 * The spans are drawn exactly like the graph's `mask_spans` token masks (runtime/masks/masks.ts,
 * kind 'spans' over a 1-D grid of T one-step tokens, after wav2vec 2.0 / data2vec): starts uniform
 * among the T - span + 1 places where a span fits whole, spans may overlap, the last one is cut so
 * that exactly k = round(ratio * T) steps are zeroed (clamped to [1, T - 1] for 0 < ratio < 1).
 * It is a different thing from that mask: here the input values become 0 before any network sees
 * them, there a network replaces hidden tokens with a learned mask token and a loss reads the mask.
 *
 * B x T mask values are drawn on the host and uploaded; the multiply runs on the backend.
 * ratio = 0 is the identity and draws nothing.
 *
 * Shapes: x [B, T, C] -> [B, T, C].
 */
import type { AugOp } from '../../compiler/ir.js';
import { maskCount, sampleMasks } from '../masks/masks.js';
import { tf } from '../tf.js';
import type { Rng } from '../util/rng.js';
import { checkSequenceBatch } from './sequence.js';

export type ZeroSpansParams = Pick<Extract<AugOp, { kind: 'zero_spans' }>, 'span' | 'ratio'>;

export function validateZeroSpans(p: ZeroSpansParams): void {
  if (!(Number.isInteger(p.span) && p.span >= 1)) throw new RangeError(`zero_spans: span must be a positive integer, got ${p.span}`);
  if (!(p.ratio >= 0 && p.ratio < 1)) throw new RangeError(`zero_spans: ratio must be in [0, 1), got ${p.ratio}`);
}

export function zeroSpans(x: tf.Tensor3D, params: ZeroSpansParams, rng: Rng): tf.Tensor3D {
  validateZeroSpans(params);
  checkSequenceBatch('zero_spans', x);
  if (params.ratio === 0) return tf.clone(x);
  const [b, t] = x.shape;
  const spec = { kind: 'spans' as const, ratio: params.ratio, span: params.span, grid: [t], patch: [1] };
  const hidden = sampleMasks(spec, rng, b, maskCount(spec)); // [B, T], 1 = zeroed
  const keep = new Float32Array(hidden.length);
  for (let i = 0; i < keep.length; i++) keep[i] = 1 - hidden[i];
  return tf.tidy(() => tf.mul(x, tf.tensor3d(keep, [b, t, 1], 'float32')));
}
