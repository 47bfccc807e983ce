/**
 * The open recipes and how they compile: the same `compile()` call as `ssl check` (cli/main.ts),
 * with the same loader semantics (bases followed through `extends`, file datasets inspected by
 * runtime/data/inspect.ts, no `--set`), except that a file open in the editor is read from the
 * editor's buffer, so unsaved edits to a base recipe show up in the recipes extending it.
 *
 * Recipes compile under their file-system path (not their `file://` uri), as `ssl check` names
 * them, so relative `extends` and data paths resolve exactly as on the command line.
 */
import { fileURLToPath, pathToFileURL } from 'node:url';
import { TextDocument } from 'vscode-languageserver-textdocument';
import type { Diagnostic as LspDiagnostic, DiagnosticRelatedInformation, Range } from 'vscode-languageserver';
import { compile, type CompileResult, type FileLoader } from '../../compiler/index.js';
import type { Diagnostic } from '../../compiler/diagnostics.js';
import type { Span } from '../../compiler/ir.js';
import { diskLoader } from '../../cli/disk-loader.js';
import { analyze, type Analysis } from './analysis.js';

const SCHEME = /^[A-Za-z][A-Za-z0-9+.-]*:/;

/** `file:///a/b.ssl` -> `/a/b.ssl`; other schemes (`untitled:`) stay as they are. */
export function uriToPath(uri: string): string {
  if (uri.startsWith('file:')) {
    try {
      return fileURLToPath(uri);
    } catch {
      return uri;
    }
  }
  return uri;
}

/** The inverse of `uriToPath`. */
export function pathToUri(path: string): string {
  if (SCHEME.test(path) && !/^[A-Za-z]:[\\/]/.test(path)) return path;
  return pathToFileURL(path).href;
}

/** A compiler span (1-based line/column) as an LSP range (0-based). */
export function toRange(span: Span): Range {
  return {
    start: { line: Math.max(0, span.start.line - 1), character: Math.max(0, span.start.column - 1) },
    end: { line: Math.max(0, span.end.line - 1), character: Math.max(0, span.end.column - 1) },
  };
}

export interface Compiled {
  /** The document version compiled. */
  version: number;
  /** `Workspace.generation` when compiled (any edit anywhere may change a compile through `extends`). */
  generation: number;
  path: string;
  result: CompileResult;
}

export class Workspace {
  readonly documents = new Map<string, TextDocument>();
  /** The latest compile of each open document, possibly stale (see `generation`). */
  private readonly compiled = new Map<string, Compiled>();
  /** Bumped by every open, edit and close. */
  private generation = 0;
  private readonly analyses = new Map<string, { version: number; analysis: Analysis }>();

  /** Reads open documents first, then the disk; lists folders; inspects data files (as `ssl check`). */
  readonly loader: Required<FileLoader> = {
    ...diskLoader,
    readFile: (path) => this.documentAtPath(path)?.getText() ?? diskLoader.readFile(path),
  };

  open(uri: string, languageId: string, version: number, text: string): void {
    this.documents.set(uri, TextDocument.create(uri, languageId, version, text));
    this.invalidate();
  }

  change(uri: string, version: number, changes: Parameters<typeof TextDocument.update>[1]): void {
    const doc = this.documents.get(uri);
    if (!doc) return;
    this.documents.set(uri, TextDocument.update(doc, changes, version));
    this.invalidate();
  }

  close(uri: string): void {
    this.documents.delete(uri);
    this.analyses.delete(uri);
    this.compiled.delete(uri);
    this.invalidate();
  }

  /** Any edit may change what a recipe extending the edited one compiles to. */
  private invalidate(): void {
    this.generation++;
  }

  documentAtPath(path: string): TextDocument | undefined {
    for (const doc of this.documents.values()) if (uriToPath(doc.uri) === path) return doc;
    return undefined;
  }

  compile(uri: string): Compiled | undefined {
    const doc = this.documents.get(uri);
    if (!doc) return undefined;
    const cached = this.compiled.get(uri);
    if (cached && cached.version === doc.version && cached.generation === this.generation) return cached;
    const path = uriToPath(uri);
    const result = compile(doc.getText(), path, this.loader);
    const entry = { version: doc.version, generation: this.generation, path, result };
    this.compiled.set(uri, entry);
    return entry;
  }

  analysis(uri: string): Analysis | undefined {
    const doc = this.documents.get(uri);
    if (!doc) return undefined;
    const cached = this.analyses.get(uri);
    if (cached && cached.version === doc.version) return cached.analysis;
    const analysis = analyze(doc.getText());
    this.analyses.set(uri, { version: doc.version, analysis });
    return analysis;
  }

  /**
   * The open documents that extend (directly or through another base) the file at `uri`, by their
   * latest compile (stale ones too: an edit to a base does not change which files extend it, so a
   * keystroke does not recompile every open recipe).
   */
  dependents(uri: string): string[] {
    const path = uriToPath(uri);
    const out: string[] = [];
    for (const other of this.documents.keys()) {
      if (other === uri) continue;
      const last = this.compiled.get(other) ?? this.compile(other);
      if (last?.result.bases.includes(path)) out.push(other);
    }
    return out;
  }
}

const severities = { error: 1, warning: 2, info: 3 } as const;

/** What a published diagnostic carries for code actions. */
export interface DiagnosticData {
  hint?: string;
}

/**
 * Our diagnostics of one compile as LSP diagnostics for the compiled document. Those that point
 * into a base recipe are shown on the `extends` line (with the base location as related
 * information), since an editor shows a document's problems only inside it.
 */
export function toLspDiagnostics(compiled: Compiled, analysis: Analysis): LspDiagnostic[] {
  const extendsStatement = analysis.statements.find((s) => s.keyword === 'extends');
  return compiled.result.diagnostics.map((d) => toLspDiagnostic(d, compiled, analysis, extendsStatement?.start, extendsStatement?.end));
}

function toLspDiagnostic(d: Diagnostic, compiled: Compiled, analysis: Analysis, extendsStart?: number, extendsEnd?: number): LspDiagnostic {
  const related: DiagnosticRelatedInformation[] = (d.related ?? []).map((r) => ({ location: { uri: pathToUri(r.span.uri), range: toRange(r.span) }, message: r.message }));
  let range = toRange(d.span);
  let message = d.message;
  if (d.span.uri !== compiled.path) {
    related.unshift({ location: { uri: pathToUri(d.span.uri), range }, message: d.message });
    message = `${d.span.uri}:${d.span.start.line}:${d.span.start.column}: ${d.message}`;
    const doc = TextDocument.create('x', 'ssl', 0, analysis.text);
    range = { start: doc.positionAt(extendsStart ?? 0), end: doc.positionAt(extendsEnd ?? 0) };
  }
  if (d.hint) message += '\n' + d.hint.split('\n').map((h) => `help: ${h}`).join('\n');
  const data: DiagnosticData = d.hint ? { hint: d.hint } : {};
  return {
    range,
    severity: severities[d.severity],
    code: d.code,
    source: 'ssl',
    message,
    ...(related.length > 0 ? { relatedInformation: related } : {}),
    data,
  };
}
