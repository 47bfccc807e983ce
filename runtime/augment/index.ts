/**
 * Views: an IR `View` compiled into a function from a batch to one random draw of its
 * augmentation pipeline (SimCLR, Chen et al. 2020, arXiv:2002.05709: two independent draws of
 * the same view make a positive pair).
 *
 * Every op draws its per-example parameters from the one `rng` given here, in pipeline order,
 * so a seed fixes every draw; calling the compiled view twice gives two different draws.
 * Intermediate tensors are freed; the input is never disposed; the result is a new tensor.
 *
 * Shapes: images x [B, H, W, C] float32 in [0, 1], or sequences x [B, T, C] (the time-series ops:
 * jitter, scaling, permutation, time_warp, crop, zero_spans) -> [B, ...view.outputShape]. Every op
 * keeps the rank, which the compiler's shape check has matched to the op.
 */
import type { AugOp, Span, View } from '../../compiler/ir.js';
import { tf } from '../tf.js';
import type { Rng } from '../util/rng.js';
import { colorJitter, validateColorJitter } from './color_jitter.js';
import { gaussianBlur, validateGaussianBlur } from './gaussian_blur.js';
import { gaussianNoise, validateGaussianNoise } from './gaussian_noise.js';
import { randomApply, validateRandomApply } from './random_apply.js';
import { randomFlip, validateRandomFlip } from './random_flip.js';
import { randomResizedCrop, validateRandomResizedCrop } from './random_resized_crop.js';
import { crop, validateCrop } from './crop.js';
import { jitter, validateJitter } from './jitter.js';
import { permutation, validatePermutation } from './permutation.js';
import { scaling, validateScaling } from './scaling.js';
import { timeWarp, validateTimeWarp } from './time_warp.js';
import { validateZeroSpans, zeroSpans } from './zero_spans.js';

/** One random draw of a pipeline: a batch in, a new batch of the same rank out. */
export type Augment = <T extends tf.Tensor>(x: T) => T;

/** An op written for one rank (images [B, H, W, C] or sequences [B, T, C]) as an Augment. */
function ofRank<R extends tf.Tensor>(f: (x: R) => R): Augment {
  return <T extends tf.Tensor>(x: T) => f(x as tf.Tensor as R) as tf.Tensor as T;
}

export { colorJitter } from './color_jitter.js';
export { gaussianBlur } from './gaussian_blur.js';
export { gaussianNoise } from './gaussian_noise.js';
export { randomApply } from './random_apply.js';
export { randomFlip } from './random_flip.js';
export { randomResizedCrop } from './random_resized_crop.js';
export { crop } from './crop.js';
export { jitter } from './jitter.js';
export { permutation } from './permutation.js';
export { scaling } from './scaling.js';
export { timeWarp } from './time_warp.js';
export { zeroSpans } from './zero_spans.js';

function where(span: Span): string {
  return `${span.uri}:${span.start.line}:${span.start.column}`;
}

/** Validate one op now, so a bad parameter fails at compile time and names the recipe line. */
function validated<T>(op: AugOp, check: () => T): T {
  try {
    return check();
  } catch (e) {
    throw new Error(`${where(op.origin)}: ${(e as Error).message}`);
  }
}

function compileOp(op: AugOp, rng: Rng): Augment {
  switch (op.kind) {
    case 'random_resized_crop':
      validated(op, () => validateRandomResizedCrop(op));
      return ofRank((x: tf.Tensor4D) => randomResizedCrop(x, op, rng));
    case 'random_flip':
      validated(op, () => validateRandomFlip(op));
      return ofRank((x: tf.Tensor4D) => randomFlip(x, op, rng));
    case 'color_jitter':
      validated(op, () => validateColorJitter(op));
      return ofRank((x: tf.Tensor4D) => colorJitter(x, op, rng));
    case 'gaussian_noise':
      validated(op, () => validateGaussianNoise(op));
      return ofRank((x: tf.Tensor4D) => gaussianNoise(x, op, rng));
    case 'gaussian_blur':
      validated(op, () => validateGaussianBlur(op));
      return ofRank((x: tf.Tensor4D) => gaussianBlur(x, op, rng));
    case 'random_apply': {
      validated(op, () => validateRandomApply(op.p));
      const inner = compileOps(op.ops, rng);
      return <T extends tf.Tensor>(x: T): T => {
        try {
          return randomApply(x, op.p, inner, rng);
        } catch (e) {
          throw new Error(`${where(op.origin)}: ${(e as Error).message}`);
        }
      };
    }
    case 'jitter':
      validated(op, () => validateJitter(op));
      return ofRank((x: tf.Tensor3D) => jitter(x, op, rng));
    case 'scaling':
      validated(op, () => validateScaling(op));
      return ofRank((x: tf.Tensor3D) => scaling(x, op, rng));
    case 'permutation':
      validated(op, () => validatePermutation(op));
      return ofRank((x: tf.Tensor3D) => permutation(x, op, rng));
    case 'time_warp':
      validated(op, () => validateTimeWarp(op));
      return ofRank((x: tf.Tensor3D) => timeWarp(x, op, rng));
    case 'crop':
      validated(op, () => validateCrop(op));
      return ofRank((x: tf.Tensor3D) => crop(x, op, rng));
    case 'zero_spans':
      validated(op, () => validateZeroSpans(op));
      return ofRank((x: tf.Tensor3D) => zeroSpans(x, op, rng));
    default: {
      const never: never = op;
      throw new Error(`compileView: unknown augmentation op ${JSON.stringify(never)}`);
    }
  }
}

/** The ops in order as one function; intermediates are freed, the result is always new. */
export function compileOps(ops: readonly AugOp[], rng: Rng): Augment {
  const fns = ops.map((op) => compileOp(op, rng));
  return <T extends tf.Tensor>(x: T): T => {
    if (fns.length === 0) return tf.clone(x);
    return tf.tidy(() => {
      let y = x;
      for (const f of fns) y = f(y);
      return y;
    });
  };
}

/** Compile a view; each call of the result is a fresh random draw from `rng`. */
export function compileView(view: View, rng: Rng): Augment {
  const run = compileOps(view.ops, rng);
  return <T extends tf.Tensor>(x: T): T => {
    const y = run(x);
    const got = y.shape.slice(1);
    if (!tf.util.arraysEqual(got, view.outputShape)) {
      y.dispose();
      throw new Error(
        `${where(view.origin)}: view '${view.name}' produced examples of shape [${got.join(', ')}] from ` +
          `input [${x.shape.slice(1).join(', ')}], but the compiler expected [${view.outputShape.join(', ')}]`,
      );
    }
    return y;
  };
}
