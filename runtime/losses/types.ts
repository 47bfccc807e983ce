/**
 * What every loss of the IR (`LossFn` in compiler/ir.ts) is at run time: a module built once per
 * loss node, called every step inside the gradient tape.
 *
 * Stateful losses (MoCo v2's key queue, DINO's teacher centre) keep that state in non-trained
 * variables. `forward` must not assign them (the tape may still read their old value in the
 * backward pass): it stashes the new value with tf.keep, and `afterStep` — called by the trainer
 * after the optimizer step, outside the tape — assigns it and disposes the stash.
 */
import type { tf } from '../tf.js';

export interface LossOutput {
  /** The term's value, a scalar (what the optimizer minimises, before the recipe's weights). */
  loss: tf.Scalar;
  /** Named sub-terms logged beside it (VICReg's invariance / variance / covariance...), already part of `loss`. */
  parts?: Record<string, tf.Scalar>;
}

export interface LossModule {
  /**
   * @param inputs the node's tensors by parameter name (ir.ts LossFn lists them), each a list
   *   (length 1 except for list parameters such as DINO's `student` / `teacher` views); every
   *   tensor is [B, D] (embeddings) or [B, T, D] (per-token outputs).
   * @param mask [B, T] of 0/1 (1 = hidden token) for per-token losses, or null.
   * @param params the node's parameters evaluated at this step (ramps already resolved).
   */
  forward(inputs: Record<string, tf.Tensor[]>, mask: tf.Tensor | null, params: Record<string, number>): LossOutput;
  /** Applies the state update stashed by the last `forward` (no-op for stateless losses). */
  afterStep(): void;
  /** Non-trained state variables (queues, centres), for checkpoints. */
  readonly state: tf.Variable[];
  /**
   * Continues from checkpointed state: `saved` maps the names of `state` variables to their values
   * (copied; creating state that would otherwise appear on the first forward). Stateless losses
   * leave it out. Names it does not know, or values that cannot be its state, throw.
   */
  loadState?(saved: Readonly<Record<string, tf.Tensor>>): void;
  dispose(): void;
}
