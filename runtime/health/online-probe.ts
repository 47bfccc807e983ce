/**
 * Online linear probe: a linear classifier trained alongside self-supervised training on the
 * stop-gradient features of each training batch, as solo-learn's online classifier does
 * (da Costa et al. 2022, "solo-learn: A Library of Self-supervised Methods for Visual
 * Representation Learning", JMLR 23(56); `solo/methods/base.py`: cross-entropy of a linear layer
 * on `feats.detach()`). The encoder never sees its gradient: the classifier reads host-side plain
 * tensors, keeps its own variables and its own optimizer, and no tape is recorded.
 *
 * It is a live *estimate* of the frozen linear probe, not a replacement: the classifier chases a
 * moving representation, so its accuracy lags the one a probe fitted at the end reaches.
 *
 *   features x: [B, D] (the probed representation of the raw batch, eval mode)
 *   standardised x̂ = (x - mu) / sqrt(var + 1e-5), mu/var running means over batches (momentum
 *     0.9, like batch norm's running statistics): the features' scale drifts during training
 *     and a raw ReLU/pool output is far from centred
 *   logits = x̂ W + b: [B, C];  W: [D, C], b: [C]
 *   loss = mean_i CE(softmax(logits_i), y_i) + (l2 / 2) ||W||^2
 *   dL/dlogits = (softmax - onehot) / B (written out, as in probes/linear.ts: no gradient tape)
 *   Adam (Kingma & Ba 2015), constant lr 1e-2 (the offline probe's peak rate), betas 0.9/0.999.
 *
 * The running top-1 on the training batches (argmax before the update, i.e. on examples the
 * classifier has not fitted yet) is accumulated on the device and read only when asked.
 */
import { tf } from '../tf.js';

export const ONLINE_LR = 1e-2;
/** Weight of the old running feature statistics per batch (batch norm's momentum). */
export const STATS_MOMENTUM = 0.9;
const STATS_EPSILON = 1e-5;
const BETA1 = 0.9;
const BETA2 = 0.999;
const ADAM_EPSILON = 1e-8;

export interface OnlineProbeOptions {
  dim: number;
  numClasses: number;
  /** L2 penalty on W (the recipe's `l2`). */
  l2: number;
  lr?: number;
}

/** The online probe's host state, saved in checkpoints beside its tensors. */
export interface OnlineProbeCounters {
  examplesSeen: number;
  pendingExamples: number;
  t: number;
  statsReady: boolean;
}

export class OnlineLinearProbe {
  readonly dim: number;
  readonly numClasses: number;
  /** Training examples seen so far. */
  examplesSeen = 0;
  private readonly l2: number;
  private readonly lr: number;
  private readonly w: tf.Variable; // [D, C]
  private readonly b: tf.Variable; // [C]
  private readonly slots: { v: tf.Variable; m: tf.Variable; s: tf.Variable }[];
  private readonly mean: tf.Variable; // [D]
  private readonly variance: tf.Variable; // [D]
  /** Correct predictions and examples since the last `readRunningTop1` (device scalars). */
  private readonly correct: tf.Variable;
  private pendingExamples = 0;
  private t = 0;
  private statsReady = false;

  constructor(options: OnlineProbeOptions) {
    const { dim, numClasses, l2 } = options;
    if (!Number.isInteger(dim) || dim < 1) throw new Error(`online probe: feature dim must be a positive integer, got ${dim}`);
    if (!Number.isInteger(numClasses) || numClasses < 2) throw new Error(`online probe: numClasses must be an integer >= 2, got ${numClasses}`);
    if (!Number.isFinite(l2) || l2 < 0) throw new Error(`online probe: l2 must be >= 0, got ${l2}`);
    this.dim = dim;
    this.numClasses = numClasses;
    this.l2 = l2;
    this.lr = options.lr ?? ONLINE_LR;
    // Inside a tidy: tf.variable keeps its own reference, the initial tensors are released.
    const filled = (shape: number[], value = 0) => tf.tidy(() => tf.variable(tf.fill(shape, value), false));
    this.w = filled([dim, numClasses]); // zeros: the objective is convex in W for fixed features
    this.b = filled([numClasses]);
    this.slots = [
      { v: this.w, m: filled([dim, numClasses]), s: filled([dim, numClasses]) },
      { v: this.b, m: filled([numClasses]), s: filled([numClasses]) },
    ];
    this.mean = filled([dim]);
    this.variance = filled([dim], 1);
    this.correct = filled([]);
  }

  /**
   * One Adam step on a batch: features [B, D] (not kept, not differentiated) and their labels.
   * Counts the batch's top-1 (before the update) into the running accuracy.
   */
  train(features: tf.Tensor2D, labels: Int32Array): void {
    const [rows, d] = features.shape;
    if (d !== this.dim) throw new Error(`online probe: expected ${this.dim} features, got shape [${features.shape}]`);
    if (labels.length !== rows) throw new Error(`online probe: ${rows} feature rows but ${labels.length} labels`);
    if (rows === 0) return;
    this.t++;
    const bc1 = 1 - BETA1 ** this.t;
    const bc2 = 1 - BETA2 ** this.t;
    tf.tidy(() => {
      const x = tf.cast(features, 'float32') as tf.Tensor2D;
      const { mean, variance } = tf.moments(x, 0); // [D]
      // The first batch sets the statistics (a zero/one start would skew the first few hundred steps).
      const keep = this.statsReady ? STATS_MOMENTUM : 0;
      this.mean.assign(tf.add(tf.mul(this.mean, keep), tf.mul(mean, 1 - keep)));
      this.variance.assign(tf.add(tf.mul(this.variance, keep), tf.mul(variance, 1 - keep)));
      const xs = this.standardise(x); // [B, D]
      const y = tf.tensor1d(labels, 'int32');
      const onehot = tf.cast(tf.oneHot(y, this.numClasses), 'float32'); // [B, C]
      const logits = tf.add(tf.matMul(xs, this.w as tf.Tensor2D), this.b); // [B, C]
      const hits = tf.sum(tf.cast(tf.equal(tf.argMax(logits, 1), y), 'float32'));
      this.correct.assign(tf.add(this.correct, hits));
      const dLogits = tf.div(tf.sub(tf.softmax(logits), onehot), rows); // [B, C]
      const gW = tf.add(tf.matMul(xs, dLogits, true, false), tf.mul(this.w, this.l2)); // [D, C]
      const gB = tf.sum(dLogits, 0); // [C]
      [gW, gB].forEach((g, i) => {
        const { v, m, s } = this.slots[i]!;
        const mNext = tf.add(tf.mul(m, BETA1), tf.mul(g, 1 - BETA1));
        const sNext = tf.add(tf.mul(s, BETA2), tf.mul(tf.square(g), 1 - BETA2));
        m.assign(mNext);
        s.assign(sNext);
        v.assign(tf.sub(v, tf.mul(tf.div(mNext, tf.add(tf.sqrt(tf.div(sNext, bc2)), ADAM_EPSILON)), this.lr / bc1)));
      });
    });
    this.statsReady = true;
    this.examplesSeen += rows;
    this.pendingExamples += rows;
  }

  /**
   * Top-1 on the training batches since the last call (one host read), then starts a new window;
   * null if no batch came in since.
   */
  async readRunningTop1(): Promise<number | null> {
    if (this.pendingExamples === 0) return null;
    const correct = (await this.correct.data())[0]!;
    const top1 = correct / this.pendingExamples;
    tf.tidy(() => this.correct.assign(tf.scalar(0)));
    this.pendingExamples = 0;
    return top1;
  }

  /** Number of rows of `features` ([B, D]) the current classifier labels correctly, as a device scalar. */
  countCorrect(features: tf.Tensor2D, labels: Int32Array): tf.Scalar {
    return tf.tidy(() => {
      const logits = tf.add(tf.matMul(this.standardise(tf.cast(features, 'float32') as tf.Tensor2D), this.w as tf.Tensor2D), this.b);
      return tf.sum(tf.cast(tf.equal(tf.argMax(logits, 1), tf.tensor1d(labels, 'int32')), 'float32')) as tf.Scalar;
    });
  }

  /**
   * Everything the next `train` depends on, for checkpoints: the classifier, its Adam moments, the
   * feature statistics and the running-accuracy window (tensors are the live variables: read, do
   * not dispose), plus the host counters.
   */
  saveState(): { tensors: Record<string, tf.Tensor>; counters: OnlineProbeCounters } {
    const [w, b] = this.slots;
    return {
      tensors: { w: this.w, b: this.b, 'w:m': w!.m, 'w:s': w!.s, 'b:m': b!.m, 'b:s': b!.s, mean: this.mean, variance: this.variance, correct: this.correct },
      counters: { examplesSeen: this.examplesSeen, pendingExamples: this.pendingExamples, t: this.t, statsReady: this.statsReady },
    };
  }

  /** Puts a `saveState` back; every tensor must be there with the variable's shape. */
  loadState(tensors: Record<string, tf.Tensor>, counters: OnlineProbeCounters): void {
    const live = this.saveState().tensors;
    for (const [name, v] of Object.entries(live)) {
      const t = tensors[name];
      if (!t) throw new Error(`online probe state has no '${name}'`);
      if (t.shape.join(',') !== v.shape.join(',')) throw new Error(`online probe '${name}' has shape [${t.shape}] but the probe has [${v.shape}]`);
    }
    for (const [name, v] of Object.entries(live)) (v as tf.Variable).assign(tensors[name]!);
    this.examplesSeen = counters.examplesSeen;
    this.pendingExamples = counters.pendingExamples;
    this.t = counters.t;
    this.statsReady = counters.statsReady;
  }

  private standardise(x: tf.Tensor2D): tf.Tensor2D {
    return tf.div(tf.sub(x, this.mean), tf.sqrt(tf.add(this.variance, STATS_EPSILON))) as tf.Tensor2D;
  }

  dispose(): void {
    tf.dispose([this.w, this.b, this.mean, this.variance, this.correct, ...this.slots.flatMap((s) => [s.m, s.s])]);
  }
}
