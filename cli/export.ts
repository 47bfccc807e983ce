/**
 * `ssl export RUN_DIR [--out DIR] [--network NAME] [--format graph|layers]`: the trained encoder of
 * a run folder as a TensorFlow.js model folder (runtime/export/export.ts; docs/export.md).
 *
 * Also reads run folders for `ssl embed` (cli/embed.ts): `readRunFolder` checks the folder and
 * its ir.json before TensorFlow.js is loaded, so a wrong path fails at once.
 *
 * Exit codes: 0 ok; 1 the run folder's content is unusable (invalid ir.json, no weights, a stage
 * the format cannot express); 2 no such run folder / not a run folder.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { validateIr } from '../compiler/index.js';
import { IR_VERSION, type IR } from '../compiler/ir.js';
import { ExportError, resolveEncoder, type EncoderRef } from '../runtime/export/encoder.js';

export interface CommandIo {
  stdout(s: string): void;
  stderr(s: string): void;
}

/** A run folder that cannot be used, with the exit code to report (2: not there; 1: unusable content). */
export class RunFolderError extends Error {
  constructor(
    message: string,
    readonly exitCode: 1 | 2,
  ) {
    super(message);
  }
}

/** Reads and checks `dir/ir.json` (IR version and JSON schema). Throws RunFolderError. */
export function readRunFolder(dir: string): IR {
  if (!existsSync(dir)) throw new RunFolderError(`no run folder at '${dir}'`, 2);
  if (!statSync(dir).isDirectory()) throw new RunFolderError(`'${dir}' is a file, not a run folder`, 2);
  const path = join(dir, 'ir.json');
  if (!existsSync(path)) throw new RunFolderError(`${path}: not found; '${dir}' is not a run folder written by \`ssl run\``, 2);
  let ir: unknown;
  try {
    ir = JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    throw new RunFolderError(`${path}: not valid JSON (${(error as Error).message})`, 1);
  }
  const version = (ir as { irVersion?: unknown } | null)?.irVersion;
  if (version !== IR_VERSION) {
    throw new RunFolderError(`${path}: IR version ${String(version)}, this ssl reads version ${IR_VERSION}; re-run the recipe with this ssl`, 1);
  }
  const invalid = validateIr(ir);
  if (invalid.length > 0) throw new RunFolderError(`${path}: does not match the IR schema: ${invalid[0]!.message.replace(/^the compiled IR /, '')}`, 1);
  return ir as IR;
}

/** resolveEncoder with its ExportError turned into the exit-1 RunFolderError the commands report. */
export function encoderOf(ir: IR, network: string | undefined): EncoderRef {
  try {
    return resolveEncoder(ir, network);
  } catch (error) {
    if (error instanceof ExportError) throw new RunFolderError(error.message, 1);
    throw error;
  }
}

export interface ExportOptions {
  out?: string;
  network?: string;
  format: 'graph' | 'layers';
}

export async function exportCommand(runDir: string, options: ExportOptions, io: CommandIo): Promise<number> {
  try {
    const ir = readRunFolder(runDir);
    const ref = encoderOf(ir, options.network);
    const out = options.out ?? join(runDir, 'export', `${ref.network}-${options.format}`);
    const [{ initBackend }, { tf }, exporter] = await Promise.all([
      import('../runtime/backend/index.js'),
      import('../runtime/tf.js'),
      import('../runtime/export/index.js'),
    ]);
    // Exporting only copies weights, exactly on any backend: the cpu one starts at once (the
    // threaded wasm backend takes seconds). Prod mode keeps tfjs from advertising tfjs-node on stderr.
    tf.enableProdMode();
    await initBackend('cpu');
    const graph = loadGraph(exporter, ir, runDir);
    try {
      const result = await exporter.exportEncoder(ir, graph, ref, options.format, out, { runDir, step: exporter.savedStep(runDir) });
      const files = result.files.map((f) => `${f.name} ${formatBytes(f.bytes)}`).join(', ');
      io.stderr(
        `ssl: exported ${ref.chain.join(' -> ')} ([${ref.inputShape.join(', ')}] -> ${ref.dim} features${result.metadata.step === null ? '' : `, step ${result.metadata.step}`}) ` +
          `as a ${options.format} model to ${displayPath(out)}: ${files}\n`,
      );
      return 0;
    } catch (error) {
      if (error instanceof exporter.ExportError) throw new RunFolderError(error.message, 1);
      throw error;
    } finally {
      graph.dispose();
    }
  } catch (error) {
    if (error instanceof RunFolderError) {
      io.stderr(`ssl: ${error.message}\n`);
      return error.exitCode;
    }
    throw error;
  }
}

/** loadTrainedGraph with its ExportError (missing or mismatched weights) as an exit-1 RunFolderError. */
export function loadGraph(exporter: typeof import('../runtime/export/index.js'), ir: IR, runDir: string) {
  try {
    return exporter.loadTrainedGraph(ir, runDir);
  } catch (error) {
    if (error instanceof exporter.ExportError) throw new RunFolderError(error.message, 1);
    throw error;
  }
}

export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KB`;
  return `${(n / 1024 / 1024).toFixed(1)} MB`;
}

/** A path as the user would type it: relative to the working directory when inside it. */
export function displayPath(path: string): string {
  const rel = relative(process.cwd(), path);
  return rel && !rel.startsWith('..') ? rel : path;
}
