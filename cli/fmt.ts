/**
 * `ssl fmt [--check] [--write] <files...>`: the formatter (compiler/format.ts) on files.
 *
 * - neither flag: prints each file's formatted text to stdout (files are not touched);
 * - `--write`: rewrites the files that change, in place (a temp file beside it, then a rename, so a
 *   crash never leaves a half-written recipe; the file's mode is kept);
 * - `--check`: writes nothing to stdout but the names of the files that are not formatted, one a
 *   line; with `--write` as well, those files are also rewritten.
 *
 * Exit code: 2 if a file cannot be read or written or has lexing/syntax errors (printed to stderr
 * with `formatDiagnostic`; such a file is left as it is); otherwise 1 with `--check` when some file
 * is not formatted; otherwise 0.
 */
import { randomBytes } from 'node:crypto';
import { readFile, rename, stat, unlink, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { formatDiagnostic } from '../compiler/diagnostics.js';
import { format } from '../compiler/format.js';

export interface FmtOptions {
  check: boolean;
  write: boolean;
}

export interface FmtIo {
  stdout(s: string): void;
  stderr(s: string): void;
}

export const FMT_EXIT = { ok: 0, unformatted: 1, error: 2 } as const;

function reason(error: unknown): string {
  const code = (error as NodeJS.ErrnoException)?.code;
  if (code === 'ENOENT') return 'no such file';
  if (code === 'EISDIR') return 'is a directory';
  if (code === 'EACCES' || code === 'EPERM') return 'permission denied';
  return error instanceof Error ? error.message : String(error);
}

/** Writes `text` to `file` through a temp file in the same folder and a rename. */
async function writeAtomically(file: string, text: string): Promise<void> {
  let mode: number | undefined;
  try {
    mode = (await stat(file)).mode & 0o7777;
  } catch {
    mode = undefined;
  }
  const temp = join(dirname(file), `.${basename(file)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
  try {
    await writeFile(temp, text, mode === undefined ? { encoding: 'utf8' } : { encoding: 'utf8', mode });
    await rename(temp, file);
  } catch (error) {
    await unlink(temp).catch(() => undefined);
    throw error;
  }
}

export async function fmtCommand(files: string[], options: FmtOptions, io: FmtIo): Promise<number> {
  let failed = false;
  const unformatted: string[] = [];
  if (files.length === 0) {
    io.stderr('ssl fmt: no files given\n');
    return FMT_EXIT.error;
  }
  for (const file of files) {
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch (error) {
      io.stderr(`ssl fmt: cannot read '${file}': ${reason(error)}\n`);
      failed = true;
      continue;
    }
    const result = format(text, file);
    for (const d of result.diagnostics) io.stderr(formatDiagnostic(d, text) + '\n');
    if (result.text === undefined) {
      failed = true;
      continue;
    }
    const changed = result.text !== text;
    if (options.check && changed) {
      unformatted.push(file);
      io.stdout(`${file}\n`);
    }
    if (options.write) {
      if (!changed) continue;
      try {
        await writeAtomically(file, result.text);
      } catch (error) {
        io.stderr(`ssl fmt: cannot write '${file}': ${reason(error)}\n`);
        failed = true;
      }
    } else if (!options.check) {
      io.stdout(result.text);
    }
  }
  if (failed) return FMT_EXIT.error;
  if (options.check && unformatted.length > 0) {
    const n = unformatted.length;
    io.stderr(
      options.write
        ? `ssl fmt: ${n} file${n === 1 ? ' was' : 's were'} not formatted; rewritten\n`
        : `ssl fmt: ${n} file${n === 1 ? ' is' : 's are'} not formatted (run 'ssl fmt --write' to fix)\n`,
    );
    return FMT_EXIT.unformatted;
  }
  return FMT_EXIT.ok;
}
