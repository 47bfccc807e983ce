/**
 * The compiler's view of data files (`FileLoader.inspectData`, given by cli/main.ts's `diskLoader`):
 * how many examples of which shape and classes a file-based source holds, or what is wrong with
 * its files, as plain data. Reads headers where the format allows (IDX, NPY, CIFAR-10 sizes, image
 * headers); text formats (CSV, UCR, UEA) are parsed in full, and the parse is cached for the
 * runtime of the same process.
 *
 * Never imports TensorFlow.js (runtime/data/inspect.test.ts checks the import graph), so
 * `ssl check` stays fast.
 */
import type { DataFiles, DataInspection, DataSplit } from '../../compiler/ir.js';
import { DataError } from './errors.js';
import { inspectFiles, mainFile } from './sources.js';

export function inspectData(files: DataFiles, split: DataSplit): DataInspection {
  try {
    return { ok: true, ...inspectFiles(files, split) };
  } catch (e) {
    if (e instanceof DataError) {
      return { ok: false, file: e.file, ...(e.record !== undefined ? { record: e.record } : {}), message: e.detail, missing: e.missing };
    }
    // A bug in a reader, not a data problem: still a diagnostic, never a crash of the compiler.
    return { ok: false, file: mainFile(files), message: `internal error while reading the data: ${(e as Error)?.message ?? String(e)}`, missing: false };
  }
}
