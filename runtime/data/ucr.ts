/**
 * The UCR time-series archive format (Dau et al. 2019, "The UCR time series archive", IEEE/CAA
 * J. Autom. Sinica; https://www.cs.ucr.edu/~eamonn/time_series_data_2018/): `NAME_TRAIN.tsv` and
 * `NAME_TEST.tsv`, one univariate series per line, the class label first, then the values,
 * tab-separated (the pre-2018 releases' comma-separated files read the same). `NaN` marks a missing
 * value or, at the end of a line, the padding of a shorter series (see series.ts for both).
 *
 * Labels are arbitrary numbers in the archive (1..K, -1/1, 0..K-1): they are mapped to class ids
 * 0..K-1 in numeric order over the labels of both files, so train and test agree on every id even
 * when one file lacks a class. That is why both files are read for either split. Examples are
 * [T, 1], T the longest series over both files.
 */
import { DataError } from './errors.js';
import type { Examples } from './examples.js';
import { FileCache, readText } from './files.js';
import { observedLength, sortLabels, writeSeries } from './series.js';
import { forEachLine, parseNumber, quote } from './text.js';

interface Row {
  label: string;
  values: number[];
}

/** One file's rows; `NaN`/`nan`/empty values become NaN. */
export function parseUcr(path: string, text: string): Row[] {
  const rows: Row[] = [];
  forEachLine(text, (line, lineNumber) => {
    if (line.trim() === '') return;
    const record = `line ${lineNumber}`;
    const fields = (line.includes('\t') ? line.split('\t') : line.includes(',') ? line.split(',') : line.trim().split(/\s+/)).map((f) => f.trim());
    const rawLabel = fields[0];
    if (rawLabel === '' || /^nan$/i.test(rawLabel)) throw new DataError(path, 'the label (the first field) is missing', record);
    const n = parseNumber(rawLabel);
    const label = n === undefined ? rawLabel : String(n);
    const values: number[] = new Array(fields.length - 1);
    for (let k = 1; k < fields.length; k++) {
      const f = fields[k];
      if (f === '' || /^nan$/i.test(f)) {
        values[k - 1] = NaN;
        continue;
      }
      const v = parseNumber(f);
      if (v === undefined) throw new DataError(path, `value ${k} (field ${k + 1}) is ${quote(f)}, not a number (missing values are written NaN)`, record);
      values[k - 1] = v;
    }
    if (observedLength(values) === 0) throw new DataError(path, 'the series has no values (only a label, or only NaN)', record);
    rows.push({ label, values });
  });
  if (rows.length === 0) throw new DataError(path, 'holds no series; expected one "label<TAB>value<TAB>value..." line per series');
  return rows;
}

interface UcrData {
  train: Examples;
  test: Examples;
}

const cache = new FileCache<UcrData>(4);

/** Both splits, labels mapped over both files; cached by the files' identity. */
export function readUcr(train: string, test: string): UcrData {
  return cache.get([train, test], 'ucr', () => {
    const rows = { train: parseUcr(train, readText(train)), test: parseUcr(test, readText(test)) };
    const classes = sortLabels([...rows.train, ...rows.test].map((r) => r.label));
    const id = new Map(classes.map((c, i) => [c, i]));
    const T = Math.max(...[...rows.train, ...rows.test].map((r) => observedLength(r.values)));
    const make = (split: 'train' | 'test', path: string): Examples => {
      const list = rows[split];
      const values = new Float32Array(list.length * T);
      const labels = new Int32Array(list.length);
      list.forEach((r, i) => {
        writeSeries(r.values, values, i * T, 1, 0, T);
        labels[i] = id.get(r.label)!;
      });
      return { name: `ucr:${path}`, values, divisor: 1, labels, size: list.length, shape: [T, 1], numClasses: classes.length, classes, files: [path] };
    };
    return { train: make('train', train), test: make('test', test) };
  });
}
