/**
 * The plain reporter: human-readable lines for CI logs and pipes. No ANSI codes, no cursor
 * movement, one line per thing that happened, so `grep`, `tail -f` and CI log viewers all work.
 *
 * It writes to stdout by default: the lines are the run's report — what `ssl train … | tee
 * run.log` or `> run.log` should capture — like the json reporter's event stream, which also goes
 * to stdout. stderr stays free for the CLI's own errors and for TF.js's backend chatter, so
 * `2>/dev/null` silences noise without losing the report.
 *
 *     run simclr  backend wasm  1 epoch x 234 steps = 234 steps  batch 256
 *     step   1/234  epoch 1  loss 6.2141  lr 1.00e-4  640 img/s  eta 1:33
 *     step 120/234  epoch 1  loss 4.8123  lr 1.00e-3  812 img/s  eta 0:42
 *     probe linear on test: top-1 93.71% (fit 60000, eval 10000, 4.1 s)
 *
 * Steps that report them add the embedding std after the loss, the teachers' EMA momentum after
 * the lr, and the loss terms (unweighted, sub-terms by part name) at the end:
 *
 *     step 120/234  epoch 1  loss 0.6170  std 0.0523  lr 1.00e-3  m 0.9962  812 img/s  eta 0:42  terms: byol 0.312, byol#2 0.305
 *     warning [collapse] embedding std fell from 0.0690 to 0.0120 by step 57: the representation may be collapsing
 *
 * With the health monitor (runtime/health/), the latest effective rank follows the std and an
 * online probe's running top-1 follows the lr; its held-out checks get a line each:
 *
 *     step 120/234  epoch 1  loss 4.8123  std 0.0790  rank 57.3  lr 1.00e-3  online 84.1%  812 img/s  eta 0:49
 *     probe linear/online on test at step 234: top-1 86.20% (online, trained on 59904 examples, 1.2 s)
 */
import type { Reporter, RunEvent, StepEvent } from '../events.js';
import {
  formatDuration,
  formatEnvironment,
  formatLoss,
  formatLr,
  formatMomenta,
  formatParameters,
  formatOnline,
  formatPercent,
  formatRank,
  formatRate,
  formatSeconds,
  formatSpan,
  formatStd,
  formatTerms,
} from './format.js';
import { initialState, reduce, type EpochSummary, type RunViewState, type WarningItem } from './state.js';

/** About this many step lines per run (plus the first and the last step). */
export const TARGET_STEP_LINES = 30;

/**
 * Print every N-th step, N a 1-2-5 "nice" number nearest (in log scale) to total / 30, so a
 * run prints ~19-48 step lines that land on round step numbers (10, 20, 30… or 50, 100, 150…).
 */
export function stepInterval(totalSteps: number, target = TARGET_STEP_LINES): number {
  const raw = totalSteps / target;
  if (!(raw > 1)) return 1;
  const decade = 10 ** Math.floor(Math.log10(raw));
  let best = decade;
  for (const m of [1, 2, 5, 10]) {
    const c = m * decade;
    if (Math.abs(Math.log(c / raw)) < Math.abs(Math.log(best / raw))) best = c;
  }
  return best;
}

export interface PlainReporterOptions {
  /** Print a step line every `every` steps instead of the automatic interval. */
  every?: number;
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

function stepLine(state: RunViewState, e: StepEvent): string {
  const total = Math.max(state.totalSteps, e.step);
  const width = String(total).length;
  const momenta = e.momentum && Object.keys(e.momentum).length > 0 ? formatMomenta(e.momentum) : null;
  const terms = e.terms && Object.keys(e.terms).length > 0 ? formatTerms(e.terms) : null;
  return [
    `step ${String(e.step).padStart(width)}/${total}`,
    `epoch ${e.epoch}`,
    `loss ${formatLoss(e.loss)}`,
    ...(e.embeddingStd !== undefined ? [`std ${formatStd(e.embeddingStd)}`] : []),
    // The latest measured rank (it is measured every few steps, not on every printed one).
    ...(state.effectiveRank !== null ? [`rank ${formatRank(state.effectiveRank)}`] : []),
    `lr ${formatLr(e.lr)}`,
    ...(momenta ? [`m ${momenta}`] : []),
    ...(state.onlineTop1 ? [`online ${formatOnline(state.onlineTop1)}`] : []),
    `${formatRate(state.imagesPerSec)} img/s`,
    `eta ${formatDuration(state.etaMs)}`,
    ...(terms ? [`terms: ${terms}`] : []),
  ].join('  ');
}

function epochLine(e: EpochSummary): string {
  return (
    `epoch ${e.epoch} ${e.complete ? 'done' : 'stopped'}: ${plural(e.steps, 'step')}, ` +
    `mean loss ${formatLoss(e.meanLoss)}, ${formatDuration(e.ms)}`
  );
}

function warningLine(w: { code: string; message: string; span?: WarningItem['span'] }): string {
  return `warning [${w.code}] ${w.message}${w.span ? ` (${formatSpan(w.span)})` : ''}`;
}

/** Lines for one event given the state after reducing it; pure, for tests and reuse. */
export function formatPlainEvent(state: RunViewState, event: Exclude<RunEvent, StepEvent>): string[] {
  switch (event.type) {
    case 'run-start': {
      const lines = [
        `run ${event.recipe}  backend ${event.backend}  ` +
          `${plural(event.epochs, 'epoch')} x ${event.stepsPerEpoch} steps = ${plural(event.totalSteps, 'step')}  ` +
          `batch ${event.batch}`,
        `  parameters: ${formatParameters(event.parameters)}`,
      ];
      if (event.backendReason) lines.push(`  backend: ${event.backendReason}`);
      const env = formatEnvironment(event.environment);
      if (env) lines.push(`  environment: ${env}`);
      lines.push(`  run dir: ${event.runDir}`);
      return lines;
    }
    case 'resume':
      return [
        `resume ${event.recipe} from step ${event.fromStep}/${event.totalSteps} (${event.checkpoint})  backend ${event.backend}` +
          (event.droppedLines > 0 ? `  dropped ${plural(event.droppedLines, 'metrics line')} after the checkpoint` : ''),
        ...(event.backendReason ? [`  backend: ${event.backendReason}`] : []),
        `  run dir: ${event.runDir}`,
      ];
    case 'epoch-start':
      return [];
    case 'eval':
      if (event.online) {
        return [`probe ${event.name} on ${event.on} at step ${event.step}: top-1 ${formatPercent(event.top1)} (online, trained on ${event.fitSize} examples, ${formatSeconds(event.ms)})`];
      }
      return [
        `probe ${event.name} on ${event.on}: top-1 ${formatPercent(event.top1)} ` +
          `(fit ${event.fitSize}, eval ${event.evalSize}, ${formatSeconds(event.ms)})`,
      ];
    case 'warning':
      return [warningLine(event)];
    case 'checkpoint':
      return [`checkpoint at step ${event.step}: ${event.path}`];
    case 'run-end': {
      const head =
        `run ${event.status}: ${plural(event.steps, 'step')} in ${formatDuration(event.ms)}` +
        (event.finalLoss != null ? `, final loss ${formatLoss(event.finalLoss)}` : '') +
        (event.message ? ` (${event.message})` : '');
      const lines = [head];
      for (const [name, top1] of Object.entries(event.probes)) {
        lines.push(`  probe ${name}: top-1 ${formatPercent(top1)}`);
      }
      if (state.warnings.length > 0) {
        const total = state.warnings.reduce((n, w) => n + w.count, 0);
        lines.push(`  warnings: ${total}`);
      }
      lines.push(`  run dir: ${event.runDir}`);
      return lines;
    }
  }
}

export function createPlainReporter(
  out: NodeJS.WritableStream = process.stdout,
  options: PlainReporterOptions = {},
): Reporter {
  let state = initialState;
  let every = options.every ?? 1;
  let lastStep: StepEvent | null = null;
  let lastPrinted = 0;
  const print = (lines: string[]) => {
    if (lines.length > 0) out.write(lines.map((l) => `${l}\n`).join(''));
  };
  const printStep = (e: StepEvent) => {
    print([stepLine(state, e)]);
    lastPrinted = e.step;
  };

  return {
    onEvent(event) {
      const prev = state;
      state = reduce(state, event);
      // One line per finished epoch, unless there are so many epochs that they'd drown the steps.
      const showEpochs = (state.info?.epochs ?? 0) <= TARGET_STEP_LINES;
      const closed = showEpochs ? state.epochs.slice(prev.epochs.length) : [];
      const epochLines = closed.map(epochLine);
      switch (event.type) {
        case 'run-start':
        case 'resume':
          every = options.every ?? stepInterval(event.totalSteps);
          lastStep = null;
          lastPrinted = 0;
          print(formatPlainEvent(state, event));
          return;
        case 'step':
          // A step can close the previous epoch (its first step) or its own (its last step).
          print(closed.filter((e) => e.lastStep !== event.step).map(epochLine));
          lastStep = event;
          // The step where the embedding std first looks collapsed is always shown, then the
          // warning the reducer raised for it (once per run).
          const collapsed = state.collapseStep != null && prev.collapseStep == null;
          if (prev.stepsSeen === 0 || event.step % every === 0 || event.step >= state.totalSteps || collapsed) {
            printStep(event);
          }
          print(state.warnings.slice(prev.warnings.length).map(warningLine));
          print(closed.filter((e) => e.lastStep === event.step).map(epochLine));
          return;
        case 'run-end':
          // An interrupted or failed run still shows where it stopped.
          if (lastStep && lastPrinted !== lastStep.step) printStep(lastStep);
          print(epochLines);
          print(formatPlainEvent(state, event));
          return;
        default:
          print(epochLines);
          print(formatPlainEvent(state, event));
      }
    },
    close() {
      // Writes are synchronous to the stream's buffer; never end() a shared stdout.
    },
  };
}
