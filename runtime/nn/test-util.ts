/** Helpers shared by the nn tests (not part of the runtime API). */
import type { Network, Norm, Span, Stage } from '../../compiler/ir.js';
import { tf } from '../tf.js';
import { createRng } from '../util/rng.js';

export const span: Span = { uri: 'test', start: { offset: 0, line: 1, column: 1 }, end: { offset: 0, line: 1, column: 1 } };

type Act = 'relu' | 'gelu';

export function convnet(channels: number[], inputShape: number[], o: { kernel?: number; stride?: number; norm?: Norm; activation?: Act } = {}): Stage {
  return {
    kind: 'convnet', channels, kernel: o.kernel ?? 3, stride: o.stride ?? 1, norm: o.norm ?? 'none', activation: o.activation ?? 'relu',
    inputShape, outputShape: [channels[channels.length - 1]], origin: span,
  };
}

export function resnet(widths: number[], depth: number, inputShape: number[], o: { norm?: Norm; activation?: Act } = {}): Stage {
  return { kind: 'resnet', widths, depth, norm: o.norm ?? 'batch', activation: o.activation ?? 'relu', inputShape, outputShape: [widths[widths.length - 1]], origin: span };
}

export function transformer(
  inputShape: number[],
  o: { patch: number; dim: number; depth: number; heads: number; mlpRatio?: number; pool?: 'mean' | 'none' },
): Stage {
  const tokens = inputShape.length === 3 ? (inputShape[0] / o.patch) * (inputShape[1] / o.patch) : inputShape[0] / o.patch;
  const pool = o.pool ?? 'mean';
  return {
    kind: 'transformer', patch: o.patch, dim: o.dim, depth: o.depth, heads: o.heads, mlpRatio: o.mlpRatio ?? 4, pool, tokens,
    inputShape, outputShape: pool === 'mean' ? [o.dim] : [tokens, o.dim], origin: span,
  };
}

export function conv1d(channels: number[], inputShape: number[], o: { kernel?: number; stride?: number; norm?: Norm; activation?: Act; pool?: 'mean' | 'none' } = {}): Stage {
  const pool = o.pool ?? 'mean';
  let T = inputShape[0];
  for (let i = 0; i < channels.length; i++) T = Math.ceil(T / (o.stride ?? 1));
  const c = channels[channels.length - 1];
  return {
    kind: 'conv1d', channels, kernel: o.kernel ?? 3, stride: o.stride ?? 1, norm: o.norm ?? 'none', activation: o.activation ?? 'relu', pool,
    inputShape, outputShape: pool === 'mean' ? [c] : [T, c], origin: span,
  };
}

export function mlp(widths: number[], inputShape: number[], o: { norm?: Norm; activation?: Act } = {}): Stage {
  const w = widths[widths.length - 1];
  return {
    kind: 'mlp', widths, norm: o.norm ?? 'none', activation: o.activation ?? 'relu', inputShape,
    outputShape: inputShape.length === 2 ? [inputShape[0], w] : [w], origin: span,
  };
}

export function network(name: string, stages: Stage[]): Network {
  return { name, stages, inputShape: stages[0].inputShape, outputShape: stages[stages.length - 1].outputShape, origin: span };
}

export function randomInput(shape: number[], seed: number): tf.Tensor {
  const rng = createRng(seed);
  const n = shape.reduce((a, b) => a * b, 1);
  return tf.tensor(Float32Array.from({ length: n }, () => rng.normal()), shape);
}

export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`length ${a.length} vs ${b.length}`);
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i] - b[i]));
  return worst;
}
