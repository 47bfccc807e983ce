/** Which step a run folder's weights/ come from, read from metrics.jsonl (robust to a killed run's last line). */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { savedStep } from './run-info.js';

const scratch = mkdtempSync(join(tmpdir(), 'ssl-run-info-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/** A folder holding `files` (name -> text). */
function folder(name: string, files: Record<string, string>): string {
  const dir = join(scratch, name);
  mkdirSync(dir);
  for (const [file, text] of Object.entries(files)) writeFileSync(join(dir, file), text);
  return dir;
}

const lines = (...events: object[]) => events.map((e) => JSON.stringify(e) + '\n').join('');

describe('savedStep', () => {
  it('takes the last checkpoint that wrote weights/, not a resumable checkpoint without them', () => {
    const dir = folder('periodic', {
      'metrics.jsonl':
        lines(
          { type: 'step', step: 4 },
          { type: 'checkpoint', step: 4, path: 'run/checkpoints/step-4.ckpt' },
          { type: 'checkpoint', step: 8, path: 'run/checkpoints/step-8.ckpt', weights: 'run/weights' },
          { type: 'checkpoint', step: 9, path: 'run/checkpoints/step-9.ckpt' },
        ) + '{"type":"checkpoint","step":12,"weights":"run/weig', // a killed run's partial last line
    });
    expect(savedStep(dir)).toBe(8);
  });

  it("reads the older event, whose path is the weights folder itself", () => {
    expect(savedStep(folder('older', { 'metrics.jsonl': lines({ type: 'checkpoint', step: 3, path: '/x/run/weights' }) }))).toBe(3);
  });

  it("falls back to probes.json's step, and is null when nothing says", () => {
    expect(savedStep(folder('probes-only', { 'probes.json': JSON.stringify({ step: 6, results: [] }) }))).toBe(6);
    expect(savedStep(folder('nothing', { 'metrics.jsonl': 'not json\n' }))).toBeNull();
  });
});
