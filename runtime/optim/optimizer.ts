/** The optimizer named by the IR, over a list of parameters. */
import type { Optimizer } from '../../compiler/ir.js';
import { createAdam } from './adam.js';
import { createAdamW } from './adamw.js';
import { createLars } from './lars.js';
import { createSgd } from './sgd.js';
import type { OptimizerState, ParamEntry } from './types.js';

/**
 * Builds the optimizer's update rule. The IR's `opt.lr` is the base rate the schedule scales;
 * `apply` receives the scheduled rate of each step. Slots (momentum, moments) are created on the
 * first step that sees a parameter; each update runs in tf.tidy, so tensor counts stay flat after it.
 */
export function createOptimizer(opt: Optimizer, params: ParamEntry[]): OptimizerState {
  switch (opt.kind) {
    case 'sgd':
      return createSgd(opt, params);
    case 'adam':
      return createAdam(opt, params);
    case 'adamw':
      return createAdamW(opt, params);
    case 'lars':
      return createLars(opt, params);
    default:
      throw new Error(`unknown optimizer '${(opt as { kind: string }).kind}'`);
  }
}
