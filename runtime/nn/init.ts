/**
 * Weight initialisation drawn on the host from the project's seeded generator, so a seed fixes the
 * initial network on every backend (tfjs's own initialisers use their own global seed).
 */
import { tf } from '../tf.js';

/** The part of `Rng` (runtime/util/rng.ts) initialisation needs: one standard normal draw. */
export interface NormalSource {
  normal(): number;
}

/** `size` draws of N(0, std^2), row-major. */
export function normalValues(shape: number[], std: number, rng: NormalSource): Float32Array {
  const size = shape.reduce((a, b) => a * b, 1);
  const out = new Float32Array(size);
  for (let i = 0; i < size; i++) out[i] = std * rng.normal();
  return out;
}

/**
 * He-normal (fan-in) initialisation, He et al. 2015 (arXiv:1502.01852): w ~ N(0, 2 / fanIn),
 * the default for ReLU networks. Values are drawn row-major over `shape`.
 */
export function heNormal(shape: number[], fanIn: number, rng: NormalSource): Float32Array {
  if (!(fanIn > 0)) throw new Error(`heNormal: fanIn must be > 0, got ${fanIn}`);
  return normalValues(shape, Math.sqrt(2 / fanIn), rng);
}

/** A trainable variable holding N(0, std^2) draws. */
export function normalVariable(name: string, shape: number[], std: number, rng: NormalSource): tf.Variable {
  const init = tf.tensor(normalValues(shape, std, rng), shape, 'float32');
  const v = tf.variable(init, true, name);
  init.dispose();
  return v;
}

/** A trainable variable holding He-normal values. */
export function heNormalVariable(name: string, shape: number[], fanIn: number, rng: NormalSource): tf.Variable {
  if (!(fanIn > 0)) throw new Error(`heNormal: fanIn must be > 0, got ${fanIn}`);
  return normalVariable(name, shape, Math.sqrt(2 / fanIn), rng);
}

/**
 * Glorot / Xavier normal (Glorot & Bengio 2010): w ~ N(0, 2 / (fanIn + fanOut)), the variance of
 * the xavier_uniform init MAE and data2vec use for a transformer's linear layers.
 */
export function xavierNormalVariable(name: string, shape: number[], fanIn: number, fanOut: number, rng: NormalSource): tf.Variable {
  if (!(fanIn + fanOut > 0)) throw new Error(`xavierNormal: fanIn + fanOut must be > 0`);
  return normalVariable(name, shape, Math.sqrt(2 / (fanIn + fanOut)), rng);
}

/** A variable filled with `value` (zeros for biases/beta/running mean, ones for gamma/running var). */
export function constantVariable(name: string, shape: number[], value: number, trainable: boolean): tf.Variable {
  const init = tf.fill(shape, value, 'float32');
  const v = tf.variable(init, trainable, name);
  init.dispose();
  return v;
}
