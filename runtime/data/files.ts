/**
 * Reading data files: every failure becomes a `DataError` naming the file (a missing file or folder
 * is `DataError.notFound`, which the compiler reports as `data-not-found`). gzip is recognised by its
 * magic bytes `1f 8b` (RFC 1952), never by the file name, and inflated with node:zlib.
 *
 * No TensorFlow.js here: the compiler's data inspection (`ssl check`) reads files through this module.
 */
import { closeSync, openSync, readdirSync, readFileSync, readSync, statSync, type Dirent, type Stats } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { DataError } from './errors.js';

function failure(path: string, e: unknown, what = 'file'): DataError {
  const code = (e as NodeJS.ErrnoException).code;
  if (code === 'ENOENT' || code === 'ENOTDIR') return DataError.notFound(path, `${what} not found; check the path`);
  if (code === 'EISDIR') return new DataError(path, 'is a folder, but a file is expected here');
  if (code === 'EACCES' || code === 'EPERM') return new DataError(path, `cannot read the ${what}: permission denied`);
  return new DataError(path, `cannot read the ${what}: ${(e as Error).message}`);
}

/** The file's bytes, exactly as stored. */
export function readRaw(path: string): Buffer {
  try {
    return readFileSync(path);
  } catch (e) {
    throw failure(path, e);
  }
}

export function isGzip(bytes: Uint8Array): boolean {
  return bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b;
}

/** `raw` inflated when it is gzip data, else as is. */
export function gunzipIfNeeded(raw: Buffer, path: string): Buffer {
  if (!isGzip(raw)) return raw;
  try {
    return gunzipSync(raw);
  } catch (e) {
    throw new DataError(path, `cannot gunzip the file (${(e as Error).message}); it is truncated or corrupt: re-create or re-download it`);
  }
}

/** The file's contents, inflated if gzipped. */
export function readBytes(path: string): Buffer {
  return gunzipIfNeeded(readRaw(path), path);
}

/** The file as UTF-8 text (inflated if gzipped, a leading byte-order mark dropped). */
export function readText(path: string): string {
  const text = readBytes(path).toString('utf8');
  return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
}

export function statFile(path: string): Stats {
  let st: Stats;
  try {
    st = statSync(path);
  } catch (e) {
    throw failure(path, e);
  }
  if (st.isDirectory()) throw new DataError(path, 'is a folder, but a file is expected here');
  return st;
}

/** Up to `n` bytes from the start of the file (fewer when it is shorter). */
export function readPrefix(path: string, n: number): Buffer {
  return readRange(path, 0, n);
}

/** Up to `n` bytes of the file from byte `offset` (fewer at its end). */
export function readRange(path: string, offset: number, n: number): Buffer {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (e) {
    throw failure(path, e);
  }
  try {
    const buf = Buffer.alloc(n);
    const got = readSync(fd, buf, 0, n, offset);
    return buf.subarray(0, got);
  } catch (e) {
    throw failure(path, e);
  } finally {
    closeSync(fd);
  }
}

/** Entries of a folder, sorted by name (code-unit order, as `ls` in the C locale); symbolic links followed. */
export function listFolder(path: string): { name: string; isDirectory: boolean; isFile: boolean }[] {
  const kind = (d: Dirent) => {
    if (!d.isSymbolicLink()) return { isDirectory: d.isDirectory(), isFile: d.isFile() };
    try {
      const st = statSync(join(path, d.name));
      return { isDirectory: st.isDirectory(), isFile: st.isFile() };
    } catch {
      return { isDirectory: false, isFile: false }; // a dangling link
    }
  };
  try {
    return readdirSync(path, { withFileTypes: true })
      .map((d) => ({ name: d.name, ...kind(d) }))
      .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOTDIR') throw new DataError(path, 'is a file, but a folder is expected here');
    throw failure(path, e, 'folder');
  }
}

/**
 * A cache of what was parsed from files, keyed by the files' identity (path, size, modification
 * time) and the parse options: `ssl run` inspects (compiler) and then loads (runtime) the same text
 * files in one process, and probes read the same split twice. A changed file is read afresh.
 */
export class FileCache<T> {
  private readonly entries = new Map<string, T>();

  constructor(private readonly capacity = 8) {}

  get(paths: readonly string[], options: unknown, make: () => T): T {
    const ids = paths.map((p) => {
      try {
        const st = statSync(p);
        return [p, st.size, st.mtimeMs];
      } catch {
        return [p, -1, -1];
      }
    });
    const key = JSON.stringify([ids, options]);
    const hit = this.entries.get(key);
    if (hit !== undefined) return hit;
    const value = make();
    if (this.entries.size >= this.capacity) this.entries.delete(this.entries.keys().next().value!);
    this.entries.set(key, value);
    return value;
  }
}
