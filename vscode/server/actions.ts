/**
 * Quick fixes for the compiler's "did you mean" suggestions. The suggestion is the first line of
 * a diagnostic's hint (compiler/diagnostics.ts `suggestionHint`: `did you mean 'x'?`), and the
 * diagnostic's span is exactly the mistyped name (unknown-name, unknown-parameter, ...), so the fix
 * replaces that span with the suggestion.
 */
import { CodeActionKind, type CodeAction, type Diagnostic as LspDiagnostic } from 'vscode-languageserver';
import type { DiagnosticData } from './documents.js';

const SUGGESTION = /^did you mean '([A-Za-z_][A-Za-z0-9_]*)'\?/;
const NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** The suggested replacement of a diagnostic's hint, if it has one. */
export function suggestion(hint: string | undefined): string | undefined {
  return hint ? SUGGESTION.exec(hint)?.[1] : undefined;
}

/** `textAt` reads the document text of a range (to check that it is the name being replaced). */
export function quickFixes(uri: string, diagnostics: readonly LspDiagnostic[], textAt: (d: LspDiagnostic) => string): CodeAction[] {
  const out: CodeAction[] = [];
  for (const d of diagnostics) {
    if (d.source !== 'ssl') continue;
    const replacement = suggestion((d.data as DiagnosticData | undefined)?.hint);
    if (!replacement || !NAME.test(textAt(d))) continue;
    out.push({
      title: `Change to '${replacement}'`,
      kind: CodeActionKind.QuickFix,
      diagnostics: [d],
      isPreferred: true,
      edit: { changes: { [uri]: [{ range: d.range, newText: replacement }] } },
    });
  }
  return out;
}
