/**
 * Views: an IR `View` compiled into a function from a batch to one random draw of its
 * augmentation pipeline (SimCLR, Chen et al. 2020, arXiv:2002.05709: two independent draws of
 * the same view make a positive pair).
 *
 * Every op draws its per-example parameters from the one `rng` given here, in pipeline order,
 * so a seed fixes every draw; calling the compiled view twice gives two different draws.
 * Intermediate tensors are freed; the input is never disposed; the result is a new tensor.
 *
 * Shapes: x [B, H, W, C] float32 in [0, 1] -> [B, ...view.outputShape].
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

export type Augment = (x: tf.Tensor4D) => tf.Tensor4D;

export { colorJitter } from './color_jitter.js';
export { gaussianBlur } from './gaussian_blur.js';
export { gaussianNoise } from './gaussian_noise.js';
export { randomApply } from './random_apply.js';
export { randomFlip } from './random_flip.js';
export { randomResizedCrop } from './random_resized_crop.js';

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
      return (x) => randomResizedCrop(x, op, rng);
    case 'random_flip':
      validated(op, () => validateRandomFlip(op));
      return (x) => randomFlip(x, op, rng);
    case 'color_jitter':
      validated(op, () => validateColorJitter(op));
      return (x) => colorJitter(x, op, rng);
    case 'gaussian_noise':
      validated(op, () => validateGaussianNoise(op));
      return (x) => gaussianNoise(x, op, rng);
    case 'gaussian_blur':
      validated(op, () => validateGaussianBlur(op));
      return (x) => gaussianBlur(x, op, rng);
    case 'random_apply': {
      validated(op, () => validateRandomApply(op.p));
      const inner = compileOps(op.ops, rng);
      return (x) => {
        try {
          return randomApply(x, op.p, inner, rng);
        } catch (e) {
          throw new Error(`${where(op.origin)}: ${(e as Error).message}`);
        }
      };
    }
    default: {
      const never: never = op;
      throw new Error(`compileView: unknown augmentation op ${JSON.stringify(never)}`);
    }
  }
}

/** The ops in order as one function; intermediates are freed, the result is always new. */
export function compileOps(ops: readonly AugOp[], rng: Rng): Augment {
  const fns = ops.map((op) => compileOp(op, rng));
  return (x) => {
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
  return (x) => {
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
