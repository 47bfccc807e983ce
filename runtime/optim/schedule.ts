/** Learning-rate schedules of the IR, evaluated per step on the host. */
import type { Schedule } from '../../compiler/ir.js';

/**
 * The learning rate at 0-based `step`.
 * - constant: `baseLr`.
 * - warmup_cosine (Goyal et al. 2017 warmup, arXiv:1706.02677; cosine decay, Loshchilov & Hutter
 *   2017, arXiv:1608.03983; as SimCLR/BYOL use it): during warmup base * (step + 1) / warmupSteps,
 *   so the first step is not wasted at 0 and the last warmup step reaches base; then
 *   final + (base - final) * (1 + cos(pi * p)) / 2 with p = (step - warmup) / (total - warmup),
 *   clamped to [0, 1] so steps past the planned end stay at `finalLr`.
 */
export function learningRateAt(schedule: Schedule, baseLr: number, step: number): number {
  if (!Number.isInteger(step) || step < 0) throw new Error(`learningRateAt: step must be an integer >= 0, got ${step}`);
  switch (schedule.kind) {
    case 'constant':
      return baseLr;
    case 'warmup_cosine': {
      const { warmupSteps, totalSteps, finalLr } = schedule;
      if (step < warmupSteps) return (baseLr * (step + 1)) / warmupSteps;
      const span = totalSteps - warmupSteps;
      const p = span > 0 ? Math.min(Math.max((step - warmupSteps) / span, 0), 1) : 1;
      return finalLr + (baseLr - finalLr) * 0.5 * (1 + Math.cos(Math.PI * p));
    }
    default:
      throw new Error(`unknown schedule '${(schedule as { kind: string }).kind}'`);
  }
}
