/**
 * `ssl report`: run folders written from scripted event sequences (runtime/reporters/scripted-run.ts)
 * in, one self-contained HTML file out. The charts themselves are drawn by the browser (see
 * docs/report.md for the headless-Chromium check); here the file's contents are checked: the
 * inlined library, the embedded data against metrics.jsonl, escaping, and tolerance of bad input.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from './main.js';
import { captureIo } from '../test/helpers/io.js';
import type { RunEvent, StepEvent } from '../runtime/events.js';
import { scriptedRun, scriptedStd, scriptedTerms } from '../runtime/reporters/scripted-run.js';
import { parseMetrics, readRun } from './report/read-run.js';
import { summarizeRun } from './report/summarize.js';
import { escapeHtml } from './report/html.js';

const require = createRequire(import.meta.url);

async function ssl(...argv: string[]) {
  const io = captureIo();
  const code = await main(argv, io);
  return { code, out: io.out(), err: io.err() };
}

const jsonl = (events: RunEvent[]) => events.map((e) => JSON.stringify(e) + '\n').join('');

/** The JSON the page script reads. */
function embedded(html: string): { label: string; step: number[]; loss: (number | null)[]; lr: number[]; std?: number[]; terms: Record<string, number[]>; rank: { step: number[]; value: number[] }; onlineTrain: Record<string, { step: number[]; value: number[] }>; onlineHeldOut: Record<string, { step: number[]; value: number[] }> }[] {
  const m = /<script type="application\/json" id="ssl-data">([\s\S]*?)<\/script>/.exec(html);
  expect(m).not.toBeNull();
  return JSON.parse(m![1]!);
}

let scratch: string;
let healthy: RunEvent[];
let second: RunEvent[];

beforeAll(() => {
  scratch = mkdtempSync(join(tmpdir(), 'ssl-report-'));
  healthy = scriptedRun({ recipe: 'simclr', epochs: 2, stepsPerEpoch: 60, health: true, terms: scriptedTerms, embeddingStd: scriptedStd });
  mkdirSync(join(scratch, 'r1'));
  writeFileSync(join(scratch, 'r1', 'metrics.jsonl'), jsonl(healthy));
  // A second run, killed mid-write: no run-end, and its last line cut off.
  second = scriptedRun({ recipe: 'byol', stepsPerEpoch: 80, end: false, momentum: (k) => ({ target: 0.996 + k * 1e-5 }) });
  mkdirSync(join(scratch, 'r2'));
  const text = jsonl(second);
  writeFileSync(join(scratch, 'r2', 'metrics.jsonl'), text + '{"type":"step","step":81,"epo');
});
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

describe('ssl report', () => {
  let result: Awaited<ReturnType<typeof ssl>>;
  let html: string;
  beforeAll(async () => {
    result = await ssl('report', join(scratch, 'r1'), join(scratch, 'r2'), '--out', join(scratch, 'report.html'));
    html = readFileSync(join(scratch, 'report.html'), 'utf8');
  });

  it('exits 0, says what it wrote, and notes the cut-off line of the killed run', () => {
    expect(result.code).toBe(0);
    expect(result.out).toMatch(/^wrote .*report\.html \(2 runs: r1: 120 steps, r2: 80 steps; \d+ KiB, opens offline\)\n$/);
    expect(result.err).toContain('r2/metrics.jsonl: the last line (83) is cut off (was the run killed while writing it?); skipped');
    expect(html).toContain('the last line (83) is cut off');
  });

  it('is self-contained: uPlot and its stylesheet inlined, nothing loaded from anywhere', () => {
    expect(html).not.toMatch(/<script[^>]*\bsrc=/i);
    expect(html).not.toMatch(/<link\b/i);
    expect(html).not.toMatch(/@import|url\(\s*['"]?https?:/i);
    const lib = readFileSync(require.resolve('uplot/dist/uPlot.iife.min.js'), 'utf8');
    expect(html).toContain(lib.replace(/<\/script/gi, '<\\/script'));
    expect(html).toContain(readFileSync(require.resolve('uplot/dist/uPlot.min.css'), 'utf8'));
  });

  it('embeds exactly the series of metrics.jsonl (per step, and the sparse rank and online probe points)', () => {
    const [r1, r2] = embedded(html);
    const steps = healthy.filter((e): e is StepEvent => e.type === 'step');
    expect(r1!.label).toBe('r1');
    expect(r1!.step).toEqual(steps.map((e) => e.step));
    r1!.loss.forEach((v, i) => expect(v).toBeCloseTo(steps[i]!.loss, 5));
    expect(r1!.lr).toEqual(steps.map((e) => e.lr));
    r1!.std!.forEach((v, i) => expect(v).toBeCloseTo(steps[i]!.embeddingStd!, 6));
    r1!.terms['nt_xent#2']!.forEach((v, i) => expect(v).toBeCloseTo(steps[i]!.terms!['nt_xent#2']!, 5));
    const ranked = steps.filter((e) => e.effectiveRank !== undefined);
    expect(r1!.rank.step).toEqual(ranked.map((e) => e.step));
    r1!.rank.value.forEach((v, i) => expect(v).toBeCloseTo(ranked[i]!.effectiveRank!, 4));
    expect(r1!.onlineTrain['linear/online']!.step).toEqual(ranked.map((e) => e.step));
    const heldOut = healthy.filter((e) => e.type === 'eval' && e.online) as Extract<RunEvent, { type: 'eval' }>[];
    expect(r1!.onlineHeldOut['linear/online']).toEqual({ step: heldOut.map((e) => e.step), value: heldOut.map((e) => e.top1) });
    expect(r2!.step).toHaveLength(80);
    expect(r2).not.toHaveProperty('std');
  });

  it('tabulates recipe, backend, status, steps, time, final loss, probes and parameters', () => {
    const row = (label: string) => new RegExp(`<tr>\\s*<td><span class="swatch" data-run="${label}"></span>${label}</td>[\\s\\S]*?</tr>`).exec(html)![0];
    const r1 = row('r1');
    expect(r1).toContain('<td>simclr</td>');
    expect(r1).toContain('>wasm</td>');
    expect(r1).toContain('<td class="completed">completed</td>');
    expect(r1).toContain('<td class="n">120</td>');
    expect(r1).toContain('<td class="n">93.71%</td>');
    expect(r1).toContain('<td class="n">95.02%</td>');
    expect(r1).toContain('<td class="n" title="encoder 1.23M, projector 33.0k">1.27M</td>');
    const end = healthy.at(-1) as Extract<RunEvent, { type: 'run-end' }>;
    expect(r1).toContain(`<td class="n">${end.finalLoss!.toFixed(4)}</td>`);
    const r2 = row('r2');
    expect(r2).toContain('<td>byol</td>');
    expect(r2).toContain('<td class="incomplete">incomplete</td>');
    // The final probe table lists only frozen-encoder results, not the online checks.
    expect(html).toMatch(/<table class="probes">\s*<thead><tr><th>run<\/th><th>linear<\/th><th>knn<\/th><\/tr>/);
  });

  it('a missing run folder, or a folder without metrics.jsonl, is exit 2 with the path, never a stack trace', async () => {
    const missing = await ssl('report', join(scratch, 'nope'), '--out', join(scratch, 'x.html'));
    expect(missing.code).toBe(2);
    expect(missing.err).toBe(`ssl report: no such run folder: ${join(scratch, 'nope')}\n`);
    mkdirSync(join(scratch, 'empty'));
    const empty = await ssl('report', join(scratch, 'empty'));
    expect(empty.code).toBe(2);
    expect(empty.err).toMatch(/empty has no metrics\.jsonl: is it a run folder/);
    expect(empty.err).not.toMatch(/\n\s+at /);
    const unwritable = await ssl('report', join(scratch, 'r1'), '--out', join(scratch, 'no', 'such', 'dir', 'r.html'));
    expect(unwritable.code).toBe(2);
    expect(unwritable.err).toMatch(/^ssl report: cannot write .*r\.html: ENOENT/);
  });
});

describe('report input', () => {
  it('escapes every run-provided string put into the HTML', async () => {
    const evil = '<script>alert("x")</script> & co';
    const events = scriptedRun({ recipe: evil, stepsPerEpoch: 5 }).map((e) => (e.type === 'run-end' ? { ...e, message: `</table><img src=x onerror=alert(1)>` } : e));
    const dir = join(scratch, 'a&b<c>');
    mkdirSync(dir);
    writeFileSync(join(dir, 'metrics.jsonl'), jsonl(events));
    const out = join(scratch, 'evil.html');
    expect((await ssl('report', dir, '--out', out)).code).toBe(0);
    const html = readFileSync(out, 'utf8');
    expect(html).not.toContain(evil);
    expect(html).not.toContain('<img src=x');
    expect(html).toContain(`<td>${escapeHtml(evil)}</td>`);
    expect(html).toContain('a&amp;b&lt;c&gt;');
    // The label also travels in the JSON block, where '<' is escaped so it cannot end the script.
    const data = /id="ssl-data">([\s\S]*?)<\/script>/.exec(html)![1]!;
    expect(data).not.toContain('<');
    expect(JSON.parse(data)[0].label).toBe('a&b<c>');
  });

  it('parseMetrics skips bad lines with notes naming them and ignores unknown event types', () => {
    const text = '{"type":"run-start","recipe":"r"}\nnot json\n[1,2]\n{"type":"gpu-temperature","celsius":71}\n{"type":"gpu-temperature","celsius":72}\n{"type":"step","step":1,"loss":1}\n';
    const { events, notes } = parseMetrics(text, 'm.jsonl');
    expect(events.map((e) => e.type)).toEqual(['run-start', 'step']);
    expect(notes).toEqual([
      'm.jsonl:2: not valid JSON; skipped',
      'm.jsonl:3: not an event (no "type"); skipped',
      "m.jsonl: 2 events of unknown type 'gpu-temperature' ignored (written by a newer ssl?)",
    ]);
    // A complete last line that does not parse is not "cut off".
    expect(parseMetrics('{"type":"step"\n', 'm.jsonl').notes).toEqual(['m.jsonl:1: not valid JSON; skipped']);
  });

  it('a resumed run whose later lines were not cut: the steps after the checkpoint replace the old ones', () => {
    const run = scriptedRun({ stepsPerEpoch: 10, end: false, health: true });
    const start = run[0] as Extract<RunEvent, { type: 'run-start' }>;
    const steps = run.filter((e): e is StepEvent => e.type === 'step');
    const { type: _t, ...plan } = start;
    const redo = steps.slice(5).map((e) => ({ ...e, loss: e.loss + 100 }));
    const dir = join(scratch, 'resumed');
    mkdirSync(dir);
    writeFileSync(join(dir, 'metrics.jsonl'), jsonl([start, ...steps, { ...plan, type: 'resume', fromStep: 5, epoch: 1, checkpoint: 'c', droppedLines: 0 }, ...redo]));
    const summary = summarizeRun(readRun(dir));
    expect(summary.series.step).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    expect(summary.series.loss.slice(5)).toEqual(redo.map((e) => e.loss));
    expect(summary.series.loss.slice(0, 5)).toEqual(steps.slice(0, 5).map((e) => e.loss));
    expect(summary.series.rank.step).toEqual([1, 10]); // the first pass's step-10 point is replaced, not doubled
    expect(summary.status).toBe('incomplete');
  });
});
