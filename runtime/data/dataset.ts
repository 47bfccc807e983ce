/**
 * In-memory image datasets and batching.
 *
 * Images stay as uint8 on the host (MNIST train: 60000 x 28 x 28 x 1 = 47 MB) and are turned into
 * float32 [B, H, W, C] tensors in [0, 1] one batch at a time: one host Float32Array, one
 * `tf.tensor4d` upload, no intermediate tensors.
 */
import type { DataSource } from '../../compiler/ir.js';
import { tf } from '../tf.js';
import { createRng, shuffleInPlace, type Rng } from '../util/rng.js';
import { DataError } from './errors.js';
import { loadMnist } from './mnist.js';

export interface ImageDataset {
  /** e.g. `mnist/train`, `mnist/train[labels=10%]`. */
  name: string;
  /** size * H * W * C bytes, NHWC, 0..255. */
  images: Uint8Array;
  /** size class ids in [0, numClasses). */
  labels: Uint8Array;
  size: number;
  /** [H, W, C] of one example. */
  shape: [number, number, number];
  numClasses: number;
  /** The files the data was read from, for error messages (absent for synthetic datasets). */
  files?: readonly string[];
}

/** Seed of the label subset when `loadDataSource` gets no rng: the same subset on every run. */
export const DEFAULT_SUBSET_SEED = 0x5eed;

/**
 * Load the dataset a `DataSource` names and check it against what the compiler assumed
 * (size, shape, classes). With `labelFraction` < 1 the result is a class-stratified subset
 * (see `stratifiedSubset`) drawn from `rng` (default: `createRng(DEFAULT_SUBSET_SEED)`).
 */
export function loadDataSource(src: DataSource, rng?: Rng): ImageDataset {
  let ds: ImageDataset;
  switch (src.dataset) {
    case 'mnist':
      ds = loadMnist(src.split);
      break;
    default: {
      const never: never = src.dataset;
      throw new Error(`loadDataSource: unknown dataset '${String(never)}'`);
    }
  }
  const file = ds.files?.[0] ?? ds.name;
  // Without `limit` the file must hold exactly the split the compiler planned for; with it, at least that many.
  if (src.limit === null ? ds.size !== src.size : ds.size < src.size) {
    throw new DataError(file, `holds ${ds.size} examples but the recipe's data source expects ${src.limit === null ? '' : 'at least '}${src.size}`);
  }
  if (ds.size > src.size) ds = subset(ds, src.size);
  if (src.shape.length !== 3 || src.shape.some((d, i) => d !== ds.shape[i])) {
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
export function stratifiedSubset(ds: ImageDataset, fraction: number, rng: Rng): ImageDataset {
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

/** Copy the examples at `indices` into a new dataset. */
function gather(ds: ImageDataset, indices: ArrayLike<number>): ImageDataset {
  const e = exampleSize(ds);
  const n = indices.length;
  const images = new Uint8Array(n * e);
  const labels = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    const j = indices[i];
    images.set(ds.images.subarray(j * e, (j + 1) * e), i * e);
    labels[i] = ds.labels[j];
  }
  return { ...ds, images, labels, size: n };
}

function exampleSize(ds: ImageDataset): number {
  return ds.shape[0] * ds.shape[1] * ds.shape[2];
}

/** The first n examples (views, no copy), for tests and smoke runs. */
export function subset(ds: ImageDataset, n: number): ImageDataset {
  if (!Number.isInteger(n) || n < 0 || n > ds.size) {
    throw new RangeError(`subset(${ds.name}, ${n}): n must be an integer in [0, ${ds.size}]`);
  }
  const e = exampleSize(ds);
  return {
    ...ds,
    name: `${ds.name}[:${n}]`,
    images: ds.images.subarray(0, n * e),
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

function checkIndices(ds: ImageDataset, indices: ArrayLike<number>): void {
  for (let i = 0; i < indices.length; i++) {
    const j = indices[i];
    if (!(Number.isInteger(j) && j >= 0 && j < ds.size)) {
      throw new RangeError(`${ds.name}: index ${j} (position ${i}) is outside [0, ${ds.size})`);
    }
  }
}

/** The examples at `indices` as float32 [B, H, W, C] in [0, 1] (pixel / 255). */
export function batchTensor(ds: ImageDataset, indices: ArrayLike<number>): tf.Tensor4D {
  checkIndices(ds, indices);
  const [h, w, c] = ds.shape;
  const e = h * w * c;
  const b = indices.length;
  const out = new Float32Array(b * e); // [B, H, W, C]
  const img = ds.images;
  for (let i = 0; i < b; i++) {
    const src = indices[i] * e;
    const dst = i * e;
    for (let k = 0; k < e; k++) out[dst + k] = img[src + k] / 255;
  }
  return tf.tensor4d(out, [b, h, w, c], 'float32');
}

/** The labels at `indices`, [B] int32. */
export function batchLabels(ds: ImageDataset, indices: ArrayLike<number>): Int32Array {
  checkIndices(ds, indices);
  const out = new Int32Array(indices.length);
  for (let i = 0; i < indices.length; i++) out[i] = ds.labels[indices[i]];
  return out;
}
