/**
 * Gradient control the tape does not offer: TF.js has no stop_gradient op.
 *
 * The engine records an op on the gradient tape only while `gradientDepth > 0`. Running a forward
 * pass with the depth set to 0 leaves its results with no tape ancestry, so backprop neither
 * reaches through them nor keeps their activations — a real stop-gradient (no zero gradients
 * flowing upstream) and, for teachers, no saved activations at all.
 */
import { tf } from './tf.js';

interface EngineState {
  gradientDepth: number;
}

function engineState(): EngineState {
  return (tf.engine() as unknown as { state: EngineState }).state;
}

/** Runs `f` with the gradient tape paused; tensors it returns carry no gradient. */
export function withoutTape<T>(f: () => T): T {
  const state = engineState();
  const depth = state.gradientDepth;
  state.gradientDepth = 0;
  try {
    return f();
  } finally {
    state.gradientDepth = depth;
  }
}

/** `x` with no gradient flowing back through it (shares x's data; no copy). */
export function stopGradient<T extends tf.Tensor>(x: T): T {
  return withoutTape(() => tf.clone(x));
}
