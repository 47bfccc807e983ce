/**
 * k-nearest-neighbour probe with cosine similarity, the protocol of InstDisc (Wu et al. 2018,
 * "Unsupervised Feature Learning via Non-Parametric Instance Discrimination", arXiv:1805.01978)
 * and DINO (Caron et al. 2021, arXiv:2104.14294, weighted k-NN):
 *
 *   z = x / ||x||   (train and test rows)
 *   s = z_test z_train^T                                   [chunk, N_train], chunk by chunk
 *   neighbours = top-k of s per test row (ties: lower train index first, as tf.topk)
 *   temperature 0: majority vote, ties broken by the larger summed similarity, then the lower class
 *   temperature T > 0: class score = sum over neighbours of exp(s / T), argmax (ties: lower class)
 *
 * Test rows are processed in chunks so that at most ~MAX_CHUNK_ELEMENTS similarities exist at
 * once (never the whole [N_test, N_train] matrix). Votes are counted on the host from the k
 * neighbours of each row.
 *
 * Cost is the similarity matmul, 2 * N_test * N_train * d flops (154 GFLOP for 10k x 60k x 128).
 * Measured on the 2-core CPU, 10k x 60k: d=128 7.6 s on wasm with 2 threads (10 s with 1),
 * raw pixels d=784 29 s (2 threads); the cpu backend is ~25x slower (its matmul and its
 * object-per-element TopK), fine only for small sets.
 */
import { tf } from '../tf.js';
import { checkFeatures, type Features } from './types.js';

export interface KnnOptions {
  numClasses: number;
  /** Neighbours per test example; 1 <= k <= train.n. */
  k: number;
  /** 0 = majority vote; > 0 = votes weighted by exp(sim / temperature). */
  temperature: number;
}

/** Upper bound on the similarity block held at once (4-byte floats: 32 MiB). */
const MAX_CHUNK_ELEMENTS = 1 << 23;

/** Unit-norm rows (zero rows stay zero): x * rsqrt(max(||x||^2, 1e-24)). */
function l2NormalizeRows(x: tf.Tensor2D): tf.Tensor2D {
  return tf.tidy(() => tf.mul(x, tf.rsqrt(tf.maximum(tf.sum(tf.square(x), 1, true), 1e-24))) as tf.Tensor2D);
}

/**
 * Predicted class of every test row; `maxChunkElements` bounds the similarity block (tests).
 * Async: each chunk's neighbours are read with `data()` (webgpu has no `dataSync`).
 */
export async function knnPredict(train: Features, test: Features, opts: KnnOptions, maxChunkElements = MAX_CHUNK_ELEMENTS): Promise<Int32Array> {
  const { numClasses, k, temperature } = opts;
  if (!Number.isInteger(numClasses) || numClasses < 1) throw new Error(`knnProbe: numClasses must be a positive integer, got ${numClasses}`);
  checkFeatures(train, numClasses, 'knnProbe train');
  checkFeatures(test, numClasses, 'knnProbe test');
  if (train.d !== test.d) throw new Error(`knnProbe: train has d=${train.d} features, test d=${test.d}`);
  if (!Number.isInteger(k) || k < 1 || k > train.n) throw new Error(`knnProbe: k must be an integer in [1, ${train.n}] (train size), got ${k}`);
  if (!Number.isFinite(temperature) || temperature < 0) throw new Error(`knnProbe: temperature must be >= 0, got ${temperature}`);

  const { n, d } = train;
  const m = test.n;
  // Explicit transpose once: untransposed matmuls are the fast path on wasm (notes/backends.md).
  const trainT = tf.tidy(() => tf.transpose(l2NormalizeRows(tf.tensor2d(train.x, [n, d])))); // [d, N]
  const testZ = tf.tidy(() => l2NormalizeRows(tf.tensor2d(test.x, [m, d]))); // [M, d]
  const chunk = Math.max(1, Math.min(m, Math.floor(maxChunkElements / n)));
  const predictions = new Int32Array(m);
  const votes = new Float64Array(numClasses);
  const simSum = new Float64Array(numClasses);
  try {
    for (let start = 0; start < m; start += chunk) {
      const rows = Math.min(chunk, m - start);
      const [values, indices] = tf.tidy(() => {
        const q = tf.slice(testZ, [start, 0], [rows, d]); // [rows, d]
        const sim = tf.matMul(q, trainT); // [rows, N]
        const top = tf.topk(sim, k, true); // values, indices: [rows, k], descending
        return [top.values, top.indices];
      });
      const [sims, idx] = await Promise.all([values.data(), indices.data()]).finally(() => tf.dispose([values, indices]));
      for (let r = 0; r < rows; r++) {
        votes.fill(0);
        simSum.fill(0);
        for (let j = 0; j < k; j++) {
          const s = sims[r * k + j];
          const c = train.y[idx[r * k + j]];
          votes[c] += temperature > 0 ? Math.exp(s / temperature) : 1;
          simSum[c] += s;
        }
        let best = 0;
        for (let c = 1; c < numClasses; c++) {
          if (votes[c] > votes[best] || (temperature === 0 && votes[c] === votes[best] && simSum[c] > simSum[best])) best = c;
        }
        predictions[start + r] = best;
      }
    }
  } finally {
    tf.dispose([trainT, testZ]);
  }
  return predictions;
}

/** Top-1 accuracy of the k-NN classifier fitted on `train`, on `test`. */
export async function knnProbe(train: Features, test: Features, opts: KnnOptions): Promise<{ top1: number }> {
  const predictions = await knnPredict(train, test, opts);
  let correct = 0;
  for (let i = 0; i < test.n; i++) if (predictions[i] === test.y[i]) correct++;
  return { top1: correct / test.n };
}
