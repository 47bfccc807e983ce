/**
 * Helpers shared by the loss functions: shape guards with messages that name the loss and the
 * shapes, l2 normalisation, a stop-gradient (TF.js has no op for it), parameter checks and the
 * deterministic seed of a loss's random state.
 */
import { tf } from '../tf.js';
import type { LossModule, LossOutput } from './types.js';

/** Same clamp as torch.nn.functional.normalize (eps 1e-12 on the norm), applied to the squared norm. */
export const NORM_EPS_SQ = 1e-24;

/** `[4, 16]` */
export function shapeOf(t: tf.Tensor): string {
  return `[${t.shape.join(', ')}]`;
}

/** Throws unless `value` is a finite number > 0. */
export function checkPositive(loss: string, param: string, value: number): void {
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
    throw new Error(`${loss}: ${param} must be a finite number > 0, got ${value}`);
  }
}

/** Throws unless `value` is a finite number >= 0. */
export function checkNonNegative(loss: string, param: string, value: number): void {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
    throw new Error(`${loss}: ${param} must be a finite number >= 0, got ${value}`);
  }
}

/** Throws unless `t` is a non-empty [N, D] matrix. */
export function checkMatrix(loss: string, what: string, t: tf.Tensor): asserts t is tf.Tensor2D {
  if (t.rank !== 2) throw new Error(`${loss}: expected ${what} to be [B, D], got ${shapeOf(t)}`);
  if (t.size === 0) throw new Error(`${loss}: ${what} is empty ${shapeOf(t)}`);
}

/** Throws unless `a` and `b` have identical shapes. */
export function checkSameShape(loss: string, names: [string, string], a: tf.Tensor, b: tf.Tensor): void {
  if (a.rank !== b.rank || a.shape.some((n, i) => n !== b.shape[i])) {
    throw new Error(`${loss}: ${names[0]} and ${names[1]} must have the same shape, got ${shapeOf(a)} and ${shapeOf(b)}`);
  }
}

/** Rows of x scaled to unit l2 norm along the last axis (a zero row stays zero, gradients finite). */
export function l2Normalize<T extends tf.Tensor>(x: T): T {
  return tf.tidy(() => tf.mul(x, tf.rsqrt(tf.maximum(tf.sum(tf.square(x), -1, true), NORM_EPS_SQ))) as T);
}

const stopGradientOp = tf.customGrad((x) => ({
  value: tf.clone(x as tf.Tensor),
  gradFunc: (dy) => tf.zerosLike(dy as tf.Tensor),
}));

/** x's value with no gradient flowing back into x (torch's `.detach()`; TF.js has no such op). */
export function stopGradient<T extends tf.Tensor>(x: T): T {
  return stopGradientOp(x) as T;
}

/** 32-bit FNV-1a hash of a string: the seed of a loss's random initial state, from its name. */
export function hashSeed(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** The one tensor of parameter `param` (throws if missing or a list of other than one). */
export function single(loss: string, inputs: Record<string, tf.Tensor[]>, param: string): tf.Tensor {
  const list = inputs[param];
  if (!list || list.length !== 1) {
    const got = list ? `${list.length} tensors` : 'nothing';
    throw new Error(`${loss}: expected exactly one tensor for '${param}', got ${got}`);
  }
  return list[0];
}

/** The value of numeric parameter `param` (throws if missing). */
export function param(loss: string, params: Record<string, number>, name: string): number {
  const value = params[name];
  if (value === undefined) throw new Error(`${loss}: missing parameter '${name}'`);
  return value;
}

/** Throws if a token mask was given to a loss that has no use for one. */
export function noMask(loss: string, mask: tf.Tensor | null): void {
  if (mask !== null) throw new Error(`${loss}: this loss takes no token mask, got one of shape ${shapeOf(mask)}`);
}

/** A LossModule without state: `forward` is the whole of it. */
export function statelessModule(forward: LossModule['forward']): LossModule {
  return {
    forward,
    afterStep() {},
    state: [],
    dispose() {},
  };
}

export type { LossModule, LossOutput };
