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
  /** What to write instead (e.g. the time-series op that does what an image op was asked to). */
  hint?: string;
}

export type ShapeResult = { ok: true; shape: number[] } | { ok: false; error: ShapeError; op: AugOp | StageSpec };

function isImage(shape: readonly number[]): boolean {
  return shape.length === 3;
}

/** Sequences are [T, C]: time steps, channels. */
function isSequence(shape: readonly number[]): boolean {
  return shape.length === 2;
}

const SEQUENCE_OPS = 'jitter, scaling, permutation, time_warp, crop, zero_spans';
const IMAGE_OPS = 'random_resized_crop, random_flip, color_jitter, gaussian_blur, gaussian_noise';
/** What a sequence op that an image op was asked for is called. */
const sequenceCounterpart: Partial<Record<AugOp['kind'], string>> = {
  random_resized_crop: 'crop(SIZE) (a random window stretched back to T steps)',
  gaussian_noise: 'jitter(sigma: ...) (additive noise without clipping to [0, 1])',
  color_jitter: 'scaling(sigma: ...) (a random factor per channel)',
};

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
  const needImage = (): ShapeResult => {
    const alternative = sequenceCounterpart[op.kind];
    const hint = isSequence(input)
      ? `this view gets sequences [T, C]; ${alternative ? `use ${alternative}, or another` : 'use a'} time-series op: ${SEQUENCE_OPS}`
      : undefined;
    const message = `${op.kind} needs an image [H, W, C], got ${formatShape(input)}${isSequence(input) ? ' (a sequence [T, C])' : ''}`;
    return { ok: false, op, error: { code: 'shape-mismatch', message, ...(hint ? { hint } : {}) } };
  };
  const needSequence = (): ShapeResult => ({
    ok: false,
    op,
    error: {
      code: 'shape-mismatch',
      message: `${op.kind} is a time-series op: it needs a sequence [T, C], got ${formatShape(input)}${isImage(input) ? ' (an image [H, W, C])' : ''}`,
      hint: isImage(input) ? `for images use ${IMAGE_OPS}` : `time-series ops act on data of shape [T, C] (time steps, channels)`,
    },
  });
  const outOfRange = (param: string, message: string): ShapeResult => ({ ok: false, op, error: { code: 'value-out-of-range', param, message } });
  switch (op.kind) {
    case 'random_resized_crop': {
      if (!isImage(input)) return needImage();
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
      return isImage(input) ? { ok: true, shape: input } : needImage();
    case 'color_jitter':
    case 'gaussian_noise':
      // Both clip to [0, 1], the range of pixels, which would flatten z-normalised series.
      return isSequence(input) ? needImage() : { ok: true, shape: input };
    case 'jitter':
    case 'scaling':
      return isSequence(input) ? { ok: true, shape: input } : needSequence();
    case 'permutation':
      if (!isSequence(input)) return needSequence();
      if (op.maxSegments > input[0]!) return outOfRange('max_segments', `permutation max_segments ${op.maxSegments} is more than the ${input[0]} time steps`);
      return { ok: true, shape: input };
    case 'time_warp':
      if (!isSequence(input)) return needSequence();
      if (op.knots + 2 > input[0]!) return outOfRange('knots', `time_warp knots ${op.knots} (+ 2 end points) are more than the ${input[0]} time steps`);
      return { ok: true, shape: input };
    case 'crop':
      if (!isSequence(input)) return needSequence();
      if (op.size > input[0]!) return outOfRange('size', `crop size ${op.size} is longer than the ${input[0]} time steps`);
      // The window is stretched back to T steps: the example keeps its shape, so one encoder
      // (and the probes, which see whole series) fit every view.
      return { ok: true, shape: input };
    case 'zero_spans':
      if (!isSequence(input)) return needSequence();
      if (op.span > input[0]!) return outOfRange('span', `zero_spans span ${op.span} is longer than the ${input[0]} time steps`);
      if (op.ratio > 0 && input[0]! < 2) return outOfRange('ratio', `zero_spans needs at least 2 time steps to zero some and keep some, got ${input[0]}`);
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
    case 'resnet':
      if (!isImage(input)) return fail(stage, `resnet needs an image input [H, W, C], got ${formatShape(input)}`);
      return { ok: true, shape: [stage.widths[stage.widths.length - 1]!] };
    case 'conv1d': {
      if (input.length !== 2) {
        return fail(stage, `conv1d needs a sequence input [T, C], got ${formatShape(input)}${isImage(input) ? ' (an image: use convnet or resnet)' : ''}`);
      }
      let t = input[0]!;
      for (let i = 0; i < stage.channels.length; i++) t = Math.ceil(t / stage.stride);
      const c = stage.channels[stage.channels.length - 1]!;
      return { ok: true, shape: stage.pool === 'mean' ? [c] : [t, c] };
    }
    case 'transformer': {
      if (stage.dim % stage.heads !== 0) return fail(stage, `transformer heads (${stage.heads}) must divide dim (${stage.dim})`, 'heads', 'value-out-of-range');
      let tokens: number;
      if (isImage(input)) {
        const [h, w] = input as [number, number, number];
        if (h % stage.patch !== 0 || w % stage.patch !== 0) return fail(stage, `transformer patch ${stage.patch} does not divide the ${h} x ${w} input`, 'patch', 'value-out-of-range');
        tokens = (h / stage.patch) * (w / stage.patch);
      } else if (input.length === 2) {
        if (input[0]! % stage.patch !== 0) return fail(stage, `transformer window ${stage.patch} does not divide the ${input[0]} time steps`, 'patch', 'value-out-of-range');
        tokens = input[0]! / stage.patch;
      } else {
        return fail(stage, `transformer needs an image [H, W, C] or a sequence [T, C], got ${formatShape(input)}`);
      }
      return { ok: true, shape: stage.pool === 'mean' ? [stage.dim] : [tokens, stage.dim] };
    }
    case 'normalize':
      return { ok: true, shape: [...input] };
    case 'mlp': {
      const last = stage.widths[stage.widths.length - 1]!;
      // Rank-2 inputs are tokens: the MLP acts on each one (a per-token head); others are flattened.
      return { ok: true, shape: input.length === 2 ? [input[0]!, last] : [last] };
    }
  }
}

/** Tokens of a transformer stage for an input shape (0 when it does not fit; the shape check says why). */
export function transformerTokens(patch: number, input: readonly number[]): number {
  if (input.length === 3) return (input[0]! / patch) * (input[1]! / patch);
  if (input.length === 2) return input[0]! / patch;
  return 0;
}

function fail(stage: StageSpec, message: string, param?: string, code: ShapeError['code'] = 'shape-mismatch'): ShapeResult {
  return { ok: false, op: stage, error: { code, message, ...(param ? { param } : {}) } };
}

export function product(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}
