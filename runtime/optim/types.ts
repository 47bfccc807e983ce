import type { tf } from '../tf.js';

/** One parameter the optimizer updates. */
export interface ParamEntry {
  variable: tf.Variable;
  /** Biases and norm gamma/beta: LARS may skip weight decay and trust-ratio adaptation for them. */
  isBiasOrNorm: boolean;
}

export interface OptimizerState {
  /**
   * One update with learning rate `lr` (the schedule's value for this step). `grads` is keyed by
   * variable name, as tf.variableGrads returns it; parameters without a gradient are left
   * unchanged, keys of variables this optimizer does not own are ignored. Does not dispose `grads`.
   */
  apply(grads: Record<string, tf.Tensor>, lr: number): void;
  /** Number of slot variables created so far (momentum buffers, Adam moments). */
  slotCount(): number;
  /**
   * Everything the next `apply` depends on besides the parameters, for checkpoints. The slot
   * variables are the optimizer's own (read them, do not dispose them).
   */
  saveState(): OptimizerSnapshot;
  /**
   * Continues from a snapshot of an optimizer of the same kind over the same parameters (values are
   * copied; the caller keeps `snapshot`'s tensors). Anything that does not fit throws, naming it.
   */
  loadState(snapshot: OptimizerSnapshot): void;
  /** Disposes every slot variable (not the parameters). */
  dispose(): void;
}

/** An optimizer's resumable state: its kind, step counters and slot variables. */
export interface OptimizerSnapshot {
  kind: string;
  /**
   * `step` (applies so far: where weight-decay ramps are evaluated) and, for Adam/AdamW, `t/<parameter>`
   * (each parameter's bias-correction step, which lags `step` for parameters that got no gradient).
   */
  counters: Record<string, number>;
  /** Slot variables (momentum buffers, Adam moments) as `<parameter>:<slot>`. */
  slots: Record<string, tf.Tensor>;
}
