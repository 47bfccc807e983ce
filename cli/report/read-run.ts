/**
 * Reads a run folder for `ssl report`: metrics.jsonl (every event, one JSON object per line),
 * plus environment.json and probes.json when present. Tolerant the way a report must be about a
 * run that was killed or written by a newer ssl:
 *
 * - a last line without its newline that does not parse (the process died mid-write) is skipped
 *   with a note; any other line that does not parse is skipped with a note naming its line;
 * - events of a type this version does not know are ignored (counted in a note);
 * - a missing folder or a folder without metrics.jsonl is a `RunReadError` naming the path.
 *
 * Reads only the event types (runtime/events.ts), never TensorFlow.js.
 */
import { readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { RunEvent } from '../../runtime/events.js';

/** A run folder that cannot be reported on; the message names the path and what is wrong. */
export class RunReadError extends Error {}

export interface RunData {
  /** The folder as given on the command line. */
  dir: string;
  events: RunEvent[];
  /** Things the reader skipped or could not find, one sentence each (shown in the report). */
  notes: string[];
  /** environment.json, if the run wrote it. */
  environment: Record<string, unknown> | null;
}

const KNOWN_TYPES: ReadonlySet<string> = new Set<RunEvent['type']>(['run-start', 'resume', 'epoch-start', 'step', 'eval', 'warning', 'checkpoint', 'run-end']);

/** Parses metrics.jsonl text; `file` names it in the notes. */
export function parseMetrics(text: string, file: string): { events: RunEvent[]; notes: string[] } {
  const events: RunEvent[] = [];
  const notes: string[] = [];
  const lines = text.split('\n');
  // A file that ends with '\n' splits into a last empty string: not a line.
  const complete = text.endsWith('\n');
  if (complete) lines.pop();
  const unknown = new Map<string, number>();
  lines.forEach((line, i) => {
    if (line.trim() === '') return;
    const last = i === lines.length - 1;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch {
      notes.push(
        last && !complete
          ? `${file}: the last line (${i + 1}) is cut off (was the run killed while writing it?); skipped`
          : `${file}:${i + 1}: not valid JSON; skipped`,
      );
      return;
    }
    const type = (value as { type?: unknown } | null)?.type;
    if (typeof value !== 'object' || value === null || Array.isArray(value) || typeof type !== 'string') {
      notes.push(`${file}:${i + 1}: not an event (no "type"); skipped`);
      return;
    }
    if (!KNOWN_TYPES.has(type)) {
      unknown.set(type, (unknown.get(type) ?? 0) + 1);
      return;
    }
    events.push(value as RunEvent);
  });
  for (const [type, n] of unknown) notes.push(`${file}: ${n} event${n === 1 ? '' : 's'} of unknown type '${type}' ignored (written by a newer ssl?)`);
  return { events, notes };
}

/** Reads one run folder; throws RunReadError for a folder that is not a readable run. */
export function readRun(dir: string): RunData {
  const abs = resolve(dir);
  let isDir = false;
  try {
    isDir = statSync(abs).isDirectory();
  } catch {
    throw new RunReadError(`no such run folder: ${dir}`);
  }
  if (!isDir) throw new RunReadError(`${dir} is not a folder (give the run folder, e.g. runs/quickstart-20250101-120000)`);
  const metricsPath = join(abs, 'metrics.jsonl');
  let text: string;
  try {
    text = readFileSync(metricsPath, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new RunReadError(code === 'ENOENT' ? `${dir} has no metrics.jsonl: is it a run folder (ssl run --out ...)?` : `cannot read ${join(dir, 'metrics.jsonl')}: ${(error as Error).message}`);
  }
  const { events, notes } = parseMetrics(text, join(dir, 'metrics.jsonl'));
  if (!events.some((e) => e.type === 'run-start' || e.type === 'resume')) notes.push(`${join(dir, 'metrics.jsonl')}: no run-start event; the run's plan is unknown`);
  let environment: Record<string, unknown> | null = null;
  try {
    const parsed: unknown = JSON.parse(readFileSync(join(abs, 'environment.json'), 'utf8'));
    if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) environment = parsed as Record<string, unknown>;
  } catch {
    // Optional: older runs and tests write none.
  }
  return { dir, events, notes, environment };
}
