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
import { checkHyper, checkParams, gradientsFor, Slots } from './slots.js';
import type { OptimizerState, ParamEntry } from './types.js';

type AdamConfig = Extract<Optimizer, { kind: 'adam' }>;

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
        const bc1 = 1 - opt.beta1 ** t;
        const bc2 = 1 - opt.beta2 ** t;
        tf.tidy(() => {
          let g = tf.reshape(grad, w.shape);
          if (wd > 0) g = tf.add(g, tf.mul(w, wd));
          const m = slots.get(w, 'm');
          const v = slots.get(w, 'v');
          const mNext = tf.add(tf.mul(m, opt.beta1), tf.mul(g, 1 - opt.beta1));
          const vNext = tf.add(tf.mul(v, opt.beta2), tf.mul(tf.square(g), 1 - opt.beta2));
          m.assign(mNext);
          v.assign(vNext);
          const denom = tf.add(tf.sqrt(tf.div(vNext, bc2)), opt.epsilon);
          w.assign(tf.sub(w, tf.mul(tf.div(mNext, denom), lr / bc1)));
        });
      }
    },
    slotCount: () => slots.size,
    dispose: () => slots.dispose(),
  };
}
