/**
 * Every file format loads the committed fixtures (test/fixtures/data, written by make-fixtures.ts)
 * to the shape, values and labels that were written, and every bad variant is a DataError naming
 * the file, the record and what was expected.
 */
import { describe, expect, it } from 'vitest';
import type { DataFiles, DataSource, DataSplit } from '../../compiler/ir.js';
import { fixtures, imagePixels, pattern } from '../../test/fixtures/data/make-fixtures.js';
import { tf } from '../tf.js';
import { batchTensor, loadDataSource } from './dataset.js';
import { loadDigits } from './digits.js';
import { DataError } from './errors.js';
import type { Examples } from './examples.js';
import { decodeImage, resizeBilinear } from './image-folder.js';
import { parseCsv } from './csv.js';
import { readSource } from './sources.js';

const dir = 'test/fixtures/data/';
const span = { uri: 'test.ssl', start: { offset: 0, line: 1, column: 1 }, end: { offset: 0, line: 1, column: 1 } };

function read(files: DataFiles, split: DataSplit = 'all'): Examples {
  return readSource({ kind: 'dataset', dataset: 'csv', split, batch: 1, labelFraction: 1, size: 1, limit: null, shape: [], numClasses: 1, files, origin: span });
}

function dataError(fn: () => unknown): DataError {
  try {
    fn();
  } catch (e) {
    if (e instanceof DataError) return e;
    throw e;
  }
  throw new Error('expected a DataError');
}

/** The stored values of example i as floats (value / divisor). */
function example(ds: Examples, i: number): number[] {
  const e = ds.shape.reduce((a, b) => a * b, 1);
  return Array.from(ds.values.subarray(i * e, (i + 1) * e), (v) => v / ds.divisor);
}

const bytes = (xs: ArrayLike<number>) => Array.from(xs, (v) => v / 255);

describe('idx', () => {
  it('reads 5 real MNIST digits, plain and gzipped, to [28, 28, 1] bytes / 255', () => {
    for (const suffix of ['', '.gz']) {
      const ds = read({ format: 'idx', images: `${dir}idx/digits-idx3-ubyte${suffix}`, labels: `${dir}idx/digits-idx1-ubyte${suffix}` });
      expect(ds.size).toBe(5);
      expect(ds.shape).toEqual([28, 28, 1]);
      expect(ds.divisor).toBe(255);
      expect(Array.from(ds.values)).toEqual(Array.from(fixtures.idx.images));
      expect(Array.from(ds.labels)).toEqual([5, 0, 4, 1, 9]); // MNIST's first five training labels
      expect(ds.numClasses).toBe(10);
    }
  });

  it('without a label file every label is 0 (one class)', () => {
    const ds = read({ format: 'idx', images: `${dir}idx/digits-idx3-ubyte`, labels: null });
    expect(Array.from(ds.labels)).toEqual([0, 0, 0, 0, 0]);
    expect(ds.numClasses).toBe(1);
  });

  it('bad files name the file, the record and what was expected', () => {
    const truncated = dataError(() => read({ format: 'idx', images: `${dir}bad/idx/truncated-idx3-ubyte`, labels: null }));
    expect(truncated.file).toBe(`${dir}bad/idx/truncated-idx3-ubyte`);
    expect(truncated.record).toBe('header');
    expect(truncated.detail).toContain('header says 5 records of 28x28');
    expect(truncated.detail).toContain('holds 3636 (300 missing)');
    const corrupt = dataError(() => read({ format: 'idx', images: `${dir}bad/idx/corrupt-idx3-ubyte.gz`, labels: null }));
    expect(corrupt.detail).toMatch(/cannot gunzip the file .*truncated or corrupt/);
    const short = dataError(() => read({ format: 'idx', images: `${dir}idx/digits-idx3-ubyte`, labels: `${dir}bad/idx/four-idx1-ubyte` }));
    expect(short.file).toBe(`${dir}bad/idx/four-idx1-ubyte`);
    expect(short.detail).toContain('holds 4 labels but');
    const missing = dataError(() => read({ format: 'idx', images: `${dir}idx/nope-idx3-ubyte`, labels: null }));
    expect(missing.missing).toBe(true);
  });
});

describe('csv', () => {
  const c = fixtures.csv;
  it('finds the header, takes the label column by name and reshapes the rest', () => {
    const ds = read({ format: 'csv', file: `${dir}csv/table.csv`, label: 'label', shape: [2, 2], classes: null });
    expect(ds.size).toBe(6);
    expect(ds.shape).toEqual([2, 2]);
    expect(ds.values).toBeInstanceOf(Float32Array);
    c.rows.forEach((r, i) => expect(example(ds, i)).toEqual([r[0], r[1], r[3], r[4]].map(Math.fround)));
    expect(Array.from(ds.labels)).toEqual(c.rows.map((r) => r[2]));
    expect(ds.numClasses).toBe(3);
  });

  it('reads a file without a header (CRLF lines), the label by index -1, and `classes`', () => {
    const ds = read({ format: 'csv', file: `${dir}csv/plain.csv`, label: -1, shape: null, classes: 5 });
    expect(ds.shape).toEqual([4]);
    expect(example(ds, 2)).toEqual([-0.125, 0, 1e-3, 7].map(Math.fround));
    expect(Array.from(ds.labels)).toEqual(c.rows.map((r) => r[2]));
    expect(ds.numClasses).toBe(5);
  });

  it('parses quoted fields', () => {
    const ds = parseCsv('q.csv', '"a, b","label"\n1.5,2\n', { label: 'label', shape: null, classes: null });
    expect(example(ds, 0)).toEqual([1.5]);
    expect(ds.labels[0]).toBe(2);
  });

  it('bad rows name the line and column', () => {
    const base = { label: 'label', shape: null, classes: null } as const;
    const ragged = dataError(() => read({ format: 'csv', file: `${dir}bad/csv/ragged.csv`, ...base }));
    expect([ragged.file, ragged.record, ragged.detail]).toEqual([`${dir}bad/csv/ragged.csv`, 'line 3', 'expected 5 columns (as the header has), got 4']);
    const word = dataError(() => read({ format: 'csv', file: `${dir}bad/csv/word.csv`, ...base }));
    expect([word.record, word.detail]).toEqual(['line 5', 'column 3 ("f2") holds "six", not a number']);
    const label = dataError(() => read({ format: 'csv', file: `${dir}bad/csv/label.csv`, ...base }));
    expect(label.record).toBe('line 6');
    expect(label.detail).toContain('label 1.5 in column 2 ("label") is not a class id');
    const range = dataError(() => read({ format: 'csv', file: `${dir}csv/table.csv`, ...base, classes: 2 }));
    expect([range.record, range.detail]).toEqual(['line 4', 'label 2 is outside 0..1 (classes: 2)']);
    const column = dataError(() => read({ format: 'csv', file: `${dir}csv/table.csv`, ...base, label: 'Label' }));
    expect(column.detail).toContain('has no column named "Label" (did you mean "label"?)');
    const shape = dataError(() => read({ format: 'csv', file: `${dir}csv/table.csv`, ...base, shape: [3, 2] }));
    expect(shape.detail).toBe('shape [3, 2] holds 6 values, but each row has 4 feature columns');
    const empty = dataError(() => parseCsv('e.csv', 'a,label\n1,\n', { ...base }));
    expect(empty.detail).toContain('an empty field (CSV data may not have missing values)');
  });
});

describe('ucr', () => {
  const files: DataFiles = { format: 'ucr', train: `${dir}ucr/Toy_TRAIN.tsv`, test: `${dir}ucr/Toy_TEST.tsv` };

  it('maps labels -1, 1, 2 to 0, 1, 2 over both files, pads to the longest series and fills gaps', () => {
    const train = read(files, 'train');
    const test = read(files, 'test');
    expect(train.classes).toEqual(['-1', '1', '2']);
    expect(test.classes).toEqual(train.classes);
    expect(Array.from(train.labels)).toEqual([0, 1, 0, 1]);
    expect(Array.from(test.labels)).toEqual([2, 0]); // label 2 appears only in TEST: still id 2 in a 3-class set
    expect(train.shape).toEqual([6, 1]);
    expect(test.shape).toEqual([6, 1]);
    expect(example(train, 0)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(example(train, 1)).toEqual([0.5, 1, 1.5, 2, 0, 0]); // gap interpolated, NaN padding -> 0
    expect(example(train, 2)).toEqual([6, 5, 4, 3, 0, 0]);
    expect(example(train, 3)).toEqual([2, 2, 2, 2, 2, 0]); // a leading gap takes the first value
    expect(example(test, 1)).toEqual([1, 1, 1, 1, 0, 0]);
  });

  it('a non-numeric value names the line and field', () => {
    const e = dataError(() => read({ format: 'ucr', train: `${dir}bad/ucr/Word_TRAIN.tsv`, test: `${dir}bad/ucr/Word_TEST.tsv` }, 'train'));
    expect([e.file, e.record, e.detail]).toEqual([`${dir}bad/ucr/Word_TRAIN.tsv`, 'line 3', 'value 3 (field 4) is "four", not a number (missing values are written NaN)']);
  });
});

describe('uea', () => {
  it('reads a multivariate .ts file to [T, D] with classes in @classLabel order', () => {
    const files: DataFiles = { format: 'uea', train: `${dir}uea/Multi_TRAIN.ts`, test: `${dir}uea/Multi_TEST.ts` };
    const train = read(files, 'train');
    const test = read(files, 'test');
    expect(train.shape).toEqual([4, 2]);
    expect(test.shape).toEqual([4, 2]);
    expect(train.classes).toEqual(['walk', 'run', 'jump']);
    expect(Array.from(train.labels)).toEqual([1, 0, 2]);
    expect(Array.from(test.labels)).toEqual([2, 0]);
    // [T, D] row-major: time step t holds (dim 1, dim 2).
    expect(example(train, 0)).toEqual([1, 5, 2, 6, 3, 7, 4, 8]);
    expect(example(train, 1)).toEqual([0, 1, 1, 1, 2, 1, 3, 1]); // '?' interpolated
    expect(example(test, 0)).toEqual([1, 2, 1, 2, 1, 2, 0, 0]); // the short case padded with zeros
  });

  it('reads a univariate .ts file to [T, 1]', () => {
    const ds = read({ format: 'uea', train: `${dir}uea/Uni_TRAIN.ts`, test: `${dir}uea/Uni_TEST.ts` }, 'train');
    expect(ds.shape).toEqual([5, 1]);
    expect(example(ds, 1)).toEqual([5, 4, 3, 2, 1]);
    expect(Array.from(ds.labels)).toEqual([0, 1]);
  });

  it('inconsistent dimensions name the case line', () => {
    const e = dataError(() => read({ format: 'uea', train: `${dir}bad/uea/Dims_TRAIN.ts`, test: `${dir}bad/uea/Dims_TEST.ts` }, 'train'));
    expect([e.record, e.detail]).toEqual(['line 11', "the case has 1 dimension (separated by ':'), expected 2 (from @dimensions)"]);
  });
});

describe('cifar10', () => {
  const files = (base: string, split: 'train' | 'test'): DataFiles => ({
    format: 'cifar10',
    files: split === 'train' ? [1, 2, 3, 4, 5].map((i) => `${dir}${base}/data_batch_${i}.bin`) : [`${dir}${base}/test_batch.bin`],
  });

  it('turns channel-major records into HWC [32, 32, 3] bytes, files in order', () => {
    const train = read(files('cifar10', 'train'), 'train');
    const test = read(files('cifar10', 'test'), 'test');
    expect(train.shape).toEqual([32, 32, 3]);
    expect([train.size, test.size]).toEqual([5, 3]);
    expect(Array.from(train.labels)).toEqual(fixtures.cifar.trainLabels);
    expect(Array.from(test.labels)).toEqual(fixtures.cifar.testLabels);
    // Pixel (y, x, c) of record r was written at c*1024 + y*32 + x as pattern(r, ...).
    for (const [y, x, c] of [[0, 0, 0], [3, 17, 1], [31, 31, 2], [12, 5, 2]]) {
      expect(train.values[2 * 3072 + (y * 32 + x) * 3 + c]).toBe(pattern(2, c * 1024 + y * 32 + x));
      expect(test.values[1 * 3072 + (y * 32 + x) * 3 + c]).toBe(pattern(6, c * 1024 + y * 32 + x));
    }
  });

  it('a length that is not a multiple of 3073 and a label above 9 are errors naming the record', () => {
    const cut = dataError(() => read(files('bad/cifar10', 'train'), 'train'));
    expect(cut.file).toBe(`${dir}bad/cifar10/data_batch_3.bin`);
    expect(cut.detail).toContain('holds 3000 bytes, not a multiple of 3073');
    const label = dataError(() => read(files('bad/cifar10', 'test'), 'test'));
    expect([label.record, label.detail]).toEqual(['record 1', 'label byte 12 is outside 0..9']);
  });
});

describe('npy', () => {
  const n = fixtures.npy;
  it('reads u1 as bytes / 255, f4 (v2.0) and big-endian f8 (v3.0) as float32, i8 labels', () => {
    const u1 = read({ format: 'npy', x: `${dir}npy/x_u1.npy`, y: `${dir}npy/y.npy` });
    expect(u1.shape).toEqual([2, 3]);
    expect(u1.values).toBeInstanceOf(Uint8Array);
    expect(example(u1, 3)).toEqual(bytes(n.u1.subarray(18, 24)));
    expect(Array.from(u1.labels)).toEqual(n.y);
    for (const file of ['x_f4.npy', 'x_f8_be.npy']) {
      const ds = read({ format: 'npy', x: `${dir}npy/${file}`, y: `${dir}npy/y.npy` });
      expect(ds.shape).toEqual([3]);
      expect(Array.from(ds.values)).toEqual(Array.from(n.f, Math.fround));
      expect(ds.numClasses).toBe(3);
    }
  });

  it('rejects Fortran order, unsupported dtypes, x/y length mismatch and truncation', () => {
    expect(dataError(() => read({ format: 'npy', x: `${dir}bad/npy/fortran.npy`, y: null })).detail).toContain('Fortran (column-major) order');
    const dtype = dataError(() => read({ format: 'npy', x: `${dir}bad/npy/bool.npy`, y: null }));
    expect([dtype.record, dtype.detail]).toEqual(['header', "dtype '|b1' is not supported; convert the array to one of u1, u2, u4, i1, i2, i4, i8, f4, f8 (e.g. a.astype('float32'))"]);
    const y3 = dataError(() => read({ format: 'npy', x: `${dir}npy/x_f4.npy`, y: `${dir}bad/npy/y3.npy` }));
    expect([y3.file, y3.detail]).toEqual([`${dir}bad/npy/y3.npy`, `holds 3 labels but ${dir}npy/x_f4.npy holds 4 examples; x and y must have the same length`]);
    expect(dataError(() => read({ format: 'npy', x: `${dir}bad/npy/truncated.npy`, y: null })).detail).toContain('(8 missing; the file is truncated)');
  });
});

describe('image_folder', () => {
  const { width, height } = fixtures.images;
  it('reads classes in sorted order, interleaved, as RGB when any image is in colour', () => {
    const ds = read({ format: 'image_folder', dir: `${dir}images/shapes`, size: null, channels: 3 });
    expect(ds.classes).toEqual(['circle', 'square', 'triangle']);
    expect(ds.shape).toEqual([height, width, 3]);
    // circle/a, square/a, triangle/a, circle/b, square/b: the first image of every class first.
    expect(Array.from(ds.labels)).toEqual([0, 1, 2, 0, 1]);
    expect(ds.files).toEqual(['circle/a.png', 'square/a.jpg', 'triangle/a.png', 'circle/b.png', 'square/b.jpeg'].map((f) => `${dir}images/shapes/${f}`));
    const rgb = (rgba: Uint8Array) => Array.from(rgba).filter((_, k) => k % 4 !== 3);
    expect(Array.from(ds.values.subarray(0, width * height * 3))).toEqual(rgb(imagePixels(0, true))); // gray PNG, repeated
    expect(Array.from(ds.values.subarray(2 * width * height * 3, 3 * width * height * 3))).toEqual(rgb(imagePixels(4, false))); // RGBA PNG, alpha dropped
    // JPEG at quality 100: within a few levels of what was encoded.
    const jpg = Array.from(ds.values.subarray(width * height * 3, 2 * width * height * 3));
    const want = rgb(imagePixels(2, false));
    const meanError = jpg.reduce((s, v, k) => s + Math.abs(v - want[k]), 0) / jpg.length;
    expect(meanError).toBeLessThan(12);
  });

  it('converts to one channel with BT.601 luma; grayscale PNGs keep their values', () => {
    const gray = read({ format: 'image_folder', dir: `${dir}images/gray`, size: null, channels: 1 });
    expect(gray.shape).toEqual([height, width, 1]);
    expect(gray.classes).toEqual(['one', 'zero']);
    const luma = (rgba: Uint8Array) => Array.from({ length: width * height }, (_, p) => Math.round(0.299 * rgba[4 * p] + 0.587 * rgba[4 * p + 1] + 0.114 * rgba[4 * p + 2]));
    expect(Array.from(gray.values.subarray(0, width * height))).toEqual(luma(imagePixels(6, true)));
    const shapes = read({ format: 'image_folder', dir: `${dir}images/shapes`, size: null, channels: 1 });
    expect(Array.from(shapes.values.subarray(2 * width * height, 3 * width * height))).toEqual(luma(imagePixels(4, false)));
  });

  it('an image of another size is an error naming it, unless size: resizes every image', () => {
    const e = dataError(() => read({ format: 'image_folder', dir: `${dir}bad/images/sizes`, size: null, channels: 1 }));
    expect(e.file).toBe(`${dir}bad/images/sizes/b/big.png`);
    expect(e.detail).toContain(`is 8x7 (width x height) but the first image, ${dir}bad/images/sizes/a/a.png, is 6x5`);
    const resized = read({ format: 'image_folder', dir: `${dir}bad/images/sizes`, size: 4, channels: 1 });
    expect(resized.shape).toEqual([4, 4, 1]);
    expect(Array.from(resized.values.subarray(16, 32))).toEqual(new Array(16).fill(200)); // a constant image stays constant
  });

  it('resizeBilinear matches a naive half-pixel-centre reference', () => {
    const w = 5;
    const h = 3;
    const src = Uint8Array.from({ length: w * h * 4 }, (_, k) => (k * 29) % 256);
    const out = resizeBilinear(src, w, h, 3, 4);
    const at = (y: number, x: number, c: number) => src[(Math.min(Math.max(y, 0), h - 1) * w + Math.min(Math.max(x, 0), w - 1)) * 4 + c];
    for (let y = 0; y < 4; y++) {
      for (let x = 0; x < 3; x++) {
        const fy = Math.min(Math.max((y + 0.5) * (h / 4) - 0.5, 0), h - 1);
        const fx = Math.min(Math.max((x + 0.5) * (w / 3) - 0.5, 0), w - 1);
        for (let c = 0; c < 4; c++) {
          const [y0, x0] = [Math.floor(fy), Math.floor(fx)];
          const v = (1 - (fy - y0)) * ((1 - (fx - x0)) * at(y0, x0, c) + (fx - x0) * at(y0, x0 + 1, c)) + (fy - y0) * ((1 - (fx - x0)) * at(y0 + 1, x0, c) + (fx - x0) * at(y0 + 1, x0 + 1, c));
          expect(out[(y * 3 + x) * 4 + c]).toBe(Math.round(v));
        }
      }
    }
  });

  it('a corrupt image is a DataError naming the file', () => {
    expect(dataError(() => decodeImage(`${dir}images/shapes/square/notes.txt`)).file).toBe(`${dir}images/shapes/square/notes.txt`);
  });
});

describe('built-in datasets', () => {
  it('digits: the first 1437 rows train, the last 360 test, [8, 8, 1] / 16', () => {
    const train = loadDigits('train');
    const test = loadDigits('test');
    expect([train.size, test.size]).toEqual([1437, 360]);
    expect(train.shape).toEqual([8, 8, 1]);
    expect(train.divisor).toBe(16);
    // The first row of sklearn's digits (a 0): 0,0,5,13,9,1,0,0, ...
    expect(Array.from(train.values.subarray(0, 8))).toEqual([0, 0, 5, 13, 9, 1, 0, 0]);
    expect(train.labels[0]).toBe(0);
    const counts = (ds: Examples) => Array.from({ length: 10 }, (_, c) => ds.labels.filter((l) => l === c).length);
    expect(counts(test)).toEqual([35, 36, 35, 37, 37, 37, 37, 36, 33, 37]);
    expect(counts(train).reduce((a, b) => a + b, 0)).toBe(1437);
  });

  it('batchTensor has rank 1 + the example rank, values / divisor, for images, series and rows', () => {
    const before = tf.memory().numTensors;
    const sources: [DataSource, number[]][] = [
      [{ kind: 'dataset', dataset: 'digits', split: 'test', batch: 4, labelFraction: 1, size: 360, limit: null, shape: [8, 8, 1], numClasses: 10, origin: span }, [2, 8, 8, 1]],
      [{ kind: 'dataset', dataset: 'cbf', split: 'train', batch: 4, labelFraction: 1, size: 6, limit: null, shape: [128, 1], numClasses: 3, generator: { seed: 1, count: 6 }, origin: span }, [2, 128, 1]],
      [{ kind: 'dataset', dataset: 'csv', split: 'all', batch: 4, labelFraction: 1, size: 6, limit: null, shape: [4], numClasses: 3, files: { format: 'csv', file: `${dir}csv/table.csv`, label: 'label', shape: null, classes: null }, origin: span }, [2, 4]],
    ];
    for (const [src, shape] of sources) {
      const ds = loadDataSource(src);
      const t = batchTensor(ds, [1, 0]);
      expect(t.shape).toEqual(shape);
      expect(Array.from(t.dataSync())).toEqual([...example(ds, 1), ...example(ds, 0)].map(Math.fround));
      t.dispose();
    }
    expect(tf.memory().numTensors).toBe(before);
  });

  it('a changed file (size, shape or classes unlike the compiled source) fails the load with a DataError', () => {
    const src: DataSource = { kind: 'dataset', dataset: 'csv', split: 'all', batch: 4, labelFraction: 1, size: 7, limit: null, shape: [4], numClasses: 3, files: { format: 'csv', file: `${dir}csv/table.csv`, label: 'label', shape: null, classes: null }, origin: span };
    expect(dataError(() => loadDataSource(src)).detail).toBe("holds 6 examples but the recipe's data source expects 7");
    expect(dataError(() => loadDataSource({ ...src, size: 6, shape: [2, 2] })).detail).toBe("examples have shape [4] but the recipe's data source expects [2, 2]");
  });
});
