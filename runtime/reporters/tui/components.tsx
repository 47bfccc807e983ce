/**
 * Pure props components for the run view (like ink's `examples/jest` `test.tsx`/`summary.tsx`):
 * no hooks, no state, everything comes in through `readonly` props, so each one can be rendered
 * alone in a test with ink-testing-library's `lastFrame()`.
 */
import { Box, Static, Text } from 'ink';
import {
  formatDuration,
  formatLoss,
  formatLr,
  formatMomenta,
  formatParameters,
  formatPercent,
  formatRank,
  formatRate,
  formatSeconds,
  formatSpan,
  formatStd,
  formatValue,
  groupTerms,
} from '../format.js';
import { sparkline } from '../sparkline.js';
import {
  lossSeries,
  type CheckpointItem,
  type CollapseLevel,
  type LossHistory,
  type EpochSummary,
  type FinishedItem,
  type ProbeResult,
  type RunEnd,
  type RunInfo,
  type RunStatus,
  type RunViewState,
  type WarningItem,
} from '../state.js';

const clamp = (v: number, lo: number, hi: number) => Math.min(hi, Math.max(lo, v));
const Sep = () => <Text dimColor> · </Text>;

export interface HeaderProps {
  readonly info: RunInfo | null;
  readonly status: RunStatus;
}

/** Recipe, backend, plan and parameter counts. */
export function Header({ info, status }: HeaderProps) {
  if (!info) {
    return (
      <Text>
        <Text color="cyan" bold>
          ssl
        </Text>{' '}
        <Text dimColor>{status === 'waiting' ? 'starting…' : status}</Text>
      </Text>
    );
  }
  return (
    <Box flexDirection="column">
      <Text wrap="truncate-end">
        <Text color="cyan" bold>
          ssl {info.recipe}
        </Text>
        {'  '}
        <Text>{info.backend}</Text>
        <Sep />
        <Text>batch {info.batch}</Text>
        <Sep />
        <Text>
          {info.epochs} epoch{info.epochs === 1 ? '' : 's'} × {info.stepsPerEpoch} steps
        </Text>
      </Text>
      {info.backendReason && (
        <Text dimColor wrap="truncate-end">
          backend {info.backendReason}
        </Text>
      )}
      <Text dimColor wrap="truncate-end">
        params {formatParameters(info.parameters)} · {info.runDir}
      </Text>
    </Box>
  );
}

export interface ProgressProps {
  readonly step: number;
  readonly totalSteps: number;
  readonly epoch: number | null;
  readonly epochs: number | null;
  readonly etaMs: number | null;
  readonly status: RunStatus;
  /** Bar width in cells. */
  readonly width?: number;
}

/** `██████░░░░  51%  step 120/234 · epoch 1/1 · eta 0:42` */
export function Progress({ step, totalSteps, epoch, epochs, etaMs, status, width = 30 }: ProgressProps) {
  const fraction = totalSteps > 0 ? clamp(step / totalSteps, 0, 1) : status === 'completed' ? 1 : 0;
  const filled = Math.round(fraction * width);
  const percent = `${Math.floor(fraction * 100)}%`.padStart(4);
  const color = status === 'failed' ? 'red' : status === 'interrupted' ? 'yellow' : 'green';
  return (
    <Text wrap="truncate-end">
      <Text color={color}>{'█'.repeat(filled)}</Text>
      <Text dimColor>{'░'.repeat(width - filled)}</Text>
      <Text bold> {percent}</Text>
      {'  '}
      <Text>
        step {step}/{totalSteps}
      </Text>
      {epoch != null && (
        <>
          <Sep />
          <Text>
            epoch {epoch}
            {epochs != null ? `/${epochs}` : ''}
          </Text>
        </>
      )}
      {status === 'running' && (
        <>
          <Sep />
          <Text>eta {formatDuration(etaMs)}</Text>
        </>
      )}
    </Text>
  );
}

export interface LossPanelProps {
  readonly series: readonly number[];
  readonly loss: number | null;
  readonly minLoss: number | null;
  /** Sparkline width in cells. */
  readonly width?: number;
}

/** `loss 4.8123  min 4.7012  ▇▇▆▅▅▄▄▃▃▂▂▂▁▁` */
export function LossPanel({ series, loss, minLoss, width = 40 }: LossPanelProps) {
  return (
    <Text wrap="truncate-end">
      <Text>loss </Text>
      <Text bold color={loss != null && !Number.isFinite(loss) ? 'red' : undefined}>
        {formatLoss(loss)}
      </Text>
      <Text dimColor>  min {formatLoss(minLoss)}</Text>
      {'  '}
      <Text color="magenta">{sparkline(series, width)}</Text>
    </Text>
  );
}

export interface TermsPanelProps {
  /** Latest values by key (`term` and `term/part`), as in the step event. */
  readonly terms: Readonly<Record<string, number>>;
  /** History per key (only the terms' own are drawn). */
  readonly histories: Readonly<Record<string, LossHistory>>;
  /** Terminal width. */
  readonly columns?: number;
  /** Column where the sparklines should end (to line up with the loss sparkline). */
  readonly sparkEnd?: number;
}

/** Term rows shown at most; the rest are counted on one more row. */
export const MAX_TERM_ROWS = 6;

/**
 * One row per loss term under the loss line: unweighted value, its sparkline, and its parts.
 *
 *       nt_xent     4.12  ▇▆▅▄▃▃▂▂▂▁▁▁
 *       vicreg      57.9  ▇▅▄▃▂▂▁▁  invariance 29.4, variance 4.73, covariance 23.8
 */
export function TermsPanel({ terms, histories, columns = 80, sparkEnd = 75 }: TermsPanelProps) {
  const groups = groupTerms(terms);
  if (groups.length === 0) return null;
  const shown = groups.length > MAX_TERM_ROWS ? groups.slice(0, MAX_TERM_ROWS - 1) : groups;
  const nameWidth = Math.min(16, Math.max(...shown.map((g) => g.name.length)));
  const prefix = 2 + nameWidth + 1 + 6 + 2;
  const partsText = shown.map((g) => g.parts.map((p) => `${p.name} ${formatValue(p.value)}`).join(', '));
  const longestParts = Math.max(...partsText.map((t) => t.length));
  const room = longestParts > 0 ? columns - 1 - prefix - 2 - longestParts : sparkEnd - prefix;
  const width = clamp(Math.min(room, sparkEnd - prefix), 8, 60);
  return (
    <Box flexDirection="column">
      {shown.map((g, i) => {
        const history = histories[g.name];
        return (
          <Text key={g.name} wrap="truncate-end">
            {'  '}
            {g.name.length > nameWidth ? `${g.name.slice(0, nameWidth - 1)}…` : g.name.padEnd(nameWidth)}{' '}
            <Text bold>{(g.value === undefined ? '' : formatValue(g.value)).padStart(6)}</Text>
            {'  '}
            <Text color="magenta">{history ? sparkline(lossSeries(history), width).padEnd(width) : ' '.repeat(width)}</Text>
            {partsText[i] && <Text dimColor>{`  ${partsText[i]}`}</Text>}
          </Text>
        );
      })}
      {shown.length < groups.length && (
        <Text dimColor wrap="truncate-end">
          {'  '}… {groups.length - shown.length} more terms
        </Text>
      )}
    </Box>
  );
}

export interface StdPanelProps {
  readonly std: number | null;
  readonly minStd: number | null;
  readonly initialStd: number | null;
  readonly collapse: CollapseLevel;
  readonly series: readonly number[];
  /** Sparkline width in cells. */
  readonly width?: number;
}

const collapseColor = (level: CollapseLevel) => (level === 'collapsed' ? 'red' : level === 'collapsing' ? 'yellow' : undefined);

function percentOf(std: number, initialStd: number): string {
  const pct = (std / initialStd) * 100;
  return `${pct >= 1 ? Math.round(pct) : pct.toPrecision(1)}%`;
}

/**
 * The embedding std (collapse signal), aligned under the loss line, and while the collapse rule
 * fires (see `COLLAPSING_RATIO` in state.ts) a warning in yellow, or red once collapsed:
 *
 *     std  0.0120  min 0.0118  ▇▇▆▅▄▃▂▁
 *     ⚠ std at 17% of its first value 0.0690: the representation may be collapsing
 */
export function StdPanel({ std, minStd, initialStd, collapse, series, width = 40 }: StdPanelProps) {
  const color = collapseColor(collapse);
  const value = formatStd(std);
  return (
    <Box flexDirection="column">
      <Text wrap="truncate-end">
        <Text>std  </Text>
        <Text bold color={color}>
          {value.padEnd(6)}
        </Text>
        <Text dimColor>  min {formatStd(minStd).padEnd(6)}</Text>
        {'  '}
        <Text color={color ?? 'cyan'}>{sparkline(series, width)}</Text>
      </Text>
      {collapse !== 'ok' && std != null && (
        <Text color={color} wrap="truncate-end">
          {collapse === 'collapsed' ? '✗' : '⚠'} std{' '}
          {initialStd != null ? `at ${percentOf(std, initialStd)} of its first value ${formatStd(initialStd)}` : `is ${value}`}
          : the representation {collapse === 'collapsed' ? 'has collapsed' : 'may be collapsing'}
        </Text>
      )}
    </Box>
  );
}

export interface RankPanelProps {
  readonly rank: number | null;
  /** The first rank measured (the untrained encoder's). */
  readonly initialRank: number | null;
  /** One point per measurement. */
  readonly series: readonly number[];
  readonly width?: number;
}

/**
 * RankMe effective rank of the representation, aligned under the loss line; red below 2, where
 * nearly every example maps to one direction (complete collapse gives 1):
 *
 *     rank 57.3    init 20.0   ▁▂▃▄▅▆▇█
 */
export function RankPanel({ rank, initialRank, series, width = 40 }: RankPanelProps) {
  const collapsed = rank != null && Number.isFinite(rank) && rank < 2;
  return (
    <Text wrap="truncate-end">
      <Text>rank </Text>
      <Text bold color={collapsed ? 'red' : undefined}>
        {formatRank(rank).padEnd(6)}
      </Text>
      <Text dimColor>  init {formatRank(initialRank).padEnd(5)}</Text>
      {'  '}
      <Text color={collapsed ? 'red' : 'green'}>{sparkline(series, width)}</Text>
    </Text>
  );
}

export interface OnlineProbesProps {
  /** Running top-1 on the training batches, by online probe name. */
  readonly running: Readonly<Record<string, number>> | null;
  /** Latest held-out check, by online probe name. */
  readonly heldOut: Readonly<Record<string, ProbeResult>>;
}

/** One row per online probe: `online linear/online  train 84.1%  test 86.20% @ step 160`. */
export function OnlineProbes({ running, heldOut }: OnlineProbesProps) {
  const names = [...new Set([...Object.keys(running ?? {}), ...Object.keys(heldOut)])];
  if (names.length === 0) return null;
  return (
    <Box flexDirection="column">
      {names.map((name) => {
        const train = running?.[name];
        const test = heldOut[name];
        return (
          <Text key={name} wrap="truncate-end">
            online <Text color="green">{name}</Text>
            {'  '}train <Text bold>{train === undefined ? '-' : `${(train * 100).toFixed(1)}%`}</Text>
            {test && (
              <>
                {'  '}
                {test.on} <Text bold color="green">{formatPercent(test.top1)}</Text>
                <Text dimColor> @ step {test.step}</Text>
              </>
            )}
          </Text>
        );
      })}
    </Box>
  );
}

export interface StatsProps {
  readonly lr: number | null;
  /** Each teacher's EMA momentum; shown after the lr when present. */
  readonly momentum?: Readonly<Record<string, number>> | null;
  readonly imagesPerSec: number | null;
  readonly stepMs: number | null;
  readonly elapsedMs: number;
}

/** `lr 1.00e-3 · 812 img/s · 315 ms/step · elapsed 0:35`; with teachers `lr 1.00e-3 · m 0.9962 · …`. */
export function Stats({ lr, momentum, imagesPerSec, stepMs, elapsedMs }: StatsProps) {
  const hasMomentum = momentum != null && Object.keys(momentum).length > 0;
  return (
    <Text wrap="truncate-end" dimColor>
      lr <Text color="yellow">{formatLr(lr)}</Text>
      <Sep />
      {hasMomentum && (
        <>
          m <Text color="yellow">{formatMomenta(momentum)}</Text>
          <Sep />
        </>
      )}
      <Text color="blue">{formatRate(imagesPerSec)}</Text> img/s
      <Sep />
      {stepMs == null ? '-' : Math.round(stepMs)} ms/step
      <Sep />
      elapsed {formatDuration(elapsedMs)}
    </Text>
  );
}

export interface ProbesProps {
  readonly probes: readonly ProbeResult[];
}

/** `✓ probe linear on test @ 234: top-1 93.71%  fit 60000 · eval 10000 · 4.1 s` per result. */
export function Probes({ probes }: ProbesProps) {
  return (
    <Box flexDirection="column">
      {probes.map((p, i) => (
        <Text key={i} wrap="truncate-end">
          <Text color="green">✓ </Text>
          probe {p.name} on {p.on} <Text dimColor>@ step {p.step}</Text>: top-1{' '}
          <Text bold color="green">
            {formatPercent(p.top1)}
          </Text>
          <Text dimColor>
            {'  '}
            {p.online ? `online · seen ${p.fitSize}` : `fit ${p.fitSize}`} · eval {p.evalSize} · {formatSeconds(p.ms)}
          </Text>
        </Text>
      ))}
    </Box>
  );
}

export interface WarningsProps {
  readonly warnings: readonly WarningItem[];
}

/** `⚠ [code] message (recipe.ssl:3:7)` per warning; folded repeats show `×N`. */
export function Warnings({ warnings }: WarningsProps) {
  return (
    <Box flexDirection="column">
      {warnings.map((w, i) => (
        <Text key={i} wrap="wrap">
          <Text color="yellow">⚠ [{w.code}]</Text> {w.message}
          {w.span && <Text dimColor> ({formatSpan(w.span)})</Text>}
          {w.count > 1 && <Text dimColor> ×{w.count}</Text>}
        </Text>
      ))}
    </Box>
  );
}

export function EpochLine({ epoch }: { readonly epoch: EpochSummary }) {
  return (
    <Text wrap="truncate-end">
      <Text color={epoch.complete ? 'green' : 'yellow'}>{epoch.complete ? '✓' : '…'} </Text>
      epoch {epoch.epoch}
      <Text dimColor>
        {'  '}
        {epoch.steps} steps · mean loss {formatLoss(epoch.meanLoss)} · {formatDuration(epoch.ms)}
        {epoch.complete ? '' : ' · stopped early'}
      </Text>
    </Text>
  );
}

export function CheckpointLine({ checkpoint }: { readonly checkpoint: CheckpointItem }) {
  return (
    <Text dimColor wrap="truncate-end">
      ↓ checkpoint @ step {checkpoint.step} → {checkpoint.path}
    </Text>
  );
}

/** One finished item, as rendered (once) inside `<Static>`. */
export function FinishedLine({ item }: { readonly item: FinishedItem }) {
  switch (item.kind) {
    case 'epoch':
      return <EpochLine epoch={item.epoch} />;
    case 'probe':
      return <Probes probes={[item.probe]} />;
    case 'warning':
      return <Warnings warnings={[item.warning]} />;
    case 'checkpoint':
      return <CheckpointLine checkpoint={item.checkpoint} />;
  }
}

export interface SummaryProps {
  readonly end: RunEnd;
}

/** `✓ completed · 234 steps in 0:58 · final loss 4.2311 · linear 93.71%` + run dir. */
export function Summary({ end }: SummaryProps) {
  const mark = end.status === 'completed' ? '✓' : end.status === 'interrupted' ? '■' : '✗';
  const color = end.status === 'completed' ? 'green' : end.status === 'interrupted' ? 'yellow' : 'red';
  return (
    <Box flexDirection="column">
      <Text wrap="truncate-end">
        <Text color={color} bold>
          {mark} {end.status}
        </Text>
        <Sep />
        {end.steps} steps in {formatDuration(end.ms)}
        {end.finalLoss != null && (
          <>
            <Sep />
            final loss {formatLoss(end.finalLoss)}
          </>
        )}
        {Object.entries(end.probes).map(([name, top1]) => (
          <Text key={name}>
            <Sep />
            {name} <Text bold>{formatPercent(top1)}</Text>
          </Text>
        ))}
      </Text>
      {end.message && (
        <Text color={color} wrap="wrap">
          {end.message}
        </Text>
      )}
      <Text dimColor wrap="truncate-end">
        run dir {end.runDir}
      </Text>
    </Box>
  );
}

/** Where LossPanel's sparkline starts (`loss 4.8123  min 4.7012  `), for lining up the others. */
const LOSS_SPARK_START = 25;

export interface RunViewProps {
  readonly state: RunViewState;
  /** Terminal width; sizes the bar and the sparkline. */
  readonly columns?: number;
}

/** The whole screen: finished items above in `<Static>`, the live panel below. */
export function RunView({ state, columns = 80 }: RunViewProps) {
  const barWidth = clamp(columns - 48, 10, 30);
  const sparkWidth = clamp(columns - 30, 8, 60);
  return (
    <>
      <Static items={state.finished}>{(item) => <FinishedLine key={item.id} item={item} />}</Static>
      <Box flexDirection="column" marginTop={state.finished.length > 0 ? 1 : 0}>
        <Header info={state.info} status={state.status} />
        {state.info && (
          <>
            <Progress
              step={state.step}
              totalSteps={state.totalSteps}
              epoch={state.epoch}
              epochs={state.info.epochs}
              etaMs={state.etaMs}
              status={state.status}
              width={barWidth}
            />
            <LossPanel
              series={lossSeries(state.lossHistory)}
              loss={state.loss}
              minLoss={state.minLoss}
              width={sparkWidth}
            />
            {state.terms && (
              <TermsPanel
                terms={state.terms}
                histories={state.termHistory}
                columns={columns}
                sparkEnd={LOSS_SPARK_START + sparkWidth}
              />
            )}
            {state.embeddingStd != null && (
              <StdPanel
                std={state.embeddingStd}
                minStd={state.minStd}
                initialStd={state.initialStd}
                collapse={state.collapse}
                series={lossSeries(state.stdHistory)}
                width={sparkWidth}
              />
            )}
            {state.effectiveRank != null && (
              <RankPanel
                rank={state.effectiveRank}
                initialRank={state.initialRank}
                series={lossSeries(state.rankHistory)}
                width={sparkWidth}
              />
            )}
            <OnlineProbes running={state.onlineTop1} heldOut={state.onlineEvals} />
            <Stats
              lr={state.lr}
              momentum={state.momentum}
              imagesPerSec={state.imagesPerSec}
              stepMs={state.stepMs}
              elapsedMs={state.elapsedMs}
            />
          </>
        )}
        {state.end && <Summary end={state.end} />}
      </Box>
    </>
  );
}
