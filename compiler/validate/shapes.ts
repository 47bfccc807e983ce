/**
 * Shape inference for augmentation ops and network stages. Shapes are per example (no batch axis):
 * an MNIST image is [28, 28, 1] (HWC), an embedding [128].
 */
import type { AugOp } from '../ir.js';
import type { StageSpec } from './values.js';
import { formatShape, sameShape } from './values.js';

/** Why a shape does not fit: a message, and optionally the argument it is about. */
export interface ShapeError {
  message: string;
  /** The parameter to point at (e.g. the crop `size`), when the op recorded its span. */
  param?: string;
  code: 'shape-mismatch' | 'value-out-of-range';
}

export type ShapeResult = { ok: true; shape: number[] } | { ok: false; error: ShapeError; op: AugOp | StageSpec };

function isImage(shape: readonly number[]): boolean {
  return shape.length === 3;
}

/** The output shape of a view's ops applied to `input`. */
export function opsOutputShape(ops: readonly AugOp[], input: readonly number[]): ShapeResult {
  let shape = [...input];
  for (const op of ops) {
    const r = opOutputShape(op, shape);
    if (!r.ok) return r;
    shape = r.shape;
  }
  return { ok: true, shape };
}

function opOutputShape(op: AugOp, input: number[]): ShapeResult {
  const needImage = (what: string): ShapeResult => ({
    ok: false,
    op,
    error: { code: 'shape-mismatch', message: `${op.kind} ${what} needs an image [H, W, C], got ${formatShape(input)}` },
  });
  switch (op.kind) {
    case 'random_resized_crop': {
      if (!isImage(input)) return needImage('');
      const [h, w, c] = input as [number, number, number];
      if (op.size > h || op.size > w) {
        return {
          ok: false,
          op,
          error: {
            code: 'value-out-of-range',
            param: 'size',
            message: `random_resized_crop size ${op.size} is larger than the input image (${h} x ${w})`,
          },
        };
      }
      return { ok: true, shape: [op.size, op.size, c] };
    }
    case 'random_flip':
    case 'gaussian_blur':
      return isImage(input) ? { ok: true, shape: input } : needImage('');
    case 'color_jitter':
    case 'gaussian_noise':
      return { ok: true, shape: input };
    case 'random_apply': {
      const r = opsOutputShape(op.ops, input);
      if (!r.ok) return r;
      if (!sameShape(r.shape, input)) {
        return {
          ok: false,
          op,
          error: {
            code: 'shape-mismatch',
            message: `the ops inside random_apply must keep the shape (it is applied only sometimes), but they turn ${formatShape(input)} into ${formatShape(r.shape)}`,
          },
        };
      }
      return { ok: true, shape: input };
    }
  }
}

/** The output shape of one network stage applied to `input`. */
export function stageOutputShape(stage: StageSpec, input: readonly number[]): ShapeResult {
  switch (stage.kind) {
    case 'convnet':
      if (!isImage(input)) {
        return {
          ok: false,
          op: stage,
          error: { code: 'shape-mismatch', message: `convnet needs an image input [H, W, C], got ${formatShape(input)}` },
        };
      }
      return { ok: true, shape: [stage.channels[stage.channels.length - 1]!] };
    case 'mlp':
      return { ok: true, shape: [stage.widths[stage.widths.length - 1]!] };
  }
}

export function product(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}
