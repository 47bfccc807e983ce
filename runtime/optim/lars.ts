/**
 * LARS, You, Gitman & Ginsburg 2017 ("Large Batch Training of Convolutional Networks",
 * arXiv:1708.03888), in the form SimCLR's reference `LARSOptimizer` (google-research/simclr,
 * lars_optimizer.py) and BYOL use:
 *
 *   g     = grad + wd * w                                   (decay)
 *   trust = eta * ||w|| / ||g||   (1 if either norm is 0)   (layer-wise adaptation)
 *   v     = momentum * v + lr * trust * g
 *   w     = w - v
 *
 * Norms are per variable. With excludeBiasAndNorm, biases and norm gamma/beta skip both decay and
 * adaptation (trust = 1): plain momentum SGD for them. As in SimCLR's implementation the
 * learning rate enters the momentum buffer, so a schedule change reaches the update gradually.
 */
import type { Optimizer } from '../../compiler/ir.js';
import { tf } from '../tf.js';
import { scalarAt } from './scalar.js';
import { checkHyper, checkParams, gradientsFor, restoredStep, Slots } from './slots.js';
import type { OptimizerState, ParamEntry } from './types.js';

type LarsConfig = Extract<Optimizer, { kind: 'lars' }>;

export function createLars(opt: LarsConfig, params: ParamEntry[]): OptimizerState {
  checkParams(params, 'lars');
  checkHyper('lars', 'momentum', opt.momentum, 0, 1, true);
  checkHyper('lars', 'eta', opt.eta, 0);
  if (opt.eta <= 0) throw new Error(`lars: eta must be > 0, got ${opt.eta}`);
  const slots = new Slots();
  // The decay may be a ramp: evaluated at this optimizer's step count (one apply per training step).
  let step = 0;
  return {
    apply(grads, lr) {
      const wd = scalarAt(opt.weightDecay, step++);
      if (!(wd >= 0)) throw new Error(`lars: weight decay must be >= 0, got ${wd}`);
      for (const [{ variable: w, isBiasOrNorm }, grad] of gradientsFor(params, grads, lr, 'lars')) {
        const adapt = !(opt.excludeBiasAndNorm && isBiasOrNorm);
        tf.tidy(() => {
          let g = tf.reshape(grad, w.shape);
          let scaledLr: tf.Tensor | number = lr;
          if (adapt) {
            if (wd > 0) g = tf.add(g, tf.mul(w, wd));
            const wNorm = tf.sqrt(tf.sum(tf.square(w))); // scalar
            const gNorm = tf.sqrt(tf.sum(tf.square(g))); // scalar
            const ok = tf.logicalAnd(tf.greater(wNorm, 0), tf.greater(gNorm, 0));
            // The division is guarded so neither branch produces Inf/NaN.
            const ratio = tf.div(tf.mul(wNorm, opt.eta), tf.maximum(gNorm, 1e-30));
            scaledLr = tf.mul(tf.where(ok, ratio, tf.onesLike(ratio)), lr);
          }
          const v = slots.get(w, 'momentum');
          const next = tf.add(tf.mul(v, opt.momentum), tf.mul(g, scaledLr));
          v.assign(next);
          w.assign(tf.sub(w, next));
        });
      }
    },
    slotCount: () => slots.size,
    saveState: () => ({ kind: 'lars', counters: { step }, slots: slots.snapshot() }),
    loadState(snapshot) {
      const next = restoredStep(snapshot, 'lars');
      slots.restore(snapshot.slots, params, 'lars');
      step = next;
    },
    dispose: () => slots.dispose(),
  };
}
