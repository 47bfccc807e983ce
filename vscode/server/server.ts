/**
 * The language server's wiring: protocol requests -> the small modules beside this file. Every
 * answer comes from the project's own lexer (grammar/tokens.ts), compiler (compiler/index.ts), builtin
 * registry (compiler/builtins.ts) and formatter (compiler/format.ts), so the editor and `ssl check` /
 * `ssl fmt` never disagree.
 */
import { TextDocumentSyncKind, type Connection, type InitializeResult } from 'vscode-languageserver';
import { format } from '../../compiler/format.js';
import { quickFixes } from './actions.js';
import { analyze } from './analysis.js';
import { complete } from './completion.js';
import { definitionAt, scope, type ScopedSite } from './definition.js';
import { toLspDiagnostics, Workspace } from './documents.js';
import { hover } from './hover.js';
import { documentSymbols } from './symbols.js';

/** Typing pauses shorter than this do not recompile (compile of the largest recipe takes a few ms). */
export const DEBOUNCE_MS = 120;

export function startServer(connection: Connection, options: { debounceMs?: number } = {}): Workspace {
  const debounceMs = options.debounceMs ?? DEBOUNCE_MS;
  const ws = new Workspace();
  const timers = new Map<string, ReturnType<typeof setTimeout>>();

  const publish = (uri: string) => {
    // Runs from a timer: an exception here would end the process, so it is logged instead.
    try {
      const compiled = ws.compile(uri);
      const analysis = ws.analysis(uri);
      if (!compiled || !analysis) return;
      const doc = ws.documents.get(uri)!;
      void connection.sendDiagnostics({ uri, version: doc.version, diagnostics: toLspDiagnostics(compiled, analysis) });
    } catch (err) {
      connection.console.error(`ssl: could not check ${uri}: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
    }
  };

  /** Recompile `uri` and the open recipes extending it, after a pause in typing. */
  const schedule = (uri: string) => {
    const targets = [uri, ...ws.dependents(uri)];
    for (const target of targets) {
      clearTimeout(timers.get(target));
      timers.set(
        target,
        setTimeout(() => {
          timers.delete(target);
          publish(target);
        }, debounceMs),
      );
    }
  };

  const sites = (uri: string): { path: string; sites: ScopedSite[] } | undefined => {
    const compiled = ws.compile(uri);
    const analysis = ws.analysis(uri);
    if (!compiled || !analysis) return undefined;
    return { path: compiled.path, sites: scope(analysis, compiled.path, compiled.result.bases, compiled.result.sources) };
  };

  connection.onInitialize(
    (): InitializeResult => ({
      capabilities: {
        textDocumentSync: TextDocumentSyncKind.Incremental,
        completionProvider: { triggerCharacters: ['(', ',', ':', ' ', '|', '>'] },
        hoverProvider: true,
        definitionProvider: true,
        documentSymbolProvider: true,
        documentFormattingProvider: true,
        codeActionProvider: { codeActionKinds: ['quickfix'] },
      },
      serverInfo: { name: 'ssl-language-server' },
    }),
  );

  connection.onDidOpenTextDocument(({ textDocument: d }) => {
    // A base opened in the editor may differ from the disk: recompile the recipes extending it.
    const dependents = ws.dependents(d.uri);
    ws.open(d.uri, d.languageId, d.version, d.text);
    schedule(d.uri);
    for (const other of dependents) schedule(other);
  });
  connection.onDidChangeTextDocument(({ textDocument: d, contentChanges }) => {
    ws.change(d.uri, d.version, contentChanges);
    schedule(d.uri);
  });
  connection.onDidCloseTextDocument(({ textDocument: d }) => {
    const dependents = ws.dependents(d.uri);
    clearTimeout(timers.get(d.uri));
    timers.delete(d.uri);
    ws.close(d.uri);
    void connection.sendDiagnostics({ uri: d.uri, diagnostics: [] });
    for (const other of dependents) schedule(other);
  });

  connection.onCompletion(({ textDocument, position }) => {
    const doc = ws.documents.get(textDocument.uri);
    const analysis = ws.analysis(textDocument.uri);
    const s = sites(textDocument.uri);
    if (!doc || !analysis || !s) return [];
    return complete(analysis, doc.offsetAt(position), s.sites);
  });

  connection.onHover(({ textDocument, position }) => {
    const doc = ws.documents.get(textDocument.uri);
    const analysis = ws.analysis(textDocument.uri);
    const compiled = ws.compile(textDocument.uri);
    const s = sites(textDocument.uri);
    if (!doc || !analysis || !compiled || !s) return null;
    const byPath = new Map<string, ReturnType<typeof analyze>>([[s.path, analysis]]);
    const h = hover({
      analysis,
      offset: doc.offsetAt(position),
      path: s.path,
      result: compiled.result,
      scope: s.sites,
      pathOf: (site) => (site as ScopedSite).path,
      positionAt: (offset) => doc.positionAt(offset),
      analysisOf: (path) => {
        if (!byPath.has(path) && compiled.result.sources[path] !== undefined) byPath.set(path, analyze(compiled.result.sources[path]!));
        return byPath.get(path);
      },
    });
    return h;
  });

  connection.onDefinition(({ textDocument, position }) => {
    const doc = ws.documents.get(textDocument.uri);
    const analysis = ws.analysis(textDocument.uri);
    const s = sites(textDocument.uri);
    if (!doc || !analysis || !s) return null;
    return definitionAt(analysis, doc.offsetAt(position), s.path, s.sites);
  });

  connection.onDocumentSymbol(({ textDocument }) => {
    const analysis = ws.analysis(textDocument.uri);
    return analysis ? documentSymbols(analysis) : [];
  });

  connection.onDocumentFormatting(({ textDocument }) => {
    const doc = ws.documents.get(textDocument.uri);
    if (!doc) return [];
    const text = doc.getText();
    const formatted = format(text, textDocument.uri).text;
    if (formatted === undefined || formatted === text) return [];
    return [{ range: { start: { line: 0, character: 0 }, end: doc.positionAt(text.length) }, newText: formatted }];
  });

  connection.onCodeAction(({ textDocument, context }) => {
    const doc = ws.documents.get(textDocument.uri);
    if (!doc) return [];
    return quickFixes(textDocument.uri, context.diagnostics, (d) => doc.getText(d.range));
  });

  connection.onShutdown(() => {
    for (const t of timers.values()) clearTimeout(t);
    timers.clear();
  });

  return ws;
}
