/**
 * Linear probe: multinomial logistic regression on frozen features, the standard evaluation of
 * self-supervised representations (e.g. SimCLR, Chen et al. 2020, arXiv:2002.05709, sec. 4).
 *
 * Protocol:
 * - Standardise every feature with the TRAIN mean and standard deviation (population std;
 *   features constant on train get std 1, as sklearn's StandardScaler). Test features use the
 *   same statistics.
 * - Minimise   L(W, b) = mean_i CE(softmax(x_i W + b), y_i) + (l2 / 2) ||W||^2
 *   (the bias is not penalised; the gradient of the penalty is l2 * W, i.e. PyTorch's
 *   weight_decay = l2).
 * - Optimiser: minibatch Adam (Kingma & Ba 2015) with a cosine-decayed learning rate (to 0 at the
 *   end), peak rate 1e-2, minibatches of up to 512 rows, `epochs` passes over a seeded shuffle of
 *   the training set (more for small sets, see linearPlan). The gradient is written out
 *   analytically (dL/dlogits = (softmax - onehot) / B), so no gradient tape is recorded.
 *   Why not full-batch L-BFGS: each of its iterations costs one pass over the data, and it needs
 *   hundreds; 10 minibatch passes reach the same test accuracy (MNIST pixels: 0.927).
 *
 * Shapes: X [N, d], W [d, C], b [C], logits [B, C].
 */
import { tf } from '../tf.js';
import { createRng, shuffleInPlace } from '../util/rng.js';
import { checkFeatures, type Features } from './types.js';

export interface LinearProbeOptions {
  numClasses: number;
  /** L2 penalty on the weights (not the bias), as PyTorch weight_decay. */
  l2: number;
  /** Passes over the training set. */
  epochs: number;
  /** Seed of the minibatch order (default 0). */
  seed?: number;
}

export interface LinearProbeResult {
  /** Accuracy on `test`. */
  top1: number;
  /** Accuracy on `train` (fit quality; a large gap to top1 means overfitting). */
  trainTop1: number;
}

/** Largest minibatch: amortises per-op overhead; 60k examples give 118 updates per epoch. */
export const LINEAR_BATCH = 512;
/** Smallest minibatch, used for small fit sets (n < 50 * 32) together with MIN_STEPS. */
const MIN_BATCH = 32;
/**
 * Fewest Adam updates per fit: with a 1 %-label fit set (600 examples) `epochs` passes alone would be
 * a few dozen updates, far from the optimum; small sets get more passes, which cost little.
 */
export const MIN_STEPS = 1000;

/**
 * Minibatch size and passes for a fit set of n rows: batch = clamp(n / 50, 32, 512) (at most n),
 * passes = max(epochs, ceil(MIN_STEPS / stepsPerEpoch)).
 */
export function linearPlan(n: number, epochs: number): { batch: number; stepsPerEpoch: number; passes: number } {
  const batch = Math.min(n, LINEAR_BATCH, Math.max(MIN_BATCH, Math.floor(n / 50)));
  const stepsPerEpoch = Math.ceil(n / batch);
  return { batch, stepsPerEpoch, passes: Math.max(epochs, Math.ceil(MIN_STEPS / stepsPerEpoch)) };
}

/** Peak Adam learning rate for standardised features (cosine-decayed to 0). */
export const LINEAR_LR = 1e-2;
const BETA1 = 0.9;
const BETA2 = 0.999;
const EPSILON = 1e-8;
/** Rows per chunk when predicting, to bound the logits block. */
const PREDICT_CHUNK = 8192;

/** Per-feature mean and std (float64 accumulation) of the rows of `f`. */
export function featureStats(f: Features): { mean: Float32Array; std: Float32Array } {
  const { n, d, x } = f;
  const sum = new Float64Array(d);
  const sumSq = new Float64Array(d);
  for (let i = 0; i < n; i++) {
    const row = i * d;
    for (let j = 0; j < d; j++) sum[j] += x[row + j];
  }
  const mean = new Float64Array(d);
  for (let j = 0; j < d; j++) mean[j] = sum[j] / n;
  for (let i = 0; i < n; i++) {
    const row = i * d;
    for (let j = 0; j < d; j++) {
      const c = x[row + j] - mean[j];
      sumSq[j] += c * c;
    }
  }
  const std = new Float32Array(d);
  for (let j = 0; j < d; j++) {
    const s = Math.sqrt(sumSq[j] / n);
    std[j] = s > 1e-8 ? s : 1; // constant features: leave them centred, unscaled
  }
  return { mean: Float32Array.from(mean), std };
}

/** (x - mean) / std, row-major, on the host. */
export function standardise(f: Features, mean: Float32Array, std: Float32Array): Float32Array {
  const { n, d, x } = f;
  const out = new Float32Array(n * d);
  const inv = std.map((s) => 1 / s);
  for (let i = 0; i < n; i++) {
    const row = i * d;
    for (let j = 0; j < d; j++) out[row + j] = (x[row + j] - mean[j]) * inv[j];
  }
  return out;
}

/** Weights of a fitted multinomial logistic regression: logits = x W + b. */
export interface LinearModel {
  /** [d, C] row-major. */
  w: Float32Array;
  /** [C]. */
  b: Float32Array;
}

/**
 * Minibatch Adam on the L2-penalised softmax cross-entropy (see the file header) over
 * already-standardised rows `xs` ([n, d] row-major). Deterministic for a given seed. Async: the
 * weights are read back with `data()`, which every backend supports (webgpu has no `dataSync`).
 */
export async function fitLogisticRegression(
  xs: Float32Array,
  y: Int32Array,
  n: number,
  d: number,
  opts: { numClasses: number; l2: number; epochs: number; seed?: number },
): Promise<LinearModel> {
  const { numClasses: C, l2, epochs } = opts;
  const rng = createRng(opts.seed ?? 0);
  const [w, b, ...moments] = tf.tidy(() => [
    tf.variable(tf.zeros([d, C]), false), // W [d, C]; zeros: the objective is convex
    tf.variable(tf.zeros([C]), false), // b [C]
    tf.variable(tf.zeros([d, C]), false), // Adam m, v of W and of b
    tf.variable(tf.zeros([d, C]), false),
    tf.variable(tf.zeros([C]), false),
    tf.variable(tf.zeros([C]), false),
  ]);
  const slots = [
    { v: w, m: moments[0], s: moments[1] },
    { v: b, m: moments[2], s: moments[3] },
  ];
  try {
    const { batch, stepsPerEpoch, passes } = linearPlan(n, epochs);
    const totalSteps = passes * stepsPerEpoch;
    const order = new Int32Array(n);
    // Minibatches are assembled on the host, with their transpose: cheaper than tf.gather and a
    // device transpose on both the cpu and wasm backends, and every matmul is untransposed.
    const xb = new Float32Array(batch * d); // [B, d]
    const xbT = new Float32Array(d * batch); // [d, B]
    const yb = new Float32Array(batch * C); // [B, C] one-hot
    let t = 0;
    for (let epoch = 0; epoch < passes; epoch++) {
      for (let i = 0; i < n; i++) order[i] = i;
      shuffleInPlace(order, rng);
      for (let s = 0; s < stepsPerEpoch; s++) {
        const lo = s * batch;
        const rows = Math.min(lo + batch, n) - lo;
        yb.fill(0);
        for (let r = 0; r < rows; r++) {
          const src = order[lo + r] * d;
          xb.set(xs.subarray(src, src + d), r * d);
          for (let j = 0; j < d; j++) xbT[j * rows + r] = xs[src + j];
          yb[r * C + y[order[lo + r]]] = 1;
        }
        t++;
        const lr = LINEAR_LR * 0.5 * (1 + Math.cos((Math.PI * (t - 1)) / totalSteps)); // cosine, from LINEAR_LR towards 0
        const bc1 = 1 - BETA1 ** t;
        const bc2 = 1 - BETA2 ** t;
        tf.tidy(() => {
          const x = tf.tensor2d(xb.subarray(0, rows * d), [rows, d]); // [B, d]
          const xT = tf.tensor2d(xbT.subarray(0, rows * d), [d, rows]); // [d, B]
          const yOneHot = tf.tensor2d(yb.subarray(0, rows * C), [rows, C]); // [B, C]
          const logits = tf.add(tf.matMul(x, w as tf.Tensor2D), b); // [B, C]
          const dLogits = tf.div(tf.sub(tf.softmax(logits), yOneHot), rows); // [B, C]
          const gW = tf.add(tf.matMul(xT, dLogits), tf.mul(w, l2)); // [d, C]
          const gB = tf.sum(dLogits, 0); // [C]
          [gW, gB].forEach((g, i) => {
            const { v, m, s: sq } = slots[i];
            const mNext = tf.add(tf.mul(m, BETA1), tf.mul(g, 1 - BETA1));
            const sNext = tf.add(tf.mul(sq, BETA2), tf.mul(tf.square(g), 1 - BETA2));
            m.assign(mNext);
            sq.assign(sNext);
            v.assign(tf.sub(v, tf.mul(tf.div(mNext, tf.add(tf.sqrt(tf.div(sNext, bc2)), EPSILON)), lr / bc1)));
          });
        });
      }
    }
    const [wValues, bValues] = await Promise.all([w.data(), b.data()]);
    return { w: (wValues as Float32Array).slice(), b: (bValues as Float32Array).slice() }; // copies: the variables are disposed next
  } finally {
    tf.dispose([w, b, ...moments]);
  }
}

/** Fraction of rows of `xs` (standardised, [n, d] row-major) with argmax(x W + b) = y. */
export async function linearAccuracy(xs: Float32Array, y: Int32Array, n: number, d: number, model: LinearModel): Promise<number> {
  const C = model.b.length;
  const w = tf.tensor2d(model.w, [d, C]);
  const b = tf.tensor1d(model.b);
  let correct = 0;
  try {
    for (let start = 0; start < n; start += PREDICT_CHUNK) {
      const rows = Math.min(PREDICT_CHUNK, n - start);
      const pred = tf.tidy(() => {
        const x = tf.tensor2d(xs.subarray(start * d, (start + rows) * d), [rows, d]); // [rows, d]
        return tf.argMax(tf.add(tf.matMul(x, w), b), 1); // [rows]
      });
      const p = await pred.data().finally(() => pred.dispose());
      for (let i = 0; i < rows; i++) if (p[i] === y[start + i]) correct++;
    }
  } finally {
    tf.dispose([w, b]);
  }
  return correct / n;
}

/**
 * Fits the probe on `train` (standardised with train statistics) and reports top-1 accuracy on
 * `test` and on `train`. Runs on the current tfjs backend.
 *
 * Measured (2-core CPU, MNIST raw pixels 60k/10k, l2 1e-4, 10 epochs): test top-1 0.9268, train
 * 0.939 (the anchors' PyTorch reference: 0.927); 6-7 s on wasm, 46 s on the cpu backend. 128-d
 * features, 60k/10k: about 2-2.7 s on wasm, 10 s on cpu.
 */
export async function linearProbe(train: Features, test: Features, opts: LinearProbeOptions): Promise<LinearProbeResult> {
  const { numClasses, l2, epochs } = opts;
  if (!Number.isInteger(numClasses) || numClasses < 2) throw new Error(`linearProbe: numClasses must be an integer >= 2, got ${numClasses}`);
  if (!Number.isFinite(l2) || l2 < 0) throw new Error(`linearProbe: l2 must be >= 0, got ${l2}`);
  if (!Number.isInteger(epochs) || epochs < 1) throw new Error(`linearProbe: epochs must be a positive integer, got ${epochs}`);
  checkFeatures(train, numClasses, 'linearProbe train');
  checkFeatures(test, numClasses, 'linearProbe test');
  if (train.d !== test.d) throw new Error(`linearProbe: train has d=${train.d} features, test d=${test.d}`);

  const { mean, std } = featureStats(train);
  const xTrain = standardise(train, mean, std); // [N, d]
  const model = await fitLogisticRegression(xTrain, train.y, train.n, train.d, opts);
  const trainTop1 = await linearAccuracy(xTrain, train.y, train.n, train.d, model);
  const top1 = await linearAccuracy(standardise(test, mean, std), test.y, test.n, test.d, model);
  return { top1, trainTop1 };
}
