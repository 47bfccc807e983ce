/**
 * Adam, Kingma & Ba 2015 (arXiv:1412.6980, Algorithm 1), bias-corrected, with torch.optim.Adam's
 * L2 weight decay (added to the gradient, not decoupled as in AdamW):
 *
 *   g = grad + wd * w
 *   m = b1 m + (1 - b1) g,   v = b2 v + (1 - b2) g^2          (t = per-parameter step, from 1)
 *   w = w - lr * (m / (1 - b1^t)) / (sqrt(v / (1 - b2^t)) + eps)
 */
import type { Optimizer } from '../../compiler/ir.js';
import { tf } from '../tf.js';
import { scalarAt } from './scalar.js';
import { checkHyper, checkParams, gradientsFor, restoredStep, restoreParamSteps, saveParamSteps, Slots } from './slots.js';
import type { OptimizerState, ParamEntry } from './types.js';

type AdamConfig = Extract<Optimizer, { kind: 'adam' }>;

/** Adam's hyperparameters, shared with AdamW. */
export interface AdamMoments {
  beta1: number;
  beta2: number;
  epsilon: number;
}

/**
 * One Adam moment update for `w` with gradient `g` at its step `t` (from 1): assigns the slots m
 * and v and returns the step lr * m_hat / (sqrt(v_hat) + eps) to subtract. Call inside tf.tidy.
 * Shared by Adam and AdamW, which differ only in how weight decay enters.
 */
export function adamStep(slots: Slots, w: tf.Variable, g: tf.Tensor, t: number, lr: number, h: AdamMoments): tf.Tensor {
  const m = slots.get(w, 'm');
  const v = slots.get(w, 'v');
  const mNext = tf.add(tf.mul(m, h.beta1), tf.mul(g, 1 - h.beta1));
  const vNext = tf.add(tf.mul(v, h.beta2), tf.mul(tf.square(g), 1 - h.beta2));
  m.assign(mNext);
  v.assign(vNext);
  const denom = tf.add(tf.sqrt(tf.div(vNext, 1 - h.beta2 ** t)), h.epsilon);
  return tf.mul(tf.div(mNext, denom), lr / (1 - h.beta1 ** t));
}

export function createAdam(opt: AdamConfig, params: ParamEntry[]): OptimizerState {
  checkParams(params, 'adam');
  checkHyper('adam', 'beta1', opt.beta1, 0, 1, true);
  checkHyper('adam', 'beta2', opt.beta2, 0, 1, true);
  checkHyper('adam', 'epsilon', opt.epsilon, 0);
  const slots = new Slots();
  const steps = new Map<string, number>();
  // The decay may be a ramp: evaluated at this optimizer's step count (one apply per training step).
  let step = 0;
  return {
    apply(grads, lr) {
      const wd = scalarAt(opt.weightDecay, step++);
      if (!(wd >= 0)) throw new Error(`adam: weight decay must be >= 0, got ${wd}`);
      for (const [{ variable: w }, grad] of gradientsFor(params, grads, lr, 'adam')) {
        const t = (steps.get(w.name) ?? 0) + 1;
        steps.set(w.name, t);
        tf.tidy(() => {
          let g = tf.reshape(grad, w.shape);
          if (wd > 0) g = tf.add(g, tf.mul(w, wd));
          w.assign(tf.sub(w, adamStep(slots, w, g, t, lr, opt)));
        });
      }
    },
    slotCount: () => slots.size,
    saveState: () => ({ kind: 'adam', counters: { step, ...saveParamSteps(steps) }, slots: slots.snapshot() }),
    loadState(snapshot) {
      const next = restoredStep(snapshot, 'adam');
      restoreParamSteps(snapshot, params, steps, 'adam');
      slots.restore(snapshot.slots, params, 'adam');
      step = next;
    },
    dispose: () => slots.dispose(),
  };
}
