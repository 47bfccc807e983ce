/** The outline: one symbol per statement (recipe, data, views, networks, teachers, lets, loss, ...). */
import { SymbolKind, type DocumentSymbol } from 'vscode-languageserver';
import { TextDocument } from 'vscode-languageserver-textdocument';
import { statementText, tokenEnd, type Analysis, type StatementKeyword } from './analysis.js';

const kinds: Record<StatementKeyword, SymbolKind> = {
  recipe: SymbolKind.File,
  extends: SymbolKind.Namespace,
  data: SymbolKind.Variable,
  view: SymbolKind.Function,
  network: SymbolKind.Class,
  teacher: SymbolKind.Class,
  let: SymbolKind.Variable,
  loss: SymbolKind.Event,
  optimizer: SymbolKind.Property,
  schedule: SymbolKind.Property,
  train: SymbolKind.Method,
  probe: SymbolKind.Method,
};

const ONE_LINE = 80;

export function documentSymbols(a: Analysis): DocumentSymbol[] {
  const doc = TextDocument.create('x', 'ssl', 0, a.text);
  return a.statements.map((s) => {
    const range = { start: doc.positionAt(s.start), end: doc.positionAt(s.end) };
    const nameToken = s.name ?? s.tokens[0]!;
    const selectionRange = { start: doc.positionAt(nameToken.startOffset), end: doc.positionAt(tokenEnd(nameToken)) };
    const text = statementText(a, s);
    const detail = text.length > ONE_LINE ? `${text.slice(0, ONE_LINE - 1)}…` : text;
    const name = s.keyword === 'recipe' ? `recipe ${s.name?.image ?? ''}`.trim() : s.name ? s.name.image : s.keyword;
    return { name, detail: s.name && s.keyword !== 'recipe' ? `${s.keyword}: ${detail}` : detail, kind: kinds[s.keyword], range, selectionRange };
  });
}
