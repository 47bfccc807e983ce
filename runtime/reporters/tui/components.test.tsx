import { EventEmitter } from 'node:events';
import { render } from 'ink-testing-library';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { cleanup } from 'ink-testing-library';
import type { RunEvent } from '../../events.js';
import { scriptedRun } from '../scripted-run.js';
import { SPARK_CHARS } from '../sparkline.js';
import { reduceAll } from '../state.js';
import { Header, LossPanel, Probes, Progress, RunView, Stats, Warnings } from './components.js';
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
