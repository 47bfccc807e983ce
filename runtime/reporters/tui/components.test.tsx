import { EventEmitter } from 'node:events';
import { render } from 'ink-testing-library';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { cleanup } from 'ink-testing-library';
import type { RunEvent } from '../../events.js';
import { scriptedMomentum, scriptedRun, scriptedStd, scriptedTerms } from '../scripted-run.js';
import { SPARK_CHARS } from '../sparkline.js';
import { reduceAll } from '../state.js';
import {
  Header,
  LossPanel,
  MAX_TERM_ROWS,
  Probes,
  Progress,
  RunView,
  Stats,
  StdPanel,
  TermsPanel,
  Warnings,
} from './components.js';
import { createTuiReporter } from './index.js';
import { createRunStore } from './store.js';

afterEach(() => cleanup());

// eslint-disable-next-line no-control-regex
const stripAnsi = (s: string) => s.replace(/\u001b\[[0-9;?]*[ -/]*[@-~]|\u001b\][^\u0007]*\u0007/g, '');

const midRun = () => {
  const events = scriptedRun({ epochs: 2, stepsPerEpoch: 117 });
  const cut = events.findIndex((e) => e.type === 'step' && e.step === 120);
  const warning: RunEvent = {
    type: 'warning',
    code: 'slow-backend',
    message: 'wasm SIMD unavailable; using the cpu backend',
    span: { uri: 'recipes/simclr.ssl', start: { offset: 0, line: 12, column: 3 }, end: { offset: 4, line: 12, column: 7 } },
    time: events[0].time,
  };
  return reduceAll([events[0], warning, ...events.slice(1, cut + 1)]);
};

describe('tui components', () => {
  it('Progress shows a bar, the percent, the step and the ETA', () => {
    const { lastFrame } = render(
      <Progress step={117} totalSteps={234} epoch={1} epochs={2} etaMs={42_000} status="running" width={20} />,
    );
    const frame = lastFrame()!;
    expect(frame).toContain('██████████░░░░░░░░░░');
    expect(frame).toContain('50%');
    expect(frame).toContain('step 117/234');
    expect(frame).toContain('epoch 1/2');
    expect(frame).toContain('eta 0:42');
  });

  it('LossPanel shows the sparkline with current and min loss', () => {
    const series = Array.from({ length: 100 }, (_, i) => 6 - i / 25);
    const { lastFrame } = render(<LossPanel series={series} loss={2.0412} minLoss={2.0101} width={16} />);
    const frame = lastFrame()!;
    expect(frame).toContain('loss 2.0412');
    expect(frame).toContain('min 2.0101');
    expect(frame).toContain('█▇▇▆▅▅▄▄▄▃▃▂▁▁'.slice(0, 2));
    const spark = [...frame].filter((c) => (SPARK_CHARS as readonly string[]).includes(c));
    expect(spark).toHaveLength(16);
    expect(spark[0]).toBe('█');
    expect(spark.at(-1)).toBe('▁');
  });

  it('Stats, Header, Probes and Warnings render their props', () => {
    expect(render(<Stats lr={0.001} imagesPerSec={812.4} stepMs={315.2} elapsedMs={35_000} />).lastFrame()).toBe(
      'lr 1.00e-3 · 812 img/s · 315 ms/step · elapsed 0:35',
    );
    const state = midRun();
    const header = render(<Header info={state.info} status={state.status} />).lastFrame()!;
    expect(header).toContain('ssl simclr');
    expect(header).toContain('params encoder 1.23M, projector 33.0k');
    expect(header).toContain('runs/simclr-0001');
    expect(render(<Header info={null} status="waiting" />).lastFrame()).toBe('ssl starting…');

    const probes = render(
      <Probes
        probes={[{ name: 'linear', probe: 'linear', on: 'test', step: 234, top1: 0.9371, fitSize: 60000, evalSize: 10000, ms: 4100, time: 0 }]}
      />,
    ).lastFrame()!;
    expect(probes).toContain('probe linear on test @ step 234: top-1 93.71%');
    expect(probes).toContain('fit 60000 · eval 10000 · 4.1 s');

    const warnings = render(<Warnings warnings={state.warnings} />).lastFrame()!;
    expect(warnings).toContain('⚠ [slow-backend] wasm SIMD unavailable; using the cpu backend (recipes/simclr.ssl:12:3)');
  });

  it('RunView mid-run: finished items above, live panel of a few lines below', () => {
    const { lastFrame } = render(<RunView state={midRun()} columns={90} />);
    const frame = lastFrame()!;
    expect(frame).toContain('51%');
    expect(frame).toContain('step 120/234');
    expect(frame).toContain('epoch 2/2');
    expect(frame).toMatch(/[▁▂▃▄▅▆▇█]{20,}/);
    expect(frame).toContain('✓ epoch 1');
    expect(frame).toContain('⚠ [slow-backend]');
    expect(frame.split('\n').length).toBeLessThanOrEqual(12);
  });

  it('RunView at the end shows probe results and the summary', () => {
    const { lastFrame } = render(<RunView state={reduceAll(scriptedRun({ epochs: 2, stepsPerEpoch: 117 }))} columns={90} />);
    const frame = lastFrame()!;
    expect(frame).toContain('100%');
    expect(frame).toContain('probe linear on test @ step 234: top-1 93.71%');
    expect(frame).toContain('probe knn on test @ step 234: top-1 95.02%');
    expect(frame).toContain('✓ completed · 234 steps in 1:17 · final loss 4.2904 · linear 93.71% · knn 95.02%');
    expect(frame).not.toContain('eta');
  });
});

describe('tui training signals', () => {
  const upTo = (events: RunEvent[], step: number) =>
    events.slice(0, events.findIndex((e) => e.type === 'step' && e.step === step) + 1);
  const vicreg = (k: number) => ({
    vicreg: 60 - k / 10,
    'vicreg/invariance': 30 - k / 20,
    'vicreg/variance': 4.73,
    'vicreg/covariance': 25.27 - k / 20,
  });
  const spark = (line: string) => [...line].filter((c) => (SPARK_CHARS as readonly string[]).includes(c)).length;

  it('TermsPanel shows each term with its value, a sparkline and its parts', () => {
    const state = reduceAll(upTo(scriptedRun({ terms: (k) => ({ ...scriptedTerms(k), ...vicreg(k) }) }), 120));
    const frame = render(<TermsPanel terms={state.terms!} histories={state.termHistory} columns={80} />).lastFrame()!;
    const lines = frame.split('\n');
    expect(lines).toHaveLength(3);
    expect(lines[0]).toMatch(/^  nt_xent     4\.51  [▁▂▃▄▅▆▇█]+$/);
    expect(lines[1]).toMatch(/^  nt_xent#2   4\.49  [▁▂▃▄▅▆▇█]+$/);
    expect(lines[2]).toMatch(/^  vicreg      48\.0  [▁▂▃▄▅▆▇█]+  invariance 24\.0, variance 4\.73, covariance 19\.3$/);
    for (const l of lines) expect(l.length).toBeLessThanOrEqual(80);

    const many = Object.fromEntries(Array.from({ length: 9 }, (_, i) => [`t${i}`, i]));
    const rows = render(<TermsPanel terms={many} histories={{}} />).lastFrame()!.split('\n');
    expect(rows).toHaveLength(MAX_TERM_ROWS);
    expect(rows.at(-1)).toBe(`  … ${9 - MAX_TERM_ROWS + 1} more terms`);
  });

  it('StdPanel shows the std, its min and sparkline, and the collapse warning only while it fires', () => {
    const series = [0.069, 0.07, 0.05, 0.03, 0.012];
    const ok = render(<StdPanel std={0.0523} minStd={0.05} initialStd={0.069} collapse="ok" series={series} width={10} />);
    expect(ok.lastFrame()).toBe('std  0.0523  min 0.0500  ██▆▃▁');
    const collapsing = render(
      <StdPanel std={0.012} minStd={0.012} initialStd={0.069} collapse="collapsing" series={series} width={10} />,
    ).lastFrame()!;
    expect(collapsing.split('\n')).toEqual([
      'std  0.0120  min 0.0120  ██▆▃▁',
      '⚠ std at 17% of its first value 0.0690: the representation may be collapsing',
    ]);
    const collapsed = render(
      <StdPanel std={0.0003} minStd={0.0003} initialStd={0.069} collapse="collapsed" series={series} width={10} />,
    ).lastFrame()!;
    expect(collapsed).toContain('✗ std at 0.4% of its first value 0.0690: the representation has collapsed');
  });

  it('Stats shows teacher momentum after the lr', () => {
    const props = { lr: 0.001, imagesPerSec: 812.4, stepMs: 315.2, elapsedMs: 35_000 };
    expect(render(<Stats {...props} momentum={{ target: 0.99621 }} />).lastFrame()).toBe(
      'lr 1.00e-3 · m 0.9962 · 812 img/s · 315 ms/step · elapsed 0:35',
    );
    expect(render(<Stats {...props} momentum={{ student_ema: 0.996, key: 0.999 }} />).lastFrame()).toBe(
      'lr 1.00e-3 · m student_ema 0.9960, key 0.9990 · 812 img/s · 315 ms/step · elapsed 0:35',
    );
    expect(render(<Stats {...props} momentum={null} />).lastFrame()).toBe(
      'lr 1.00e-3 · 812 img/s · 315 ms/step · elapsed 0:35',
    );
  });

  it('RunView at 80 columns shows terms, std, momentum and the collapse warning, tidily', () => {
    const events = scriptedRun({
      recipe: 'vicreg',
      epochs: 2,
      stepsPerEpoch: 117,
      terms: vicreg,
      embeddingStd: (k) => (k <= 60 ? 0.069 : 0.069 * Math.exp(-(k - 60) / 25)),
      momentum: (k) => ({ target: scriptedMomentum(k, 234) }),
    });
    const frame = render(<RunView state={reduceAll(upTo(events, 110))} columns={80} />).lastFrame()!;
    const lines = frame.split('\n');
    // The collapse warning, once above (permanent; wrapped at ink's width) and live below the std.
    expect(frame).toMatch(
      /^⚠ \[collapse\] embedding std fell from 0\.0690 to 0\.0134 by step 101: the representation may be\s+collapsing\n/,
    );
    expect(frame).toMatch(/\n {2}vicreg {3}49\.0 {2}[▁▂▃▄▅▆▇█]+ {2}invariance 24\.5, variance 4\.73, covariance 19\.8\n/);
    expect(frame).toMatch(/\nstd {2}0\.00934 {2}min 0\.00934 {2}[▁▂▃▄▅▆▇█]{50}\n/);
    expect(frame).toContain('\n⚠ std at 14% of its first value 0.0690: the representation may be collapsing\n');
    expect(frame).toMatch(/\nlr [^ ]+ · m 0\.9978 · \d+ img\/s/);
    // The live panel fits 80 columns; the std sparkline is as wide as the loss one.
    const live = lines.slice(lines.findIndex((l) => l.startsWith('ssl vicreg')));
    for (const l of live) expect(l.length, l).toBeLessThanOrEqual(80);
    const loss = live.find((l) => l.startsWith('loss '))!;
    const std = live.find((l) => l.startsWith('std '))!;
    expect(spark(loss)).toBe(50);
    expect(spark(std)).toBe(50);
    expect(std.length).toBe(loss.length + 2); // 0.00934 twice: one character wider than 0.0523
  });

  it('RunView without terms or teachers (the quickstart) looks as before, plus the std line', () => {
    for (const step of [120, 234]) {
      const before = render(<RunView state={reduceAll(upTo(scriptedRun({ epochs: 2, stepsPerEpoch: 117 }), step))} />);
      const beforeFrame = before.lastFrame()!;
      const withStd = scriptedRun({ epochs: 2, stepsPerEpoch: 117, embeddingStd: scriptedStd });
      const after = render(<RunView state={reduceAll(upTo(withStd, step))} />).lastFrame()!.split('\n');
      const i = after.findIndex((l) => l.startsWith('std '));
      expect(after[i]).toMatch(/^std {2}0\.08\d\d {2}min 0\.0606 {2}[▁▂▃▄▅▆▇█]{50}$/);
      expect(after.filter((_, j) => j !== i).join('\n')).toBe(beforeFrame);
      expect(after[i - 1]).toMatch(/^loss /);
    }
  });
});

describe('run store', () => {
  it('reduces every event but publishes at most once per interval', () => {
    vi.useFakeTimers();
    try {
      let t = 0;
      const store = createRunStore({ intervalMs: 100, now: () => t });
      const listener = vi.fn();
      store.subscribe(listener);
      const events = scriptedRun({ stepsPerEpoch: 1000, end: false });
      for (const e of events) store.dispatch(e); // all at t = 0
      expect(store.getState().step).toBe(1000);
      expect(listener).toHaveBeenCalledTimes(1); // leading edge: run-start
      expect(store.getSnapshot().step).toBe(0);
      t = 100;
      vi.advanceTimersByTime(100); // trailing edge
      expect(listener).toHaveBeenCalledTimes(2);
      expect(store.getSnapshot().step).toBe(1000);
      store.flush(); // nothing new: no extra notification
      expect(listener).toHaveBeenCalledTimes(2);
    } finally {
      vi.useRealTimers();
    }
  });
});

/** A fake terminal for ink: collects writes, 100 columns. */
function fakeStdout() {
  const out = new EventEmitter() as EventEmitter & { columns: number; rows: number; isTTY: boolean; writes: string[]; write: (s: string) => boolean };
  out.columns = 100;
  out.rows = 40;
  out.isTTY = false;
  out.writes = [];
  out.write = (s: string) => {
    out.writes.push(s);
    return true;
  };
  return out;
}

describe('createTuiReporter', () => {
  it('renders events and writes the final frame on close', async () => {
    const stdout = fakeStdout();
    const reporter = createTuiReporter({ stdout: stdout as unknown as NodeJS.WriteStream, throttleMs: 50, patchConsole: false });
    const events = scriptedRun({ stepsPerEpoch: 300 });
    for (const e of events) reporter.onEvent(e);
    await reporter.close();
    await reporter.close(); // idempotent
    const all = stripAnsi(stdout.writes.join(''));
    expect(all).toContain('✓ completed · 300 steps');
    expect(all).toContain('100%');
    expect(all).toContain('probe linear on test @ step 300: top-1 93.71%');
    // Throttled: far fewer writes than events.
    expect(stdout.writes.length).toBeLessThan(20);
  });
});
