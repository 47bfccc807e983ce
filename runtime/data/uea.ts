/**
 * The UEA multivariate archive (Bagnall et al. 2018, "The UEA multivariate time series
 * classification archive, 2018", arXiv:1811.00075) in sktime's `.ts` format
 * (https://www.sktime.net/en/stable/api_reference/file_specifications/ts.html):
 *
 *   # comments
 *   @problemName BasicMotions
 *   @timeStamps false
 *   @univariate false
 *   @dimensions 6
 *   @equalLength true
 *   @seriesLength 100
 *   @classLabel true Standing Running Walking Badminton
 *   @data
 *   0.1,0.2,...:0.3,0.1,...:...:Standing
 *
 * One case per line after `@data`: the dimensions separated by `:`, values by `,`, the class label
 * last. `?` (or `NaN`) is a missing value; see series.ts for gaps and unequal lengths. Class ids
 * follow the `@classLabel` order (both files must list the same classes); `@classLabel false` is
 * unlabelled data. Time-stamped data (`@timeStamps true`) and regression targets
 * (`@targetLabel true`) are rejected with a message: neither has a class to probe. Examples are
 * [T, D]: T the longest series over both files, D the dimensions (`@dimensions`, or 1 for
 * `@univariate true`, or the first case's count), which every case must have.
 */
import { DataError } from './errors.js';
import type { Examples } from './examples.js';
import { FileCache, readText } from './files.js';
import { observedLength, writeSeries } from './series.js';
import { forEachLine, parseNumber, quote } from './text.js';

interface UeaCase {
  dims: number[][];
  label: string | null;
  line: number;
}

interface UeaFile {
  /** `@classLabel` values in order; null for `@classLabel false`. */
  classes: string[] | null;
  dimensions: number;
  cases: UeaCase[];
}

const isMissing = (f: string) => f === '?' || f === '' || /^nan$/i.test(f);

/** Parses one .ts file read from `path` (named in errors). */
export function parseUea(path: string, text: string): UeaFile {
  let classes: string[] | null | undefined;
  let declaredDims: number | undefined;
  let univariate: boolean | undefined;
  let inData = false;
  let dimensionsFrom = '';
  let dimensions = -1;
  const cases: UeaCase[] = [];

  forEachLine(text, (rawLine, lineNumber) => {
    const line = rawLine.trim();
    if (line === '' || line.startsWith('#')) return;
    const record = `line ${lineNumber}`;
    if (!inData) {
      if (!line.startsWith('@')) throw new DataError(path, `expected a @header line or @data before the data, got ${quote(line.slice(0, 40))}`, record);
      const [key, ...rest] = line.split(/\s+/);
      const word = (rest[0] ?? '').toLowerCase();
      switch (key.toLowerCase()) {
        case '@data':
          inData = true;
          break;
        case '@timestamps':
          if (word === 'true') throw new DataError(path, '@timeStamps true (time-stamped values) is not supported; convert the data to equally spaced values', record);
          break;
        case '@targetlabel':
          if (word === 'true') throw new DataError(path, '@targetLabel true is a regression problem; uea(...) reads classification data (@classLabel)', record);
          break;
        case '@univariate':
          univariate = word === 'true';
          break;
        case '@dimensions': {
          const d = parseNumber(rest[0] ?? '');
          if (d === undefined || !Number.isInteger(d) || d < 1) throw new DataError(path, `@dimensions must be a positive integer, got ${quote(rest.join(' '))}`, record);
          declaredDims = d;
          break;
        }
        case '@classlabel':
          if (word === 'true') {
            classes = rest.slice(1);
            if (classes.length === 0) throw new DataError(path, '@classLabel true must list the class labels: @classLabel true a b c', record);
          } else if (word === 'false') classes = null;
          else throw new DataError(path, `@classLabel must be followed by true (and the labels) or false, got ${quote(rest.join(' '))}`, record);
          break;
        default:
          break; // @problemName, @missing, @equalLength, @seriesLength: informative only
      }
      return;
    }
    if (classes === undefined) throw new DataError(path, 'the header has no @classLabel line (@classLabel true <labels...> or @classLabel false)', 'header');
    if (dimensions < 0) {
      dimensions = declaredDims ?? (univariate ? 1 : -1);
      dimensionsFrom = declaredDims !== undefined ? '@dimensions' : univariate ? '@univariate true' : 'the first case';
    }
    const parts = line.split(':');
    let label: string | null = null;
    if (classes !== null) {
      label = parts.pop()!.trim();
      if (!classes.includes(label)) {
        throw new DataError(path, `class ${quote(label)} is not one of the @classLabel values ${classes.map(quote).join(', ')}`, record);
      }
    }
    if (dimensions < 0) dimensions = parts.length;
    if (parts.length !== dimensions) {
      throw new DataError(path, `the case has ${parts.length} dimension${parts.length === 1 ? '' : 's'} (separated by ':'), expected ${dimensions} (from ${dimensionsFrom})`, record);
    }
    const dims = parts.map((part, d) =>
      part.split(',').map((f, k) => {
        const t = f.trim();
        if (isMissing(t)) return NaN;
        const v = parseNumber(t);
        if (v === undefined) throw new DataError(path, `dimension ${d + 1}, value ${k + 1} is ${quote(t)}, not a number (missing values are written ?)`, record);
        return v;
      }),
    );
    dims.forEach((values, d) => {
      if (observedLength(values) === 0) throw new DataError(path, `dimension ${d + 1} has no values`, record);
    });
    cases.push({ dims, label, line: lineNumber });
  });
  if (!inData) throw new DataError(path, 'has no @data line; a .ts file is @header lines, then @data, then one case per line', 'header');
  if (cases.length === 0) throw new DataError(path, 'holds no cases after @data');
  return { classes: classes ?? null, dimensions, cases };
}

interface UeaData {
  train: Examples;
  test: Examples;
}

const cache = new FileCache<UeaData>(4);

/** Both splits (they must agree on dimensions and classes); cached by the files' identity. */
export function readUea(train: string, test: string): UeaData {
  return cache.get([train, test], 'uea', () => {
    const files = { train: parseUea(train, readText(train)), test: parseUea(test, readText(test)) };
    if (files.test.dimensions !== files.train.dimensions) {
      throw new DataError(test, `cases have ${files.test.dimensions} dimensions but those of ${train} have ${files.train.dimensions}`, 'header');
    }
    const a = files.train.classes;
    const b = files.test.classes;
    if ((a === null) !== (b === null) || (a && b && (a.length !== b.length || a.some((c, i) => c !== b[i])))) {
      const show = (c: string[] | null) => (c ? `@classLabel true ${c.join(' ')}` : '@classLabel false');
      throw new DataError(test, `${show(b)} differs from ${train}'s ${show(a)}; class ids follow that list, so both files must give the same one`, 'header');
    }
    const classes = a;
    const D = files.train.dimensions;
    const all = [...files.train.cases, ...files.test.cases];
    const T = Math.max(...all.flatMap((c) => c.dims.map(observedLength)));
    const make = (split: 'train' | 'test', path: string): Examples => {
      const cases = files[split].cases;
      const values = new Float32Array(cases.length * T * D);
      const labels = new Int32Array(cases.length);
      cases.forEach((c, i) => {
        c.dims.forEach((series, d) => writeSeries(series, values, i * T * D, D, d, T));
        labels[i] = classes ? classes.indexOf(c.label!) : 0;
      });
      return {
        name: `uea:${path}`,
        values,
        divisor: 1,
        labels,
        size: cases.length,
        shape: [T, D],
        numClasses: classes ? classes.length : 1,
        ...(classes ? { classes } : {}),
        files: [path],
      };
    };
    return { train: make('train', train), test: make('test', test) };
  });
}
