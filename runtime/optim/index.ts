export { createOptimizer } from './optimizer.js';
export { learningRateAt } from './schedule.js';
export type { OptimizerState, ParamEntry } from './types.js';
