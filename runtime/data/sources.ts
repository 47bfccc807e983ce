/**
 * Every dataset the IR can name, read into host memory (`readSource`) or inspected for the
 * compiler (`inspectFiles`): one switch per direction over the formats, so a new format is added in
 * one place. No TensorFlow.js here (the compiler's `ssl check` path imports inspect.ts -> this).
 */
import { basename } from 'node:path';
import type { DataFiles, DataSource, DataSplit } from '../../compiler/ir.js';
import { inspectCifar10, readCifar10 } from './cifar10.js';
import { inspectCsv, readCsv } from './csv.js';
import { loadDigits } from './digits.js';
import { DataError } from './errors.js';
import type { Examples } from './examples.js';
import { FileCache } from './files.js';
import { loadGenerated } from './generated.js';
import { inspectIdx, readIdxExamples } from './idx.js';
import { inspectImageFolder, readImageFolder } from './image-folder.js';
import { loadMnist } from './mnist.js';
import { inspectNpy, readNpy } from './npy.js';
import { readUcr } from './ucr.js';
import { readUea } from './uea.js';

/** What the compiler needs of one split. */
export interface SourceFacts {
  size: number;
  shape: number[];
  numClasses: number;
  classes?: string[];
}

/** Binary files read once per process (probes read the training split again). */
const binaryCache = new FileCache<Examples>(4);

/** The examples of `src` as the compiler described it (sizes and shapes are checked by the caller). */
export function readSource(src: DataSource): Examples {
  switch (src.dataset) {
    case 'mnist':
      return loadMnist(src.split === 'test' ? 'test' : 'train');
    case 'digits':
      return loadDigits(src.split);
    case 'cbf':
    case 'synthetic_control':
      if (!src.generator) throw new Error(`readSource: ${src.dataset} data source without its generator seed and count`);
      return loadGenerated(src.dataset, src.split, src.generator);
    default:
      if (!src.files) throw new Error(`readSource: ${src.dataset} data source without its files`);
      return readFiles(src.files, src.split, src.dataset);
  }
}

function readFiles(files: DataFiles, split: DataSplit, dataset: string): Examples {
  switch (files.format) {
    case 'idx':
      return binaryCache.get(files.labels ? [files.images, files.labels] : [files.images], 'idx', () =>
        readIdxExamples(files.images, files.labels, `${dataset}:${basename(files.images)}`),
      );
    case 'csv':
      return readCsv(files.file, { label: files.label, shape: files.shape, classes: files.classes });
    case 'ucr':
      return readUcr(files.train, files.test)[trainOrTest(split, files.train)];
    case 'uea':
      return readUea(files.train, files.test)[trainOrTest(split, files.train)];
    case 'cifar10':
      return binaryCache.get(files.files, 'cifar10', () => readCifar10(files.files, `cifar10/${split}`));
    case 'npy':
      return binaryCache.get(files.y ? [files.x, files.y] : [files.x], 'npy', () => readNpy(files.x, files.y, `npy:${basename(files.x)}`));
    case 'image_folder': {
      const options = { size: files.size, channels: files.channels };
      return binaryCache.get([files.dir], options, () => readImageFolder(files.dir, options, `image_folder:${basename(files.dir)}`));
    }
  }
}

function trainOrTest(split: DataSplit, file: string): 'train' | 'test' {
  if (split === 'all') throw new DataError(file, 'this dataset has a train and a test split; the data source must name one');
  return split;
}

/** Size, shape and classes of one split of `files`, reading as little as the format allows. */
export function inspectFiles(files: DataFiles, split: DataSplit): SourceFacts {
  switch (files.format) {
    case 'idx':
      return inspectIdx(files.images, files.labels);
    case 'csv':
      return inspectCsv(files.file, { label: files.label, shape: files.shape, classes: files.classes });
    case 'ucr':
    case 'uea': {
      const ds = (files.format === 'ucr' ? readUcr : readUea)(files.train, files.test)[trainOrTest(split, files.train)];
      return { size: ds.size, shape: ds.shape, numClasses: ds.numClasses, ...(ds.classes ? { classes: ds.classes } : {}) };
    }
    case 'cifar10':
      return inspectCifar10(files.files);
    case 'npy':
      return inspectNpy(files.x, files.y);
    case 'image_folder':
      return inspectImageFolder(files.dir, { size: files.size, channels: files.channels });
  }
}

/** The file a message about `files` names when no single file is at fault. */
export function mainFile(files: DataFiles): string {
  switch (files.format) {
    case 'idx':
      return files.images;
    case 'csv':
      return files.file;
    case 'ucr':
    case 'uea':
      return files.train;
    case 'cifar10':
      return files.files[0];
    case 'npy':
      return files.x;
    case 'image_folder':
      return files.dir;
  }
}
