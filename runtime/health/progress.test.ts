/** Throughput and ETA from scripted step times: every number is worked out by hand. */
import { describe, expect, it } from 'vitest';
import { ProgressClock, Smoothed } from './progress.js';

describe('Smoothed', () => {
  it('is a running mean for the first 10 samples, then an EMA with weight 0.1; skips non-finite values', () => {
    const s = new Smoothed();
    expect(s.value).toBeNull();
    [10, 20, 30].forEach((x) => s.add(x));
    expect(s.value).toBeCloseTo(20, 12);
    s.add(Number.NaN);
    expect(s.value).toBeCloseTo(20, 12);
    for (let i = 0; i < 7; i++) s.add(20);
    expect(s.value).toBeCloseTo(20, 12); // 10 samples, mean 20
    s.add(120); // 11th sample: weight 0.1
    expect(s.value).toBeCloseTo(30, 12);
  });
});

describe('ProgressClock', () => {
  it('throughput is batch / smoothed trainer step time; health work per step counts only in the ETA', () => {
    const clock = new ProgressClock({ batch: 256, totalSteps: 100 });
    expect(clock.throughput()).toBeNull();
    expect(clock.etaMs(0)).toBeNull();
    clock.step(200, 50);
    clock.step(300, 50);
    expect(clock.throughput()).toBeCloseTo((256 * 1000) / 250, 9); // 1024 examples/s
    expect(clock.etaMs(2)).toBeCloseTo(300 * 98, 6);
  });

  it('adds periodic checks still due at their measured cost, and the final probes at the measured per-example forward time', () => {
    const clock = new ProgressClock({ batch: 10, totalSteps: 50 });
    // A check every 10 steps (10, 20, ..., 50): 3 more after step 20.
    clock.plan('rank', (step) => Math.floor(50 / 10) - Math.floor(step / 10));
    clock.step(100);
    clock.record('rank', 400);
    clock.measureForward(500, 1000); // 2 ms per example
    expect(clock.etaMs(20, 0)).toBeCloseTo(100 * 30 + 400 * 3, 9);
    expect(clock.etaMs(20, 70_000)).toBeCloseTo(100 * 30 + 400 * 3 + 2 * 70_000, 9);
    // An unmeasured task counts 0 until it has run once.
    clock.plan('eval', () => 5);
    expect(clock.etaMs(20, 0)).toBeCloseTo(100 * 30 + 400 * 3, 9);
    // At the last step only the final probes are left.
    expect(clock.etaMs(50, 70_000)).toBeCloseTo(140_000, 9);
  });
});
