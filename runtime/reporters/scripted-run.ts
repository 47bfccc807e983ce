/**
 * A deterministic, realistic-looking event sequence for reporter tests and demos (no TF.js, no
 * clock, no randomness): warm-up then cosine lr, a decaying loss with a little wiggle, a slow
 * first step, probes and a checkpoint at the end.
 */
import type { RunEvent } from '../events.js';

export interface ScriptedRunOptions {
  recipe?: string;
  epochs?: number;
  stepsPerEpoch?: number;
  /** Stop after this many steps (like --max-steps); default epochs * stepsPerEpoch. */
  stopAt?: number;
  batch?: number;
  status?: 'completed' | 'interrupted' | 'failed';
  /** Emit run-end (default true). */
  end?: boolean;
  startTime?: number;
  /** Optional per-step signals, added to each step event when given. */
  terms?: (step: number) => Record<string, number>;
  embeddingStd?: (step: number) => number;
  momentum?: (step: number) => Record<string, number>;
  /**
   * The health monitor's fields (see `scriptedHealth`): effective rank and the online probe's
   * running top-1 at step 1 and every 10 steps, smoothed throughput and ETA on every step, an
   * online held-out check at the end of each epoch, and a backend reason on run-start.
   */
  health?: boolean;
}

/** Effective rank every 10 steps: rises from 20 towards 60 as the encoder spreads out. */
export function scriptedRank(step: number): number {
  return 60 - 40 * Math.exp(-step / 50);
}

/** The online probe's running top-1 on training batches: 10 % (chance) towards 90 %. */
export function scriptedOnlineTop1(step: number): number {
  return 0.9 - 0.8 * Math.exp(-step / 30);
}

export const SCRIPTED_BACKEND_REASON = 'auto chose wasm (CPU, 2 threads, wasm SIMD); passed over tensorflow: not installed';

export const SCRIPT_T0 = 1_700_000_000_000;

export function scriptedLoss(step: number): number {
  return 4.2 + 2 * Math.exp(-step / 60) + 0.05 * Math.sin(step);
}

/** A healthy embedding std: rises from 0.06 towards 0.085 (about 1/sqrt(128)). */
export function scriptedStd(step: number): number {
  return 0.085 - 0.025 * Math.exp(-step / 40);
}

/** Two views of one NT-Xent term, as a two-crop SimCLR recipe reports them. */
export function scriptedTerms(step: number): Record<string, number> {
  const l = scriptedLoss(step);
  return { nt_xent: l + 0.01 * Math.cos(step), 'nt_xent#2': l - 0.01 * Math.cos(step) };
}

/** BYOL's target momentum: cosine from 0.996 to 1 over `total` steps. */
export function scriptedMomentum(step: number, total: number): number {
  return 1 - (1 - 0.996) * (Math.cos((Math.PI * step) / total) + 1) / 2;
}

/** The health fields of step `step`: a steady 320 ms per step, so throughput 800 examples/s at batch 256. */
export function scriptedHealth(step: number, totalSteps: number, batch: number) {
  const measured = step === 1 || step % 10 === 0 || step === totalSteps;
  return {
    throughput: (batch * 1000) / 320,
    etaMs: 320 * (totalSteps - step) + 5000,
    ...(measured ? { effectiveRank: scriptedRank(step), onlineTop1: { 'linear/online': scriptedOnlineTop1(step) } } : {}),
  };
}

export function scriptedRun(options: ScriptedRunOptions = {}): RunEvent[] {
  const {
    recipe = 'simclr',
    epochs = 1,
    stepsPerEpoch = 234,
    batch = 256,
    status = 'completed',
    end = true,
    startTime = SCRIPT_T0,
  } = options;
  const planned = epochs * stepsPerEpoch;
  const totalSteps = Math.min(planned, options.stopAt ?? planned);
  let time = startTime;
  const events: RunEvent[] = [
    {
      type: 'run-start',
      recipe,
      runDir: `runs/${recipe}-0001`,
      backend: 'wasm',
      environment: { 'tfjs-core': '4.22.0', node: 'v20.20.2', threads: 2, simd: true },
      epochs,
      stepsPerEpoch,
      totalSteps,
      batch,
      parameters: { encoder: 1_234_567, projector: 33_024 },
      ...(options.health ? { backendReason: SCRIPTED_BACKEND_REASON } : {}),
      time,
    },
  ];
  let step = 0;
  outer: for (let epoch = 1; epoch <= epochs; epoch++) {
    events.push({ type: 'epoch-start', epoch, time });
    for (let i = 0; i < stepsPerEpoch; i++) {
      if (step >= totalSteps) break outer;
      step++;
      const ms = step === 1 ? 900 : 300 + 20 * Math.sin(step / 3);
      time += ms;
      const warmup = 20;
      const lr =
        step <= warmup ? (1e-3 * step) / warmup : 0.5e-3 * (1 + Math.cos((Math.PI * (step - warmup)) / planned));
      events.push({
        type: 'step',
        step,
        epoch,
        loss: scriptedLoss(step),
        lr,
        ms,
        imagesPerSec: (batch * 1000) / ms,
        ...(options.terms ? { terms: options.terms(step) } : {}),
        ...(options.embeddingStd ? { embeddingStd: options.embeddingStd(step) } : {}),
        ...(options.momentum ? { momentum: options.momentum(step) } : {}),
        ...(options.health ? scriptedHealth(step, totalSteps, batch) : {}),
        time,
      });
      if (options.health && (step % stepsPerEpoch === 0 || step === totalSteps)) {
        events.push({
          type: 'eval',
          name: 'linear/online',
          probe: 'linear',
          on: 'test',
          step,
          top1: scriptedOnlineTop1(step) + 0.02,
          fitSize: step * batch,
          evalSize: 10000,
          ms: 1200,
          online: true,
          time: (time += 1200),
        });
      }
    }
  }
  if (!end) return events;
  events.push({ type: 'checkpoint', step, path: `runs/${recipe}-0001/weights-${step}.json`, time: (time += 50) });
  events.push({
    type: 'eval',
    name: 'linear',
    probe: 'linear',
    on: 'test',
    step,
    top1: 0.9371,
    fitSize: 60000,
    evalSize: 10000,
    ms: 4100,
    time: (time += 4100),
  });
  events.push({
    type: 'eval',
    name: 'knn',
    probe: 'knn',
    on: 'test',
    step,
    top1: 0.9502,
    fitSize: 60000,
    evalSize: 10000,
    ms: 2300,
    time: (time += 2300),
  });
  const runEnd: RunEvent = {
    type: 'run-end',
    status,
    steps: step,
    finalLoss: step > 0 ? scriptedLoss(step) : null,
    probes: { linear: 0.9371, knn: 0.9502 },
    runDir: `runs/${recipe}-0001`,
    ms: time - startTime,
    time,
  };
  if (status === 'failed') runEnd.message = 'loss became NaN at step ' + step;
  events.push(runEnd);
  return events;
}
