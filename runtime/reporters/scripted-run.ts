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
}

export const SCRIPT_T0 = 1_700_000_000_000;

export function scriptedLoss(step: number): number {
  return 4.2 + 2 * Math.exp(-step / 60) + 0.05 * Math.sin(step);
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
