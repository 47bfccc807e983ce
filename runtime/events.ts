/**
 * Typed events the trainer emits; reporters (tui, plain, json) subscribe and never reach back.
 * Every event is plain JSON so the json reporter can print it as one line and tests can snapshot it.
 */
import type { Span } from '../compiler/ir.js';

export interface RunStartEvent {
  type: 'run-start';
  recipe: string;
  runDir: string;
  backend: string;
  /** e.g. { 'tfjs-core': '4.22.0', node: 'v20.20.2', threads: 2, simd: true } */
  environment: Record<string, string | number | boolean>;
  epochs: number;
  stepsPerEpoch: number;
  /** Steps this run will take (min of the planned total and --max-steps). */
  totalSteps: number;
  batch: number;
  /** Parameters per network, by name. */
  parameters: Record<string, number>;
  time: number;
}

export interface EpochStartEvent {
  type: 'epoch-start';
  epoch: number;
  time: number;
}

export interface StepEvent {
  type: 'step';
  /** 1-based global step. */
  step: number;
  epoch: number;
  loss: number;
  lr: number;
  /** Milliseconds this step took, wall clock, including data and augmentation. */
  ms: number;
  /** Examples per second over this step (batch / seconds; each example counted once, not per view). */
  imagesPerSec: number;
  /** Each loss term's unweighted value by name, and `term/part` sub-terms; absent for a single plain term. */
  terms?: Record<string, number>;
  /**
   * Collapse signal: mean per-dimension std of the l2-normalised embedding the loss reads first
   * (0 = collapsed, about 1/sqrt(d) healthy; SimSiam sec. 4.1).
   */
  embeddingStd?: number;
  /** Each teacher's EMA momentum at this step. */
  momentum?: Record<string, number>;
  time: number;
}

export interface EvalEvent {
  type: 'eval';
  /** Unique within the run ('linear', 'knn', 'knn@1%'); the key of this result in run-end's `probes`. */
  name: string;
  probe: 'linear' | 'knn';
  /** Which split the probe is reported on, e.g. 'test'. */
  on: string;
  step: number;
  /** Top-1 accuracy as a fraction in [0, 1]. */
  top1: number;
  /** Number of examples the probe was fitted on and evaluated on. */
  fitSize: number;
  evalSize: number;
  ms: number;
  time: number;
}

export interface WarningEvent {
  type: 'warning';
  code: string;
  message: string;
  span?: Span;
  time: number;
}

export interface CheckpointEvent {
  type: 'checkpoint';
  step: number;
  path: string;
  time: number;
}

export interface RunEndEvent {
  type: 'run-end';
  status: 'completed' | 'interrupted' | 'failed';
  steps: number;
  finalLoss: number | null;
  /** Final probe top-1 accuracies (fractions in [0, 1]) by probe name (EvalEvent.name). */
  probes: Record<string, number>;
  runDir: string;
  ms: number;
  message?: string;
  time: number;
}

export type RunEvent =
  | RunStartEvent
  | EpochStartEvent
  | StepEvent
  | EvalEvent
  | WarningEvent
  | CheckpointEvent
  | RunEndEvent;

export type RunEventListener = (event: RunEvent) => void;

/** A reporter subscribes to events and is closed once the run has ended (flush, unmount). */
export interface Reporter {
  onEvent: RunEventListener;
  close(): Promise<void> | void;
}
