/**
 * The compiler's data inspection: it agrees with what the runtime then loads (so a checked recipe
 * loads), it reports problems as data (never throws), and it never loads TensorFlow.js or the
 * image decoders (so `ssl check` stays fast).
 */
import { readFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { DataFiles, DataSplit } from '../../compiler/ir.js';
import { inspectData } from './inspect.js';
import { readSource } from './sources.js';

const dir = 'test/fixtures/data/';
const span = { uri: 't.ssl', start: { offset: 0, line: 1, column: 1 }, end: { offset: 0, line: 1, column: 1 } };

const good: [DataFiles, DataSplit][] = [
  [{ format: 'idx', images: `${dir}idx/digits-idx3-ubyte.gz`, labels: `${dir}idx/digits-idx1-ubyte.gz` }, 'all'],
  [{ format: 'idx', images: `${dir}fashion/train-images-idx3-ubyte.gz`, labels: null }, 'all'],
  [{ format: 'csv', file: `${dir}csv/table.csv`, label: 'label', shape: [2, 2], classes: null }, 'all'],
  [{ format: 'csv', file: `${dir}csv/plain.csv`, label: -1, shape: null, classes: 4 }, 'all'],
  [{ format: 'ucr', train: `${dir}ucr/Toy_TRAIN.tsv`, test: `${dir}ucr/Toy_TEST.tsv` }, 'train'],
  [{ format: 'ucr', train: `${dir}ucr/Toy_TRAIN.tsv`, test: `${dir}ucr/Toy_TEST.tsv` }, 'test'],
  [{ format: 'uea', train: `${dir}uea/Multi_TRAIN.ts`, test: `${dir}uea/Multi_TEST.ts` }, 'test'],
  [{ format: 'uea', train: `${dir}uea/Uni_TRAIN.ts`, test: `${dir}uea/Uni_TEST.ts` }, 'train'],
  [{ format: 'cifar10', files: [`${dir}cifar10/test_batch.bin`] }, 'test'],
  [{ format: 'npy', x: `${dir}npy/x_f8_be.npy`, y: `${dir}npy/y.npy` }, 'all'],
  [{ format: 'npy', x: `${dir}npy/x_u1.npy`, y: null }, 'all'],
  [{ format: 'image_folder', dir: `${dir}images/shapes`, size: null, channels: null }, 'all'],
  [{ format: 'image_folder', dir: `${dir}images/gray`, size: 3, channels: null }, 'all'],
];

describe('inspectData', () => {
  it('reports exactly the size, shape and classes the runtime loads', () => {
    for (const [files, split] of good) {
      const facts = inspectData(files, split);
      expect(facts.ok, JSON.stringify(files)).toBe(true);
      if (!facts.ok) continue;
      const ds = readSource({ kind: 'dataset', dataset: 'csv', split, batch: 1, labelFraction: 1, size: 1, limit: null, shape: [], numClasses: 1, files, origin: span });
      expect([facts.size, facts.shape, facts.numClasses], JSON.stringify(files)).toEqual([ds.size, ds.shape, ds.numClasses]);
      if (facts.classes) expect(facts.classes).toEqual(ds.classes);
    }
  });

  it('infers 1 channel for an all-grayscale folder and 3 for one with a colour image', () => {
    const shape = (d: string) => {
      const r = inspectData({ format: 'image_folder', dir: `${dir}images/${d}`, size: null, channels: null }, 'all');
      return r.ok ? r.shape : undefined;
    };
    expect(shape('gray')).toEqual([5, 6, 1]);
    expect(shape('shapes')).toEqual([5, 6, 3]);
  });

  it('checks a gzipped IDX file from its header and gzip trailer, and still catches truncation', () => {
    const ok = inspectData({ format: 'idx', images: `${dir}idx/digits-idx3-ubyte.gz`, labels: null }, 'all');
    expect(ok).toEqual({ ok: true, size: 5, shape: [28, 28, 1], numClasses: 1 });
    const bad = inspectData({ format: 'idx', images: `${dir}bad/idx/corrupt-idx3-ubyte.gz`, labels: null }, 'all');
    expect(bad).toMatchObject({ ok: false, file: `${dir}bad/idx/corrupt-idx3-ubyte.gz`, missing: false });
  });

  it('returns problems as data: file, record, message, and whether the file is missing', () => {
    expect(inspectData({ format: 'csv', file: `${dir}bad/csv/ragged.csv`, label: 'label', shape: null, classes: null }, 'all')).toEqual({
      ok: false,
      file: `${dir}bad/csv/ragged.csv`,
      record: 'line 3',
      message: 'expected 5 columns (as the header has), got 4',
      missing: false,
    });
    expect(inspectData({ format: 'npy', x: `${dir}npy/none.npy`, y: null }, 'all')).toEqual({ ok: false, file: `${dir}npy/none.npy`, message: 'file not found; check the path', missing: true });
    expect(inspectData({ format: 'ucr', train: `${dir}ucr/Toy_TRAIN.tsv`, test: `${dir}ucr/Toy_TEST.tsv` }, 'all')).toMatchObject({ ok: false, message: expect.stringContaining('must name one') });
  });

  it('never imports TensorFlow.js or the image decoders (ssl check stays fast)', () => {
    const seen = new Set<string>();
    const external = new Set<string>();
    const visit = (file: string) => {
      if (seen.has(file)) return;
      seen.add(file);
      const text = readFileSync(file, 'utf8');
      for (const m of text.matchAll(/^\s*(?:import|export)\s+(type\s+)?[^'"]*?from\s+['"]([^'"]+)['"]/gm)) {
        if (m[1]) continue; // type-only imports vanish at run time
        const spec = m[2]!;
        if (spec.startsWith('.')) visit(join(dirname(file), spec).replace(/\.js$/, '.ts'));
        else external.add(spec);
      }
    };
    visit('runtime/data/inspect.ts');
    const local = [...seen].map((f) => relative('runtime/data', f));
    expect(local.some((f) => f === 'sources.ts')).toBe(true); // the walk is live
    expect(local.filter((f) => f.startsWith('..') || f === 'dataset.ts')).toEqual(['../util/rng.ts']); // synthetic.ts's seeded generator
    expect([...external].filter((s) => s.startsWith('@tensorflow/') || s === 'pngjs' || s === 'jpeg-js')).toEqual([]);
  });
});
