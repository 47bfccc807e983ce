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
export function editDistance(a: string, b: string): number {
  const m = a.length;
  const n = b.length;
  const d: number[][] = Array.from({ length: m + 1 }, (_, i) => {
    const row = new Array<number>(n + 1).fill(0);
    row[0] = i;
    return row;
  });
  for (let j = 0; j <= n; j++) d[0]![j] = j;
  for (let i = 1; i <= m; i++) {
    for (let j = 1; j <= n; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let v = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) v = Math.min(v, d[i - 2]![j - 2]! + 1);
      d[i]![j] = v;
    }
  }
  return d[m]![n]!;
}

/** The closest candidate, only when reasonably close (distance <= max(1, floor(len/3))). */
export function closest(name: string, candidates: Iterable<string>): string | undefined {
  let best: string | undefined;
  let bestD = Infinity;
  const lower = name.toLowerCase();
  for (const c of candidates) {
    const dist = editDistance(lower, c.toLowerCase());
    if (dist < bestD) {
      bestD = dist;
      best = c;
    }
  }
  if (best === undefined) return undefined;
  const limit = Math.max(1, Math.floor(Math.max(name.length, best.length) / 3));
  return bestD <= limit ? best : undefined;
}

/** `did you mean 'x'?` plus the valid names, as hint lines. */
export function suggestionHint(name: string, candidates: readonly string[], what = 'valid names'): string | undefined {
  if (candidates.length === 0) return undefined;
  const best = closest(name, candidates);
  const list = `${what}: ${candidates.map((c) => `'${c}'`).join(', ')}`;
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
