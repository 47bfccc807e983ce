/**
 * AdamW, Loshchilov & Hutter 2019 (arXiv:1711.05101, Algorithm 2): Adam whose weight decay is
 * decoupled from the gradient statistics, as torch.optim.AdamW:
 *
 *   w = w - lr * wd * w
 *   m = b1 m + (1 - b1) g,   v = b2 v + (1 - b2) g^2          (t = per-parameter step, from 1)
 *   w = w - lr * (m / (1 - b1^t)) / (sqrt(v / (1 - b2^t)) + eps)
 *
 * Biases and norm gamma/beta are not decayed (the DINO / MAE / data2vec parameter groups). The
 * weight decay may be a ramp (DINO: 0.04 -> 0.4 cosine); it is evaluated at the optimizer's own
 * step count, which equals the trainer's step because `apply` is called once per step.
 */
import type { Optimizer } from '../../compiler/ir.js';
import { tf } from '../tf.js';
import { adamStep } from './adam.js';
import { scalarAt } from './scalar.js';
import { checkHyper, checkParams, gradientsFor, restoredStep, restoreParamSteps, saveParamSteps, Slots } from './slots.js';
import type { OptimizerState, ParamEntry } from './types.js';

type AdamWConfig = Extract<Optimizer, { kind: 'adamw' }>;

export function createAdamW(opt: AdamWConfig, params: ParamEntry[]): OptimizerState {
  checkParams(params, 'adamw');
  checkHyper('adamw', 'beta1', opt.beta1, 0, 1, true);
  checkHyper('adamw', 'beta2', opt.beta2, 0, 1, true);
  checkHyper('adamw', 'epsilon', opt.epsilon, 0);
  const slots = new Slots();
  const steps = new Map<string, number>();
  const exempt = new Set(params.filter((p) => p.isBiasOrNorm).map((p) => p.variable.name));
  let step = 0;
  return {
    apply(grads, lr) {
      const wd = scalarAt(opt.weightDecay, step++);
      for (const [{ variable: w }, grad] of gradientsFor(params, grads, lr, 'adamw')) {
        const t = (steps.get(w.name) ?? 0) + 1;
        steps.set(w.name, t);
        tf.tidy(() => {
          const decayed = wd > 0 && !exempt.has(w.name) ? tf.mul(w, 1 - lr * wd) : w;
          w.assign(tf.sub(decayed, adamStep(slots, w, tf.reshape(grad, w.shape), t, lr, opt)));
        });
      }
    },
    slotCount: () => slots.size,
    saveState: () => ({ kind: 'adamw', counters: { step, ...saveParamSteps(steps) }, slots: slots.snapshot() }),
    loadState(snapshot) {
      const next = restoredStep(snapshot, 'adamw');
      restoreParamSteps(snapshot, params, steps, 'adamw');
      slots.restore(snapshot.slots, params, 'adamw');
      step = next;
    },
    dispose: () => slots.dispose(),
  };
}
