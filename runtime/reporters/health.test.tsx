/**
 * The health monitor's fields through every reporter: the reducer (state.ts), the plain lines and
 * the ink view. The scripted values (scripted-run.ts) are worked out by hand here:
 *   rank(k) = 60 - 40 exp(-k / 50): step 1 → 20.79, step 120 → 56.37
 *   online running top-1(k) = 0.9 - 0.8 exp(-k / 30): step 120 → 0.8853
 *   online held-out at step 234 = top-1(234) + 0.02 → 0.9197
 *   throughput 256 / 0.320 s = 800 examples/s; eta(120) = 320 ms x 114 + 5 s = 41.5 s
 */
import { Writable } from 'node:stream';
import { render, cleanup } from 'ink-testing-library';
import { afterEach, describe, expect, it } from 'vitest';
import type { RunEvent } from '../events.js';
import { createPlainReporter } from './plain.js';
import { SCRIPTED_BACKEND_REASON, scriptedRank, scriptedRun } from './scripted-run.js';
import { SPARK_CHARS } from './sparkline.js';
import { initialState, lossSeries, reduce, reduceAll } from './state.js';
import { Header, OnlineProbes, RankPanel, RunView } from './tui/components.js';

afterEach(() => cleanup());

const events = scriptedRun({ health: true });
const upTo = (step: number) => events.slice(0, events.findIndex((e) => e.type === 'step' && e.step === step) + 1);

function runPlain(list: RunEvent[]): string[] {
  let text = '';
  const out = new Writable({
    write(chunk, _enc, cb) {
      text += String(chunk);
      cb();
    },
  });
  const reporter = createPlainReporter(out);
  for (const e of list) reporter.onEvent(e);
  return text.trimEnd().split('\n');
}

describe('state: health fields', () => {
  it('keeps the latest rank, its first value and one history point per measurement', () => {
    const s = reduceAll(upTo(120));
    expect(s.effectiveRank).toBeCloseTo(scriptedRank(120), 12);
    expect(s.initialRank).toBeCloseTo(scriptedRank(1), 12);
    // Measured at steps 1, 10, 20, ..., 120: 13 points, in order.
    expect(lossSeries(s.rankHistory)).toEqual([1, 10, 20, 30, 40, 50, 60, 70, 80, 90, 100, 110, 120].map(scriptedRank));
  });

  it("uses the step's smoothed throughput and ETA (which counts the probes) over its own estimate", () => {
    const s = reduceAll(upTo(120));
    expect(s.imagesPerSec).toBe(800);
    expect(s.etaMs).toBe(320 * 114 + 5000);
  });

  it('keeps online probe results apart from the final probes', () => {
    const s = reduceAll(events);
    expect(s.onlineTop1!['linear/online']).toBeCloseTo(0.9 - 0.8 * Math.exp(-234 / 30), 12);
    expect(s.onlineEvals['linear/online']).toMatchObject({ step: 234, fitSize: 234 * 256, online: true });
    expect(s.probes.map((p) => p.name)).toEqual(['linear', 'knn']);
    expect(s.finished.filter((f) => f.kind === 'probe').map((f) => (f.kind === 'probe' ? f.probe.name : ''))).toEqual(['linear/online', 'linear', 'knn']);
  });

  it('a rank replayed from JSON as null (a NaN) is kept as NaN and does not become the reference', () => {
    const start = events[0]!;
    const step = { ...(events[2] as Extract<RunEvent, { type: 'step' }>), effectiveRank: null as unknown as number };
    const s = reduce(reduce(initialState, start), step);
    expect(s.effectiveRank).toBeNaN();
    expect(s.initialRank).toBeNull();
  });

  it('resume: the run stands at the checkpoint step, running, with the plan of run-start', () => {
    const start = events[0] as Extract<RunEvent, { type: 'run-start' }>;
    const { type: _t, ...rest } = start;
    const s = reduce(initialState, { ...rest, type: 'resume', fromStep: 100, epoch: 1, checkpoint: 'checkpoints/step-100.safetensors', droppedLines: 2 });
    expect(s).toMatchObject({ status: 'running', step: 100, epoch: 1, totalSteps: 234, resumedFrom: 100 });
    expect(s.info).toMatchObject({ recipe: 'simclr', backend: 'wasm' });
    expect(s.info).not.toHaveProperty('checkpoint');
  });
});

describe('plain reporter: health fields', () => {
  const lines = runPlain(events);

  it('says why the backend was chosen', () => {
    expect(lines[1]).toBe('  parameters: encoder 1.23M, projector 33.0k');
    expect(lines[2]).toBe(`  backend: ${SCRIPTED_BACKEND_REASON}`);
  });

  it('adds the latest rank and the online running top-1 to step lines, with the ETA the step gives', () => {
    const step120 = lines.find((l) => l.startsWith('step 120/234'))!;
    expect(step120).toMatch(/^step 120\/234 {2}epoch 1 {2}loss \d\.\d{4} {2}rank 56\.4 {2}lr \d\.\d{2}e-\d {2}online 88\.5% {2}800 img\/s {2}eta 0:41$/);
  });

  it('prints each online held-out check on its own line, apart from the final probes', () => {
    expect(lines).toContain('probe linear/online on test at step 234: top-1 91.97% (online, trained on 59904 examples, 1.2 s)');
    expect(lines).toContain('probe linear on test: top-1 93.71% (fit 60000, eval 10000, 4.1 s)');
  });

  it('prints a resumed run’s start', () => {
    const { type: _t, ...rest } = events[0] as Extract<RunEvent, { type: 'run-start' }>;
    const resumed = runPlain([{ ...rest, type: 'resume', fromStep: 100, epoch: 1, checkpoint: 'checkpoints/step-100.safetensors', droppedLines: 2, time: rest.time }]);
    expect(resumed[0]).toBe('resume simclr from step 100/234 (checkpoints/step-100.safetensors)  backend wasm  dropped 2 metrics lines after the checkpoint');
  });
});

describe('tui: health fields', () => {
  const sparkChars = (line: string) => [...line].filter((c) => (SPARK_CHARS as readonly string[]).includes(c));

  it('RankPanel: the rank, its first value and a rising sparkline; red only below 2', () => {
    const s = reduceAll(upTo(120));
    const frame = render(<RankPanel rank={s.effectiveRank} initialRank={s.initialRank} series={lossSeries(s.rankHistory)} width={20} />).lastFrame()!;
    expect(frame).toMatch(/^rank 56\.4 {4}init 20\.8 {3}[▁▂▃▄▅▆▇█]{13}$/);
    const spark = sparkChars(frame);
    expect(spark[0]).toBe('▁');
    expect(spark.at(-1)).toBe('█');
  });

  it('OnlineProbes: running train top-1 and the latest held-out check per online probe', () => {
    const s = reduceAll(events);
    const frame = render(<OnlineProbes running={s.onlineTop1} heldOut={s.onlineEvals} />).lastFrame()!;
    expect(frame).toBe('online linear/online  train 90.0%  test 91.97% @ step 234');
    expect(render(<OnlineProbes running={null} heldOut={{}} />).lastFrame()).toBe('');
  });

  it('Header shows the backend and why it was chosen', () => {
    const s = reduceAll(upTo(1));
    const frame = render(<Header info={s.info} status={s.status} />).lastFrame()!;
    expect(frame.split('\n')[1]).toBe(`backend ${SCRIPTED_BACKEND_REASON}`);
  });

  it('RunView mid-run shows rank, online top-1, lr, throughput and the ETA', () => {
    const frame = render(<RunView state={reduceAll(upTo(120))} columns={100} />).lastFrame()!;
    expect(frame).toContain('eta 0:41');
    expect(frame).toMatch(/rank 56\.4 {4}init 20\.8/);
    expect(frame).toContain('online linear/online  train 88.5%');
    expect(frame).toMatch(/lr \d\.\d{2}e-\d · 800 img\/s · \d+ ms\/step/);
    expect(frame).toContain(`backend ${SCRIPTED_BACKEND_REASON}`);
  });

  it('RunView at the end lists the online check once, marked online, and the final probes', () => {
    const frame = render(<RunView state={reduceAll(events)} columns={140} />).lastFrame()!;
    expect(frame).toContain('probe linear/online on test @ step 234: top-1 91.97%  online · seen 59904 · eval 10000 · 1.2 s');
    expect(frame).toContain('probe linear on test @ step 234: top-1 93.71%  fit 60000');
    expect(frame).toContain('online linear/online  train 90.0%  test 91.97% @ step 234');
  });
});
