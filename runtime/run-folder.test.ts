import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openRunFolder, truncateMetrics } from './run-folder.js';

let scratch: string;
beforeAll(() => {
  scratch = mkdtempSync(join(tmpdir(), 'ssl-run-folder-'));
});
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

const line = (step: number) => JSON.stringify({ type: 'step', step, loss: 1 / step, note: 'ünïcode' }) + '\n';

function metricsFile(name: string, text: string): string {
  const dir = join(scratch, name);
  rmSync(dir, { recursive: true, force: true });
  const file = join(dir, 'metrics.jsonl');
  mkdirSync(dir, { recursive: true });
  writeFileSync(file, text);
  return file;
}

describe('truncateMetrics', () => {
  it('keeps the first `keep` lines byte for byte and drops the rest', () => {
    const file = metricsFile('cut', [1, 2, 3, 4, 5].map(line).join(''));
    expect(truncateMetrics(file, 3)).toEqual({ kept: 3, dropped: 2, partial: false });
    expect(readFileSync(file, 'utf8')).toBe([1, 2, 3].map(line).join(''));
  });

  it('drops a last line cut off mid-write (kill -9), even within `keep`', () => {
    const whole = [1, 2, 3].map(line).join('');
    const file = metricsFile('partial', whole + line(4).slice(0, 17));
    expect(truncateMetrics(file, 10)).toEqual({ kept: 3, dropped: 1, partial: true });
    expect(readFileSync(file, 'utf8')).toBe(whole);
    // Every remaining line is valid JSON and appending goes on cleanly.
    const folder = openRunFolder(join(scratch, 'partial'));
    expect(folder.lines).toBe(3);
    folder.append({ type: 'epoch-start', epoch: 2, time: 0 });
    expect(folder.lines).toBe(4);
    const lines = readFileSync(file, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    expect(lines.map((l) => l.type)).toEqual(['step', 'step', 'step', 'epoch-start']);
  });

  it('stops at the first line that is not a JSON event (a damaged file keeps only what precedes it)', () => {
    const file = metricsFile('garbage', line(1) + 'not json\n' + line(3));
    expect(truncateMetrics(file, 3)).toEqual({ kept: 1, dropped: 2, partial: false });
    expect(readFileSync(file, 'utf8')).toBe(line(1));
    const file2 = metricsFile('array', line(1) + '[1,2]\n');
    expect(truncateMetrics(file2, 5).kept).toBe(1);
  });

  it('keeping more lines than the file has changes nothing; an empty file stays empty', () => {
    const text = [1, 2].map(line).join('');
    const file = metricsFile('short', text);
    expect(truncateMetrics(file, 9)).toEqual({ kept: 2, dropped: 0, partial: false });
    expect(readFileSync(file, 'utf8')).toBe(text);
    const empty = metricsFile('empty', '');
    expect(truncateMetrics(empty, 4)).toEqual({ kept: 0, dropped: 0, partial: false });
  });
});

describe('openRunFolder', () => {
  it('refuses a folder without metrics.jsonl', () => {
    expect(() => openRunFolder(join(scratch, 'nothing-here'))).toThrow(/nothing-here is not a run folder: it has no metrics.jsonl/);
  });
});
