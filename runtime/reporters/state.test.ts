import { describe, expect, it } from 'vitest';
import type { RunEvent } from '../events.js';
import { scriptedLoss, scriptedRun, SCRIPT_T0 } from './scripted-run.js';
import {
  COLLAPSE_WARNING_CODE,
  collapseLevel,
  initialState,
  LOSS_HISTORY_MAX,
  lossSeries,
  progressFraction,
  reduce,
  reduceAll,
  smoothingAlpha,
  type RunViewState,
} from './state.js';

const start = (totalSteps: number, stepsPerEpoch = totalSteps): RunEvent => ({
  type: 'run-start',
  recipe: 'simclr',
  runDir: 'runs/x',
  backend: 'cpu',
  environment: {},
  epochs: Math.ceil(totalSteps / stepsPerEpoch),
  stepsPerEpoch,
  totalSteps,
  batch: 100,
  parameters: { encoder: 10 },
  time: 0,
});

const step = (n: number, over: Partial<Extract<RunEvent, { type: 'step' }>> = {}): RunEvent => ({
  type: 'step',
  step: n,
  epoch: 1,
  loss: 10 - n,
  lr: 0.1,
  ms: 100,
  imagesPerSec: 1000,
  time: n * 100,
  ...over,
});

describe('reduce', () => {
  it('is pure: never mutates the previous state', () => {
    const events = scriptedRun({ stepsPerEpoch: 30 });
    let s: RunViewState = initialState;
    for (const e of events) {
      const before = JSON.stringify(s);
      const next = reduce(s, e);
      expect(JSON.stringify(s)).toBe(before);
      expect(next).not.toBe(s);
      s = next;
    }
    expect(initialState.step).toBe(0);
    expect(initialState.lossHistory.points).toEqual([]);
  });

  it('tracks progress, epoch, loss, lr and status through a scripted run', () => {
    const events = scriptedRun({ epochs: 2, stepsPerEpoch: 50 });
    const mid = reduceAll(events.slice(0, 1 + 1 + 50 + 1 + 10)); // run-start, e1, 50 steps, e2, 10 steps
    expect(mid.status).toBe('running');
    expect(mid.step).toBe(60);
    expect(mid.totalSteps).toBe(100);
    expect(progressFraction(mid)).toBeCloseTo(0.6);
    expect(mid.epoch).toBe(2);
    expect(mid.loss).toBeCloseTo(scriptedLoss(60));
    expect(mid.minLoss).toBeCloseTo(Math.min(...Array.from({ length: 60 }, (_, i) => scriptedLoss(i + 1))));
    expect(mid.lr).toBeGreaterThan(0);
    expect(mid.info?.recipe).toBe('simclr');
    expect(mid.info?.startTime).toBe(SCRIPT_T0);
    // Epoch 1 is finished; epoch 2 is still running.
    expect(mid.epochs).toHaveLength(1);
    expect(mid.epochs[0]).toMatchObject({ epoch: 1, steps: 50, firstStep: 1, lastStep: 50, complete: true });
    const mean1 = Array.from({ length: 50 }, (_, i) => scriptedLoss(i + 1)).reduce((a, b) => a + b) / 50;
    expect(mid.epochs[0].meanLoss).toBeCloseTo(mean1, 10);
    expect(mid.finished.map((f) => f.kind)).toEqual(['epoch']);

    const end = reduceAll(events);
    expect(end.status).toBe('completed');
    expect(end.etaMs).toBe(0);
    expect(end.epochs.map((e) => e.epoch)).toEqual([1, 2]);
    expect(end.probes.map((p) => [p.probe, p.top1])).toEqual([
      ['linear', 0.9371],
      ['knn', 0.9502],
    ]);
    expect(end.finished.map((f) => f.kind)).toEqual(['epoch', 'epoch', 'checkpoint', 'probe', 'probe']);
    expect(end.end).toMatchObject({ status: 'completed', steps: 100, probes: { linear: 0.9371, knn: 0.9502 } });
    expect(end.elapsedMs).toBe(end.end?.ms);
    expect(new Set(end.finished.map((f) => f.id)).size).toBe(end.finished.length);
  });

  it('computes ETA from a running mean of step ms that becomes an EMA', () => {
    // The slow first step (compilation) is averaged in and then decays away.
    let s = reduce(initialState, start(100));
    s = reduce(s, step(1, { ms: 1000 }));
    expect(s.stepMs).toBe(1000);
    expect(s.etaMs).toBe(99 * 1000);
    s = reduce(s, step(2, { ms: 100 }));
    expect(s.stepMs).toBe(550); // plain mean of the first two
    expect(s.etaMs).toBe(98 * 550);
    for (let i = 3; i <= 10; i++) s = reduce(s, step(i, { ms: 100 }));
    expect(s.stepMs).toBeCloseTo(190); // (1000 + 9 * 100) / 10
    for (let i = 11; i <= 60; i++) s = reduce(s, step(i, { ms: 100 }));
    // After 50 EMA steps at alpha 0.1 the excess over 100 ms has shrunk by 0.9^50.
    expect(s.stepMs!).toBeCloseTo(100 + 90 * 0.9 ** 50, 6);
    expect(s.etaMs!).toBeCloseTo(40 * s.stepMs!, 6);
    expect(smoothingAlpha(1)).toBe(1);
    expect(smoothingAlpha(4)).toBe(0.25);
    expect(smoothingAlpha(1000)).toBe(0.1);
  });

  it('smooths throughput and ignores non-finite rates', () => {
    let s = reduce(initialState, start(100));
    s = reduce(s, step(1, { imagesPerSec: 200 }));
    s = reduce(s, step(2, { imagesPerSec: 800 }));
    expect(s.imagesPerSec).toBe(500);
    s = reduce(s, step(3, { imagesPerSec: Infinity, ms: 0 }));
    expect(s.imagesPerSec).toBe(500);
    for (let i = 4; i <= 200; i++) s = reduce(s, step(i, { imagesPerSec: 1000 }));
    expect(s.imagesPerSec!).toBeCloseTo(1000, 3);
  });

  it('keeps a bounded, downsampled loss history of the whole run', () => {
    let s = reduce(initialState, start(10_000));
    for (let i = 1; i <= 10; i++) s = reduce(s, step(i, { loss: i }));
    expect(lossSeries(s.lossHistory)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);

    for (let i = 11; i <= 10_000; i++) s = reduce(s, step(i, { loss: i }));
    const series = lossSeries(s.lossHistory);
    expect(s.lossHistory.points.length).toBeLessThan(LOSS_HISTORY_MAX);
    expect(series.length).toBeGreaterThan(LOSS_HISTORY_MAX / 2 - 1);
    expect(series.length).toBeLessThanOrEqual(LOSS_HISTORY_MAX);
    expect(s.lossHistory.stride).toBe(64);
    // Each point is the mean of `stride` consecutive steps, so the series covers the whole run.
    expect(series[0]).toBeCloseTo((1 + 64) / 2);
    expect(series.at(-1)!).toBeGreaterThan(9_900);
    for (let i = 1; i < series.length; i++) expect(series[i]).toBeGreaterThan(series[i - 1]);
  });

  it('keeps NaN losses in the history but out of min and epoch means', () => {
    let s = reduce(initialState, start(3));
    s = reduce(s, step(1, { loss: 2 }));
    s = reduce(s, step(2, { loss: Number.NaN }));
    s = reduce(s, step(3, { loss: 1 }));
    expect(s.minLoss).toBe(1);
    expect(Number.isNaN(lossSeries(s.lossHistory)[1])).toBe(true);
    s = reduce(s, { type: 'run-end', status: 'failed', steps: 3, finalLoss: 1, probes: {}, runDir: 'r', ms: 300, message: 'x', time: 300 });
    expect(s.epochs[0].meanLoss).toBe(1.5);
    expect(s.end?.message).toBe('x');
  });

  it('closes epochs without epoch-start events and marks a cut-short epoch incomplete', () => {
    let s = reduce(initialState, start(6, 4));
    for (let i = 1; i <= 4; i++) s = reduce(s, step(i, { epoch: 1 }));
    for (let i = 5; i <= 6; i++) s = reduce(s, step(i, { epoch: 2 }));
    expect(s.epochs).toHaveLength(1);
    s = reduce(s, { type: 'run-end', status: 'interrupted', steps: 6, finalLoss: 4, probes: {}, runDir: 'r', ms: 600, time: 600 });
    expect(s.status).toBe('interrupted');
    expect(s.epochs.map((e) => [e.epoch, e.steps, e.complete])).toEqual([
      [1, 4, true],
      [2, 2, false],
    ]);
    // Epoch 1's time runs from its first step's start (time - ms) to its last step.
    expect(s.epochs[0].ms).toBe(400);
  });

  it('folds repeated warnings and keeps spans', () => {
    const span = { uri: 'r.ssl', start: { offset: 0, line: 3, column: 7 }, end: { offset: 4, line: 3, column: 11 } };
    let s = reduce(initialState, start(10));
    s = reduce(s, { type: 'warning', code: 'slow-backend', message: 'using cpu', span, time: 1 });
    s = reduce(s, { type: 'warning', code: 'slow-backend', message: 'using cpu', time: 2 });
    s = reduce(s, { type: 'warning', code: 'other', message: 'hm', time: 3 });
    expect(s.warnings.map((w) => [w.code, w.count])).toEqual([
      ['slow-backend', 2],
      ['other', 1],
    ]);
    expect(s.warnings[0].span).toEqual(span);
    expect(s.finished.filter((f) => f.kind === 'warning')).toHaveLength(2);
  });

  it('keeps the latest terms and momenta, and bounded histories of each term and the std', () => {
    let s = reduce(initialState, start(10_000));
    expect([s.terms, s.embeddingStd, s.minStd, s.initialStd, s.momentum]).toEqual([null, null, null, null, null]);
    for (let i = 1; i <= 10_000; i++) {
      s = reduce(
        s,
        step(i, {
          terms: { vicreg: 3 * i, 'vicreg/invariance': i, 'vicreg/variance': 2 * i },
          embeddingStd: 0.05 + (i % 7) * 0.001,
          momentum: { target: 1 - 1 / i },
        }),
      );
    }
    expect(s.terms).toEqual({ vicreg: 30_000, 'vicreg/invariance': 10_000, 'vicreg/variance': 20_000 });
    expect(s.momentum).toEqual({ target: 1 - 1 / 10_000 });
    expect(s.embeddingStd).toBeCloseTo(0.05 + (10_000 % 7) * 0.001);
    expect(s.initialStd).toBeCloseTo(0.051);
    expect(s.minStd).toBeCloseTo(0.05);
    // Same bounded, pairwise-merged history as the loss.
    for (const h of [s.stdHistory, s.termHistory.vicreg, s.termHistory['vicreg/invariance']]) {
      expect(h.stride).toBe(s.lossHistory.stride);
      expect(lossSeries(h).length).toBe(lossSeries(s.lossHistory).length);
      expect(lossSeries(h).length).toBeLessThanOrEqual(LOSS_HISTORY_MAX);
    }
    expect(lossSeries(s.termHistory['vicreg/invariance'])[0]).toBeCloseTo((1 + 64) / 2);
    expect(lossSeries(s.termHistory.vicreg)[0]).toBeCloseTo((3 * (1 + 64)) / 2);
    expect(s.collapse).toBe('ok');
    expect(s.warnings).toEqual([]);
  });

  it('keeps the last terms, std and momenta when a step leaves them out, and leaves them null in runs without them', () => {
    let s = reduce(initialState, start(10));
    s = reduce(s, step(1, { terms: { a: 1, b: 2 }, embeddingStd: 0.07, momentum: { t: 0.99 } }));
    s = reduce(s, step(2));
    expect([s.terms, s.embeddingStd, s.momentum]).toEqual([{ a: 1, b: 2 }, 0.07, { t: 0.99 }]);
    expect(lossSeries(s.stdHistory)).toEqual([0.07]);

    const plain = reduceAll(scriptedRun({ stepsPerEpoch: 30 }));
    expect(plain).toMatchObject({ terms: null, embeddingStd: null, minStd: null, initialStd: null, momentum: null });
    expect(plain).toMatchObject({ collapse: 'ok', collapseStep: null, termHistory: {} });
    expect(plain.stdHistory.points).toEqual([]);
  });

  it('collapse rule: std under 20% of its first value is collapsing, under 5% collapsed', () => {
    expect(collapseLevel(0.07, null)).toBe('ok');
    expect(collapseLevel(0.07, 0.07)).toBe('ok');
    expect(collapseLevel(0.0141, 0.07)).toBe('ok'); // 20.1 %
    expect(collapseLevel(0.0139, 0.07)).toBe('collapsing'); // 19.9 %
    expect(collapseLevel(0.0036, 0.07)).toBe('collapsing'); // 5.1 %
    expect(collapseLevel(0.0034, 0.07)).toBe('collapsed'); // 4.9 %
    expect(collapseLevel(0, null)).toBe('collapsed');
    expect(collapseLevel(Number.NaN, 0.07)).toBe('ok');
  });

  it('raises the collapse flag both ways, warns once, and ignores non-finite std', () => {
    const stds = [0.069, 0.07, 0.05, 0.012, 0.003, Number.NaN, 0.03, 0.05, 0.01, 0.07];
    let s = reduce(initialState, start(stds.length));
    const levels: string[] = [];
    stds.forEach((std, i) => {
      s = reduce(s, step(i + 1, { embeddingStd: std }));
      levels.push(s.collapse);
    });
    expect(levels).toEqual(['ok', 'ok', 'ok', 'collapsing', 'collapsed', 'collapsed', 'ok', 'ok', 'collapsing', 'ok']);
    expect(s.initialStd).toBe(0.069);
    expect(s.minStd).toBe(0.003);
    expect(s.collapseStep).toBe(4); // kept after the recovery at step 7
    expect(Number.isNaN(lossSeries(s.stdHistory)[5])).toBe(true);
    // One warning, the first time only, also listed with the finished items.
    expect(s.warnings).toEqual([
      {
        code: COLLAPSE_WARNING_CODE,
        message: 'embedding std fell from 0.0690 to 0.0120 by step 4: the representation may be collapsing',
        count: 1,
        time: 400,
      },
    ]);
    expect(s.finished.filter((f) => f.kind === 'warning')).toHaveLength(1);
    // A new run starts over.
    s = reduce(s, start(5));
    expect([s.collapse, s.collapseStep, s.initialStd, s.warnings.length]).toEqual(['ok', null, null, 0]);
  });

  it('ignores unknown event kinds instead of throwing', () => {
    const s = reduce(initialState, { type: 'future-thing', time: 1 } as unknown as RunEvent);
    expect(s).toBe(initialState);
  });
});
