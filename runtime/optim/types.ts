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
  /** Disposes every slot variable (not the parameters). */
  dispose(): void;
}
