/**
 * CIFAR-10, binary version (Krizhevsky 2009, "Learning multiple layers of features from tiny
 * images", tech. report; https://www.cs.toronto.edu/~kriz/cifar.html): `data_batch_1.bin` ..
 * `data_batch_5.bin` (train, 10000 records each) and `test_batch.bin` (test). A record is 3073
 * bytes: the label (0..9), then the 32x32 red plane, the green plane and the blue plane, each row
 * by row (CHW). Examples are HWC [32, 32, 3] bytes (pixel / 255), the files concatenated in order.
 */
import { DataError } from './errors.js';
import type { Examples } from './examples.js';
import { readRaw, statFile } from './files.js';

const SIDE = 32;
const PLANE = SIDE * SIDE;
const RECORD = 1 + 3 * PLANE;
export const CIFAR10_CLASSES = ['airplane', 'automobile', 'bird', 'cat', 'deer', 'dog', 'frog', 'horse', 'ship', 'truck'];

function recordCount(path: string, length: number): number {
  if (length % RECORD !== 0) {
    const whole = Math.floor(length / RECORD);
    throw new DataError(
      path,
      `holds ${length} bytes, not a multiple of ${RECORD} (1 label byte + 3072 pixel bytes per record): ${whole} whole records and ${length - whole * RECORD} bytes of a truncated one; re-download the file`,
      `record ${whole}`,
    );
  }
  if (length === 0) throw new DataError(path, 'the file is empty; expected records of 3073 bytes');
  return length / RECORD;
}

/** Examples in the files, from their sizes alone (labels are checked when they are read). */
export function inspectCifar10(files: readonly string[]): { size: number; shape: number[]; numClasses: number; classes: string[] } {
  const size = files.reduce((n, f) => n + recordCount(f, statFile(f).size), 0);
  return { size, shape: [SIDE, SIDE, 3], numClasses: CIFAR10_CLASSES.length, classes: CIFAR10_CLASSES };
}

export function readCifar10(files: readonly string[], name: string): Examples {
  const raws = files.map((f) => ({ path: f, bytes: readRaw(f) }));
  const counts = raws.map((r) => recordCount(r.path, r.bytes.length));
  const size = counts.reduce((a, b) => a + b, 0);
  const values = new Uint8Array(size * 3 * PLANE); // [N, 32, 32, 3]
  const labels = new Int32Array(size);
  let i = 0;
  for (const { path, bytes } of raws) {
    for (let r = 0; r < bytes.length / RECORD; r++, i++) {
      const at = r * RECORD;
      const label = bytes[at];
      if (label >= CIFAR10_CLASSES.length) throw new DataError(path, `label byte ${label} is outside 0..9`, `record ${r}`);
      labels[i] = label;
      const out = i * 3 * PLANE;
      for (let p = 0; p < PLANE; p++) {
        values[out + 3 * p] = bytes[at + 1 + p];
        values[out + 3 * p + 1] = bytes[at + 1 + PLANE + p];
        values[out + 3 * p + 2] = bytes[at + 1 + 2 * PLANE + p];
      }
    }
  }
  return { name, values, divisor: 255, labels, size, shape: [SIDE, SIDE, 3], numClasses: 10, classes: CIFAR10_CLASSES, files };
}
