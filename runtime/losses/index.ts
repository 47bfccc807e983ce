/**
 * Every loss of the IR (`LossFn` in compiler/ir.ts) as a LossModule, built once per loss node.
 *
 *   fn               inputs                          params
 *   nt_xent          a, b                            temperature                 (nt-xent.ts, SimCLR)
 *   info_nce         query, key                      temperature, queue          (info-nce.ts, MoCo v2/v3)
 *   cosine_regress   prediction, target              -                           (cosine.ts, BYOL)
 *   neg_cosine       prediction, target              -                           (cosine.ts, SimSiam)
 *   barlow_twins     a, b                            lambda                      (barlow-twins.ts)
 *   vicreg           a, b                            invariance, variance, covariance (vicreg.ts)
 *   dino             student[S], teacher[T <= S]     student_temperature, teacher_temperature, center_momentum (dino.ts)
 *   mse              prediction, target (+ mask)     -                           (regression.ts, MAE)
 *   smooth_l1        prediction, target (+ mask)     beta                        (regression.ts, data2vec)
 *
 * Only info_nce (with queue > 0) and dino have state; it is created on the first forward, when the
 * embedding size is known, unless `options.dim` (and for info_nce `options.queue`) give it up front.
 */
import type { LossFn } from '../../compiler/ir.js';
import type { tf } from '../tf.js';
import { createBarlowTwins } from './barlow-twins.js';
import { noMask, param, single, statelessModule } from './common.js';
import { createCosineRegress, createNegCosine } from './cosine.js';
import { createDino } from './dino.js';
import { createInfoNce } from './info-nce.js';
import { ntXent } from './nt-xent.js';
import { createMse, createSmoothL1 } from './regression.js';
import type { LossModule } from './types.js';
import { createVicreg } from './vicreg.js';

export interface CreateLossOptions {
  /** Seed of random initial state (info_nce's queue); default: a hash of the loss's name. */
  seed?: number;
  /** Last-axis size of the inputs (D for info_nce, K for dino): creates the state at once. */
  dim?: number;
  /** info_nce's queue length (its `queue` parameter), for eager creation with `dim`. */
  queue?: number;
}

/** LossModule for `nt_xent` { a, b }, params { temperature } (SimCLR; see nt-xent.ts). */
export function createNtXent(name: string): LossModule {
  const label = `nt_xent '${name}'`;
  return statelessModule((inputs, mask, params) => {
    noMask(label, mask);
    const a = single(label, inputs, 'a') as tf.Tensor2D; // ntXent checks the ranks
    const b = single(label, inputs, 'b') as tf.Tensor2D;
    return { loss: ntXent(a, b, param(label, params, 'temperature')) };
  });
}

/**
 * The LossModule of loss function `fn`; `name` (the loss node's name, e.g. 'dino') labels its
 * errors and prefixes its state variables (`dino/center`, `moco/queue`), so it must be unique
 * among live modules.
 */
export function createLoss(fn: LossFn, name: string, options: CreateLossOptions = {}): LossModule {
  switch (fn) {
    case 'nt_xent':
      return createNtXent(name);
    case 'info_nce':
      return createInfoNce(name, options);
    case 'cosine_regress':
      return createCosineRegress(name);
    case 'neg_cosine':
      return createNegCosine(name);
    case 'barlow_twins':
      return createBarlowTwins(name);
    case 'vicreg':
      return createVicreg(name);
    case 'dino':
      return createDino(name, { dim: options.dim });
    case 'mse':
      return createMse(name);
    case 'smooth_l1':
      return createSmoothL1(name);
    default: {
      const never: never = fn;
      throw new Error(`unknown loss function '${String(never)}'`);
    }
  }
}

export type { LossModule, LossOutput } from './types.js';
export { ntXent } from './nt-xent.js';
export { infoNce, enqueue, initialQueue, createInfoNce, type InfoNceModule, type InfoNceOptions } from './info-nce.js';
export { cosineRegress, negCosine, createCosineRegress, createNegCosine } from './cosine.js';
export { barlowTwins, createBarlowTwins, BARLOW_BN_EPS, type BarlowTwinsResult } from './barlow-twins.js';
export { vicreg, createVicreg, VICREG_STD_EPS, type VicregCoefficients, type VicregResult } from './vicreg.js';
export { dino, dinoBatchCenter, createDino, type DinoModule, type DinoOptions } from './dino.js';
export { mse, smoothL1, createMse, createSmoothL1 } from './regression.js';
export { stopGradient, l2Normalize } from './common.js';
