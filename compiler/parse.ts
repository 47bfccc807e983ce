/**
 * `parse(text, uri)`: lex + parse into a CST. Never throws: lexer errors, parser errors (with
 * Chevrotain's error recovery, so one run reports several) and pathological nesting all become
 * diagnostics with spans.
 */
import type { CstNode, IToken } from 'chevrotain';
import { Codes } from './codes.js';
import { SourceText, type Diagnostic } from './diagnostics.js';
import { sslParser } from '../grammar/parser.js';
import * as t from '../grammar/tokens.js';

export interface ParseResult {
  /** Absent only when parsing could not run at all (nesting too deep). May be partial when there are errors. */
  cst?: CstNode;
  /** The parser's input tokens (comments excluded). */
  tokens: IToken[];
  /** Comment tokens, kept for a formatter. */
  comments: IToken[];
  diagnostics: Diagnostic[];
}

/** Deeper bracket nesting (or longer `- - - x` chains) than this is reported, not parsed. */
export const MAX_NESTING = 100;

function tokenSpanOffsets(tok: IToken | undefined): [number, number] | undefined {
  if (!tok || !Number.isFinite(tok.startOffset)) return undefined;
  const end = Number.isFinite(tok.endOffset) ? (tok.endOffset as number) + 1 : tok.startOffset + tok.image.length;
  return [tok.startOffset, end];
}

export function parse(text: string, uri: string): ParseResult {
  return parseRule(text, uri, 'program');
}

/**
 * Parses `text` as one expression (the whole input must be one; trailing tokens are a syntax error).
 * Used for `--set path=value` values (compiler/overrides.ts): offsets, and so spans, are into `text`.
 */
export function parseExpression(text: string, uri: string): ParseResult {
  return parseRule(text, uri, 'expression');
}

function parseRule(text: string, uri: string, rule: 'program' | 'expression'): ParseResult {
  try {
    return parseUnsafe(text, uri, rule);
  } catch (err) {
    return {
      tokens: [],
      comments: [],
      diagnostics: [
        {
          severity: 'error',
          code: Codes.internalError,
          message: `internal parser error: ${err instanceof Error ? err.message : String(err)}`,
          span: new SourceText(String(text), String(uri)).span(0, 0),
        },
      ],
    };
  }
}

function parseUnsafe(text: string, uri: string, rule: 'program' | 'expression'): ParseResult {
  const src = new SourceText(text, uri);
  const diagnostics: Diagnostic[] = [];
  const lexed = t.sslLexer.tokenize(text);
  for (const e of lexed.errors) {
    const ch = text.slice(e.offset, e.offset + e.length);
    diagnostics.push({
      severity: 'error',
      code: Codes.unexpectedCharacter,
      message: `unexpected character${e.length > 1 ? 's' : ''} ${JSON.stringify(ch.length > 20 ? ch.slice(0, 20) + '…' : ch)}`,
      span: src.span(e.offset, e.offset + e.length),
    });
  }
  const tokens = lexed.tokens;
  const comments = (lexed.groups['comments'] as IToken[] | undefined) ?? [];

  // Pathological nesting would overflow the recursive-descent stack: report it instead.
  let depth = 0;
  let minusRun = 0;
  for (const tok of tokens) {
    const tt = tok.tokenType;
    if (tt === t.LParen || tt === t.LBracket) depth++;
    else if (tt === t.RParen || tt === t.RBracket) depth = Math.max(0, depth - 1);
    minusRun = tt === t.Minus ? minusRun + 1 : 0;
    if (depth > MAX_NESTING || minusRun > MAX_NESTING) {
      diagnostics.push({
        severity: 'error',
        code: Codes.nestingTooDeep,
        message: `expression nested more than ${MAX_NESTING} levels deep`,
        span: src.span(tok.startOffset, tok.startOffset + tok.image.length),
      });
      return { tokens, comments, diagnostics };
    }
  }

  try {
    sslParser.input = tokens;
    const cst = rule === 'program' ? sslParser.program() : sslParser.expression();
    for (const e of sslParser.errors) {
      const offs = tokenSpanOffsets(e.token) ?? (() => {
        const prev = tokenSpanOffsets((e as { previousToken?: IToken }).previousToken);
        return prev ? ([prev[1], prev[1]] as [number, number]) : ([text.length, text.length] as [number, number]);
      })();
      diagnostics.push({ severity: 'error', code: Codes.syntaxError, message: e.message, span: src.span(offs[0], offs[1]) });
    }
    return { cst, tokens, comments, diagnostics };
  } catch (err) {
    // Chevrotain should not throw on bad input; if it does (e.g. stack exhaustion), report it.
    diagnostics.push({
      severity: 'error',
      code: err instanceof RangeError ? Codes.nestingTooDeep : Codes.syntaxError,
      message: err instanceof RangeError ? 'expression nested too deeply to parse' : `the parser failed: ${String(err)}`,
      span: src.span(0, 0),
    });
    return { tokens, comments, diagnostics };
  }
}
