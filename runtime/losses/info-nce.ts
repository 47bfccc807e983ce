/**
 * InfoNCE as used by MoCo (He et al. 2020, "Momentum Contrast for Unsupervised Visual
 * Representation Learning", https://arxiv.org/abs/1911.05722, eq. 1 and Algorithm 1; v2: Chen et
 * al. 2020, arXiv:2003.04297; v3: Chen, Xie & He 2021, "An Empirical Study of Training
 * Self-Supervised Vision Transformers", https://arxiv.org/abs/2104.02057, Algorithm 1).
 *
 * q = l2normalise(query), k = l2normalise(key), both [B, D]; k_i is the positive of q_i.
 *
 *  - queue = 0 (MoCo v3): the other keys of the batch are the negatives.
 *      logits = q k^T / t                    [B, B],      label of row i = i
 *  - queue = K > 0 (MoCo v1/v2): K past keys are the negatives.
 *      logits = [q_i . k_i, q_i . queue_j] / t  [B, 1 + K],  label of every row = 0
 *
 *   L = (1 / B) sum_i -log softmax(logits_i)[label_i]
 *
 * Scaling: MoCo v3's code returns CrossEntropy(...) * 2t (to make the gradient scale independent
 * of t). This loss does NOT multiply by 2t: it is the plain InfoNCE / cross-entropy of MoCo v1/v2
 * for either form, so the value is comparable across queue sizes and with nt_xent; a recipe that
 * wants v3's scale can weight the term by 2t.
 *
 * The queue (MoCo v2) is a non-trained variable [K, D] of unit rows, initialised from a normal
 * draw seeded by a hash of the loss's name (or `seed`) so it is deterministic. After each
 * optimizer step (`afterStep`) the batch's normalised keys are enqueued FIFO at a pointer that
 * wraps at K (MoCo's `_dequeue_and_enqueue`); the pointer is itself a non-trained int32 variable so
 * checkpoints restore it. The queue never carries gradients (it is read as a constant). Gradients
 * of `key` itself are left to the graph: MoCo's keys come from a teacher, which carries none.
 */
import { tf } from '../tf.js';
import { createRng } from '../util/rng.js';
import { checkMatrix, checkPositive, checkSameShape, hashSeed, l2Normalize, noMask, param, shapeOf, single } from './common.js';
import type { LossModule } from './types.js';

/**
 * MoCo's InfoNCE loss.
 * @param query [B, D] (normalised here)
 * @param key [B, D] (normalised here); row i is the positive of query row i
 * @param temperature t > 0 (MoCo v1 0.07, v2 0.2, v3 0.2 for ViT / 1.0 for ResNet)
 * @param queue [K, D] of past (unit) keys, or null for MoCo v3's in-batch negatives
 * @returns the scalar mean cross-entropy over the B queries (not scaled by 2t)
 */
export function infoNce(query: tf.Tensor, key: tf.Tensor, temperature: number, queue: tf.Tensor | null = null): tf.Scalar {
  checkPositive('info_nce', 'temperature', temperature);
  checkMatrix('info_nce', 'query', query);
  checkMatrix('info_nce', 'key', key);
  checkSameShape('info_nce', ['query', 'key'], query, key);
  if (queue !== null && (queue.rank !== 2 || queue.shape[1] !== query.shape[1] || queue.shape[0] < 1)) {
    throw new Error(`info_nce: the queue must be [K, ${query.shape[1]}] to match query ${shapeOf(query)}, got ${shapeOf(queue)}`);
  }
  const [b] = query.shape;
  return tf.tidy(() => {
    const q = l2Normalize(query);
    const k = l2Normalize(key);
    if (queue === null) {
      // Explicit transpose: the wasm backend's transposed BatchMatMul is slow (see nt-xent.ts).
      const logits = tf.div(tf.matMul(q, tf.transpose(k)), temperature); // [B, B]
      const logProb = tf.logSoftmax(logits); // [B, B]
      return tf.neg(tf.div(tf.sum(tf.mul(logProb, tf.eye(b))), b)) as tf.Scalar;
    }
    const positive = tf.sum(tf.mul(q, k), 1, true); // [B, 1]
    const negatives = tf.matMul(q, tf.transpose(queue)); // [B, K]
    const logits = tf.div(tf.concat([positive, negatives], 1), temperature); // [B, 1 + K]
    const logProb = tf.logSoftmax(logits); // [B, 1 + K]
    return tf.neg(tf.mean(tf.slice(logProb, [0, 0], [b, 1]))) as tf.Scalar;
  });
}

/** `queue` rows, with batch rows written at (pointer + i) mod K; B > K keeps the last K keys. */
export function enqueue(queue: tf.Tensor2D, keys: tf.Tensor2D, pointer: number): { queue: tf.Tensor2D; pointer: number } {
  const [k] = queue.shape;
  const [b] = keys.shape;
  const source = Array.from({ length: k }, (_, r) => r); // row r of the result <- row source[r] of [queue; keys]
  for (let i = 0; i < b; i++) source[(pointer + i) % k] = k + i;
  const next = tf.tidy(() => tf.gather(tf.concat([queue, keys], 0), tf.tensor1d(source, 'int32')) as tf.Tensor2D);
  return { queue: next, pointer: (pointer + b) % k };
}

/** Random unit rows [K, D] from `seed` (MoCo: randn then normalise). */
export function initialQueue(size: number, dim: number, seed: number): tf.Tensor2D {
  const rng = createRng(seed);
  const values = new Float32Array(size * dim);
  for (let r = 0; r < size; r++) {
    let norm = 0;
    for (let c = 0; c < dim; c++) {
      const v = rng.normal();
      values[r * dim + c] = v;
      norm += v * v;
    }
    const scale = 1 / Math.sqrt(Math.max(norm, 1e-24));
    for (let c = 0; c < dim; c++) values[r * dim + c] *= scale;
  }
  return tf.tensor2d(values, [size, dim]);
}

export interface InfoNceOptions {
  /** Seed of the queue's initial draw; default: a hash of the loss's name. */
  seed?: number;
  /** Embedding size D: with `queue`, the state is created at once instead of on the first forward. */
  dim?: number;
  /** Queue length K (the `queue` parameter), for eager creation with `dim`. */
  queue?: number;
}

export interface InfoNceModule extends LossModule {
  /** Where the next key goes (0 before the first enqueue); -1 while there is no queue. */
  readonly pointer: number;
}

/** LossModule for `info_nce` { query, key }, params { temperature, queue }. */
export function createInfoNce(name: string, options: InfoNceOptions = {}): InfoNceModule {
  const label = `info_nce '${name}'`;
  const seed = options.seed ?? hashSeed(name);
  let queue: tf.Variable | null = null;
  let pointer: tf.Variable | null = null;
  /** The pointer's value, mirrored on the host so a step never reads it back from the device. */
  let at = 0;
  let stash: tf.Tensor2D | null = null;
  const state: tf.Variable[] = [];

  const create = (size: number, dim: number): void => {
    const init = initialQueue(size, dim, seed), zero = tf.scalar(0, 'int32');
    queue = tf.variable(init, false, `${name}/queue`);
    pointer = tf.variable(zero, false, `${name}/queue_pointer`);
    at = 0;
    tf.dispose([init, zero]); // the variables hold their own reference to the data
    state.push(queue, pointer);
  };
  const checkQueueSize = (size: number): void => {
    if (!Number.isInteger(size) || size < 0) throw new Error(`${label}: queue must be an integer >= 0, got ${size}`);
  };
  const dropStash = (): void => {
    stash?.dispose();
    stash = null;
  };
  if (options.queue !== undefined && options.queue > 0 && options.dim !== undefined) {
    checkQueueSize(options.queue);
    create(options.queue, options.dim);
  }

  return {
    get pointer() {
      return pointer === null ? -1 : at;
    },
    state,
    forward(inputs, mask, params) {
      noMask(label, mask);
      const query = single(label, inputs, 'query');
      const key = single(label, inputs, 'key');
      const temperature = param(label, params, 'temperature');
      const size = params.queue ?? 0;
      checkQueueSize(size);
      if (size === 0) {
        if (queue !== null) throw new Error(`${label}: queue changed from ${queue.shape[0]} to 0 during training`);
        return { loss: infoNce(query, key, temperature, null) };
      }
      checkMatrix(label, 'key', key);
      if (queue === null) create(size, key.shape[1]);
      const q = queue as unknown as tf.Variable;
      if (q.shape[0] !== size || q.shape[1] !== key.shape[1]) {
        throw new Error(`${label}: the queue is ${shapeOf(q)} but this step needs [${size}, ${key.shape[1]}] (queue ${size}, key ${shapeOf(key)})`);
      }
      const loss = infoNce(query, key, temperature, q);
      dropStash(); // a forward without a step (evaluation) is superseded by this one
      stash = tf.keep(tf.tidy(() => l2Normalize(key) as tf.Tensor2D));
      return { loss };
    },
    loadState(saved) {
      const names = [`${name}/queue`, `${name}/queue_pointer`];
      const unknown = Object.keys(saved).filter((k) => !names.includes(k));
      if (unknown.length > 0) throw new Error(`${label}: saved state has unknown entries ${unknown.map((k) => `'${k}'`).join(', ')}`);
      const savedQueue = saved[names[0]!], savedPointer = saved[names[1]!];
      if (!savedQueue || !savedPointer) throw new Error(`${label}: saved state needs both '${names[0]}' and '${names[1]}'`);
      if (savedQueue.rank !== 2 || savedQueue.shape[0] < 1) throw new Error(`${label}: the saved queue must be [K, D], got ${shapeOf(savedQueue)}`);
      if (savedPointer.size !== 1) throw new Error(`${label}: the saved queue pointer must be a scalar, got ${shapeOf(savedPointer)}`);
      const [size, dim] = savedQueue.shape as [number, number];
      const next = savedPointer.dataSync()[0]!;
      if (!Number.isInteger(next) || next < 0 || next >= size) throw new Error(`${label}: the saved queue pointer ${next} is outside [0, ${size})`);
      if (queue !== null && (queue.shape[0] !== size || queue.shape[1] !== dim)) {
        throw new Error(`${label}: the saved queue is ${shapeOf(savedQueue)} but this loss has ${shapeOf(queue)}`);
      }
      if (queue === null) create(size, dim);
      dropStash();
      const q: tf.Variable = queue!, p: tf.Variable = pointer!;
      tf.tidy(() => {
        q.assign(tf.cast(savedQueue, 'float32'));
        p.assign(tf.scalar(next, 'int32'));
      });
      at = next;
    },
    afterStep() {
      if (stash === null || queue === null || pointer === null) return;
      const q: tf.Variable = queue, p: tf.Variable = pointer;
      const next = enqueue(q as unknown as tf.Tensor2D, stash, at);
      q.assign(next.queue);
      next.queue.dispose();
      at = next.pointer;
      // The variable keeps the pointer for checkpoints; it is written, never read, per step.
      tf.tidy(() => p.assign(tf.scalar(at, 'int32')));
      dropStash();
    },
    dispose() {
      dropStash();
      for (const v of state) v.dispose();
      state.length = 0;
      queue = null;
      pointer = null;
    },
  };
}
