/**
 * Diagnostics: what every phase returns instead of throwing. A leaf module (only types from the IR
 * contract), so `grammar/parse.ts` can report lex and parse errors in the same shape.
 */
import type { Position, Span } from './ir.js';
import type { DiagnosticCode } from './codes.js';

export type Severity = 'error' | 'warning' | 'info';

export interface RelatedInformation {
  message: string;
  span: Span;
}

export interface Diagnostic {
  severity: Severity;
  code: DiagnosticCode;
  message: string;
  span: Span;
  /** One or more lines of advice (`did you mean 'gaussian_blur'?`), printed as `= help:` lines. */
  hint?: string;
  related?: RelatedInformation[];
}

export function hasErrors(diagnostics: readonly Diagnostic[]): boolean {
  return diagnostics.some((d) => d.severity === 'error');
}

// ---------------------------------------------------------------------------------------------
// Source positions

/** Maps 0-based offsets to 1-based line/column (UTF-16 code units; `\n`, `\r\n` and `\r` end lines). */
export class SourceText {
  readonly lineStarts: number[] = [0];

  constructor(
    readonly text: string,
    readonly uri: string,
  ) {
    for (let i = 0; i < text.length; i++) {
      const c = text.charCodeAt(i);
      if (c === 10) this.lineStarts.push(i + 1);
      else if (c === 13) {
        if (text.charCodeAt(i + 1) === 10) i++;
        this.lineStarts.push(i + 1);
      }
    }
  }

  position(offset: number): Position {
    const o = Math.max(0, Math.min(Number.isFinite(offset) ? offset : this.text.length, this.text.length));
    let lo = 0;
    let hi = this.lineStarts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.lineStarts[mid]! <= o) lo = mid;
      else hi = mid - 1;
    }
    return { offset: o, line: lo + 1, column: o - this.lineStarts[lo]! + 1 };
  }

  /** A span from `start` (inclusive) to `end` (exclusive), clamped into the text. */
  span(start: number, end: number): Span {
    const s = this.position(start);
    const e = this.position(Math.max(end, s.offset));
    return { uri: this.uri, start: s, end: e };
  }

  /** The text of line `line` (1-based) without its terminator. */
  lineText(line: number): string {
    const start = this.lineStarts[line - 1];
    if (start === undefined) return '';
    const next = this.lineStarts[line];
    let end = next === undefined ? this.text.length : next;
    while (end > start && (this.text[end - 1] === '\n' || this.text[end - 1] === '\r')) end--;
    return this.text.slice(start, end);
  }
}

// ---------------------------------------------------------------------------------------------
// Suggestions

/** Optimal-string-alignment Damerau-Levenshtein distance (a transposition costs 1). */
/** Reused DP rows (compile runs this for every unknown name against every candidate). */
let rows: [Int32Array, Int32Array, Int32Array] = [new Int32Array(64), new Int32Array(64), new Int32Array(64)];

export function editDistance(a: string, b: string): number {
  // Three rolling rows (the transposition looks two rows back): O(min) memory, not O(m * n).
  const m = a.length;
  const n = b.length;
  if (rows[0]!.length < n + 1) rows = [0, 1, 2].map(() => new Int32Array(2 * (n + 1))) as typeof rows;
  let [prev2, prev, cur] = rows;
  for (let j = 0; j <= n; j++) prev[j] = j;
  for (let i = 1; i <= m; i++) {
    cur[0] = i;
    for (let j = 1; j <= n; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let v = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) v = Math.min(v, prev2[j - 2]! + 1);
      cur[j] = v;
    }
    [prev2, prev, cur] = [prev, cur, prev2];
  }
  return prev[n]!;
}

/** Names longer than this get no suggestion: nobody mistypes a 65-character name by a few letters. */
const MAX_SUGGESTION_LENGTH = 64;
/** At most this many valid names are listed in a hint. */
const MAX_LISTED = 24;

/** The closest candidate, only when reasonably close (distance <= max(1, floor(len/3))). */
export function closest(name: string, candidates: Iterable<string>): string | undefined {
  if (name.length > MAX_SUGGESTION_LENGTH) return undefined;
  let best: string | undefined;
  let bestD = Infinity;
  const lower = name.toLowerCase();
  for (const c of candidates) {
    // A candidate whose length differs by more than the largest allowed distance cannot be close.
    const limit = Math.max(1, Math.floor(Math.max(name.length, c.length) / 3));
    if (c.length > MAX_SUGGESTION_LENGTH || Math.abs(c.length - name.length) > limit) continue;
    const dist = editDistance(lower, c.toLowerCase());
    if (dist < bestD && dist <= limit) {
      bestD = dist;
      best = c;
      if (dist <= 1) break; // an unknown name is at distance >= 1 from every candidate
    }
  }
  return best;
}

/** `did you mean 'x'?` plus the valid names (at most MAX_LISTED of them), as hint lines. */
export function suggestionHint(name: string, candidates: readonly string[], what = 'valid names'): string | undefined {
  if (candidates.length === 0) return undefined;
  const best = closest(name, candidates);
  const shown = candidates.slice(0, MAX_LISTED).map((c) => `'${c.length > MAX_SUGGESTION_LENGTH ? `${c.slice(0, 24)}…` : c}'`);
  const more = candidates.length > MAX_LISTED ? `, … (${candidates.length - MAX_LISTED} more)` : '';
  const list = `${what}: ${shown.join(', ')}${more}`;
  return best !== undefined ? `did you mean '${best}'?\n${list}` : list;
}

// ---------------------------------------------------------------------------------------------
// Formatting

/**
 * Prints a diagnostic for a terminal:
 * ```
 * examples/quickstart.ssl:12:5: error[unknown-name]: unknown augmentation 'gausian_blur'
 *    12 | view aug = gausian_blur(sigma: 0.1..2.0)
 *       |            ^~~~~~~~~~~~
 *   = help: did you mean 'gaussian_blur'?
 * ```
 */
export function formatDiagnostic(diag: Diagnostic, sourceText: string): string {
  const src = new SourceText(sourceText, diag.span.uri);
  const { start, end } = diag.span;
  const out: string[] = [`${diag.span.uri}:${start.line}:${start.column}: ${diag.severity}[${diag.code}]: ${diag.message}`];
  const lineNo = String(start.line);
  const gutter = ' '.repeat(lineNo.length);
  const line = src.lineText(start.line);
  if (start.line >= 1 && start.line <= src.lineStarts.length) {
    const from = Math.min(start.column - 1, line.length);
    const to = end.line === start.line ? Math.max(from + 1, Math.min(end.column - 1, line.length)) : Math.max(from + 1, line.length);
    const pad = line.slice(0, from).replace(/[^\t]/g, ' ');
    const marks = '^' + '~'.repeat(Math.max(0, to - from - 1));
    out.push(` ${lineNo} | ${line}`);
    out.push(` ${gutter} | ${pad}${marks}`);
  }
  if (diag.hint) for (const h of diag.hint.split('\n')) out.push(`  = help: ${h}`);
  for (const r of diag.related ?? []) out.push(`  = note: ${r.span.uri}:${r.span.start.line}:${r.span.start.column}: ${r.message}`);
  return out.join('\n');
}
