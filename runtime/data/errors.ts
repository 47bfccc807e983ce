/**
 * The one error type for bad or missing data. Every failure names the file it came from and,
 * where one is at fault, the record (`header`, `label 4711`, `image 12`), and says what was
 * expected, so the message alone tells the user what to fix:
 *
 *   .../train-images-idx3-ubyte (header): header says 60000 images of 28x28, so the file should
 *   hold 47040016 bytes, but it holds 47040000 (16 missing): the file is truncated; …
 */
export class DataError extends Error {
  /** Path of the offending file (as given to the reader). */
  readonly file: string;
  /** The record at fault, e.g. `header`, `label 4711`; absent when the whole file is. */
  readonly record?: string;
  /** What is wrong, without the file and record (the message is `file (record): detail`). */
  readonly detail: string;
  /** The file (or folder) does not exist: the compiler reports `data-not-found` instead of `data-invalid`. */
  readonly missing: boolean;

  constructor(file: string, detail: string, record?: string, options: { missing?: boolean } = {}) {
    super(`${file}${record !== undefined ? ` (${record})` : ''}: ${detail}`);
    this.name = 'DataError';
    this.file = file;
    this.record = record;
    this.detail = detail;
    this.missing = options.missing ?? false;
  }

  /** The file or folder at `file` does not exist. */
  static notFound(file: string, detail = 'file not found; check the path'): DataError {
    return new DataError(file, detail, undefined, { missing: true });
  }
}
