import { describe, expect, it } from 'vitest';
import type { DataSource } from '../../compiler/ir.js';
import { tf } from '../tf.js';
import { createRng } from '../util/rng.js';
import {
  batchLabels,
  batchTensor,
  epochBatches,
  loadDataSource,
  shuffledOrder,
  stratifiedSubset,
  subset,
  type Dataset,
} from './dataset.js';
import { DataError } from './errors.js';
import { loadMnist } from './mnist.js';

const span = { uri: 'test.ssl', start: { offset: 0, line: 1, column: 1 }, end: { offset: 0, line: 1, column: 1 } };

function source(over: Partial<DataSource> = {}): DataSource {
  return {
    kind: 'dataset',
    dataset: 'mnist',
    split: 'train',
    batch: 256,
    labelFraction: 1,
    size: 60000,
    limit: null,
    shape: [28, 28, 1],
    numClasses: 10,
    origin: span,
    ...over,
  };
}

function classCounts(ds: Dataset): number[] {
  const c = new Array<number>(ds.numClasses).fill(0);
  for (const l of ds.labels) c[l]++;
  return c;
}

/** A tiny synthetic dataset: example i has every pixel = i, label i % 3. */
function toy(n: number, shape: [number, number, number] = [2, 3, 1]): Dataset {
  const e = shape[0] * shape[1] * shape[2];
  const values = new Uint8Array(n * e);
  for (let i = 0; i < n; i++) values.fill(i % 256, i * e, (i + 1) * e);
  return { name: 'toy', values, divisor: 255, labels: Int32Array.from({ length: n }, (_, i) => i % 3), size: n, shape, numClasses: 3 };
}

describe('loadMnist / loadDataSource', () => {
  it('loads both splits with the official sizes, cached per process', () => {
    const train = loadMnist('train');
    expect(train.size).toBe(60000);
    expect(train.shape).toEqual([28, 28, 1]);
    expect(train.values.length).toBe(60000 * 784);
    expect(loadMnist('train')).toBe(train);
    const test = loadDataSource(source({ split: 'test', size: 10000 }));
    expect(test.size).toBe(10000);
    expect(classCounts(test)).toEqual([980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]);
  });

  it('applies labelFraction as a deterministic class-stratified subset', () => {
    const a = loadDataSource(source({ labelFraction: 0.1 }), createRng(1));
    const b = loadDataSource(source({ labelFraction: 0.1 }), createRng(1));
    const c = loadDataSource(source({ labelFraction: 0.1 }), createRng(2));
    expect(a.size).toBe(6000);
    expect(a.name).toBe('mnist/train[labels=10%]');
    // Per class: floor or ceil of 10% of the full class counts.
    const full = [5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949];
    classCounts(a).forEach((n, k) => expect(Math.abs(n - full[k] / 10)).toBeLessThan(1));
    expect(Buffer.from(a.values).equals(Buffer.from(b.values))).toBe(true);
    expect(Buffer.from(a.values).equals(Buffer.from(c.values))).toBe(false);
    // Default rng: the same subset every time.
    const d1 = loadDataSource(source({ labelFraction: 0.01 }));
    const d2 = loadDataSource(source({ labelFraction: 0.01 }));
    expect(d1.size).toBe(600);
    expect(Array.from(d1.labels)).toEqual(Array.from(d2.labels));
  });

  it('keeps one example per class even for tiny fractions', () => {
    const s = stratifiedSubset(toy(30), 0.01, createRng(3));
    expect(classCounts(s)).toEqual([1, 1, 1]);
  });

  it('`limit` takes the first N examples, in file order', () => {
    const full = loadMnist('train');
    const ds = loadDataSource(source({ size: 500, limit: 500 }));
    expect(ds.size).toBe(500);
    expect(Array.from(ds.labels)).toEqual(Array.from(full.labels.subarray(0, 500)));
    expect(() => loadDataSource(source({ split: 'test', size: 20000, limit: 20000 }))).toThrow(/expects at least 20000/);
  });

  it('rejects a data source that disagrees with the files', () => {
    expect(() => loadDataSource(source({ size: 59000 }))).toThrow(DataError);
    expect(() => loadDataSource(source({ size: 59000 }))).toThrow(/holds 60000 examples but the recipe's data source expects 59000/);
    expect(() => loadDataSource(source({ shape: [32, 32, 3] }))).toThrow(/shape \[28, 28, 1\]/);
    expect(() => loadDataSource(source({ labelFraction: 0 }))).toThrow(RangeError);
  });
});

describe('batching', () => {
  it('shuffledOrder is a deterministic permutation', () => {
    const o = shuffledOrder(1000, createRng(4));
    expect(Array.from(o).sort((a, b) => a - b)).toEqual(Array.from({ length: 1000 }, (_, i) => i));
    expect(Array.from(shuffledOrder(1000, createRng(4)))).toEqual(Array.from(o));
    expect(Array.from(o.subarray(0, 20))).not.toEqual(Array.from({ length: 20 }, (_, i) => i));
    // Each position is uniform: the mean of order[0] over many shuffles is ~ (n-1)/2.
    const r = createRng(5);
    let s = 0;
    for (let t = 0; t < 2000; t++) s += shuffledOrder(10, r)[0];
    expect(Math.abs(s / 2000 - 4.5)).toBeLessThan(0.25);
  });

  it('epochBatches yields floor(size/batch) full batches covering distinct indices', () => {
    const batches = [...epochBatches(103, 10, createRng(6))];
    expect(batches.length).toBe(10);
    expect(batches.every((b) => b.length === 10)).toBe(true);
    expect(new Set(batches.flatMap((b) => Array.from(b))).size).toBe(100);
    expect(() => [...epochBatches(10, 0, createRng(6))]).toThrow(RangeError);
  });

  it('batchTensor gives float32 [B,H,W,C] = pixel/255 for the indices, leaking nothing', () => {
    const ds = toy(300);
    const before = tf.memory().numTensors;
    const t = batchTensor(ds, [255, 0, 7]);
    expect(t.shape).toEqual([3, 2, 3, 1]);
    expect(t.dtype).toBe('float32');
    const v = t.dataSync();
    expect(v[0]).toBe(1);
    expect(v[6]).toBe(0);
    expect(v[12]).toBeCloseTo(7 / 255, 7);
    t.dispose();
    expect(tf.memory().numTensors).toBe(before);
    expect(Array.from(batchLabels(ds, [255, 0, 7]))).toEqual([0, 0, 1]);
    expect(() => batchTensor(ds, [300])).toThrow(/index 300/);
  });

  it('batchTensor matches the MNIST bytes', () => {
    const ds = subset(loadMnist('train'), 10);
    expect(ds.size).toBe(10);
    const t = batchTensor(ds, [3]);
    const v = t.dataSync();
    for (let k = 0; k < 784; k += 37) expect(v[k]).toBeCloseTo(ds.values[3 * 784 + k] / 255, 6);
    t.dispose();
  });
});
