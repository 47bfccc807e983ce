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
 */
import { appendFileSync, mkdirSync, writeFileSync, existsSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { IR } from '../compiler/ir.js';
import type { RunEvent } from './events.js';

export interface RunFolder {
  readonly dir: string;
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
  const metrics = join(abs, 'metrics.jsonl');
  writeFileSync(metrics, '');
  return {
    dir: abs,
    // appendFileSync opens, writes and closes: each line is on disk when the call returns.
    append: (event) => appendFileSync(metrics, JSON.stringify(event) + '\n'),
    writeJson: (name, value) => writeFileSync(join(abs, name), JSON.stringify(value, null, 2) + '\n'),
    writeBytes: (name, bytes) => {
      mkdirSync(join(abs, name, '..'), { recursive: true });
      writeFileSync(join(abs, name), bytes);
    },
  };
}
