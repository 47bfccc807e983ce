/**
 * The optical handwritten digits (Alpaydin & Kaynak 1998, UCI "Optical Recognition of Handwritten
 * Digits", test part; the copy scikit-learn ships as `load_digits`): 1797 8x8 images whose pixels
 * count the set bits of 4x4 blocks of a 32x32 bitmap, 0..16, 10 classes. Vendored as
 * data/digits.csv.gz (see data/README.md): 1797 rows of 64 pixel values then the label, no header.
 *
 * Split, fixed and documented (the file has none): train = the first 1437 rows, test = the last
 * 360 (an 80/20 cut; the rows cycle through the digits, so each split holds every class in
 * proportion: 141-146 train and 33-37 test examples per class). Pixels stay bytes, / 16 as
 * values (so in [0, 1]).
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { DataSplit } from '../../compiler/ir.js';
import { parseCsv } from './csv.js';
import { DataError } from './errors.js';
import { type Examples } from './examples.js';
import { readText } from './files.js';

export const DIGITS_TRAIN = 1437;
export const DIGITS_TEST = 360;

/** data/digits.csv.gz: two folders up from runtime/data/ in the source tree, three from dist/runtime/data/. */
export function digitsFile(): string {
  const candidates = ['../../data/digits.csv.gz', '../../../data/digits.csv.gz'].map((p) => fileURLToPath(new URL(p, import.meta.url)));
  const found = candidates.find((p) => existsSync(p));
  if (!found) throw DataError.notFound(candidates[0], 'the vendored digits data is missing from this installation (data/digits.csv.gz); reinstall ssl');
  return found;
}

const cache = new Map<string, Examples>();

export function loadDigits(split: DataSplit): Examples {
  const hit = cache.get(split);
  if (hit) return hit;
  const path = digitsFile();
  const all = parseCsv(path, readText(path), { label: -1, shape: [8, 8, 1], classes: 10 });
  if (all.size !== DIGITS_TRAIN + DIGITS_TEST) throw new DataError(path, `holds ${all.size} rows, expected ${DIGITS_TRAIN + DIGITS_TEST}`);
  const [from, to] = split === 'test' ? [DIGITS_TRAIN, all.size] : split === 'train' ? [0, DIGITS_TRAIN] : [0, all.size];
  const values = new Uint8Array(all.values.subarray(from * 64, to * 64)); // 0..16, exact in a byte
  const ds: Examples = { ...all, name: `digits/${split}`, values, divisor: 16, labels: all.labels.slice(from, to), size: to - from };
  cache.set(split, ds);
  return ds;
}
