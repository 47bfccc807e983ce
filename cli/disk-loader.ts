/**
 * How the compiler reads the disk (paths relative to the working directory): the bases of
 * `extends`, and the files of data sources (`inspectData`, runtime/data/inspect.ts: no TF.js, it
 * reads headers where the format allows). Shared by the CLI and the language server, so the
 * editor and `ssl check` read files the same way; a module of its own so the server does not
 * load the CLI's argument parser.
 */
import { readdirSync, readFileSync } from 'node:fs';
import type { FileLoader } from '../compiler/index.js';
import { inspectData } from '../runtime/data/inspect.js';

export const diskLoader: Required<FileLoader> = {
  inspectData,
  readFile: (path) => {
    try {
      return readFileSync(path, 'utf8');
    } catch {
      return undefined;
    }
  },
  listFiles: (dir) => {
    try {
      return readdirSync(dir);
    } catch {
      return undefined;
    }
  },
};
