import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import type { RunEvent } from '../events.js';
import { createPlainReporter, stepInterval } from './plain.js';
import { scriptedRun, scriptedStd, scriptedTerms } from './scripted-run.js';

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

  it('adds the std, momentum and loss terms to step lines', () => {
    const vicreg = { vicreg: 57.93, 'vicreg/invariance': 29.41, 'vicreg/variance': 4.731, 'vicreg/covariance': 23.79 };
    const events = scriptedRun({ stepsPerEpoch: 234, end: false }).slice(0, 2 + 120);
    const last = events.length - 1;
    const step120 = events[last] as Extract<RunEvent, { type: 'step' }>;
    events[last] = { ...step120, terms: vicreg, embeddingStd: 0.05231, momentum: { target: 0.99621 } };
    expect(runPlain(events).at(-1)).toBe(
      'step 120/234  epoch 1  loss 4.4997  std 0.0523  lr 6.13e-4  m 0.9962  839 img/s  eta 0:35  ' +
        'terms: vicreg 57.9 (invariance 29.4, variance 4.73, covariance 23.8)',
    );
    events[last] = { ...step120, terms: scriptedTerms(120), momentum: { target: 0.99621, key: 0.99996 } };
    expect(runPlain(events).at(-1)).toBe(
      'step 120/234  epoch 1  loss 4.4997  lr 6.13e-4  m target 0.9962, key 0.99996  839 img/s  eta 0:35  ' +
        'terms: nt_xent 4.51, nt_xent#2 4.49',
    );
  });

  it('without terms or teachers, prints the same lines as before plus the std', () => {
    const before = runPlain(scriptedRun({ epochs: 2, stepsPerEpoch: 117 }));
    const after = runPlain(scriptedRun({ epochs: 2, stepsPerEpoch: 117, embeddingStd: scriptedStd }));
    expect(after.filter((l) => l.startsWith('step '))[12]).toBe(
      'step 120/234  epoch 2  loss 4.4997  std 0.0838  lr 6.13e-4  839 img/s  eta 0:35',
    );
    expect(after.map((l) => l.replace(/  std [^ ]+/, ''))).toEqual(before);
  });

  it('warns once when the embedding std first looks collapsed, after the line of that step', () => {
    // Healthy for 34 steps, then falls to nothing; recovers briefly and dips again.
    const std = (k: number) => (k <= 34 ? 0.069 : k < 70 ? 0.069 * 0.9 ** (k - 34) : k < 80 ? 0.06 : 0.001);
    const lines = runPlain(scriptedRun({ stepsPerEpoch: 100, embeddingStd: std }));
    const warnings = lines.filter((l) => l.startsWith('warning'));
    expect(warnings).toEqual([
      'warning [collapse] embedding std fell from 0.0690 to 0.0128 by step 50: the representation may be collapsing',
    ]);
    const i = lines.indexOf(warnings[0]);
    // Step 50 is on the 5-step grid anyway; the line before the warning is that step's.
    expect(lines[i - 1]).toBe('step  50/100  epoch 1  loss 5.0561  std 0.0128  lr 7.94e-4  851 img/s  eta 0:15');
    expect(lines).toContain('  warnings: 1');
  });

  it('prints the collapse step even when it is off the step grid', () => {
    const std = (k: number) => (k < 37 ? 0.07 : 0.01);
    const lines = runPlain(scriptedRun({ stepsPerEpoch: 234, embeddingStd: std }));
    const i = lines.findIndex((l) => l.startsWith('warning [collapse]'));
    expect(lines[i]).toBe('warning [collapse] embedding std fell from 0.0700 to 0.0100 by step 37: the representation may be collapsing');
    expect(lines[i - 1]).toMatch(/^step  37\/234  epoch 1  loss \d\.\d{4}  std 0\.0100  lr /);
    expect(lines[i + 1]).toMatch(/^step  40\/234 /);
  });
});
