/**
 * Token-level view of a recipe for the editor: statements, definitions and the word at a position,
 * from the project's own lexer (grammar/tokens.ts), so it works on half-typed, unparsable text too.
 * The compiler (compiler/index.ts) stays the one judge of meaning; this only finds places.
 */
import type { IToken, TokenType } from 'chevrotain';
import { chevrotain } from '../../grammar/chevrotain.js';
import * as T from '../../grammar/tokens.js';

export type StatementKeyword = 'recipe' | 'extends' | 'data' | 'view' | 'network' | 'teacher' | 'let' | 'loss' | 'optimizer' | 'schedule' | 'train' | 'probe';
export type DefinitionKind = 'data' | 'view' | 'network' | 'teacher' | 'let';

export interface Statement {
  keyword: StatementKeyword;
  /** The defined name (`data`/`view`/`network`/`teacher`/`let`) or the recipe's name. */
  name?: IToken;
  /** Offsets: from the keyword to the end of the statement's last token (exclusive). */
  start: number;
  end: number;
  tokens: IToken[];
}

export interface Analysis {
  text: string;
  /** Parser-input tokens (comments and whitespace dropped). */
  tokens: IToken[];
  /** `# ...` comments. */
  comments: IToken[];
  statements: Statement[];
}

const statementTypes = new Set<TokenType>(T.statementKeywords);
const definitionKinds = new Set<string>(['data', 'view', 'network', 'teacher', 'let']);
/** After these a line break continues the statement (`view v = crop(28)\n | flip()`). */
const continuation = new Set<TokenType>([T.Pipe, T.Arrow, T.Equals, T.Comma, T.Colon, T.Plus, T.Minus, T.Star, T.Slash, T.DotDot, T.LParen, T.LBracket]);
/** A line that starts with these continues the previous statement. */
const leadingContinuation = new Set<TokenType>([T.Pipe, T.Arrow, T.Plus, T.Minus, T.Star, T.Slash, T.DotDot, T.Comma]);

export const isIdentifier = (t: IToken): boolean => chevrotain.tokenMatcher(t, T.Identifier);
export const tokenEnd = (t: IToken): number => t.startOffset + t.image.length;

export function analyze(text: string): Analysis {
  const lexed = T.sslLexer.tokenize(text);
  const tokens = lexed.tokens;
  const statements: Statement[] = [];
  let depth = 0;
  let current: Statement | undefined;
  let previous: IToken | undefined;
  let previousLine = -1;
  let line = 0;
  let scanned = 0;
  for (const tok of tokens) {
    for (; scanned < tok.startOffset; scanned++) if (text.charCodeAt(scanned) === 10) line++;
    const firstOnLine = line !== previousLine;
    const continues = previous !== undefined && continuation.has(previous.tokenType);
    if (depth === 0 && firstOnLine && !continues && statementTypes.has(tok.tokenType) && !leadingContinuation.has(tok.tokenType)) {
      current = { keyword: tok.image as StatementKeyword, start: tok.startOffset, end: tokenEnd(tok), tokens: [] };
      statements.push(current);
    }
    if (current) {
      current.tokens.push(tok);
      current.end = tokenEnd(tok);
      if (current.tokens.length === 2 && isIdentifier(tok) && (definitionKinds.has(current.keyword) || current.keyword === 'recipe')) current.name = tok;
    }
    if (tok.tokenType === T.LParen || tok.tokenType === T.LBracket) depth++;
    else if ((tok.tokenType === T.RParen || tok.tokenType === T.RBracket) && depth > 0) depth--;
    previous = tok;
    previousLine = line;
  }
  return { text, tokens, comments: lexed.groups.comments ?? [], statements };
}

/** The statement that contains `offset` (or ends just before it, while typing at its end). */
export function statementAt(a: Analysis, offset: number): Statement | undefined {
  let found: Statement | undefined;
  for (const s of a.statements) if (s.start <= offset) found = s;
  return found;
}

/** The token under the cursor: the one containing `offset`, or ending at it (cursor just after a word). */
export function tokenAt(a: Analysis, offset: number): IToken | undefined {
  let best: IToken | undefined;
  for (const t of a.tokens) {
    if (t.startOffset > offset) break;
    if (offset < tokenEnd(t)) return t;
    if (offset === tokenEnd(t)) best = t;
  }
  return best;
}

export interface DefinitionSite {
  kind: DefinitionKind;
  name: string;
  /** Offsets of the name. */
  nameStart: number;
  nameEnd: number;
  statement: Statement;
}

export function definitions(a: Analysis): DefinitionSite[] {
  const out: DefinitionSite[] = [];
  for (const s of a.statements) {
    if (!s.name || !definitionKinds.has(s.keyword)) continue;
    out.push({ kind: s.keyword as DefinitionKind, name: s.name.image, nameStart: s.name.startOffset, nameEnd: tokenEnd(s.name), statement: s });
  }
  return out;
}

/** The `extends "path"` paths of a recipe, as written. */
export function extendsPaths(a: Analysis): string[] {
  const out: string[] = [];
  for (const s of a.statements) {
    const path = s.keyword === 'extends' ? s.tokens[1] : undefined;
    if (path?.tokenType === T.StringLiteral) {
      try {
        out.push(JSON.parse(path.image) as string);
      } catch {
        out.push(path.image.slice(1, -1));
      }
    }
  }
  return out;
}

/** The text of a statement with its whitespace collapsed (for hovers). */
export function statementText(a: Analysis, s: Statement): string {
  return a.text.slice(s.start, s.end).replace(/\s+/g, ' ');
}
