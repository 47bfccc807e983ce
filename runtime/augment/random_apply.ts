/**
 * Apply a sub-pipeline to each example with probability p, else keep the example:
 * out = m ⊙ ops(x) + (1 - m) ⊙ x, m ~ Bernoulli(p) per example (a select, exact).
 * SimCLR (Chen et al. 2020, arXiv:2002.05709), appendix A: `random_apply(color_jitter, p=0.8)`.
 *
 * The sub-pipeline runs on the whole batch (simple, and as cheap as gathering on 2 cores); it is
 * skipped when no example is chosen. p = 0 and p = 1 draw no mask, so p = 1 gives exactly the
 * sub-pipeline's output for the same rng state.
 *
 * Shapes: x [B, H, W, C] -> [B, H, W, C]; the sub-pipeline must keep the shape.
 */
import { tf } from '../tf.js';
import { bernoulli, type Rng } from '../util/rng.js';

export function validateRandomApply(p: number): void {
  if (!(p >= 0 && p <= 1)) throw new RangeError(`random_apply: p must be in [0, 1], got ${p}`);
}

export function randomApply(x: tf.Tensor4D, p: number, inner: (x: tf.Tensor4D) => tf.Tensor4D, rng: Rng): tf.Tensor4D {
  validateRandomApply(p);
  const b = x.shape[0];
  const mask = new Uint8Array(b);
  let n = 0;
  for (let i = 0; i < b; i++) if (bernoulli(rng, p)) n += mask[i] = 1;
  if (n === 0) return tf.clone(x);
  return tf.tidy(() => {
    const y = inner(x);
    if (y === x) return tf.clone(x);
    if (!tf.util.arraysEqual(y.shape, x.shape)) {
      throw new Error(
        `random_apply: its ops change the shape [${x.shape.join(', ')}] to [${y.shape.join(', ')}]; ` +
          'ops inside random_apply must keep the shape (move resizing crops outside it)',
      );
    }
    if (n === b) return y;
    const m = tf.broadcastTo(tf.tensor4d(mask, [b, 1, 1, 1], 'bool'), x.shape); // [B, H, W, C]
    return tf.where(m, y, x);
  });
}
