/**
 * One run's events turned into what the report draws and tabulates: per-step series (loss, each
 * term, lr, embedding std, throughput, momenta), the sparse health series (effective rank, online
 * probes), and the run's summary row (recipe, backend, steps, time, final loss, probes, parameters).
 *
 * Series are aligned on the step number. When a step number comes again (a run resumed from a
 * checkpoint whose later lines were not cut), the later steps replace the earlier ones from there
 * on, as the resumed run replaced them.
 */
import { basename } from 'node:path';
import type { RunEvent, StepEvent } from '../../runtime/events.js';
import type { RunData } from './read-run.js';

/** y values are null where a step has no value (JSON has no NaN: a NaN loss is written as null). */
export type Values = (number | null)[];

/** A sparse series: (step, value) pairs in step order. */
export interface Sparse {
  step: number[];
  value: Values;
}

export interface RunSeries {
  step: number[];
  loss: Values;
  lr: Values;
  /** Absent when no step reported it. */
  std?: Values;
  /** Smoothed examples/s when the run reported it (health monitor), else each step's own rate. */
  throughput: Values;
  terms: Record<string, Values>;
  momentum: Record<string, Values>;
  rank: Sparse;
  /** Online probes' running top-1 on the training batches, by probe name. */
  onlineTrain: Record<string, Sparse>;
  /** Online probes' held-out top-1, by probe name. */
  onlineHeldOut: Record<string, Sparse>;
}

export interface RunSummary {
  /** Legend label, unique among the runs of one report. */
  label: string;
  dir: string;
  recipe: string;
  backend: string;
  backendReason: string | null;
  /** run-end's status, or 'incomplete' when the run has none (killed, or still running). */
  status: 'completed' | 'interrupted' | 'failed' | 'incomplete';
  message: string | null;
  steps: number;
  totalSteps: number | null;
  batch: number | null;
  /** Wall time of the run: run-end's, else from the first to the last event. */
  ms: number | null;
  finalLoss: number | null;
  /** Final (frozen-feature) probe top-1 by name; online checks are not final results. */
  probes: Record<string, number>;
  parameters: Record<string, number>;
  series: RunSeries;
  notes: string[];
}

const finite = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);

/** Drops every point at or after `step` (a resumed run re-does them). */
function cutFrom(series: RunSeries, step: number): void {
  const i = series.step.findIndex((s) => s >= step);
  if (i < 0) return;
  const perStep = [series.loss, series.lr, series.throughput, ...(series.std ? [series.std] : []), ...Object.values(series.terms), ...Object.values(series.momentum)];
  series.step.length = i;
  for (const values of perStep) values.length = i;
  for (const sparse of [series.rank, ...Object.values(series.onlineTrain), ...Object.values(series.onlineHeldOut)]) {
    const j = sparse.step.findIndex((s) => s >= step);
    if (j >= 0) {
      sparse.step.length = j;
      sparse.value.length = j;
    }
  }
}

/** A keyed per-step series, created on first use and padded with nulls to the current length. */
function keyed(record: Record<string, Values>, key: string, length: number): Values {
  let values = record[key];
  if (!values) record[key] = values = [];
  while (values.length < length) values.push(null);
  return values;
}

function pushSparse(record: Record<string, Sparse>, key: string, step: number, value: number | null): void {
  const s = (record[key] ??= { step: [], value: [] });
  s.step.push(step);
  s.value.push(value);
}

function addStep(series: RunSeries, e: StepEvent): void {
  const last = series.step.at(-1);
  if (last !== undefined && e.step <= last) cutFrom(series, e.step);
  const n = series.step.length;
  series.step.push(e.step);
  series.loss.push(finite(e.loss));
  series.lr.push(finite(e.lr));
  series.throughput.push(finite(e.throughput ?? e.imagesPerSec));
  if (e.embeddingStd !== undefined || series.std) {
    series.std ??= Array(n).fill(null);
    series.std.push(finite(e.embeddingStd));
  }
  for (const [key, value] of Object.entries(e.terms ?? {})) keyed(series.terms, key, n).push(finite(value));
  for (const [key, value] of Object.entries(e.momentum ?? {})) keyed(series.momentum, key, n).push(finite(value));
  // Keep every keyed series as long as the steps (a term missing from a step is a gap).
  for (const values of [...Object.values(series.terms), ...Object.values(series.momentum)]) while (values.length < n + 1) values.push(null);
  if (e.effectiveRank !== undefined) {
    series.rank.step.push(e.step);
    series.rank.value.push(finite(e.effectiveRank));
  }
  for (const [name, top1] of Object.entries(e.onlineTop1 ?? {})) pushSparse(series.onlineTrain, name, e.step, finite(top1));
}

type Start = Extract<RunEvent, { type: 'run-start' | 'resume' }>;

/** The first start holds the plan; a resume restates it, possibly on another backend. */
function restart(previous: Start | null, e: Start): Start {
  if (!previous || e.type !== 'resume') return e;
  return { ...previous, backend: e.backend, ...(e.backendReason ? { backendReason: e.backendReason } : {}) };
}

/** The summary and series of one run read from its folder. */
export function summarizeRun(run: RunData): RunSummary {
  const series: RunSeries = { step: [], loss: [], lr: [], throughput: [], terms: {}, momentum: {}, rank: { step: [], value: [] }, onlineTrain: {}, onlineHeldOut: {} };
  let start: Start | null = null;
  let end: Extract<RunEvent, { type: 'run-end' }> | null = null;
  const evals: Record<string, number> = {};
  let firstTime: number | null = null;
  let lastTime: number | null = null;
  for (const e of run.events) {
    const time = finite((e as { time?: unknown }).time);
    if (time !== null) {
      firstTime ??= time;
      lastTime = time;
    }
    switch (e.type) {
      case 'run-start':
      case 'resume':
        start = restart(start, e);
        break;
      case 'step':
        if (typeof e.step === 'number') addStep(series, e);
        break;
      case 'eval':
        if (e.online) pushSparse(series.onlineHeldOut, e.name, e.step, finite(e.top1));
        else if (finite(e.top1) !== null) evals[e.name] = e.top1;
        break;
      case 'run-end':
        end = e;
        break;
      default:
        break;
    }
  }
  const lastLoss = series.loss.at(-1);
  return {
    label: basename(run.dir.replace(/[\\/]+$/, '')) || run.dir,
    dir: run.dir,
    recipe: start?.recipe ?? '?',
    backend: start?.backend ?? '?',
    backendReason: start?.backendReason ?? null,
    status: end?.status ?? 'incomplete',
    message: end?.message ?? null,
    steps: end?.steps ?? series.step.at(-1) ?? 0,
    totalSteps: start?.totalSteps ?? null,
    batch: start?.batch ?? null,
    ms: finite(end?.ms) ?? (firstTime !== null && lastTime !== null ? lastTime - firstTime : null),
    finalLoss: end ? finite(end.finalLoss) : (lastLoss ?? null),
    probes: { ...evals, ...Object.fromEntries(Object.entries(end?.probes ?? {}).filter(([, v]) => finite(v) !== null)) },
    parameters: start?.parameters ?? {},
    series,
    notes: run.notes,
  };
}

/** Makes labels unique across runs (`r1`, `r1 #2`), keeping the order. */
export function uniqueLabels(summaries: RunSummary[]): RunSummary[] {
  const seen = new Map<string, number>();
  return summaries.map((s) => {
    const n = (seen.get(s.label) ?? 0) + 1;
    seen.set(s.label, n);
    return n === 1 ? s : { ...s, label: `${s.label} #${n}` };
  });
}
