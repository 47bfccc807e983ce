/**
 * In-memory datasets and batching, for every source the IR names (runtime/data/sources.ts reads
 * them): images [H, W, C], time series [T, C], tabular rows [F].
 *
 * Examples stay in their source's storage on the host (bytes for images: MNIST train is 47 MB;
 * float32 for float data) and are turned into float32 [B, ...shape] tensors one batch at a time:
 * value / divisor into one host Float32Array, one tensor upload, no intermediate tensors.
 */
import type { DataSource } from '../../compiler/ir.js';
import { tf } from '../tf.js';
import { createRng, shuffleInPlace, type Rng } from '../util/rng.js';
import { DataError } from './errors.js';
import { exampleLength, type Examples } from './examples.js';
import { readSource } from './sources.js';

export type { Examples } from './examples.js';
/** A loaded dataset: a whole split in host memory (see examples.ts). */
export type Dataset = Examples;
/** The name before datasets held more than images; kept for existing callers. */
export type ImageDataset = Examples;

/** Seed of the label subset when `loadDataSource` gets no rng: the same subset on every run. */
export const DEFAULT_SUBSET_SEED = 0x5eed;

/**
 * Load the dataset a `DataSource` names and check it against what the compiler assumed
 * (size, shape, classes). With `labelFraction` < 1 the result is a class-stratified subset
 * (see `stratifiedSubset`) drawn from `rng` (default: `createRng(DEFAULT_SUBSET_SEED)`).
 * Bad or changed files throw `DataError` naming the file and record.
 */
export function loadDataSource(src: DataSource, rng?: Rng): Dataset {
  let ds = readSource(src);
  const file = ds.files?.[0] ?? ds.name;
  // Without `limit` the data must be exactly what the compiler planned for; with it, at least that
  // much. A file edited between `ssl check` and the run ends up here.
  if (src.limit === null ? ds.size !== src.size : ds.size < src.size) {
    throw new DataError(file, `holds ${ds.size} examples but the recipe's data source expects ${src.limit === null ? '' : 'at least '}${src.size}`);
  }
  if (ds.size > src.size) ds = subset(ds, src.size);
  if (src.shape.length !== ds.shape.length || src.shape.some((d, i) => d !== ds.shape[i])) {
    throw new DataError(
      file,
      `examples have shape [${ds.shape.join(', ')}] but the recipe's data source expects [${src.shape.join(', ')}]`,
    );
  }
  if (ds.numClasses !== src.numClasses) {
    throw new DataError(file, `has ${ds.numClasses} classes but the recipe's data source expects ${src.numClasses}`);
  }
  if (!(src.labelFraction > 0 && src.labelFraction <= 1)) {
    throw new RangeError(`labelFraction must be in (0, 1], got ${src.labelFraction}`);
  }
  if (src.labelFraction === 1) return ds;
  return stratifiedSubset(ds, src.labelFraction, rng ?? createRng(DEFAULT_SUBSET_SEED));
}

/**
 * A class-stratified random subset holding `fraction` of the examples: class c keeps
 * floor(n_c * fraction) examples, the remaining round(size * fraction) - sum are given to the
 * classes with the largest remainders (ties: lower class id), and every class present keeps at
 * least one example. Which examples are kept is drawn from `rng` (a partial Fisher-Yates per
 * class); kept examples stay in their original order. The result owns copies of its arrays.
 */
export function stratifiedSubset(ds: Dataset, fraction: number, rng: Rng): Dataset {
  if (!(fraction > 0 && fraction <= 1)) throw new RangeError(`fraction must be in (0, 1], got ${fraction}`);
  const k = ds.numClasses;
  const byClass: number[][] = Array.from({ length: k }, () => []);
  for (let i = 0; i < ds.size; i++) byClass[ds.labels[i]].push(i);

  const target = Math.round(ds.size * fraction);
  const quota = byClass.map((idx) => Math.floor(idx.length * fraction));
  let left = target - quota.reduce((a, b) => a + b, 0);
  const order = byClass
    .map((idx, c) => ({ c, rem: idx.length * fraction - quota[c] }))
    .sort((a, b) => b.rem - a.rem || a.c - b.c);
  for (const { c } of order) {
    if (left <= 0) break;
    if (quota[c] < byClass[c].length) {
      quota[c]++;
      left--;
    }
  }
  for (let c = 0; c < k; c++) if (byClass[c].length > 0 && quota[c] === 0) quota[c] = 1;

  const kept: number[] = [];
  for (let c = 0; c < k; c++) {
    const idx = byClass[c];
    for (let i = 0; i < quota[c]; i++) {
      const j = i + rng.int(idx.length - i);
      const t = idx[i];
      idx[i] = idx[j];
      idx[j] = t;
      kept.push(idx[i]);
    }
  }
  kept.sort((a, b) => a - b);
  const pct = Number((fraction * 100).toPrecision(4));
  return { ...gather(ds, kept), name: `${ds.name}[labels=${pct}%]` };
}

/** Copy the examples at `indices` into a new dataset (same storage type). */
function gather(ds: Dataset, indices: ArrayLike<number>): Dataset {
  const e = exampleLength(ds.shape);
  const n = indices.length;
  const values = ds.values instanceof Uint8Array ? new Uint8Array(n * e) : new Float32Array(n * e);
  const labels = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const j = indices[i];
    values.set(ds.values.subarray(j * e, (j + 1) * e), i * e);
    labels[i] = ds.labels[j];
  }
  return { ...ds, values, labels, size: n };
}

/** The first n examples (views, no copy), for tests and smoke runs. */
export function subset(ds: Dataset, n: number): Dataset {
  if (!Number.isInteger(n) || n < 0 || n > ds.size) {
    throw new RangeError(`subset(${ds.name}, ${n}): n must be an integer in [0, ${ds.size}]`);
  }
  const e = exampleLength(ds.shape);
  return {
    ...ds,
    name: `${ds.name}[:${n}]`,
    values: ds.values.subarray(0, n * e),
    labels: ds.labels.subarray(0, n),
    size: n,
  };
}

/** A uniformly random permutation of 0..size-1 (Fisher-Yates / Durstenfeld). */
export function shuffledOrder(size: number, rng: Rng): Int32Array {
  const order = new Int32Array(size);
  for (let i = 0; i < size; i++) order[i] = i;
  return shuffleInPlace(order, rng);
}

/**
 * One epoch of batches over a fresh shuffle: floor(size / batch) index arrays of length `batch`;
 * the last partial batch is dropped (contrastive losses need full batches; `Train.stepsPerEpoch`
 * is the same floor). The arrays are views into one permutation.
 */
export function* epochBatches(size: number, batch: number, rng: Rng): Generator<Int32Array> {
  if (!Number.isInteger(batch) || batch <= 0) throw new RangeError(`batch must be a positive integer, got ${batch}`);
  const order = shuffledOrder(size, rng);
  const steps = Math.floor(size / batch);
  for (let s = 0; s < steps; s++) yield order.subarray(s * batch, (s + 1) * batch);
}

function checkIndices(ds: Dataset, indices: ArrayLike<number>): void {
  for (let i = 0; i < indices.length; i++) {
    const j = indices[i];
    if (!(Number.isInteger(j) && j >= 0 && j < ds.size)) {
      throw new RangeError(`${ds.name}: index ${j} (position ${i}) is outside [0, ${ds.size})`);
    }
  }
}

/**
 * The examples at `indices` as float32 [B, ...shape] (value / divisor: pixels in [0, 1]): rank 4
 * for images, 3 for time series, 2 for tabular rows.
 */
export function batchTensor(ds: Dataset, indices: ArrayLike<number>): tf.Tensor {
  checkIndices(ds, indices);
  const e = exampleLength(ds.shape);
  const b = indices.length;
  const out = new Float32Array(b * e); // [B, ...shape]
  const values = ds.values;
  const divisor = ds.divisor;
  for (let i = 0; i < b; i++) {
    const src = indices[i] * e;
    const dst = i * e;
    if (divisor === 1) out.set(values.subarray(src, src + e), dst);
    else for (let k = 0; k < e; k++) out[dst + k] = values[src + k] / divisor;
  }
  return tf.tensor(out, [b, ...ds.shape], 'float32');
}

/** The labels at `indices`, [B] int32. */
export function batchLabels(ds: Dataset, indices: ArrayLike<number>): Int32Array {
  checkIndices(ds, indices);
  const out = new Int32Array(indices.length);
  for (let i = 0; i < indices.length; i++) out[i] = ds.labels[indices[i]];
  return out;
}
