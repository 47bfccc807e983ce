/**
 * `Examples`: a whole split in host memory, the one shape every reader returns and every consumer
 * (batching, probes, subsets) takes. No TensorFlow.js here, so the compiler's inspection can share
 * the readers.
 *
 * Storage follows the source: bytes stay bytes (MNIST train is 47 MB as uint8, 188 MB as float32)
 * with a `divisor` that maps them to floats (255 for pixels, 16 for the digits' 0..16 counts);
 * float sources (CSV, time series, NPY floats) are float32 with divisor 1.
 */
export interface Examples {
  /** e.g. `mnist/train`, `csv:data/x.csv`, `mnist/train[labels=10%]`. */
  name: string;
  /** size * prod(shape) values, row-major: [N, H, W, C] images, [N, T, C] series, [N, F] rows. */
  values: Uint8Array | Float32Array;
  /** An example's value is `values[k] / divisor`. */
  divisor: number;
  /** size class ids in [0, numClasses); all 0 for unlabelled data (numClasses 1). */
  labels: Int32Array;
  size: number;
  /** Shape of one example: [H, W, C], [T, C] or [F]. */
  shape: number[];
  numClasses: number;
  /** The original label of each class id, where labels were mapped (UCR, UEA, image folders). */
  classes?: string[];
  /** The files the data was read from, for error messages (absent for generated datasets). */
  files?: readonly string[];
}

/** Number of values in one example. */
export function exampleLength(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

/** Largest label + 1 (1 for no labels): the class count of sources whose labels are class ids. */
export function classCount(labels: Int32Array): number {
  let max = 0;
  for (let i = 0; i < labels.length; i++) if (labels[i] > max) max = labels[i];
  return max + 1;
}
