/**
 * `normalize` stage: l2 normalisation of the last axis, x / max(|x|, 1e-12) (torch's
 * F.normalize). DINO (Caron et al. 2021, sec. 3.1 / appendix) normalises the head's bottleneck
 * before its last linear layer so the logits stay bounded. No variables.
 *
 *   x: [B, D] -> [B, D]      x: [B, T, D] -> [B, T, D] (each token)
 */
import type { Stage } from '../../compiler/ir.js';
import { tf } from '../tf.js';
import type { StageModule } from './stage.js';

/** Clamp on the squared norm (torch clamps the norm at 1e-12); also keeps the gradient finite at 0. */
const NORM_EPS_SQ = 1e-24;

export function createNormalize(stage: Extract<Stage, { kind: 'normalize' }>, prefix: string): StageModule {
  return {
    trainable: [],
    state: [],
    biasOrNorm: new Set(),
    apply: (x) =>
      tf.tidy(() => {
        const h = x.rank === 1 + stage.inputShape.length ? x : tf.reshape(x, [x.shape[0], ...stage.inputShape]);
        if (h.rank < 2) throw new Error(`${prefix}: normalize needs [B, ...] input, got [${x.shape.join(', ')}]`);
        return tf.mul(h, tf.rsqrt(tf.maximum(tf.sum(tf.square(h), -1, true), NORM_EPS_SQ)));
      }),
  };
}
