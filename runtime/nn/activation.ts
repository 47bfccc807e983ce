/**
 * Activations every stage may use: ReLU and GELU (Hendrycks & Gimpel 2016, arXiv:1606.08415).
 *
 * GELU uses the tanh approximation (the form of BERT / GPT-2 and PyTorch's approximate='tanh'):
 *   gelu(x) = 0.5 x (1 + tanh(sqrt(2 / pi) (x + 0.044715 x^3)))
 * written with functional ops that have gradients and kernels on both cpu and wasm (Tanh, Mul,
 * Add); it differs from the exact erf form by less than 1e-3.
 */
import type { Activation } from '../../compiler/ir.js';
import { tf } from '../tf.js';

const SQRT_2_OVER_PI = Math.sqrt(2 / Math.PI);

export function gelu<T extends tf.Tensor>(x: T): T {
  return tf.tidy(() => {
    const cube = tf.mul(x, tf.square(x));
    const inner = tf.mul(tf.add(x, tf.mul(cube, 0.044715)), SQRT_2_OVER_PI);
    return tf.mul(tf.mul(x, 0.5), tf.add(tf.tanh(inner), 1)) as T;
  });
}

export function activate<T extends tf.Tensor>(x: T, activation: Activation): T {
  switch (activation) {
    case 'relu':
      return tf.relu(x);
    case 'gelu':
      return gelu(x);
    default:
      throw new Error(`unsupported activation '${activation as string}'`);
  }
}

/** Throws at build time for an activation the runtime does not know. */
export function checkActivation(activation: Activation, where: string): void {
  if (activation !== 'relu' && activation !== 'gelu') throw new Error(`${where}: unsupported activation '${activation as string}'`);
}
