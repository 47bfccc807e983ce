/**
 * Completion from the lexer's view of the statement under the cursor (analysis.ts) and the builtin
 * registry (compiler/builtins.ts): what is offered is exactly what the compiler accepts there.
 */
import type { IToken } from 'chevrotain';
import { CompletionItemKind, MarkupKind, type CompletionItem } from 'vscode-languageserver';
import { builtins, builtinList, constants, type BuiltinKind, type BuiltinSpec, type ParamSpec } from '../../compiler/builtins.js';
import * as T from '../../grammar/tokens.js';
import { isIdentifier, tokenEnd, type Analysis, type DefinitionKind, type DefinitionSite } from './analysis.js';
import { builtinMarkdown, builtinSignature, paramSignature } from './signature.js';

const keywordNames = T.statementKeywords.map((k) => (k.PATTERN as RegExp).source);

const builtinKinds: Record<BuiltinKind, CompletionItemKind> = {
  dataset: CompletionItemKind.Module,
  augmentation: CompletionItemKind.Function,
  'network-stage': CompletionItemKind.Class,
  teacher: CompletionItemKind.Function,
  graph: CompletionItemKind.Function,
  loss: CompletionItemKind.Function,
  optimizer: CompletionItemKind.Function,
  schedule: CompletionItemKind.Function,
  probe: CompletionItemKind.Function,
  train: CompletionItemKind.Keyword,
};

function builtinItem(b: BuiltinSpec): CompletionItem {
  return { label: b.name, kind: builtinKinds[b.kind], detail: builtinSignature(b), documentation: { kind: MarkupKind.Markdown, value: builtinMarkdown(b) } };
}

function builtinsOf(...kinds: BuiltinKind[]): CompletionItem[] {
  return builtinList.filter((b) => kinds.includes(b.kind)).map(builtinItem);
}

function nameItems(scope: readonly DefinitionSite[], ...kinds: DefinitionKind[]): CompletionItem[] {
  const seen = new Set<string>();
  const out: CompletionItem[] = [];
  for (const d of scope) {
    if (!kinds.includes(d.kind) || seen.has(d.name)) continue;
    seen.add(d.name);
    out.push({ label: d.name, kind: CompletionItemKind.Variable, detail: `${d.kind} ${d.name}` });
  }
  return out;
}

function constantItems(): CompletionItem[] {
  return Object.entries(constants).map(([name, doc]) => ({ label: name, kind: CompletionItemKind.Constant, detail: `constant ${name}`, documentation: doc }));
}

/** What may stand in a loss or `let` expression. */
function expressionItems(scope: readonly DefinitionSite[]): CompletionItem[] {
  return [...builtinsOf('loss', 'graph'), ...nameItems(scope, 'view', 'network', 'teacher', 'let', 'data'), ...constantItems()];
}

/** The items for a parameter's value, by its type. */
function valueItems(p: ParamSpec, scope: readonly DefinitionSite[]): CompletionItem[] {
  switch (p.type.kind) {
    case 'ident-enum':
      return p.type.values.map((v) => ({ label: v, kind: CompletionItemKind.EnumMember, detail: paramSignature(p) }));
    case 'string-enum':
      return p.type.values.map((v) => ({ label: `"${v}"`, kind: CompletionItemKind.EnumMember, detail: paramSignature(p) }));
    case 'bool':
      return ['true', 'false'].map((v) => ({ label: v, kind: CompletionItemKind.Keyword }));
    case 'augmentation':
      return [...builtinsOf('augmentation'), ...nameItems(scope, 'view')];
    case 'network':
      return nameItems(scope, 'network');
    case 'data':
      return [...nameItems(scope, 'data'), ...builtinsOf('dataset')];
    case 'embedding':
    case 'embeddings':
    case 'tensor':
    case 'mask':
      return expressionItems(scope);
    default:
      return constantItems();
  }
}

function paramItems(b: BuiltinSpec, given: ReadonlySet<string>): CompletionItem[] {
  return b.params
    .filter((p) => !given.has(p.name))
    .map((p, i) => ({
      label: `${p.name}:`,
      filterText: p.name,
      insertText: `${p.name}: `,
      kind: CompletionItemKind.Property,
      detail: paramSignature(p),
      documentation: p.doc,
      sortText: `0${String(i).padStart(3, '0')}`,
    }));
}

/** The items a statement's value takes at its top level (outside any call's parentheses). */
function statementItems(keyword: string, scope: readonly DefinitionSite[]): CompletionItem[] {
  switch (keyword) {
    case 'view':
      return [...builtinsOf('augmentation'), ...nameItems(scope, 'view')];
    case 'network':
      return [...builtinsOf('network-stage'), ...nameItems(scope, 'network')];
    case 'data':
      return builtinsOf('dataset');
    case 'teacher':
      return builtinsOf('teacher');
    case 'loss':
    case 'let':
      return expressionItems(scope);
    case 'optimizer':
      return builtinsOf('optimizer');
    case 'schedule':
      return builtinsOf('schedule');
    case 'probe':
      return builtinsOf('probe');
    case 'train': {
      const train = builtins.get('train');
      return train ? paramItems(train, new Set()) : [];
    }
    default:
      return [];
  }
}

/**
 * Completion items at `offset`. `scope` holds the definitions visible from the document (its own
 * and its bases').
 */
export function complete(a: Analysis, offset: number, visible: readonly DefinitionSite[]): CompletionItem[] {
  let scope = visible;
  // Nothing to offer inside a comment or a string.
  const inside = (t: IToken) => t.startOffset < offset && offset <= tokenEnd(t) && !(t.tokenType === T.StringLiteral && offset === tokenEnd(t));
  if (a.comments.some(inside) || a.tokens.some((t) => t.tokenType === T.StringLiteral && inside(t))) return [];
  // An unterminated string (strings are single-line): an odd number of quotes before the cursor.
  const lineBefore = a.text.slice(a.text.lastIndexOf('\n', offset - 1) + 1, offset).replace(/\\./g, '');
  if (!lineBefore.includes('#') && (lineBefore.match(/"/g)?.length ?? 0) % 2 === 1) return [];
  // Tokens before the cursor, without the word being typed.
  const before: IToken[] = [];
  for (const t of a.tokens) {
    if (tokenEnd(t) > offset || (tokenEnd(t) === offset && isIdentifier(t))) break;
    before.push(t);
  }
  const lineStart = a.text.lastIndexOf('\n', offset - 1) + 1;
  const last = before[before.length - 1];
  const statement = [...a.statements].reverse().find((s) => s.start < offset && (s.tokens[0] !== undefined && tokenEnd(s.tokens[0]) < offset));
  const continuing = last !== undefined && [T.Pipe, T.Arrow, T.Equals, T.Comma, T.Colon, T.LParen, T.LBracket, T.Plus, T.Minus, T.Star, T.Slash].includes(last.tokenType);
  const statementTokens = statement ? before.filter((t) => t.startOffset >= statement.start) : [];
  // Open brackets of the statement before the cursor.
  const open: number[] = [];
  statementTokens.forEach((t, i) => {
    if (t.tokenType === T.LParen || t.tokenType === T.LBracket) open.push(i);
    else if ((t.tokenType === T.RParen || t.tokenType === T.RBracket) && open.length > 0) open.pop();
  });
  const atLineStart = (last === undefined || last.startOffset < lineStart) && a.text.slice(lineStart, offset).trim().match(/^[A-Za-z_]*$/) !== null;
  if (!statement || (atLineStart && open.length === 0 && !continuing)) {
    return keywordNames.map((k, i) => ({ label: k, kind: CompletionItemKind.Keyword, sortText: String(i).padStart(2, '0') }));
  }
  // A definition cannot refer to itself.
  const self = statement.name?.image;
  if (self !== undefined && statement.keyword !== 'recipe') scope = scope.filter((d) => d.name !== self);
  const innermost = open.length > 0 ? open[open.length - 1]! : -1;
  if (innermost >= 0 && statementTokens[innermost]!.tokenType === T.LParen) {
    const callee = statementTokens[innermost - 1];
    const spec = callee && isIdentifier(callee) ? builtins.get(callee.image) : undefined;
    if (spec) {
      // The arguments so far, at this call's depth: names given, and the one being written.
      const given = new Set<string>();
      let depth = 0;
      let positional = 0;
      let currentName: string | undefined;
      for (let i = innermost + 1; i < statementTokens.length; i++) {
        const t = statementTokens[i]!;
        if (t.tokenType === T.LParen || t.tokenType === T.LBracket) depth++;
        else if (t.tokenType === T.RParen || t.tokenType === T.RBracket) depth--;
        else if (depth === 0 && t.tokenType === T.Colon) {
          const name = statementTokens[i - 1]!.image;
          given.add(name);
          currentName = name;
        } else if (depth === 0 && t.tokenType === T.Comma) {
          if (currentName === undefined) positional++;
          currentName = undefined;
        }
      }
      const positionalParams = spec.params.filter((p) => p.positional);
      const param = currentName !== undefined ? spec.params.find((p) => p.name === currentName) : positionalParams[Math.min(positional, positionalParams.length - 1)];
      for (let k = 0; k < Math.min(positional, positionalParams.length); k++) given.add(positionalParams[k]!.name);
      const values = param && !(currentName === undefined && positional >= positionalParams.length && !param.variadic) ? valueItems(param, scope) : [];
      if (last?.tokenType === T.Colon) return values;
      return [...paramItems(spec, given), ...values];
    }
  }
  return statementItems(statement.keyword, scope);
}
