/**
 * SGD with momentum, PyTorch's convention (torch.optim.SGD, dampening 0):
 *
 *   g   = grad + wd * w              (L2 weight decay added to the gradient, on every parameter)
 *   buf = momentum * buf + g         (buf starts at 0, so the first step has buf = g, as in torch)
 *   d   = nesterov ? g + momentum * buf : buf
 *   w   = w - lr * d
 *
 * Nesterov momentum in this form follows Sutskever et al. 2013 as PyTorch implements it.
 */
import type { Optimizer } from '../../compiler/ir.js';
import { tf } from '../tf.js';
import { scalarAt } from './scalar.js';
import { checkHyper, checkParams, gradientsFor, restoredStep, Slots } from './slots.js';
import type { OptimizerState, ParamEntry } from './types.js';

type SgdConfig = Extract<Optimizer, { kind: 'sgd' }>;

export function createSgd(opt: SgdConfig, params: ParamEntry[]): OptimizerState {
  checkParams(params, 'sgd');
  checkHyper('sgd', 'momentum', opt.momentum, 0, 1, true);
  if (opt.nesterov && opt.momentum <= 0) throw new Error('sgd: nesterov needs momentum > 0');
  const slots = new Slots();
  // The decay may be a ramp: evaluated at this optimizer's step count (one apply per training step).
  let step = 0;
  return {
    apply(grads, lr) {
      const wd = scalarAt(opt.weightDecay, step++);
      if (!(wd >= 0)) throw new Error(`sgd: weight decay must be >= 0, got ${wd}`);
      for (const [{ variable: w }, grad] of gradientsFor(params, grads, lr, 'sgd')) {
        tf.tidy(() => {
          let g = tf.reshape(grad, w.shape);
          if (wd > 0) g = tf.add(g, tf.mul(w, wd));
          let d = g;
          if (opt.momentum > 0) {
            const buf = slots.get(w, 'momentum');
            const next = tf.add(tf.mul(buf, opt.momentum), g);
            buf.assign(next);
            d = opt.nesterov ? tf.add(g, tf.mul(next, opt.momentum)) : next;
          }
          w.assign(tf.sub(w, tf.mul(d, lr)));
        });
      }
    },
    slotCount: () => slots.size,
    saveState: () => ({ kind: 'sgd', counters: { step }, slots: slots.snapshot() }),
    loadState(snapshot) {
      const next = restoredStep(snapshot, 'sgd');
      slots.restore(snapshot.slots, params, 'sgd');
      step = next;
    },
    dispose: () => slots.dispose(),
  };
}
