import { PassThrough, Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createJsonReporter } from './json.js';
import { scriptedMomentum, scriptedRun, scriptedStd } from './scripted-run.js';

function collector() {
  const chunks: string[] = [];
  const out = new Writable({
    write(chunk, _enc, cb) {
      chunks.push(String(chunk));
      cb();
    },
  });
  return { out, text: () => chunks.join('') };
}

describe('json reporter', () => {
  it('writes one JSON object per line that parses back to the same events', async () => {
    const events = scriptedRun({ epochs: 2, stepsPerEpoch: 20 });
    events.splice(3, 0, {
      type: 'warning',
      code: 'slow-backend',
      message: 'using cpu',
      span: { uri: 'r.ssl', start: { offset: 0, line: 1, column: 1 }, end: { offset: 3, line: 1, column: 4 } },
      time: 5,
    });
    const { out, text } = collector();
    const reporter = createJsonReporter(out);
    for (const e of events) reporter.onEvent(e);
    await reporter.close();
    const lines = text().split('\n');
    expect(lines.at(-1)).toBe(''); // newline-terminated
    lines.pop();
    expect(lines).toHaveLength(events.length);
    lines.forEach((line, i) => {
      expect(line).not.toContain('\n');
      expect(JSON.parse(line)).toEqual(events[i]);
    });
  });

  it('keeps the optional step fields: terms, embedding std and momentum', async () => {
    const events = scriptedRun({
      stepsPerEpoch: 3,
      terms: (k) => ({ vicreg: 50 - k, 'vicreg/invariance': 25, 'vicreg/variance': 4.7, 'vicreg/covariance': 20.3 - k }),
      embeddingStd: scriptedStd,
      momentum: (k) => ({ target: scriptedMomentum(k, 3), key: 0.999 }),
    });
    const { out, text } = collector();
    const reporter = createJsonReporter(out);
    for (const e of events) reporter.onEvent(e);
    await reporter.close();
    const steps = text()
      .trimEnd()
      .split('\n')
      .map((l) => JSON.parse(l))
      .filter((e) => e.type === 'step');
    expect(steps).toHaveLength(3);
    expect(steps[1]).toEqual(events.find((e) => e.type === 'step' && e.step === 2));
    expect(Object.keys(steps[1].terms)).toEqual(['vicreg', 'vicreg/invariance', 'vicreg/variance', 'vicreg/covariance']);
    expect(steps[1].embeddingStd).toBe(scriptedStd(2));
    expect(steps[1].momentum).toEqual({ target: scriptedMomentum(2, 3), key: 0.999 });
  });

  it('waits for drain on close when the stream pushed back', async () => {
    const out = new PassThrough({ highWaterMark: 16 });
    const reporter = createJsonReporter(out);
    for (const e of scriptedRun({ stepsPerEpoch: 5 })) reporter.onEvent(e);
    let closed = false;
    const closing = Promise.resolve(reporter.close()).then(() => (closed = true));
    await new Promise((r) => setImmediate(r));
    expect(closed).toBe(false);
    out.resume(); // start consuming: the buffer drains and close() resolves
    await closing;
    expect(closed).toBe(true);
  });
});
