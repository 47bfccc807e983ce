/**
 * The run folder: everything needed to see and replay a run, written as the run goes so an
 * interrupted run keeps what it had.
 *
 *   recipe.ssl        the recipe exactly as written
 *   ir.json           the compiled IR (every default and derived value resolved)
 *   environment.json  backend, threads, versions, command line
 *   metrics.jsonl     one event per line (steps, evals, warnings, the end), appended and flushed
 *   probes.json       final probe results
 *   weights/          final trainable and state variables (manifest.json + weights.bin)
 *   checkpoints/      resumable state every N steps, at the end and on Ctrl-C (checkpoint.ts)
 *   resume-<step>.json what a `ssl resume --set` changed, when it did
 */
import { appendFileSync, mkdirSync, writeFileSync, existsSync, readdirSync, readFileSync, statSync, truncateSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { IR } from '../compiler/ir.js';
import type { RunEvent } from './events.js';

export interface RunFolder {
  readonly dir: string;
  /** Lines in metrics.jsonl so far (a checkpoint records it, so a resume can cut the file back). */
  readonly lines: number;
  append(event: RunEvent): void;
  writeJson(name: string, value: unknown): void;
  writeBytes(name: string, bytes: Uint8Array): void;
}

/** `runs/<recipe>-<yyyymmdd-hhmmss>`, with a numeric suffix if two runs start in the same second. */
export function defaultRunDir(recipe: string, now = new Date(), root = 'runs'): string {
  const p = (n: number) => String(n).padStart(2, '0');
  const stamp = `${now.getFullYear()}${p(now.getMonth() + 1)}${p(now.getDate())}-${p(now.getHours())}${p(now.getMinutes())}${p(now.getSeconds())}`;
  let dir = join(root, `${recipe}-${stamp}`);
  for (let i = 2; existsSync(dir); i++) dir = join(root, `${recipe}-${stamp}-${i}`);
  return dir;
}

/**
 * Creates the folder and writes the recipe and IR at once. A non-empty existing folder is refused
 * rather than mixed with another run's files.
 */
export function createRunFolder(dir: string, recipeText: string, ir: IR): RunFolder {
  const abs = resolve(dir);
  if (existsSync(abs) && readdirSync(abs).length > 0) {
    throw new Error(`run folder ${dir} already exists and is not empty; choose another --out`);
  }
  mkdirSync(abs, { recursive: true });
  writeFileSync(join(abs, 'recipe.ssl'), recipeText);
  writeFileSync(join(abs, 'ir.json'), JSON.stringify(ir, null, 2) + '\n');
  writeFileSync(join(abs, 'metrics.jsonl'), '');
  return folderAt(abs, 0);
}

/** An existing run folder, to continue (`ssl resume`): new events are appended to its metrics.jsonl. */
export function openRunFolder(dir: string): RunFolder {
  const abs = resolve(dir);
  const metrics = join(abs, 'metrics.jsonl');
  if (!existsSync(metrics)) throw new Error(`${dir} is not a run folder: it has no metrics.jsonl`);
  return folderAt(abs, readFileSync(metrics, 'utf8').split('\n').length - 1);
}

function folderAt(abs: string, lines: number): RunFolder {
  const metrics = join(abs, 'metrics.jsonl');
  return {
    dir: abs,
    get lines() {
      return lines;
    },
    // appendFileSync opens, writes and closes: each line is on disk when the call returns.
    append: (event) => {
      appendFileSync(metrics, JSON.stringify(event) + '\n');
      lines++;
    },
    writeJson: (name, value) => writeFileSync(join(abs, name), JSON.stringify(value, null, 2) + '\n'),
    writeBytes: (name, bytes) => {
      mkdirSync(join(abs, name, '..'), { recursive: true });
      writeFileSync(join(abs, name), bytes);
    },
  };
}

export interface MetricsCut {
  /** Lines kept: complete, valid JSON lines, at most `keep`. */
  kept: number;
  /** Lines removed after them (including a last line cut off mid-write, counted once). */
  dropped: number;
  /** Whether the file ended in a line cut off mid-write (kill -9 during an append). */
  partial: boolean;
}

/**
 * Cuts metrics.jsonl back to its first `keep` lines, and earlier if a line is cut off or not
 * valid JSON (only the last line can be, after a kill): everything after is what a resumed run
 * writes again. The file is rewritten in place (truncate), so what is kept is never copied.
 */
export function truncateMetrics(file: string, keep: number): MetricsCut {
  const text = readFileSync(file, 'utf8');
  const endsCleanly = text.length === 0 || text.endsWith('\n');
  const lines = text.split('\n');
  if (endsCleanly) lines.pop(); // the empty string after the final newline
  let kept = 0;
  let bytes = 0;
  while (kept < Math.min(keep, lines.length) && isEventLine(lines[kept]!) && (kept < lines.length - 1 || endsCleanly)) {
    bytes += Buffer.byteLength(lines[kept]!, 'utf8') + 1;
    kept++;
  }
  if (bytes < statSync(file).size) truncateSync(file, bytes);
  return { kept, dropped: lines.length - kept, partial: !endsCleanly };
}

function isEventLine(line: string): boolean {
  try {
    const value = JSON.parse(line) as { type?: unknown } | null;
    return value !== null && typeof value === 'object' && typeof value.type === 'string';
  } catch {
    return false;
  }
}
