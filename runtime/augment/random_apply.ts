/**
 * Apply a sub-pipeline to each example with probability p, else keep the example:
 * out = m ⊙ ops(x) + (1 - m) ⊙ x, m ~ Bernoulli(p) per example (a select, exact).
 * SimCLR (Chen et al. 2020, arXiv:2002.05709), appendix A: `random_apply(color_jitter, p=0.8)`.
 *
 * The sub-pipeline runs on the whole batch (simple, and as cheap as gathering on 2 cores); it is
 * skipped when no example is chosen. p = 0 and p = 1 draw no mask, so p = 1 gives exactly the
 * sub-pipeline's output for the same rng state.
 *
 * Shapes: x [B, ...] (images [B, H, W, C], sequences [B, T, C]) -> the same shape; the
 * sub-pipeline must keep the shape.
 */
import { tf } from '../tf.js';
import { bernoulli, type Rng } from '../util/rng.js';

export function validateRandomApply(p: number): void {
  if (!(p >= 0 && p <= 1)) throw new RangeError(`random_apply: p must be in [0, 1], got ${p}`);
}

export function randomApply<T extends tf.Tensor>(x: T, p: number, inner: (x: T) => T, rng: Rng): T {
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
    const perExample = [b, ...x.shape.slice(1).map(() => 1)]; // [B, 1, 1, 1] or [B, 1, 1]
    const m = tf.broadcastTo(tf.tensor(mask, perExample, 'bool'), x.shape); // x's shape
    return tf.where(m, y, x) as T;
  });
}
