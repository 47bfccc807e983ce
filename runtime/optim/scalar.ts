/**
 * Hyperparameters that move during training (`Scalar` in the IR: a constant or a `Ramp`),
 * evaluated per step on the host: teacher EMA momentum (BYOL/DINO `0.996 -> 1.0 cosine`), DINO's
 * teacher temperature warmup, AdamW weight decay ramps, loss parameters.
 */
import type { Ramp, Scalar } from '../../compiler/ir.js';

/**
 * The value of `s` at 0-based `step` (the index of the step being taken). For a ramp, with
 * t = clamp((step - startStep) / (endStep - startStep), 0, 1), exactly as compiler/ir.ts states:
 *   linear: from + (to - from) * t
 *   cosine: to - (to - from) * (1 + cos(pi * t)) / 2
 * t <= 0 returns `from` and t >= 1 returns `to` bit for bit (the formulas' values there, without
 * floating-point round-off), so the ramp holds `from` before `startStep` and `to` from `endStep`
 * on. `endStep === startStep` is a jump: `from` before `startStep`, `to` at and after it.
 */
export function scalarAt(s: Scalar, step: number): number {
  if (!Number.isInteger(step) || step < 0) throw new RangeError(`scalarAt: step must be an integer >= 0, got ${step}`);
  if (typeof s === 'number') return s;
  const t = rampProgress(s, step);
  if (t <= 0) return s.from;
  if (t >= 1) return s.to;
  switch (s.shape) {
    case 'linear':
      return s.from + (s.to - s.from) * t;
    case 'cosine':
      return s.to - ((s.to - s.from) * (1 + Math.cos(Math.PI * t))) / 2;
    default:
      throw new Error(`scalarAt: unknown ramp shape '${(s as { shape: string }).shape}'`);
  }
}

/** clamp((step - startStep) / (endStep - startStep), 0, 1); a zero-length ramp is a step function. */
function rampProgress(r: Ramp, step: number): number {
  if (r.kind !== 'ramp') throw new Error(`scalarAt: expected a number or a ramp, got kind '${(r as { kind: string }).kind}'`);
  const { startStep, endStep } = r;
  if (!Number.isFinite(startStep) || !Number.isFinite(endStep) || endStep < startStep) {
    throw new RangeError(`scalarAt: ramp needs finite startStep <= endStep, got ${startStep} -> ${endStep}`);
  }
  if (endStep === startStep) return step >= startStep ? 1 : 0;
  return Math.min(Math.max((step - startStep) / (endStep - startStep), 0), 1);
}

/** Every parameter of `params` at `step` (see `scalarAt`); a new object, same keys. */
export function resolveParams(params: Record<string, Scalar>, step: number): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [name, value] of Object.entries(params)) out[name] = scalarAt(value, step);
  return out;
}
