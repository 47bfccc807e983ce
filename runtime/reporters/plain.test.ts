import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import type { RunEvent } from '../events.js';
import { createPlainReporter, stepInterval } from './plain.js';
import { scriptedRun } from './scripted-run.js';

function runPlain(events: RunEvent[], every?: number): string[] {
  let text = '';
  const out = new Writable({
    write(chunk, _enc, cb) {
      text += String(chunk);
      cb();
    },
  });
  const reporter = createPlainReporter(out, every === undefined ? {} : { every });
  for (const e of events) reporter.onEvent(e);
  reporter.close();
  expect(text.endsWith('\n')).toBe(true);
  return text.slice(0, -1).split('\n');
}

// eslint-disable-next-line no-control-regex
const ANSI = /\u001b\[|\u001b\]|\u009b/;

describe('stepInterval', () => {
  it('picks a 1-2-5 interval giving ~20-50 lines', () => {
    expect(stepInterval(10)).toBe(1);
    expect(stepInterval(30)).toBe(1);
    expect(stepInterval(234)).toBe(10);
    expect(stepInterval(1000)).toBe(50);
    expect(stepInterval(2340)).toBe(100);
    for (const total of [31, 47, 99, 150, 234, 999, 1234, 7021, 23_400, 1_000_000]) {
      const lines = Math.floor(total / stepInterval(total));
      expect(lines, `total ${total}`).toBeGreaterThanOrEqual(19);
      expect(lines, `total ${total}`).toBeLessThanOrEqual(50);
    }
  });
});

describe('plain reporter', () => {
  it('prints a header, sparse step lines, probes and a summary, without ANSI codes', () => {
    const lines = runPlain(scriptedRun({ epochs: 1, stepsPerEpoch: 234 }));
    expect(lines.slice(0, 4)).toEqual([
      'run simclr  backend wasm  1 epoch x 234 steps = 234 steps  batch 256',
      '  parameters: encoder 1.23M, projector 33.0k',
      '  environment: tfjs-core 4.22.0, node v20.20.2, threads 2, simd true',
      '  run dir: runs/simclr-0001',
    ]);
    const steps = lines.filter((l) => l.startsWith('step '));
    // First step, every 10th, and the last.
    expect(steps.map((l) => Number(/step +(\d+)\//.exec(l)![1]))).toEqual([
      1, 10, 20, 30, 40, 50, 60, 70, 80, 90, 100, 110, 120, 130, 140, 150, 160, 170, 180, 190, 200, 210, 220, 230, 234,
    ]);
    expect(steps[0]).toBe('step   1/234  epoch 1  loss 6.2090  lr 5.00e-5  284 img/s  eta 3:30');
    expect(steps[12]).toBe('step 120/234  epoch 1  loss 4.4997  lr 6.13e-4  839 img/s  eta 0:35');
    expect(steps.at(-1)).toMatch(/^step 234\/234  epoch 1  loss \d\.\d{4}  lr .* eta 0:00$/);
    expect(lines.slice(-9)).toEqual([
      steps.at(-1),
      'epoch 1 done: 234 steps, mean loss 4.6986, 1:11',
      'checkpoint at step 234: runs/simclr-0001/weights-234.json',
      'probe linear on test: top-1 93.71% (fit 60000, eval 10000, 4.1 s)',
      'probe knn on test: top-1 95.02% (fit 60000, eval 10000, 2.3 s)',
      'run completed: 234 steps in 1:17, final loss 4.2904',
      '  probe linear: top-1 93.71%',
      '  probe knn: top-1 95.02%',
      '  run dir: runs/simclr-0001',
    ]);
    for (const l of lines) expect(l).not.toMatch(ANSI);
    expect(lines.length).toBeLessThan(45);
  });

  it('prints one line per finished epoch, after its last step', () => {
    const lines = runPlain(scriptedRun({ epochs: 3, stepsPerEpoch: 40 }));
    const i = lines.findIndex((l) => l.startsWith('epoch 1 done: 40 steps'));
    expect(lines[i - 1]).toMatch(/^step  40\/120  epoch 1 /);
    expect(lines[i + 1]).toMatch(/^step  45\/120  epoch 2 /);
    expect(lines.filter((l) => /^epoch \d done/.test(l))).toHaveLength(3);
  });

  it('prints warnings with their span and the last step of an interrupted run', () => {
    const events = scriptedRun({ stepsPerEpoch: 100, end: false }).slice(0, 2 + 37);
    events.splice(1, 0, {
      type: 'warning',
      code: 'slow-backend',
      message: 'wasm unavailable, using cpu',
      span: { uri: 'recipes/simclr.ssl', start: { offset: 10, line: 3, column: 7 }, end: { offset: 14, line: 3, column: 11 } },
      time: 1,
    });
    events.push({
      type: 'run-end',
      status: 'interrupted',
      steps: 37,
      finalLoss: null,
      probes: {},
      runDir: 'runs/simclr-0001',
      ms: 12_000,
      message: 'stopped by Ctrl-C',
      time: 2,
    });
    const lines = runPlain(events, 5);
    expect(lines).toContain('warning [slow-backend] wasm unavailable, using cpu (recipes/simclr.ssl:3:7)');
    const steps = lines.filter((l) => l.startsWith('step '));
    expect(steps.map((l) => Number(/step +(\d+)\//.exec(l)![1]))).toEqual([1, 5, 10, 15, 20, 25, 30, 35, 37]);
    expect(lines.slice(-4)).toEqual([
      'epoch 1 stopped: 37 steps, mean loss 5.6802, 0:12',
      'run interrupted: 37 steps in 0:12 (stopped by Ctrl-C)',
      '  warnings: 1',
      '  run dir: runs/simclr-0001',
    ]);
  });
});
