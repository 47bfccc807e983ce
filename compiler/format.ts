/**
 * `ssl fmt`: a token-stream formatter. It re-lays the lexer's tokens (comments included) and never
 * reorders, adds or drops one; it refuses text with lexing or syntax errors. Statement boundaries
 * come from the parser (the `program` node's children), so the formatter follows the grammar as it
 * grows and needs no list of statement shapes.
 *
 * The rules, in full:
 *
 * Spacing inside a line
 * - no space before `)` `]` `,` `:` and none after `(` `[`;
 * - `..` is tight on both sides (`0.08..1.0`), `%` is tight after its number (`10%`);
 * - a call is tight: a name directly followed by `(` (`mlp(`), except the statement keyword itself
 *   (`probe (x)` keeps its space);
 * - unary minus is tight (`-1`, `-x`). A `-` is unary when it starts a statement's value or follows
 *   anything that cannot end an operand (an operator, `(`, `[`, `,`, `:`, the statement keyword);
 * - everything else is separated by exactly one space: `=` `->` `|` binary `+ - * /`, after `,`
 *   and `:`, `10 epochs`, `0.996 -> 1.0 cosine`.
 *
 * Lines
 * - every statement starts on a new line (a statement written after another on the same line is
 *   moved to its own line); line breaks the user wrote inside a statement are kept, and no other
 *   break is added;
 * - blank lines are kept but collapsed to one; blank lines at the start and end of the file are
 *   dropped; the file ends with exactly one line break; line breaks are `\r\n` when the input's first
 *   line break is `\r\n`, `\n` otherwise; a leading byte-order mark is kept; trailing whitespace
 *   (also at the end of comments) is removed.
 *
 * Continuation lines (a statement broken over several lines) are indented, for the line's first
 * token T:
 * - T closes a bracket: the indentation of the line holding the matching opening bracket;
 * - inside brackets: if the innermost open bracket was followed by a token on its own line
 *   (`knn(k: 20,`), under that token (visual alignment); if it ended its line (`mlp(`), the
 *   indentation of the bracket's line + 2;
 * - outside brackets, T is a binary operator (`|` `->` `+` `-` `*` `/` `..` `=` `%` `,` `:`): the
 *   operator ends under the statement's `=` (`view aug = a` / `         | b`; `->` puts its `>`
 *   there), or for a statement without `=`, at the column where its value starts;
 * - outside brackets, T is an operand (the user broke the line after an operator): where the value
 *   starts: two columns right of the `=` (`loss = a +` / `       b`), or the value's column.
 * Alignment padding (below) counts: the `=` and the value's column are those of the padded line.
 *
 * Comments
 * - a comment after code on the same line stays there, two spaces after the code; comments ending
 *   consecutive lines (a run of lines that each end in a comment) are aligned one column: two spaces
 *   after the longest code in the run;
 * - a comment on its own line keeps its own line. Between statements (and at the start and end of
 *   the file) it starts at column 1; inside a statement (between two of its tokens) it is indented
 *   like the code line that follows it would be (closing brackets excepted: they count as content).
 *
 * Alignment (computed, never copied from the input). A block is a maximal run of statements of one
 * class with no blank line and no own-line comment between one and the next (a trailing comment
 * does not break a block; multi-line statements take part through their first line). Classes:
 * - named definitions, `KEYWORD NAME = value`, whatever the keyword (`network`, `teacher`, `data`,
 *   `view`, `let`): the `=` of every statement of the block is put one space after the longest
 *   `KEYWORD NAME` (`data train = ...` / `data test  = ...`; `network online    = ...` /
 *   `teacher target    = ...`);
 * - unnamed definitions, `KEYWORD = value` (`loss = ...`): a class per keyword, so `loss =` is
 *   never padded to line up with the `let`s above it;
 * - every other statement, `KEYWORD value` (optimizer, schedule, train, probe, recipe, extends),
 *   one class whatever the keyword: the values start one space after the longest keyword of the
 *   block (`optimizer lars(...)` / `schedule  warmup_cosine(...)` / `train     epochs: 100`). A
 *   statement with no value (a bare `train`) belongs to the block but does not widen it.
 * A statement whose head (through its `=`, or its keyword and the value's first token) is broken
 * over lines is never padded and ends the block.
 *
 * The output is checked before it is returned: re-lexed, it must give the same tokens (type and
 * image) and the same comments (up to trailing whitespace); if not, `format` reports an
 * internal error instead of returning text.
 */
import type { CstNode, IToken } from 'chevrotain';
import { chevrotain } from '../grammar/chevrotain.js';
import * as t from '../grammar/tokens.js';
import { Codes } from './codes.js';
import { hasErrors, SourceText, type Diagnostic } from './diagnostics.js';
import { parse } from './parse.js';

const { tokenMatcher } = chevrotain;

export interface FormatResult {
  /** The formatted text; absent when the input has lexing or syntax errors (see `diagnostics`). */
  text?: string;
  diagnostics: Diagnostic[];
}

/**
 * Formats recipe text. Never throws. Returns the parser's diagnostics; when they contain an error,
 * no text. `uri` only labels diagnostics.
 */
export function format(text: string, uri = '<input>'): FormatResult {
  const source = typeof text === 'string' ? text : String(text);
  const parsed = parse(source, uri);
  if (hasErrors(parsed.diagnostics)) return { diagnostics: parsed.diagnostics };
  const internal = (message: string): FormatResult => ({
    diagnostics: [
      ...parsed.diagnostics,
      {
        severity: 'error',
        code: Codes.internalError,
        message,
        span: new SourceText(source, uri).span(0, 0),
        hint: 'this is a formatter bug; please report it with the recipe',
      },
    ],
  });
  if (!parsed.cst) return internal('internal formatter error: the parser produced no tree');
  try {
    const out = layout(source, parsed.cst);
    const problem = compareTokens(source, out);
    if (problem) return internal(`internal formatter error: ${problem}`);
    return { text: out, diagnostics: parsed.diagnostics };
  } catch (err) {
    return internal(`internal formatter error: ${err instanceof Error ? err.message : String(err)}`);
  }
}

// ---------------------------------------------------------------------------------------------
// Token classes

const closers = new Set([t.RParen, t.RBracket]);
const openers = new Set([t.LParen, t.LBracket]);
/** Tokens that take no space before them. */
const tightBefore = new Set([t.RParen, t.RBracket, t.Comma, t.Colon, t.DotDot, t.Percent]);
/** Tokens that, at the start of a continuation line, are operators (aligned under the `=`). */
const lineOperators = new Set([t.Pipe, t.Arrow, t.Plus, t.Star, t.Slash, t.DotDot, t.Equals, t.Percent, t.Comma, t.Colon]);

function endsOperand(tok: IToken): boolean {
  const tt = tok.tokenType;
  return (
    tokenMatcher(tok, t.Identifier) ||
    tt === t.NumberLiteral ||
    tt === t.StringLiteral ||
    tt === t.True ||
    tt === t.False ||
    tt === t.RParen ||
    tt === t.RBracket ||
    tt === t.Percent
  );
}

function tokenEnd(tok: IToken): number {
  return tok.startOffset + tok.image.length;
}

const lineBreak = /\r\n|\r|\n/g;
function countBreaks(text: string, from: number, to: number): number {
  if (to <= from) return 0;
  return text.slice(from, to).match(lineBreak)?.length ?? 0;
}

/** Start offsets of the statements: the `program` node's child nodes. */
function statementStarts(cst: CstNode): Set<number> {
  const starts = new Set<number>();
  for (const elements of Object.values(cst.children)) {
    for (const el of elements) {
      if ('children' in el && el.location && Number.isFinite(el.location.startOffset)) starts.add(el.location.startOffset);
    }
  }
  return starts;
}

// ---------------------------------------------------------------------------------------------
// Layout

interface Line {
  indent: number;
  /** Code without the indentation; '' for a comment-only or blank line. */
  code: string;
  /** A trailing comment (after code) or an own-line comment (no code). */
  comment?: string;
  blank?: boolean;
}

interface Stmt {
  tokens: IToken[];
  /** Tokens before the `=` (definitions), or 1 (the keyword). */
  headCount: number;
  /** Alignment class: `named` (`KEYWORD NAME = v`), `unnamed:KEYWORD` (`loss = v`) or `plain` (`KEYWORD v`). */
  cls: string;
  /** Width of the head (`data train`, `optimizer`) when it can be aligned (written on one line); else undefined. */
  headWidth?: number;
  /** The statement has a value on its first line (a bare `train` has none). */
  hasValue: boolean;
  /** No blank line or own-line comment between this statement and the previous one. */
  adjacent: boolean;
  /** Spaces added after the head for alignment. */
  pad: number;
  /** Column of the `=` (definitions) or of the value (others), padding included. */
  anchor: number;
  /** Where an operand starting a continuation line goes. */
  operandCol: number;
}

interface Bracket {
  /** Indentation of the line holding the bracket. */
  lineIndent: number;
  /** Column of the first token after the bracket on the same line. */
  contentCol?: number;
  /** The bracket ended its line. */
  block?: boolean;
}

type Item = { kind: 'token'; tok: IToken; stmt: number; index: number; start: boolean } | { kind: 'comment'; tok: IToken };

function layout(text: string, cst: CstNode): string {
  const lexed = t.sslLexer.tokenize(text);
  const tokens = lexed.tokens;
  const comments = (lexed.groups['comments'] as IToken[] | undefined) ?? [];
  const starts = statementStarts(cst);

  // Group tokens into statements.
  const stmts: Stmt[] = [];
  const items: Item[] = [];
  {
    let current: IToken[] | undefined;
    const tokItems: Item[] = [];
    for (const tok of tokens) {
      const start = current === undefined || starts.has(tok.startOffset);
      if (start) {
        current = [];
        stmts.push({ tokens: current } as Stmt);
      }
      current!.push(tok);
      tokItems.push({ kind: 'token', tok, stmt: stmts.length - 1, index: current!.length - 1, start });
    }
    // Merge with the comments by offset.
    let ci = 0;
    for (const it of tokItems) {
      while (ci < comments.length && comments[ci]!.startOffset < it.tok.startOffset) items.push({ kind: 'comment', tok: comments[ci++]! });
      items.push(it);
    }
    while (ci < comments.length) items.push({ kind: 'comment', tok: comments[ci++]! });
  }

  // Heads and alignment blocks, decided from the source before any layout.
  const sameLine = (a: IToken, b: IToken) => countBreaks(text, tokenEnd(a), b.startOffset) === 0;
  stmts.forEach((s, k) => {
    const toks = s.tokens;
    const eq = toks.findIndex((tok, i) => i >= 1 && i <= 2 && tok.tokenType === t.Equals);
    s.headCount = eq >= 1 ? eq : 1;
    s.cls = eq === 2 ? 'named' : eq === 1 ? `unnamed:${toks[0]!.image}` : 'plain';
    const value = toks[s.headCount];
    // The head, and the `=` or the value's first token, all on the first line.
    const oneLine = toks.slice(1, s.headCount + 1).every((tok, i) => sameLine(toks[i]!, tok));
    s.hasValue = value !== undefined && oneLine;
    s.headWidth = oneLine ? toks.slice(0, s.headCount).reduce((w, tok) => w + tok.image.length, s.headCount - 1) : undefined;
    const prev = stmts[k - 1];
    s.adjacent = prev !== undefined && countBreaks(text, tokenEnd(prev.tokens[prev.tokens.length - 1]!), toks[0]!.startOffset) <= 1;
    s.pad = 0;
  });
  for (let k = 0; k < stmts.length; ) {
    let j = k + 1;
    if (stmts[k]!.headWidth !== undefined) {
      while (j < stmts.length && stmts[j]!.adjacent && stmts[j]!.cls === stmts[k]!.cls && stmts[j]!.headWidth !== undefined) j++;
    }
    let width = 0;
    for (let m = k; m < j; m++) if (stmts[m]!.hasValue) width = Math.max(width, stmts[m]!.headWidth!);
    for (let m = k; m < j; m++) if (stmts[m]!.hasValue) stmts[m]!.pad = width - stmts[m]!.headWidth!;
    k = j;
  }
  for (const s of stmts) {
    const head = s.tokens.slice(0, s.headCount).reduce((w, tok) => w + tok.image.length, s.headCount - 1);
    s.anchor = head + s.pad + 1;
    s.operandCol = s.cls === 'plain' ? s.anchor : s.anchor + 2;
  }

  const lines: Line[] = [];
  let cur: Line | undefined;
  const pushBlank = () => {
    const last = lines[lines.length - 1];
    if (last && !last.blank) lines.push({ indent: 0, code: '', blank: true });
  };

  let stack: Bracket[] = [];
  let prevTok: IToken | undefined; // previous token of the current statement
  let prevIsKeyword = false;
  let prevIsUnary = false;
  let stmt: Stmt | undefined;
  let prevEnd = 0;

  /** Where a continuation line starting with `tok` goes. `asContent`: treat a closer as content (for comments). */
  const continuationIndent = (tok: IToken, asContent: boolean): number => {
    const top = stack[stack.length - 1];
    if (top) {
      if (!asContent && closers.has(tok.tokenType)) return top.lineIndent;
      if (top.block || top.contentCol === undefined) return top.lineIndent + 2;
      return top.contentCol;
    }
    const isOperator = lineOperators.has(tok.tokenType) || (tok.tokenType === t.Minus && prevTok !== undefined && !prevIsKeyword && endsOperand(prevTok));
    // Operators end under the `=`: `|` and `+` sit under it, `->` puts its `>` there.
    return isOperator ? Math.max(0, stmt!.anchor - (tok.image.length - 1)) : stmt!.operandCol;
  };

  for (let i = 0; i < items.length; i++) {
    const item = items[i]!;
    const tok = item.tok;
    const breaks = i === 0 ? 0 : countBreaks(text, prevEnd, tok.startOffset);
    prevEnd = tokenEnd(tok);

    if (item.kind === 'comment') {
      const image = tok.image.trimEnd();
      if (i > 0 && breaks === 0 && cur) {
        cur.comment = image;
        lines.push(cur);
        cur = undefined;
        continue;
      }
      if (cur) lines.push(cur);
      cur = undefined;
      if (breaks >= 2) pushBlank();
      let next: Item | undefined;
      for (let j = i + 1; j < items.length; j++) {
        if (items[j]!.kind === 'token') {
          next = items[j];
          break;
        }
      }
      const inside = stmt !== undefined && next !== undefined && next.kind === 'token' && !next.start;
      let indent = 0;
      if (inside) {
        const top = stack[stack.length - 1];
        if (top && top.contentCol === undefined) top.block = true;
        indent = continuationIndent(next!.tok, true);
      }
      lines.push({ indent, code: '', comment: image });
      continue;
    }

    if (item.start) {
      if (cur) lines.push(cur);
      if (breaks >= 2) pushBlank();
      stmt = stmts[item.stmt]!;
      stack = [];
      cur = { indent: 0, code: tok.image };
      prevTok = tok;
      prevIsKeyword = true;
      prevIsUnary = false;
      continue;
    }

    const s = stmt!;
    const top = stack[stack.length - 1];
    let col: number;
    if (breaks >= 1 || !cur) {
      if (cur) lines.push(cur);
      if (breaks >= 2) pushBlank();
      if (top && top.block === undefined && top.contentCol === undefined) top.block = true;
      const indent = continuationIndent(tok, false);
      cur = { indent, code: tok.image };
      col = indent;
    } else {
      if (top && top.block === undefined && top.contentCol === undefined) top.block = false;
      let sep = spaceBefore(tok, prevTok!, prevIsKeyword, prevIsUnary);
      if (item.index === s.headCount && s.pad > 0) sep += ' '.repeat(s.pad);
      cur.code += sep;
      col = cur.indent + cur.code.length;
      cur.code += tok.image;
    }
    if (top && top.block === false && top.contentCol === undefined) top.contentCol = col;

    const unary = tok.tokenType === t.Minus && (prevIsKeyword || !endsOperand(prevTok!));
    if (closers.has(tok.tokenType)) stack.pop();
    if (openers.has(tok.tokenType)) stack.push({ lineIndent: cur.indent });
    prevTok = tok;
    prevIsKeyword = false;
    prevIsUnary = unary;
  }
  if (cur) lines.push(cur);

  return render(text, lines);
}

function spaceBefore(tok: IToken, prev: IToken, prevIsKeyword: boolean, prevIsUnary: boolean): string {
  if (prevIsKeyword) return ' ';
  const tt = tok.tokenType;
  const pt = prev.tokenType;
  if (tightBefore.has(tt)) return '';
  if (openers.has(pt) || pt === t.DotDot || prevIsUnary) return '';
  if (tt === t.LParen && tokenMatcher(prev, t.Identifier)) return '';
  return ' ';
}

function render(text: string, lines: Line[]): string {
  while (lines.length > 0 && lines[lines.length - 1]!.blank) lines.pop();
  if (lines.length === 0) return text.startsWith('\uFEFF') ? '\uFEFF' : '';
  const firstBreak = text.search(/[\r\n]/);
  const eol = firstBreak >= 0 && text.startsWith('\r\n', firstBreak) ? '\r\n' : '\n';
  const out: string[] = [];
  for (let i = 0; i < lines.length; ) {
    const line = lines[i]!;
    if (line.code !== '' && line.comment !== undefined) {
      // A run of consecutive lines with trailing comments: align the comments.
      let j = i;
      while (j < lines.length && lines[j]!.code !== '' && lines[j]!.comment !== undefined) j++;
      let width = 0;
      for (let k = i; k < j; k++) width = Math.max(width, lines[k]!.indent + lines[k]!.code.length);
      for (let k = i; k < j; k++) {
        const l = lines[k]!;
        const code = ' '.repeat(l.indent) + l.code;
        out.push(code + ' '.repeat(width - code.length + 2) + l.comment);
      }
      i = j;
      continue;
    }
    out.push(line.blank ? '' : ' '.repeat(line.indent) + (line.code !== '' ? line.code : (line.comment ?? '')));
    i++;
  }
  return (text.startsWith('\uFEFF') ? '\uFEFF' : '') + out.join(eol) + eol;
}

// ---------------------------------------------------------------------------------------------
// The safety net

/** `undefined` when `after` lexes to the same tokens and comments as `before`; else what differs. */
export function compareTokens(before: string, after: string): string | undefined {
  const a = t.sslLexer.tokenize(before);
  const b = t.sslLexer.tokenize(after);
  if (b.errors.length > 0) return 'the formatted text does not lex';
  const ta = a.tokens;
  const tb = b.tokens;
  const n = Math.max(ta.length, tb.length);
  for (let i = 0; i < n; i++) {
    const x = ta[i];
    const y = tb[i];
    if (!x || !y || x.tokenType !== y.tokenType || x.image !== y.image) {
      return `token ${i + 1} changed: ${x ? JSON.stringify(x.image) : 'none'} became ${y ? JSON.stringify(y.image) : 'none'}`;
    }
  }
  const ca = ((a.groups['comments'] as IToken[] | undefined) ?? []).map((c) => c.image.trimEnd());
  const cb = ((b.groups['comments'] as IToken[] | undefined) ?? []).map((c) => c.image.trimEnd());
  if (ca.length !== cb.length || ca.some((c, i) => c !== cb[i])) return 'a comment changed';
  return undefined;
}
