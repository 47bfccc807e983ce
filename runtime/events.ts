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
  /**
   * Why this backend runs (BackendInfo.reason): '--backend wasm (...), as asked', or under auto
   * 'auto chose wasm (CPU, 2 threads, wasm SIMD); passed over tensorflow: not installed; webgpu: no
   * Vulkan loader (libvulkan.so.1)'. Absent when not known.
   */
  backendReason?: string;
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
  /**
   * RankMe effective rank (runtime/health/effective-rank.ts) of the probed representation of a
   * fixed batch of training examples (eval mode, no augmentation); only on the steps it is
   * measured (the first, every few steps, the last). Falls towards 1 as the representation collapses.
   */
  effectiveRank?: number;
  /** Training examples per second, smoothed over steps (imagesPerSec is this step's alone). */
  throughput?: number;
  /**
   * Estimated time left: remaining steps at the smoothed step time, plus the health checks and
   * online probe evaluations still due, plus feature extraction for the final probes.
   */
  etaMs?: number;
  /**
   * Each online probe's top-1 (fraction) on the training batches since its previous report, by
   * probe name (`linear/online`); only on the steps it is read (as effectiveRank).
   */
  onlineTop1?: Record<string, number>;
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
  /**
   * An online probe's held-out evaluation during training (fitSize: training examples it has
   * seen so far); absent for the frozen probes run after training.
   */
  online?: boolean;
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
  /** The checkpoint file (checkpoints/step-N.safetensors), from which `ssl resume` continues. */
  path: string;
  /** The weights/ folder, when this checkpoint also wrote the run's final weights (at the end, on Ctrl-C). */
  weights?: string;
  time: number;
}

/**
 * A run continued from a checkpoint by `ssl resume`: what run-start says for a new run (reporters
 * that start with it show the run as it stands), and where it continues from. metrics.jsonl was
 * cut back to the checkpoint first, so the steps after it appear once, as the resumed run takes them.
 */
export interface ResumeEvent extends Omit<RunStartEvent, 'type'> {
  type: 'resume';
  /** The step of the checkpoint: steps 1..fromStep are already in metrics.jsonl. */
  fromStep: number;
  /** The epoch of step fromStep (the run goes on in it, or in the next one if fromStep was its last step). */
  epoch: number;
  checkpoint: string;
  /** Lines of metrics.jsonl dropped because they came after the checkpoint (a line cut off by a kill counts). */
  droppedLines: number;
  /** `ssl resume --set` overrides (optimizer and schedule values only), if any. */
  set?: string[];
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
  | ResumeEvent
  | RunEndEvent;

export type RunEventListener = (event: RunEvent) => void;

/** A reporter subscribes to events and is closed once the run has ended (flush, unmount). */
export interface Reporter {
  onEvent: RunEventListener;
  close(): Promise<void> | void;
}
