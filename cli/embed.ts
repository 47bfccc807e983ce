/**
 * `ssl embed RUN_DIR DATA [--out FILE] [--format npy|csv] [--network NAME] [--batch N]`: every
 * example of DATA through the run's trained encoder, written as .npy (float32 [N, D] plus int32
 * labels [N] beside it) or .csv (runtime/export/embed.ts; docs/export.md).
 *
 * DATA is the name of a data source of the run's recipe (`test`), or a dataset expression in the
 * recipe language (`'mnist(split: "test", limit: 1000)'`). An expression is checked by the
 * compiler exactly as if it were written in the recipe: the run's recipe (resolved.ssl when it
 * extends a base or had --set overrides, else recipe.ssl) is compiled with the override
 * `data.NAME=DATA`, NAME being a data source the probes read (else the training data), and the
 * diagnostics that fall in DATA are reported against DATA itself (`DATA:1:7: error[...]`).
 *
 * Exit codes: 0 ok; 1 DATA has errors, or the data or weights cannot be read; 2 no run folder.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { compile, formatDiagnostic, overrideUri, SourceText, type Diagnostic, type FileLoader } from '../compiler/index.js';
import type { DataSource, IR, Span } from '../compiler/ir.js';
import { displayPath, encoderOf, loadGraph, readRunFolder, RunFolderError, type CommandIo } from './export.js';

export interface EmbedOptions {
  out?: string;
  format?: 'npy' | 'csv';
  network?: string;
  batch: number;
  backend: string;
  /** How the compiler reads files while checking DATA (the CLI's disk loader). */
  loader?: FileLoader;
}

/** The uri diagnostics inside the DATA argument are reported under. */
export const DATA_URI = 'DATA';

export async function embedCommand(runDir: string, data: string, options: EmbedOptions, io: CommandIo): Promise<number> {
  try {
    if (data.trim() === '') throw new RunFolderError("DATA is empty: give a data source of the recipe (test) or a dataset expression ('mnist(split: \"test\")')", 2);
    const ir = readRunFolder(runDir);
    const ref = encoderOf(ir, options.network);
    const source = dataSource(ir, runDir, data, options.loader, io);
    if (!source) return 1;
    checkShape(source.source, ref.inputShape, ref.chain[0]!, ir);
    const format = options.format ?? (options.out?.toLowerCase().endsWith('.csv') ? 'csv' : 'npy');
    const out = options.out ?? join(runDir, 'embeddings', `${fileStem(data)}${ref.network === ir.probes[0]?.features.network ? '' : `-${ref.network}`}.${format}`);
    const [{ initBackend }, exporter] = await Promise.all([import('../runtime/backend/index.js'), import('../runtime/export/index.js')]);
    await initBackend(options.backend as Parameters<typeof initBackend>[0]).catch((error: Error) => {
      throw new RunFolderError(error.message, 1);
    });
    const graph = loadGraph(exporter, ir, runDir);
    try {
      const result = await exporter.writeEmbeddings(graph, ref, source.source, { format, out, batch: options.batch, seed: ir.train.seed });
      const [main, labels] = result.files.map(displayPath);
      io.stderr(
        `ssl: wrote ${result.n} x ${result.d} embeddings of ${source.label} through ${ref.chain.join(' -> ')} to ${main}` +
          `${labels ? ` (labels: ${labels})` : ' (first column: label)'}\n`,
      );
      return 0;
    } catch (error) {
      // Data that cannot be read (DataError names the file and record) or an encoder that refuses it.
      throw new RunFolderError(`cannot embed ${source.label}: ${(error as Error).message}`, 1);
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

/**
 * The data source DATA names: `ir.data[DATA]` for a name of the run's IR, else DATA compiled as
 * an expression in place of one of the recipe's data sources. Diagnostics go to stderr; undefined
 * when DATA has errors.
 */
export function dataSource(ir: IR, runDir: string, data: string, loader: FileLoader | undefined, io: CommandIo): { source: DataSource; label: string } | undefined {
  const named = /^[A-Za-z_]\w*$/.test(data.trim()) ? ir.data[data.trim()] : undefined;
  if (named) return { source: named, label: `'${data.trim()}'` };

  const recipeFile = ['resolved.ssl', 'recipe.ssl'].map((f) => join(runDir, f)).find((f) => existsSync(f));
  if (!recipeFile) throw new RunFolderError(`${join(runDir, 'recipe.ssl')}: not found; it is needed to check DATA '${data}'`, 1);
  const text = readFileSync(recipeFile, 'utf8');
  const target = Object.keys(ir.data).find((name) => name !== ir.train.data) ?? ir.train.data;
  const prefix = `data.${target}=`;
  // The recipe's own uri: paths in the recipe (and in DATA) resolve as they did for `ssl run`.
  const { ir: compiled, diagnostics } = compile(text, ir.source.uri, { ...loader, overrides: [prefix + data] });
  const inData = (d: Diagnostic) => d.span.uri === overrideUri(0);
  const shown = diagnostics.filter((d) => inData(d) || d.severity === 'error');
  for (const d of shown) {
    if (inData(d)) io.stderr(formatDiagnostic(relocate(d, prefix.length, data), data) + '\n');
    else io.stderr(formatDiagnostic(d, text) + '\n');
  }
  const errors = shown.filter((d) => d.severity === 'error');
  if (errors.length > 0 || !compiled?.data[target]) {
    if (errors.some((d) => !inData(d))) {
      io.stderr(`note: DATA was checked in place of data '${target}' of the run's recipe (${displayPath(recipeFile)})\n`);
    }
    return undefined;
  }
  return { source: compiled.data[target]!, label: `'${data}'` };
}

/** A diagnostic in the override text `data.NAME=DATA` moved into DATA itself (uri DATA, offsets shifted). */
function relocate(d: Diagnostic, shift: number, data: string): Diagnostic {
  const src = new SourceText(data, DATA_URI);
  const move = (span: Span): Span => {
    if (span.uri !== overrideUri(0)) return span;
    const start = Math.max(0, span.start.offset - shift);
    return src.span(start, Math.max(start, span.end.offset - shift));
  };
  return { ...d, span: move(d.span), ...(d.related ? { related: d.related.map((r) => ({ ...r, span: move(r.span) })) } : {}) };
}

/**
 * Checks DATA's examples fit the encoder's first network as the probes' check does: conv nets take
 * any image with their channel count, everything else exactly their input size.
 */
function checkShape(source: DataSource, inputShape: number[], first: string, ir: IR): void {
  const kind = ir.networks[first]?.stages[0]?.kind;
  const product = (s: number[]) => s.reduce((a, b) => a * b, 1);
  const fits =
    kind === 'convnet' || kind === 'resnet'
      ? source.shape.length === 3 && source.shape[2] === inputShape[2]
      : product(source.shape) === product(inputShape);
  if (!fits) {
    throw new RunFolderError(`DATA has examples of shape [${source.shape.join(', ')}], but network '${first}' takes [${inputShape.join(', ')}]`, 1);
  }
}

/** A file name for DATA: the data name, or the expression with its punctuation folded (`mnist-split-test`). */
function fileStem(data: string): string {
  const stem = data.replace(/[^A-Za-z0-9]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 60);
  return stem || 'data';
}
