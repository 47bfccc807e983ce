/**
 * The two cosine regression losses of the non-contrastive siamese methods.
 *
 * BYOL (Grill et al. 2020, "Bootstrap Your Own Latent", https://arxiv.org/abs/2006.07733, eq. 2):
 * the online network's prediction p regresses the target network's projection z,
 *
 *   L = (1 / B) sum_i || p_i / |p_i| - z_i / |z_i| ||^2 = (1 / B) sum_i (2 - 2 cos(p_i, z_i)),   in [0, 4]
 *
 * SimSiam (Chen & He 2021, "Exploring Simple Siamese Representation Learning",
 * https://arxiv.org/abs/2011.10566, eq. 1): the negative cosine similarity,
 *
 *   D(p, z) = -(1 / B) sum_i cos(p_i, z_i),   in [-1, 1]
 *
 * Both papers symmetrise over the two views (the recipe writes both terms) and stop the gradient
 * of z (the recipe's `stopgrad` / teacher does that, not this file: these functions just compute).
 *
 * Shapes: prediction, target [B, D]; a per-token [B, T, D] is also accepted, the cosine being
 * taken over the last axis and the mean over B (and T). Normalisation uses torch's
 * F.normalize clamp (|x| >= 1e-12), so a zero vector has cosine 0 and finite gradients.
 */
import { tf } from '../tf.js';
import { checkSameShape, l2Normalize, noMask, shapeOf, single, statelessModule } from './common.js';
import type { LossModule } from './types.js';

function checkInputs(loss: string, p: tf.Tensor, z: tf.Tensor): void {
  if (p.rank !== 2 && p.rank !== 3) {
    throw new Error(`${loss}: expected prediction to be [B, D] or [B, T, D], got ${shapeOf(p)}`);
  }
  checkSameShape(loss, ['prediction', 'target'], p, z);
  if (p.size === 0) throw new Error(`${loss}: empty inputs ${shapeOf(p)}`);
}

/** cos(p, z) along the last axis: [B] or [B, T]. */
function cosine(p: tf.Tensor, z: tf.Tensor): tf.Tensor {
  return tf.sum(tf.mul(l2Normalize(p), l2Normalize(z)), -1);
}

/**
 * BYOL's regression loss: mean over the batch of 2 - 2 cos(p, z).
 * @param prediction [B, D] (or [B, T, D])
 * @param target [B, D] (or [B, T, D]), same shape
 * @returns scalar in [0, 4]; 0 iff every p_i is a positive multiple of z_i
 */
export function cosineRegress(prediction: tf.Tensor, target: tf.Tensor): tf.Scalar {
  checkInputs('cosine_regress', prediction, target);
  return tf.tidy(() => tf.sub(2, tf.mul(2, tf.mean(cosine(prediction, target)))) as tf.Scalar);
}

/**
 * SimSiam's negative cosine similarity: mean over the batch of -cos(p, z).
 * @param prediction [B, D] (or [B, T, D])
 * @param target [B, D] (or [B, T, D]), same shape
 * @returns scalar in [-1, 1]; -1 iff every p_i is a positive multiple of z_i
 */
export function negCosine(prediction: tf.Tensor, target: tf.Tensor): tf.Scalar {
  checkInputs('neg_cosine', prediction, target);
  return tf.tidy(() => tf.neg(tf.mean(cosine(prediction, target))) as tf.Scalar);
}

/** LossModule for `cosine_regress` { prediction, target }. */
export function createCosineRegress(name: string): LossModule {
  const label = `cosine_regress '${name}'`;
  return statelessModule((inputs, mask) => {
    noMask(label, mask);
    return { loss: cosineRegress(single(label, inputs, 'prediction'), single(label, inputs, 'target')) };
  });
}

/** LossModule for `neg_cosine` { prediction, target }. */
export function createNegCosine(name: string): LossModule {
  const label = `neg_cosine '${name}'`;
  return statelessModule((inputs, mask) => {
    noMask(label, mask);
    return { loss: negCosine(single(label, inputs, 'prediction'), single(label, inputs, 'target')) };
  });
}
