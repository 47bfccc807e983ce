/**
 * Data sources through the compiler: every dataset and file format compiles against the committed
 * fixtures (test/fixtures/data) through the CLI's disk loader, its IR records the resolved files,
 * and every bad file is a diagnostic at the recipe's data call with a stable code, the file, the
 * record and a suggestion.
 */
import { describe, expect, it } from 'vitest';
import { diskLoader, main } from '../cli/main.js';
import { compile, type Diagnostic } from '../compiler/index.js';
import type { DataSource, IR } from '../compiler/ir.js';
import { captureIo } from './helpers/io.js';

/** A virtual recipe in test/fixtures/data/recipes/, so "../csv/x.csv" names test/fixtures/data/csv/x.csv. */
const URI = 'test/fixtures/data/recipes/t.ssl';
const PREFIX = 'recipe t\ndata d = ';

/** The fixtures are tiny: train in batches of 2 unless the call says otherwise. */
function withBatch(call: string): string {
  return call.includes('batch:') ? call : `${call.slice(0, -1)}${call.endsWith('()') ? '' : ', '}batch: 2)`;
}

/** The recipe around a data call (mse accepts any shape, so every source fits the same recipe). */
function recipe(call: string, probes = ''): string {
  return `${PREFIX}${withBatch(call)}\nnetwork e = mlp([4])\nloss = mse(e(d), stopgrad(e(d)))\noptimizer adam(lr: 1e-3)\ntrain epochs: 1\n${probes}`;
}

function compileData(call: string, probes = '', loader = diskLoader): { ir?: IR; errors: Diagnostic[] } {
  const r = compile(recipe(call, probes), URI, loader);
  return { ir: r.ir, errors: r.diagnostics.filter((d) => d.severity === 'error') };
}

function source(call: string): DataSource {
  const { ir, errors } = compileData(call);
  expect(errors).toEqual([]);
  return ir!.data['d']!;
}

/** The one error of compiling `call`, checked to point at the call (line 2, from column 10). */
function dataDiagnostic(call: string): Diagnostic {
  const { errors } = compileData(call);
  expect(errors).toHaveLength(1);
  const d = errors[0]!;
  expect(d.span.uri).toBe(URI);
  expect([d.span.start.line, d.span.start.column, d.span.end.line, d.span.end.column]).toEqual([2, 10, 2, 10 + withBatch(call).length]);
  expect(d.hint).toBeTruthy();
  return d;
}

describe('datasets compile to sources with their files, size, shape and classes', () => {
  it('file formats: paths are resolved against the recipe folder and recorded', () => {
    const cases: [string, Partial<DataSource>][] = [
      ['csv("../csv/table.csv", label: "label", shape: [2, 2])', { split: 'all', size: 6, shape: [2, 2], numClasses: 3, files: { format: 'csv', file: 'test/fixtures/data/csv/table.csv', label: 'label', shape: [2, 2], classes: null } }],
      ['csv("../csv/plain.csv", label: -1, classes: 5)', { size: 6, shape: [4], numClasses: 5 }],
      ['idx("../idx/digits-idx3-ubyte.gz", label_file: "../idx/digits-idx1-ubyte")', { size: 5, shape: [28, 28, 1], numClasses: 10, files: { format: 'idx', images: 'test/fixtures/data/idx/digits-idx3-ubyte.gz', labels: 'test/fixtures/data/idx/digits-idx1-ubyte' } }],
      ['ucr("../ucr/Toy", split: "train")', { split: 'train', size: 4, shape: [6, 1], numClasses: 3, classes: ['-1', '1', '2'], files: { format: 'ucr', train: 'test/fixtures/data/ucr/Toy_TRAIN.tsv', test: 'test/fixtures/data/ucr/Toy_TEST.tsv' } }],
      ['uea("../uea/Multi", split: "test")', { split: 'test', size: 2, shape: [4, 2], numClasses: 3, classes: ['walk', 'run', 'jump'] }],
      ['cifar10("../cifar10", split: "train")', { size: 5, shape: [32, 32, 3], numClasses: 10, files: { format: 'cifar10', files: [1, 2, 3, 4, 5].map((i) => `test/fixtures/data/cifar10/data_batch_${i}.bin`) } }],
      ['npy("../npy/x_u1.npy", "../npy/y.npy")', { size: 4, shape: [2, 3], numClasses: 3, files: { format: 'npy', x: 'test/fixtures/data/npy/x_u1.npy', y: 'test/fixtures/data/npy/y.npy' } }],
      ['image_folder("../images/shapes")', { size: 5, shape: [5, 6, 3], numClasses: 3, classes: ['circle', 'square', 'triangle'], files: { format: 'image_folder', dir: 'test/fixtures/data/images/shapes', size: null, channels: 3 } }],
      ['image_folder("../images/gray")', { shape: [5, 6, 1] }],
      ['image_folder("../images/shapes", size: 4, channels: 1)', { shape: [4, 4, 1] }],
      ['fashion_mnist(split: "test", dir: "../fashion")', { split: 'test', size: 2, shape: [4, 4, 1], numClasses: 10, files: { format: 'idx', images: 'test/fixtures/data/fashion/t10k-images-idx3-ubyte.gz', labels: 'test/fixtures/data/fashion/t10k-labels-idx1-ubyte.gz' } }],
    ];
    for (const [call, want] of cases) expect(source(call), call).toMatchObject(want);
  });

  it('built-in datasets: digits, cbf and synthetic_control (fixed seeds, sizes for pretraining), mnist unchanged', () => {
    expect(source('digits(split: "train")')).toMatchObject({ size: 1437, shape: [8, 8, 1], numClasses: 10 });
    expect(source('digits(split: "test")')).toMatchObject({ size: 360 });
    expect(source('cbf(split: "train")')).toMatchObject({ size: 3000, shape: [128, 1], numClasses: 3, generator: { seed: 0xcbf0, count: 3000 } });
    expect(source('cbf(split: "test", size: 90, limit: 30)')).toMatchObject({ size: 30, limit: 30, generator: { seed: 0xcbf1, count: 90 } });
    expect(source('synthetic_control(split: "test")')).toMatchObject({ size: 300, shape: [60, 1], numClasses: 6, generator: { seed: 0x5c71, count: 300 } });
    const mnist = source('mnist(split: "test")');
    expect(Object.keys(mnist).sort()).toEqual(['batch', 'dataset', 'kind', 'labelFraction', 'limit', 'numClasses', 'origin', 'shape', 'size', 'split']);
  });

  it('a base recipe\'s paths are relative to the base\'s folder', () => {
    const child = 'extends "recipes/formats.ssl"\nrecipe child\n';
    const r = compile(child, 'test/fixtures/data/child.ssl', diskLoader);
    expect(r.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
    expect(r.ir!.data['train']!.files).toMatchObject({ file: 'test/fixtures/data/csv/table.csv' });
  });

  it('`ssl check` reads every format of a recipe from the disk', async () => {
    const io = captureIo();
    expect(await main(['check', 'test/fixtures/data/recipes/formats.ssl'], io)).toBe(0);
    expect(io.err()).toContain('1 file checked: 0 errors');
  });
});

describe('probes on every dataset', () => {
  it('the default fit is the training data\'s train split, read from the train file', () => {
    const { ir, errors } = compileData('ucr("../ucr/Toy", split: "test")', 'probe knn(k: 1, on: d)');
    expect(errors).toEqual([]);
    expect(ir!.probes[0]!.fit).toMatchObject({ split: 'train', size: 4, numClasses: 3, labelFraction: 1, files: { format: 'ucr' } });
    expect(ir!.probes[0]!.on).toMatchObject({ split: 'test', size: 2 });
    const cifar = compileData('cifar10("../cifar10", split: "test")', 'probe knn(k: 1, on: d)');
    expect(cifar.ir!.probes[0]!.fit).toMatchObject({ split: 'train', size: 5, files: { files: [1, 2, 3, 4, 5].map((i) => `test/fixtures/data/cifar10/data_batch_${i}.bin`) } });
    const cbf = compileData('cbf(split: "test", size: 60)', 'probe knn(k: 1, on: d)');
    expect(cbf.ir!.probes[0]!.fit).toMatchObject({ split: 'train', size: 3000, generator: { seed: 0xcbf0, count: 3000 } });
    const csv = compileData('csv("../csv/table.csv", label: "label")', 'probe knn(k: 1, on: d)');
    expect(csv.ir!.probes[0]!.fit).toMatchObject({ split: 'all', size: 6, files: { file: 'test/fixtures/data/csv/table.csv' } });
  });

  it('fit and on with different class counts is data-class-mismatch', () => {
    const { errors } = compileData('csv("../csv/table.csv", label: "label")', 'probe knn(k: 1, on: csv("../csv/plain.csv", label: -1, classes: 5))');
    expect(errors.map((e) => e.code)).toEqual(['data-class-mismatch']);
    expect(errors[0]!.message).toContain('fitted on 3 classes (csv all) but reports on 5');
    expect(errors[0]!.hint).toContain('classes:');
  });
});

describe('bad data is a diagnostic at the data call', () => {
  const cases: [string, string, string, string][] = [
    // [call, code, file, expected text (record and detail)]
    ['csv("../csv/nope.csv", label: 0)', 'data-not-found', 'test/fixtures/data/csv/nope.csv', 'file not found'],
    ['idx("../bad/idx/truncated-idx3-ubyte")', 'data-invalid', 'test/fixtures/data/bad/idx/truncated-idx3-ubyte', '(header): header says 5 records of 28x28'],
    ['idx("../bad/idx/corrupt-idx3-ubyte.gz")', 'data-invalid', 'test/fixtures/data/bad/idx/corrupt-idx3-ubyte.gz', 'cannot gunzip the file'],
    ['idx("../idx/digits-idx3-ubyte", "../bad/idx/four-idx1-ubyte")', 'data-invalid', 'test/fixtures/data/bad/idx/four-idx1-ubyte', 'holds 4 labels but'],
    ['csv("../bad/csv/ragged.csv", label: "label")', 'data-invalid', 'test/fixtures/data/bad/csv/ragged.csv', '(line 3): expected 5 columns (as the header has), got 4'],
    ['csv("../bad/csv/word.csv", label: "label")', 'data-invalid', 'test/fixtures/data/bad/csv/word.csv', '(line 5): column 3 ("f2") holds "six", not a number'],
    ['csv("../csv/table.csv", label: "label", classes: 2)', 'data-invalid', 'test/fixtures/data/csv/table.csv', '(line 4): label 2 is outside 0..1 (classes: 2)'],
    ['csv("../bad/csv/label.csv", label: "label")', 'data-invalid', 'test/fixtures/data/bad/csv/label.csv', '(line 6): label 1.5 in column 2 ("label") is not a class id'],
    ['ucr("../bad/ucr/Word", split: "test")', 'data-invalid', 'test/fixtures/data/bad/ucr/Word_TRAIN.tsv', '(line 3): value 3 (field 4) is "four", not a number'],
    ['uea("../bad/uea/Dims", split: "train")', 'data-invalid', 'test/fixtures/data/bad/uea/Dims_TRAIN.ts', "(line 11): the case has 1 dimension (separated by ':'), expected 2"],
    ['cifar10("../bad/cifar10", split: "train")', 'data-invalid', 'test/fixtures/data/bad/cifar10/data_batch_3.bin', 'holds 3000 bytes, not a multiple of 3073'],
    ['npy("../bad/npy/bool.npy")', 'data-invalid', 'test/fixtures/data/bad/npy/bool.npy', "(header): dtype '|b1' is not supported"],
    ['npy("../bad/npy/fortran.npy")', 'data-invalid', 'test/fixtures/data/bad/npy/fortran.npy', 'Fortran (column-major) order'],
    ['npy("../npy/x_f4.npy", "../bad/npy/y3.npy")', 'data-invalid', 'test/fixtures/data/bad/npy/y3.npy', 'holds 3 labels but test/fixtures/data/npy/x_f4.npy holds 4 examples'],
    ['image_folder("../bad/images/sizes")', 'data-invalid', 'test/fixtures/data/bad/images/sizes/b/big.png', 'is 8x7 (width x height) but the first image, test/fixtures/data/bad/images/sizes/a/a.png, is 6x5'],
    ['image_folder("../csv")', 'data-invalid', 'test/fixtures/data/csv', 'has no class sub-folders'],
  ];
  for (const [call, code, file, text] of cases) {
    it(`${call}: ${code}`, () => {
      const d = dataDiagnostic(call);
      expect(d.code).toBe(code);
      expect(d.message).toContain(`${file}`);
      expect(d.message).toContain(text);
    });
  }

  it('a missing Fashion-MNIST folder says which Debian package to install or to pass dir:', () => {
    const d = dataDiagnostic('fashion_mnist(split: "train", dir: "../nowhere")');
    expect(d.code).toBe('data-not-found');
    expect(d.message).toContain('test/fixtures/data/nowhere/train-images-idx3-ubyte.gz');
    expect(d.hint).toContain('apt-get install dataset-fashion-mnist');
    expect(d.hint).toContain('dir:');
  });

  it('size: resizes the wrong-sized image instead of rejecting it', () => {
    expect(source('image_folder("../bad/images/sizes", size: 6)')).toMatchObject({ shape: [6, 6, 1], size: 2 });
  });

  it('limit beyond the data, channels: 2 and a fractional column are argument errors', () => {
    expect(compileData('csv("../csv/table.csv", label: "label", limit: 7)').errors.map((e) => [e.code, e.message])).toEqual([
      ['value-out-of-range', 'limit 7 is more than the 6 examples of csv(...)'],
    ]);
    expect(compileData('image_folder("../images/shapes", channels: 2)').errors.map((e) => e.code)).toEqual(['value-out-of-range']);
    expect(compileData('csv("../csv/table.csv", label: 1.5)').errors.map((e) => e.code)).toEqual(['type-mismatch']);
    expect(compileData('csv(label: 0)').errors.map((e) => e.code)).toEqual(['missing-parameter']);
  });

  it('without a data inspector a file format is data-unchecked; fashion_mnist uses its published facts', () => {
    const { errors } = compileData('csv("../csv/table.csv", label: "label")', '', {} as typeof diskLoader);
    expect(errors.map((e) => e.code)).toEqual(['data-unchecked']);
    expect(errors[0]!.hint).toContain('ssl check');
    const fashion = compile(recipe('fashion_mnist(split: "test")'), URI);
    expect(fashion.ir!.data['d']).toMatchObject({ size: 10000, shape: [28, 28, 1], numClasses: 10 });
  });

  it('an inspector that throws is a diagnostic, not a crash', () => {
    const { errors } = compileData('csv("../csv/table.csv")', '', {
      ...diskLoader,
      inspectData: () => {
        throw new Error('boom');
      },
    });
    expect(errors.map((e) => [e.code, e.message])).toEqual([['data-invalid', 'csv(...) data: test/fixtures/data/csv/table.csv: cannot inspect the data: boom']]);
  });
});
