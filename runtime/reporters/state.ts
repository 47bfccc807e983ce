/**
 * What a reporter shows about a run, as a pure reduction over `RunEvent`s.
 *
 * `reduce(state, event)` never mutates its input and never reads the clock: every time-dependent
 * value (elapsed, ETA) comes from the events' own `time`/`ms` fields, so a scripted event
 * sequence always reduces to the same state. The ink TUI renders this state; the plain reporter
 * reuses it for smoothed throughput and ETA.
 */
import type { Span } from '../../compiler/ir.js';
import type { EvalEvent, RunEndEvent, RunEvent, RunStartEvent, StepEvent } from '../events.js';
import { formatStd } from './format.js';

/** `waiting` until run-start; then `running` until run-end sets the final status. */
export type RunStatus = 'waiting' | 'running' | 'completed' | 'interrupted' | 'failed';

export type RunInfo = Omit<RunStartEvent, 'type' | 'time'> & { startTime: number };

export type ProbeResult = Omit<EvalEvent, 'type'>;

export interface WarningItem {
  code: string;
  message: string;
  span?: Span;
  /** How often this exact code + message was seen; repeats are folded, not listed again. */
  count: number;
  time: number;
}

export interface EpochSummary {
  epoch: number;
  /** Steps taken in this epoch and the global step range they cover. */
  steps: number;
  firstStep: number;
  lastStep: number;
  /** Mean of the finite step losses in this epoch; null if none was finite. */
  meanLoss: number | null;
  lastLoss: number;
  /** Wall time from the epoch's start (epoch-start event, or its first step's start) to its last step. */
  ms: number;
  /** False when the run stopped before the epoch reached `stepsPerEpoch` steps. */
  complete: boolean;
}

export interface CheckpointItem {
  step: number;
  path: string;
}

/** Things that are done and will not change: rendered once, in order, inside ink's `<Static>`. */
export type FinishedItem =
  | { kind: 'epoch'; id: string; epoch: EpochSummary }
  | { kind: 'probe'; id: string; probe: ProbeResult }
  | { kind: 'warning'; id: string; warning: WarningItem }
  | { kind: 'checkpoint'; id: string; checkpoint: CheckpointItem };

/**
 * Loss over the whole run, downsampled so it never holds more than `LOSS_HISTORY_MAX` points:
 * each point is the mean of `stride` consecutive steps; when the buffer fills, neighbouring
 * points are merged pairwise and `stride` doubles. The step not yet in a full bucket lives in
 * `pendingSum/pendingCount/pendingSteps`; `lossSeries()` includes it.
 */
export interface LossHistory {
  points: number[];
  stride: number;
  pendingSum: number;
  /** Finite losses in the pending bucket. */
  pendingCount: number;
  /** All steps in the pending bucket, finite or not. */
  pendingSteps: number;
}

interface EpochAccumulator {
  epoch: number;
  startTime: number;
  steps: number;
  firstStep: number;
  lastStep: number;
  lossSum: number;
  lossCount: number;
  lastLoss: number;
  lastTime: number;
}

/**
 * How worried to be about representation collapse, from the embedding std (see `collapseLevel`):
 * `ok`, `collapsing` (std under `COLLAPSING_RATIO` of its first value), or `collapsed` (under
 * `COLLAPSED_RATIO`: every input maps to nearly the same direction).
 */
export type CollapseLevel = 'ok' | 'collapsing' | 'collapsed';

/** What the view keeps of the run-end event. */
export type RunEnd = Omit<RunEndEvent, 'type' | 'time'>;

export interface RunViewState {
  status: RunStatus;
  info: RunInfo | null;
  /** Last global step seen (1-based; 0 before the first step). */
  step: number;
  totalSteps: number;
  epoch: number | null;
  loss: number | null;
  /** Lowest finite step loss so far. */
  minLoss: number | null;
  lr: number | null;
  lossHistory: LossHistory;
  /** Latest per-term values (unweighted, `term/part` sub-terms included); null until a step has them. */
  terms: Record<string, number> | null;
  /** History of each key of `terms`, bounded and merged like `lossHistory`. */
  termHistory: Record<string, LossHistory>;
  /** Latest mean per-dimension std of the l2-normalised embedding; null until a step has it. */
  embeddingStd: number | null;
  stdHistory: LossHistory;
  /** Lowest finite std so far, and the first finite one (the reference for `collapse`). */
  minStd: number | null;
  initialStd: number | null;
  /** Derived from the latest finite std and `initialStd` by `collapseLevel`. */
  collapse: CollapseLevel;
  /** Step at which `collapse` first left `ok` (set once, kept if the std recovers); null if never. */
  collapseStep: number | null;
  /** Latest EMA momentum of each teacher, by name; null when the run has no teacher. */
  momentum: Record<string, number> | null;
  /** Latest RankMe effective rank (measured every few steps); null until a step has it. */
  effectiveRank: number | null;
  /** History of the measured ranks (one point per measurement), bounded like `lossHistory`. */
  rankHistory: LossHistory;
  /** First finite rank measured (the untrained encoder's, at step 1): what a collapse falls from. */
  initialRank: number | null;
  /** Latest running top-1 on the training batches of each online probe, by name; null until read. */
  onlineTop1: Record<string, number> | null;
  /** Latest held-out evaluation of each online probe, by name (eval events with `online: true`). */
  onlineEvals: Record<string, ProbeResult>;
  /** Step wall time and throughput, smoothed (see `smoothingAlpha`; the step's `throughput` when it has one); null before the first step. */
  stepMs: number | null;
  imagesPerSec: number | null;
  /**
   * The step's `etaMs` when it has one (it counts health checks and final probes too), else the
   * remaining steps times the smoothed step time; 0 once the run has ended.
   */
  etaMs: number | null;
  /** Time since run-start, from the latest event's `time` (run-end's `ms` once it arrives). */
  elapsedMs: number;
  /** Step events reduced so far (drives the smoothing warm-up). */
  stepsSeen: number;
  probes: ProbeResult[];
  warnings: WarningItem[];
  epochs: EpochSummary[];
  checkpoints: CheckpointItem[];
  finished: FinishedItem[];
  current: EpochAccumulator | null;
  end: RunEnd | null;
  /** The checkpoint step a resumed run continued from; null for a run that started fresh. */
  resumedFrom: number | null;
}

/** Bound on stored loss points; even, so pairwise merging halves it exactly. */
export const LOSS_HISTORY_MAX = 256;
/**
 * Collapse rule. We don't know the embedding width d, so the healthy level (about 1/sqrt(d),
 * SimSiam sec. 4.1) is taken from the run itself: the first finite, positive std reported. The
 * level follows the latest finite std (no smoothing, no latch; it clears if the std recovers):
 *   std <  COLLAPSED_RATIO  * first  → 'collapsed'   (red)
 *   std <  COLLAPSING_RATIO * first  → 'collapsing'  (yellow)
 *   otherwise, or no reference yet   → 'ok'
 * A std of exactly 0 is 'collapsed' whatever the reference. The first time the level leaves 'ok'
 * the reducer records `collapseStep` and adds one `collapse` warning (plain prints it, the TUI
 * keeps it above the live panel); later dips don't warn again.
 */
export const COLLAPSING_RATIO = 0.2;
export const COLLAPSED_RATIO = 0.05;
export const COLLAPSE_WARNING_CODE = 'collapse';

/** Long-run weight of the newest step in the smoothed step time and throughput. */
export const SMOOTHING = 0.1;

export const initialState: RunViewState = Object.freeze({
  status: 'waiting',
  info: null,
  step: 0,
  totalSteps: 0,
  epoch: null,
  loss: null,
  minLoss: null,
  lr: null,
  lossHistory: Object.freeze({
    points: Object.freeze([]) as unknown as number[],
    stride: 1,
    pendingSum: 0,
    pendingCount: 0,
    pendingSteps: 0,
  }),
  terms: null,
  termHistory: Object.freeze({}) as Record<string, LossHistory>,
  embeddingStd: null,
  stdHistory: Object.freeze({
    points: Object.freeze([]) as unknown as number[],
    stride: 1,
    pendingSum: 0,
    pendingCount: 0,
    pendingSteps: 0,
  }),
  minStd: null,
  initialStd: null,
  collapse: 'ok',
  collapseStep: null,
  momentum: null,
  effectiveRank: null,
  rankHistory: Object.freeze({
    points: Object.freeze([]) as unknown as number[],
    stride: 1,
    pendingSum: 0,
    pendingCount: 0,
    pendingSteps: 0,
  }),
  initialRank: null,
  onlineTop1: null,
  onlineEvals: Object.freeze({}) as Record<string, ProbeResult>,
  stepMs: null,
  imagesPerSec: null,
  etaMs: null,
  elapsedMs: 0,
  stepsSeen: 0,
  probes: Object.freeze([]) as unknown as never[],
  warnings: Object.freeze([]) as unknown as never[],
  epochs: Object.freeze([]) as unknown as never[],
  checkpoints: Object.freeze([]) as unknown as never[],
  finished: Object.freeze([]) as unknown as never[],
  current: null,
  end: null,
  resumedFrom: null,
}) as RunViewState;

/**
 * Weight of the n-th sample (1-based) in the exponential moving average: 1/n for the first
 * 1/SMOOTHING samples (a plain running mean, so the slow first step — kernel compilation,
 * warm-up — doesn't pin the average), then SMOOTHING.
 */
export function smoothingAlpha(n: number): number {
  return Math.max(SMOOTHING, 1 / Math.max(1, n));
}

function ema(prev: number | null, value: number, alpha: number): number | null {
  if (!Number.isFinite(value)) return prev;
  return prev == null ? value : prev + alpha * (value - prev);
}

/** The loss history as one series: stored points plus the mean of the pending bucket. */
export function lossSeries(history: LossHistory): number[] {
  if (history.pendingSteps === 0) return history.points;
  const pending = history.pendingCount > 0 ? history.pendingSum / history.pendingCount : Number.NaN;
  return [...history.points, pending];
}

const EMPTY_HISTORY: LossHistory = initialState.lossHistory;

/** See `COLLAPSING_RATIO`. Non-finite values give 'ok' (the caller keeps the previous level). */
export function collapseLevel(std: number, initialStd: number | null): CollapseLevel {
  if (!Number.isFinite(std)) return 'ok';
  if (std <= 0) return 'collapsed';
  if (initialStd == null || !(initialStd > 0)) return 'ok';
  const ratio = std / initialStd;
  return ratio < COLLAPSED_RATIO ? 'collapsed' : ratio < COLLAPSING_RATIO ? 'collapsing' : 'ok';
}

function pushLoss(h: LossHistory, loss: number): LossHistory {
  const finite = Number.isFinite(loss);
  const pendingSum = h.pendingSum + (finite ? loss : 0);
  const pendingCount = h.pendingCount + (finite ? 1 : 0);
  const pendingSteps = h.pendingSteps + 1;
  if (pendingSteps < h.stride) return { ...h, pendingSum, pendingCount, pendingSteps };
  let points = [...h.points, pendingCount > 0 ? pendingSum / pendingCount : Number.NaN];
  let stride = h.stride;
  if (points.length >= LOSS_HISTORY_MAX) {
    const merged: number[] = [];
    for (let i = 0; i + 1 < points.length; i += 2) {
      const a = points[i];
      const b = points[i + 1];
      merged.push(Number.isFinite(a) && Number.isFinite(b) ? (a + b) / 2 : Number.isFinite(a) ? a : b);
    }
    points = merged;
    stride *= 2;
  }
  return { points, stride, pendingSum: 0, pendingCount: 0, pendingSteps: 0 };
}

function closeEpoch(state: RunViewState, reason: 'next-epoch' | 'run-end'): RunViewState {
  const cur = state.current;
  if (!cur || cur.steps === 0) return { ...state, current: null };
  const perEpoch = state.info?.stepsPerEpoch;
  const summary: EpochSummary = {
    epoch: cur.epoch,
    steps: cur.steps,
    firstStep: cur.firstStep,
    lastStep: cur.lastStep,
    meanLoss: cur.lossCount > 0 ? cur.lossSum / cur.lossCount : null,
    lastLoss: cur.lastLoss,
    ms: Math.max(0, cur.lastTime - cur.startTime),
    complete: perEpoch != null && perEpoch > 0 ? cur.steps >= perEpoch : reason === 'next-epoch',
  };
  return {
    ...state,
    current: null,
    epochs: [...state.epochs, summary],
    finished: [...state.finished, { kind: 'epoch', id: `epoch-${state.finished.length}`, epoch: summary }],
  };
}

type Signals = Pick<
  RunViewState,
  | 'terms'
  | 'termHistory'
  | 'embeddingStd'
  | 'stdHistory'
  | 'minStd'
  | 'initialStd'
  | 'collapse'
  | 'collapseStep'
  | 'momentum'
  | 'effectiveRank'
  | 'rankHistory'
  | 'initialRank'
  | 'onlineTop1'
  | 'warnings'
  | 'finished'
>;

/** The optional per-step signals: loss terms, embedding std (and the collapse rule), momenta, rank, online top-1. */
function reduceSignals(s: RunViewState, e: StepEvent): Signals {
  let { terms, termHistory, embeddingStd, stdHistory, minStd, initialStd, collapse, collapseStep, momentum, warnings, finished } = s;
  let { effectiveRank, rankHistory, initialRank, onlineTop1 } = s;
  if (e.effectiveRank !== undefined) {
    // JSON has no NaN: a diverged run's rank replays as null.
    const rank = (e.effectiveRank as number | null) ?? Number.NaN;
    effectiveRank = rank;
    rankHistory = pushLoss(rankHistory, rank);
    if (initialRank == null && Number.isFinite(rank)) initialRank = rank;
  }
  if (e.onlineTop1) onlineTop1 = { ...(onlineTop1 ?? {}), ...e.onlineTop1 };
  if (e.terms) {
    terms = { ...e.terms };
    termHistory = { ...termHistory };
    for (const [key, value] of Object.entries(e.terms)) termHistory[key] = pushLoss(termHistory[key] ?? EMPTY_HISTORY, value);
  }
  if (e.momentum) momentum = { ...e.momentum };
  if (e.embeddingStd !== undefined) {
    // A NaN std replayed from a .events.jsonl comes back as null (JSON has no NaN).
    const std = (e.embeddingStd as number | null) ?? Number.NaN;
    embeddingStd = std;
    stdHistory = pushLoss(stdHistory, std);
    if (Number.isFinite(std)) {
      minStd = minStd == null ? std : Math.min(minStd, std);
      if (initialStd == null && std > 0) initialStd = std;
      collapse = collapseLevel(std, initialStd);
      if (collapse !== 'ok' && collapseStep == null) {
        collapseStep = e.step;
        const warning: WarningItem = {
          code: COLLAPSE_WARNING_CODE,
          message: collapseMessage(initialStd, std, e.step),
          count: 1,
          time: e.time,
        };
        warnings = [...warnings, warning];
        finished = [...finished, { kind: 'warning', id: `warning-${finished.length}`, warning }];
      }
    }
  }
  return { terms, termHistory, embeddingStd, stdHistory, minStd, initialStd, collapse, collapseStep, momentum, effectiveRank, rankHistory, initialRank, onlineTop1, warnings, finished };
}

/** `embedding std fell from 0.0690 to 0.0120 by step 57: the representation may be collapsing` */
export function collapseMessage(initialStd: number | null, std: number, step: number): string {
  const from = initialStd == null ? '' : ` from ${formatStd(initialStd)}`;
  return `embedding std fell${from} to ${formatStd(std)} by step ${step}: the representation may be collapsing`;
}

function elapsed(state: RunViewState, time: number): number {
  return state.info ? Math.max(state.elapsedMs, time - state.info.startTime) : state.elapsedMs;
}

/** Pure: returns a new state (sharing unchanged parts) and never mutates `state` or `event`. */
export function reduce(state: RunViewState, event: RunEvent): RunViewState {
  switch (event.type) {
    case 'run-start': {
      const { type: _type, time, ...rest } = event;
      return {
        ...initialState,
        status: 'running',
        info: { ...rest, startTime: time },
        totalSteps: event.totalSteps,
      };
    }

    case 'resume': {
      // A resumed run: the plan as run-start gives it, standing at the checkpoint's step. The
      // steps before it are not replayed, so the histories start here.
      const { type: _type, time, fromStep, epoch, checkpoint: _checkpoint, droppedLines: _dropped, set: _set, ...rest } = event;
      return {
        ...initialState,
        status: 'running',
        info: { ...rest, startTime: time },
        totalSteps: event.totalSteps,
        step: fromStep,
        epoch,
        resumedFrom: fromStep,
      };
    }

    case 'epoch-start': {
      const closed = closeEpoch(state, 'next-epoch');
      return {
        ...closed,
        epoch: event.epoch,
        elapsedMs: elapsed(closed, event.time),
        current: {
          epoch: event.epoch,
          startTime: event.time,
          steps: 0,
          firstStep: 0,
          lastStep: 0,
          lossSum: 0,
          lossCount: 0,
          lastLoss: Number.NaN,
          lastTime: event.time,
        },
      };
    }

    case 'step': {
      // A step from a new epoch without an epoch-start closes the old one and opens the new.
      let s = state;
      if (s.current && s.current.epoch !== event.epoch) s = closeEpoch(s, 'next-epoch');
      const base: EpochAccumulator = s.current ?? {
        epoch: event.epoch,
        startTime: event.time - (Number.isFinite(event.ms) ? event.ms : 0),
        steps: 0,
        firstStep: 0,
        lastStep: 0,
        lossSum: 0,
        lossCount: 0,
        lastLoss: Number.NaN,
        lastTime: event.time,
      };
      const finite = Number.isFinite(event.loss);
      const current: EpochAccumulator = {
        ...base,
        steps: base.steps + 1,
        firstStep: base.steps === 0 ? event.step : base.firstStep,
        lastStep: event.step,
        lossSum: base.lossSum + (finite ? event.loss : 0),
        lossCount: base.lossCount + (finite ? 1 : 0),
        lastLoss: event.loss,
        lastTime: event.time,
      };
      const stepsSeen = s.stepsSeen + 1;
      const alpha = smoothingAlpha(stepsSeen);
      const stepMs = ema(s.stepMs, event.ms, alpha);
      const smoothedRate = ema(s.imagesPerSec, event.imagesPerSec, alpha);
      const imagesPerSec = event.throughput !== undefined && Number.isFinite(event.throughput) ? event.throughput : smoothedRate;
      const totalSteps = Math.max(s.totalSteps, event.step);
      const signals = reduceSignals(s, event);
      const next: RunViewState = {
        ...s,
        step: event.step,
        totalSteps,
        epoch: event.epoch,
        loss: event.loss,
        minLoss: finite ? (s.minLoss == null ? event.loss : Math.min(s.minLoss, event.loss)) : s.minLoss,
        lr: Number.isFinite(event.lr) ? event.lr : s.lr,
        lossHistory: pushLoss(s.lossHistory, event.loss),
        ...signals,
        stepMs,
        imagesPerSec,
        etaMs:
          event.etaMs !== undefined && Number.isFinite(event.etaMs)
            ? event.etaMs
            : stepMs == null
              ? null
              : stepMs * Math.max(0, totalSteps - event.step),
        elapsedMs: elapsed(s, event.time),
        stepsSeen,
        current,
      };
      // An epoch that has all its steps is finished now, not when the next one starts, so its
      // line lands before the checkpoint and probes that follow the last epoch.
      const perEpoch = s.info?.stepsPerEpoch ?? 0;
      return perEpoch > 0 && current.steps >= perEpoch ? closeEpoch(next, 'next-epoch') : next;
    }

    case 'eval': {
      const { type: _type, ...probe } = event;
      // An online probe's held-out check is a live estimate: shown as it comes, not a final result.
      if (event.online) {
        return {
          ...state,
          elapsedMs: elapsed(state, event.time),
          onlineEvals: { ...state.onlineEvals, [event.name]: probe },
          finished: [...state.finished, { kind: 'probe', id: `probe-${state.finished.length}`, probe }],
        };
      }
      return {
        ...state,
        elapsedMs: elapsed(state, event.time),
        probes: [...state.probes, probe],
        finished: [...state.finished, { kind: 'probe', id: `probe-${state.finished.length}`, probe }],
      };
    }

    case 'warning': {
      const i = state.warnings.findIndex((w) => w.code === event.code && w.message === event.message);
      if (i >= 0) {
        const warnings = state.warnings.slice();
        warnings[i] = { ...warnings[i], count: warnings[i].count + 1, time: event.time };
        return { ...state, warnings, elapsedMs: elapsed(state, event.time) };
      }
      const warning: WarningItem = { code: event.code, message: event.message, count: 1, time: event.time };
      if (event.span) warning.span = event.span;
      return {
        ...state,
        elapsedMs: elapsed(state, event.time),
        warnings: [...state.warnings, warning],
        finished: [...state.finished, { kind: 'warning', id: `warning-${state.finished.length}`, warning }],
      };
    }

    case 'checkpoint': {
      const checkpoint: CheckpointItem = { step: event.step, path: event.path };
      return {
        ...state,
        elapsedMs: elapsed(state, event.time),
        checkpoints: [...state.checkpoints, checkpoint],
        finished: [
          ...state.finished,
          { kind: 'checkpoint', id: `checkpoint-${state.finished.length}`, checkpoint },
        ],
      };
    }

    case 'run-end': {
      const closed = closeEpoch(state, 'run-end');
      const { type: _type, time: _time, ...end } = event;
      return {
        ...closed,
        status: event.status,
        end,
        etaMs: 0,
        elapsedMs: event.ms,
      };
    }

    default: {
      // A newer event kind this reporter doesn't know yet: ignore it rather than crash the run.
      const _exhaustive: never = event;
      void _exhaustive;
      return state;
    }
  }
}

/** Reduces a whole sequence (handy in tests and for replaying a `.events.jsonl`). */
export function reduceAll(events: Iterable<RunEvent>, from: RunViewState = initialState): RunViewState {
  let s = from;
  for (const e of events) s = reduce(s, e);
  return s;
}

/** Fraction of the planned steps done, in [0, 1]. */
export function progressFraction(state: RunViewState): number {
  if (state.totalSteps <= 0) return state.status === 'completed' ? 1 : 0;
  return Math.min(1, Math.max(0, state.step / state.totalSteps));
}
