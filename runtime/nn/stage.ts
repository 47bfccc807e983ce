/** What every stage builder returns: its variables and a forward function. */
import type { tf } from '../tf.js';

export interface StageModule {
  trainable: tf.Variable[];
  /** Non-trained variables (batch-norm running statistics). */
  state: tf.Variable[];
  /** Names of trainable biases and norm parameters (excluded from LARS adaptation / decay). */
  biasOrNorm: Set<string>;
  apply(x: tf.Tensor, training: boolean): tf.Tensor;
}

/** Batch size times the product of `shape`, checking the trailing dims match it. */
export function checkInput(x: tf.Tensor, shape: number[], where: string): void {
  const perExample = shape.reduce((a, b) => a * b, 1);
  const got = x.shape.slice(1).reduce((a, b) => a * b, 1);
  if (x.rank < 2 || got !== perExample) {
    throw new Error(`${where}: expected input [B, ${shape.join(', ')}], got [${x.shape.join(', ')}]`);
  }
}
