/**
 * Weight initialisation drawn on the host from the project's seeded generator, so a seed fixes the
 * initial network on every backend (tfjs's own initialisers use their own global seed).
 */
import { tf } from '../tf.js';

/** The part of `Rng` (runtime/util/rng.ts) initialisation needs: one standard normal draw. */
export interface NormalSource {
  normal(): number;
}

/**
 * He-normal (fan-in) initialisation, He et al. 2015 (arXiv:1502.01852): w ~ N(0, 2 / fanIn),
 * the default for ReLU networks. Values are drawn row-major over `shape`.
 */
export function heNormal(shape: number[], fanIn: number, rng: NormalSource): Float32Array {
  if (!(fanIn > 0)) throw new Error(`heNormal: fanIn must be > 0, got ${fanIn}`);
  const size = shape.reduce((a, b) => a * b, 1);
  const std = Math.sqrt(2 / fanIn);
  const out = new Float32Array(size);
  for (let i = 0; i < size; i++) out[i] = std * rng.normal();
  return out;
}

/** A trainable variable holding He-normal values. */
export function heNormalVariable(name: string, shape: number[], fanIn: number, rng: NormalSource): tf.Variable {
  const init = tf.tensor(heNormal(shape, fanIn, rng), shape, 'float32');
  const v = tf.variable(init, true, name);
  init.dispose();
  return v;
}

/** A variable filled with `value` (zeros for biases/beta/running mean, ones for gamma/running var). */
export function constantVariable(name: string, shape: number[], value: number, trainable: boolean): tf.Variable {
  const init = tf.fill(shape, value, 'float32');
  const v = tf.variable(init, trainable, name);
  init.dispose();
  return v;
}
