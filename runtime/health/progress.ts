/**
 * Throughput and ETA for a run, from measured costs only (no guesses about hardware):
 *
 *   throughput = batch / smoothed trainer step time                       (examples / s)
 *   ETA        = smoothed step time (trainer + per-step health work) x steps left
 *              + sum over periodic checks: runs still due x its smoothed cost
 *              + examples the final probes will embed x smoothed eval-forward time per example
 *
 * Smoothing is an exponential moving average whose weight is 1/n for the first 10 samples (a
 * running mean, so a slow first step — kernel compilation — does not pin it) and 0.1 afterwards,
 * the same rule as the reporters' (reporters/state.ts, smoothingAlpha). The final probes' fitting
 * (logistic regression, kNN search) is not counted: it has no cost measured during training, and
 * feature extraction dominates it on the datasets we ship (docs/report.md).
 */

/** Long-run weight of the newest sample. */
export const SMOOTHING = 0.1;

/** A running mean for the first 1/SMOOTHING samples, then an EMA with weight SMOOTHING. */
export class Smoothed {
  private n = 0;
  value: number | null = null;

  add(x: number): void {
    if (!Number.isFinite(x)) return;
    this.n++;
    const alpha = Math.max(SMOOTHING, 1 / this.n);
    this.value = this.value === null ? x : this.value + alpha * (x - this.value);
  }
}

export interface ProgressClockOptions {
  /** Examples per step. */
  batch: number;
  /** Steps the run takes. */
  totalSteps: number;
}

export class ProgressClock {
  private readonly trainerMs = new Smoothed();
  private readonly stepMs = new Smoothed();
  private readonly forwardMsPerExample = new Smoothed();
  private readonly tasks = new Map<string, { remaining: (step: number) => number; cost: Smoothed }>();

  constructor(private readonly options: ProgressClockOptions) {}

  /** A periodic task; `remaining(step)` is how many runs are still due after `step`. */
  plan(name: string, remaining: (step: number) => number): void {
    this.tasks.set(name, { remaining, cost: new Smoothed() });
  }

  /** One training step: the trainer's time and the health work done on every step. */
  step(trainerMs: number, perStepExtraMs = 0): void {
    this.trainerMs.add(trainerMs);
    this.stepMs.add(trainerMs + perStepExtraMs);
  }

  /** One run of a planned task took `ms`. */
  record(name: string, ms: number): void {
    this.tasks.get(name)?.cost.add(ms);
  }

  /** An eval-mode forward of `examples` examples (with its read-back) took `ms`. */
  measureForward(examples: number, ms: number): void {
    if (examples > 0) this.forwardMsPerExample.add(ms / examples);
  }

  /** Smoothed training examples per second; null before the first step. */
  throughput(): number | null {
    const ms = this.trainerMs.value;
    return ms === null || !(ms > 0) ? null : (this.options.batch * 1000) / ms;
  }

  /**
   * Milliseconds left after `step` (1-based, just done), with `finalExamples` examples still to
   * embed for the final probes; null before the first step.
   */
  etaMs(step: number, finalExamples = 0): number | null {
    const perStep = this.stepMs.value;
    if (perStep === null) return null;
    let eta = perStep * Math.max(0, this.options.totalSteps - step);
    for (const task of this.tasks.values()) eta += (task.cost.value ?? 0) * task.remaining(step);
    eta += (this.forwardMsPerExample.value ?? 0) * finalExamples;
    return eta;
  }
}
