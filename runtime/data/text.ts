/**
 * Helpers for the text formats (CSV, UCR .tsv, UEA .ts): line iteration with 1-based line numbers,
 * number parsing that says what is wrong, and a growable float buffer.
 */

/** Calls `visit` for each line (without its `\n` / `\r\n`), numbered from 1. */
export function forEachLine(text: string, visit: (line: string, lineNumber: number) => void): void {
  let start = 0;
  let n = 0;
  while (start < text.length) {
    let end = text.indexOf('\n', start);
    if (end < 0) end = text.length;
    const line = text.charCodeAt(end - 1) === 13 ? text.slice(start, end - 1) : text.slice(start, end);
    visit(line, ++n);
    start = end + 1;
  }
}

/** `s` as a finite number, or undefined (empty fields, words, `NaN`, `inf` are not numbers). */
export function parseNumber(s: string): number | undefined {
  if (s === '') return undefined;
  const v = Number(s);
  return Number.isFinite(v) ? v : undefined;
}

/** A Float32Array that grows by doubling, for sources whose length is only known at the end. */
export class FloatBuffer {
  private data = new Float32Array(1024);
  length = 0;

  push(v: number): void {
    if (this.length === this.data.length) {
      const bigger = new Float32Array(this.data.length * 2);
      bigger.set(this.data);
      this.data = bigger;
    }
    this.data[this.length++] = v;
  }

  /** The values pushed so far (a copy of exactly `length` values). */
  toArray(): Float32Array {
    return this.data.slice(0, this.length);
  }
}

/** `"a"`, `'b'`: a quoted label or name, for messages. */
export function quote(s: string): string {
  return JSON.stringify(s);
}
