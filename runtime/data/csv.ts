/**
 * CSV tables of numbers (RFC 4180 quoting), one example per row: `csv("x.csv", label: "label")`.
 *
 * - Header: the first row is a header when any of its fields is not a number (so a file of plain
 *   numbers has none). Fields are trimmed; a field in double quotes may hold commas (`""` is a quote).
 * - Label: the column named by `label` (a header name, or a 0-based index; -1 = the last column).
 *   Labels are integer class ids 0..K-1 (a CSV label is the class id, so a train and a test file
 *   agree on what id 3 means); K is `classes` when given, else the largest label + 1. Without a
 *   label column every example has label 0 and there is one class (unlabelled data).
 * - Features: the other columns, in file order, as float32; `shape` reshapes them (its product must
 *   be the number of feature columns), default [features].
 * - Every row must have the header's (or the first row's) number of columns, and every feature
 *   must be a finite number: CSV has no missing-value convention, so an empty field or `NaN` is an
 *   error naming the line and column, not a guess.
 *
 * Hand-written rather than an npm CSV parser: csv-parse, the well-kept choice, read a 56 MB numeric
 * file 3.5x slower (9.8 s vs 2.8 s here), and `ssl check` parses the whole file.
 */
import { DataError } from './errors.js';
import { classCount, exampleLength, type Examples } from './examples.js';
import { FileCache, readText } from './files.js';
import { FloatBuffer, forEachLine, parseNumber, quote } from './text.js';

export interface CsvOptions {
  /** Header name or 0-based index (-1 = last) of the label column; null = unlabelled. */
  label: string | number | null;
  /** Shape of one example; null = [feature columns]. */
  shape: number[] | null;
  /** Number of classes; null = largest label + 1. */
  classes: number | null;
}

/** The fields of one CSV line: split on commas, quotes removed, trimmed. */
export function splitCsvLine(line: string): string[] {
  if (!line.includes('"')) return line.split(',').map((f) => f.trim());
  const out: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const ch = line[i];
    if (quoted) {
      if (ch === '"' && line[i + 1] === '"') {
        field += '"';
        i++;
      } else if (ch === '"') quoted = false;
      else field += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === ',') {
      out.push(field.trim());
      field = '';
    } else field += ch;
  }
  out.push(field.trim());
  return out;
}

const cache = new FileCache<Examples>(4);

/** The CSV file as examples; cached by file identity and options. */
export function readCsv(path: string, options: CsvOptions): Examples {
  return cache.get([path], options, () => parseCsv(path, readText(path), options));
}

/** Parses CSV `text` read from `path` (named in errors). */
export function parseCsv(path: string, text: string, options: CsvOptions): Examples {
  let columns = -1;
  let names: string[] | null = null;
  let labelColumn = -1;
  const values = new FloatBuffer();
  const labels: number[] = [];
  const columnName = (k: number) => (names ? `${k} (${quote(names[k])})` : String(k));

  forEachLine(text, (line, lineNumber) => {
    if (line.trim() === '') return;
    const fields = splitCsvLine(line);
    const record = `line ${lineNumber}`;
    if (columns < 0) {
      columns = fields.length;
      if (fields.some((f) => parseNumber(f) === undefined)) names = fields;
      labelColumn = findLabelColumn(path, options.label, names, columns);
      if (names) return;
    }
    if (fields.length !== columns) {
      throw new DataError(path, `expected ${columns} columns (as ${names ? 'the header' : 'the first row'} has), got ${fields.length}`, record);
    }
    for (let k = 0; k < columns; k++) {
      const v = parseNumber(fields[k]);
      if (v === undefined) {
        const why = fields[k] === '' ? 'an empty field (CSV data may not have missing values)' : `${quote(fields[k])}, not a number`;
        throw new DataError(path, `column ${columnName(k)} holds ${why}`, record);
      }
      if (k === labelColumn) {
        if (!Number.isInteger(v) || v < 0) {
          throw new DataError(path, `label ${fields[k]} in column ${columnName(k)} is not a class id; labels must be integers 0, 1, 2, ...`, record);
        }
        if (options.classes !== null && v >= options.classes) {
          throw new DataError(path, `label ${v} is outside 0..${options.classes - 1} (classes: ${options.classes})`, record);
        }
        labels.push(v);
      } else values.push(v);
    }
    if (labelColumn < 0) labels.push(0);
  });

  if (columns < 0) throw new DataError(path, 'the file is empty; expected a CSV table with one example per row');
  const size = labels.length;
  if (size === 0) throw new DataError(path, 'holds a header but no data rows');
  const features = columns - (labelColumn >= 0 ? 1 : 0);
  if (features === 0) throw new DataError(path, 'has no feature columns besides the label column');
  const shape = options.shape ?? [features];
  if (exampleLength(shape) !== features) {
    throw new DataError(path, `shape [${shape.join(', ')}] holds ${exampleLength(shape)} values, but each row has ${features} feature columns`, 'header');
  }
  const ids = Int32Array.from(labels);
  return {
    name: `csv:${path}`,
    values: values.toArray(),
    divisor: 1,
    labels: ids,
    size,
    shape: [...shape],
    numClasses: options.classes ?? classCount(ids),
    files: [path],
  };
}

function findLabelColumn(path: string, label: string | number | null, names: string[] | null, columns: number): number {
  if (label === null) return -1;
  if (typeof label === 'number') {
    const k = label === -1 ? columns - 1 : label;
    if (k < 0 || k >= columns) {
      throw new DataError(path, `label column ${label} does not exist; the rows have ${columns} columns (0..${columns - 1}, or -1 for the last)`, 'line 1');
    }
    return k;
  }
  if (!names) {
    throw new DataError(path, `has no header row, so there is no column named ${quote(label)}; give the label column's index instead (label: 0, or -1 for the last)`, 'line 1');
  }
  const k = names.indexOf(label);
  if (k >= 0) return k;
  const best = names.find((n) => n.toLowerCase() === label.trim().toLowerCase());
  throw new DataError(
    path,
    `has no column named ${quote(label)}${best ? ` (did you mean ${quote(best)}?)` : ''}; the header has ${names.map(quote).join(', ')}`,
    'line 1',
  );
}

/** What `readCsv` returns, for the compiler. */
export function inspectCsv(path: string, options: CsvOptions): { size: number; shape: number[]; numClasses: number } {
  const ds = readCsv(path, options);
  return { size: ds.size, shape: ds.shape, numClasses: ds.numClasses };
}
