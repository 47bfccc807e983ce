/**
 * `ssl explain FILE`: compile a recipe and print what it will do — the graph as a tree rooted at
 * the loss, parameters, a FLOP / activation-memory estimate, which views feed which loss term and
 * the training setup (compiler/explain.ts). Static: never loads TensorFlow.js or the runtime.
 *
 * Exit codes as for the rest of the CLI: 0 ok, 1 recipe errors, 2 unreadable file.
 */
import { readFile } from 'node:fs/promises';
import { explain, renderExplanation } from '../compiler/explain.js';
import { compile, formatDiagnostic, type FileLoader } from '../compiler/index.js';

export interface ExplainOptions {
  /** Print the Explanation as JSON instead of text. */
  json: boolean;
  /** ANSI colours in the text rendering. */
  color: boolean;
  /** Wrap the text rendering at this many columns (default 100). */
  width?: number;
  /** `--set path=value` overrides. */
  overrides?: readonly string[];
  /** How `extends` reads base recipes (without one, an `extends` is an error). */
  loader?: FileLoader;
}

export interface ExplainIo {
  stdout(s: string): void;
  stderr(s: string): void;
}

export async function explainCommand(file: string, options: ExplainOptions, io: ExplainIo): Promise<number> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (error as Error).message;
    io.stderr(`ssl: cannot read '${file}': ${reason}\n`);
    return 2;
  }
  const { ir, diagnostics, sources } = compile(text, file, { ...options.loader, overrides: options.overrides ?? [] });
  for (const d of diagnostics) io.stderr(formatDiagnostic(d, sources[d.span.uri] ?? text) + '\n');
  if (!ir || diagnostics.some((d) => d.severity === 'error')) return 1;
  const explanation = explain(ir);
  io.stdout(options.json ? JSON.stringify(explanation, null, 2) + '\n' : renderExplanation(explanation, { color: options.color, width: options.width }) + '\n');
  return 0;
}
