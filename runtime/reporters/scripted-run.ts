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
}

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
        time,
      });
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
