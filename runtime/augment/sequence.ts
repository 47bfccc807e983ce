/**
 * What the time-series augmentations share: the batch check and resampling of the time axis.
 *
 * Sequences are [B, T, C] float32 (time steps, channels), with no value range (unlike images in
 * [0, 1]), so no time-series op clips. Ops that move time (crop, time_warp, permutation) compute,
 * on the host, where each output step reads from: a continuous position p in [0, T - 1] of its own
 * example. `resampleTime` turns those positions into two gathers and a linear blend on the backend,
 * so the data never leaves the device; only B x T' positions are uploaded.
 */
import { tf } from '../tf.js';

/** Throws unless x is a batch of sequences [B, T, C]. */
export function checkSequenceBatch(op: string, x: tf.Tensor): asserts x is tf.Tensor3D {
  if (x.rank !== 3) {
    throw new RangeError(`${op} needs a batch of sequences [B, T, C], got [${x.shape.join(', ')}]${x.rank === 4 ? ' (a batch of images)' : ''}`);
  }
}

/**
 * out[b, i, c] = x at time positions[b * outLength + i] of example b, channel c, linearly
 * interpolated between the two neighbouring steps:
 *   lo = floor(p), w = p - lo, out = x[b, lo, c] + (x[b, lo + 1, c] - x[b, lo, c]) * w
 * (exactly x[b, lo, c] when w = 0). Positions are clamped to [0, T - 1].
 *
 * Shapes: x [B, T, C], positions [B * outLength] -> [B, outLength, C].
 */
export function resampleTime(x: tf.Tensor3D, positions: Float32Array, outLength: number): tf.Tensor3D {
  const [b, t, c] = x.shape;
  if (positions.length !== b * outLength) throw new RangeError(`resampleTime: ${positions.length} positions for ${b} examples of ${outLength} steps`);
  const lo = new Int32Array(positions.length);
  const hi = new Int32Array(positions.length);
  const w = new Float32Array(positions.length);
  let fractional = false;
  for (let i = 0; i < positions.length; i++) {
    const p = Math.min(Math.max(positions[i], 0), t - 1);
    const base = Math.floor(i / outLength) * t;
    const f = Math.floor(p);
    lo[i] = base + f;
    hi[i] = base + Math.min(f + 1, t - 1);
    w[i] = p - f;
    if (w[i] !== 0) fractional = true;
  }
  return tf.tidy(() => {
    const rows = tf.reshape(x, [b * t, c]); // one row per (example, step)
    const a = tf.gather(rows, tf.tensor1d(lo, 'int32')); // [B * T', C]
    if (!fractional) return tf.reshape(a, [b, outLength, c]);
    const next = tf.gather(rows, tf.tensor1d(hi, 'int32'));
    const blended = tf.add(a, tf.mul(tf.sub(next, a), tf.tensor2d(w, [w.length, 1])));
    return tf.reshape(blended, [b, outLength, c]);
  });
}
