/**
 * Checkpoints: everything a run needs to continue exactly where it stood, so that a resumed run
 * takes the same steps, bit for bit on the same backend, as one that was never stopped.
 *
 * A checkpoint holds
 *   - every variable of every network and teacher, trainable and batch-norm statistics (`model/<name>`),
 *   - the losses' state: MoCo's key queue and its pointer, DINO's centre (`loss/<name>`),
 *   - the optimizer's slots (`optimizer/<parameter>:<slot>`) and its counters (step, Adam's per-parameter t),
 *   - the state of every random stream a step draws from: each view's and mask's, and the data
 *     order's as it stood at the start of the current epoch, which regenerates that epoch's shuffle
 *     (the position in it is `epochStep`),
 *   - the step, the epoch, the last loss and how many lines of metrics.jsonl belong before it,
 *   - the IR the run follows (so a checkpoint is never applied to another recipe).
 *
 * Files live in `<run>/checkpoints/`: `step-00000500.safetensors` (checkpoint-file.ts: the
 * safetensors layout, atomic writes, checksummed) and `latest.json`, a pointer written atomically
 * after the checkpoint it names is on disk. The newest `keep` checkpoints are kept.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { IR } from '../compiler/ir.js';
import { tf } from './tf.js';
import type { GraphState, TrainingGraph } from './graph.js';
import type { OptimizerState } from './optim/types.js';
import type { Rng, RngState } from './util/rng.js';
import type { HealthMonitor } from './health/monitor.js';
import type { OnlineProbeCounters } from './health/online-probe.js';
import { CheckpointError, readCheckpointFile, writeCheckpointFile, writeFileAtomic, type AtomicWriteHooks, type TensorData } from './checkpoint-file.js';

export { CheckpointError } from './checkpoint-file.js';

export const CHECKPOINT_DIR = 'checkpoints';
export const LATEST_FILE = 'latest.json';

/** Where the trainer stands between two steps: what, with the graph and optimizer, a step depends on. */
export interface TrainerPosition {
  /** Steps taken (the next step is `step + 1`). */
  step: number;
  /** The epoch of the last step taken (1-based; 1 before any step). */
  epoch: number;
  /** Steps taken in `epoch`; equal to steps per epoch when the epoch is complete. */
  epochStep: number;
  /** The data-order stream at the start of `epoch`, before its shuffle. */
  orderRng: RngState;
  lastLoss: number | null;
}

/** The JSON part of a checkpoint (the `state` metadata of the file). */
export interface CheckpointState extends TrainerPosition {
  rng: Record<string, RngState>;
  optimizer: { kind: string; counters: Record<string, number> };
  /** Lines of metrics.jsonl written up to and including this checkpoint's own `checkpoint` event. */
  metricsLines: number;
  /** The backend the run was on when this was written (numbers match exactly only on the same one). */
  backend: string;
  /** `--set` overrides given to `ssl resume` so far (optimizer / schedule values), oldest first. */
  resumeSet: string[];
  /** The online probes' host counters by probe name (their tensors are under `health/`); absent without online probes. */
  health?: Record<string, OnlineProbeCounters>;
  time: number;
}

export interface Checkpoint {
  file: string;
  state: CheckpointState;
  /** The IR the run followed when this was written (plain JSON; checked against the run's ir.json by the caller). */
  ir: IR;
  tensors: Map<string, TensorData>;
}

/** The run would be saved with NaN or Inf in it: it is not written, and the last good checkpoint stays latest. */
export class PoisonedStateError extends Error {}

/** `step-00000500.safetensors`: zero-padded so names sort by step. */
export function checkpointFileName(step: number): string {
  return `step-${String(step).padStart(8, '0')}.safetensors`;
}

const CHECKPOINT_NAME = /^step-(\d{8,})\.safetensors$/;

async function tensorData(t: tf.Tensor, name: string): Promise<TensorData> {
  if (t.dtype === 'float32') {
    const values = new Float32Array((await t.data()) as Float32Array);
    const bad = values.findIndex((x) => !Number.isFinite(x));
    if (bad >= 0) throw new PoisonedStateError(`'${name}' holds ${values[bad]} (element ${bad})`);
    return { dtype: 'float32', shape: [...t.shape], values };
  }
  if (t.dtype === 'int32') return { dtype: 'int32', shape: [...t.shape], values: new Int32Array((await t.data()) as Int32Array) };
  throw new Error(`cannot checkpoint '${name}' of dtype ${t.dtype}`);
}

/**
 * Reads everything a checkpoint holds off the device. Throws PoisonedStateError, naming the
 * variable, if any value is NaN or infinite: such a state is never written.
 */
export async function captureCheckpoint(
  graph: TrainingGraph,
  optimizer: OptimizerState,
  position: TrainerPosition,
  extra: Pick<CheckpointState, 'metricsLines' | 'backend' | 'resumeSet'>,
  health?: Pick<HealthMonitor, 'saveState'>,
): Promise<{ state: CheckpointState; tensors: Map<string, TensorData> }> {
  const g = graph.saveState();
  const o = optimizer.saveState();
  const tensors = new Map<string, TensorData>();
  const add = async (prefix: string, entries: Record<string, tf.Tensor>) => {
    for (const [name, t] of Object.entries(entries)) tensors.set(`${prefix}/${name}`, await tensorData(t, name));
  };
  await add('model', g.variables);
  await add('loss', g.losses);
  await add('optimizer', o.slots);
  const h = health?.saveState();
  if (h) await add('health', h.tensors);
  const state: CheckpointState = {
    ...position,
    rng: g.rng,
    optimizer: { kind: o.kind, counters: o.counters },
    ...extra,
    ...(h && Object.keys(h.counters).length > 0 ? { health: h.counters } : {}),
    time: Date.now(),
  };
  return { state, tensors };
}

/**
 * Writes the checkpoint of `state.step` into `<runDir>/checkpoints/` atomically, then points
 * `latest.json` at it, then removes all but the newest `keep`. Returns the file's path.
 */
export function writeCheckpoint(
  runDir: string,
  checkpoint: { state: CheckpointState; tensors: Map<string, TensorData> },
  ir: IR,
  keep: number,
  hooks: AtomicWriteHooks = {},
): string {
  const dir = join(runDir, CHECKPOINT_DIR);
  mkdirSync(dir, { recursive: true });
  const name = checkpointFileName(checkpoint.state.step);
  const file = join(dir, name);
  writeCheckpointFile(file, { state: JSON.stringify(checkpoint.state), ir: JSON.stringify(ir), tensors: checkpoint.tensors }, hooks);
  const latest = JSON.stringify({ file: name, step: checkpoint.state.step, epoch: checkpoint.state.epoch, time: checkpoint.state.time }, null, 2) + '\n';
  writeFileAtomic(join(dir, LATEST_FILE), [Buffer.from(latest)]);
  pruneCheckpoints(dir, Math.max(1, keep), name);
  return file;
}

/** The checkpoint files in `dir`, oldest first. */
export function listCheckpoints(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((n) => CHECKPOINT_NAME.test(n))
    .sort((a, b) => Number(CHECKPOINT_NAME.exec(a)![1]) - Number(CHECKPOINT_NAME.exec(b)![1]));
}

function pruneCheckpoints(dir: string, keep: number, latest: string): void {
  const files = listCheckpoints(dir);
  // Newer files than `latest` can only be left by a run this one replaces (a resume from an older
  // checkpoint): they describe a future that will be recomputed, so they go too.
  const at = files.indexOf(latest);
  const stale = [...files.slice(0, Math.max(0, at + 1 - keep)), ...files.slice(at + 1)];
  for (const name of stale) rmSync(join(dir, name), { force: true });
}

/**
 * The checkpoint `latest.json` names in `<runDir>/checkpoints/` (or, if the pointer is missing or
 * unreadable, the newest checkpoint file), read and checked. Every problem is a CheckpointError
 * naming the file.
 */
export function readLatestCheckpoint(runDir: string): Checkpoint {
  const dir = join(runDir, CHECKPOINT_DIR);
  const files = listCheckpoints(dir);
  let name: string | undefined;
  try {
    const pointer = JSON.parse(readFileSync(join(dir, LATEST_FILE), 'utf8')) as { file?: unknown };
    if (typeof pointer.file === 'string' && CHECKPOINT_NAME.test(pointer.file)) name = pointer.file;
  } catch {
    // No pointer (a crash between the first checkpoint's rename and the pointer's): the newest file.
  }
  name ??= files.at(-1);
  if (name === undefined) throw new CheckpointError(dir, 'holds no checkpoint: the run stopped before its first one');
  return readCheckpoint(join(dir, name));
}

/** Reads and checks one checkpoint file. */
export function readCheckpoint(file: string): Checkpoint {
  const contents = readCheckpointFile(file);
  let state: unknown, ir: unknown;
  try {
    state = JSON.parse(contents.state);
    ir = JSON.parse(contents.ir);
  } catch {
    throw new CheckpointError(file, 'its state or IR is not valid JSON');
  }
  const problem = checkState(state);
  if (problem) throw new CheckpointError(file, `its state is malformed: ${problem}`);
  if (ir === null || typeof ir !== 'object') throw new CheckpointError(file, 'its IR is not a JSON object');
  return { file, state: state as CheckpointState, ir: ir as IR, tensors: contents.tensors };
}

const isCount = (x: unknown) => Number.isSafeInteger(x) && (x as number) >= 0;

/** What is wrong with a parsed state, or null (the RNG states are checked when they are restored). */
function checkState(s: unknown): string | null {
  if (s === null || typeof s !== 'object') return 'not an object';
  const st = s as Partial<CheckpointState>;
  for (const key of ['step', 'epoch', 'epochStep', 'metricsLines'] as const) if (!isCount(st[key])) return `${key} must be a whole number >= 0, got ${JSON.stringify(st[key])}`;
  if (st.epoch! < 1) return `epoch must be >= 1, got ${st.epoch}`;
  if (st.lastLoss !== null && typeof st.lastLoss !== 'number') return 'lastLoss must be a number or null';
  if (!st.orderRng || typeof st.orderRng !== 'object') return 'orderRng is missing';
  if (!st.rng || typeof st.rng !== 'object') return 'rng is missing';
  const o = st.optimizer;
  if (!o || typeof o.kind !== 'string' || !o.counters || typeof o.counters !== 'object') return 'optimizer is missing';
  if (typeof st.backend !== 'string') return 'backend is missing';
  if (!Array.isArray(st.resumeSet) || !st.resumeSet.every((x) => typeof x === 'string')) return 'resumeSet must be a list of strings';
  return null;
}

/**
 * Puts a checkpoint into a freshly built graph and optimizer of the same recipe: variables, loss
 * state, random streams (and the data-order stream, as it stood at the epoch's start), optimizer
 * slots and counters. Anything that does not fit throws a
 * CheckpointError naming the file, and the tensors made for the restore are released either way.
 */
export function restoreCheckpoint(
  checkpoint: Checkpoint,
  graph: TrainingGraph,
  optimizer: OptimizerState,
  orderRng?: Rng,
  health?: Pick<HealthMonitor, 'loadState'>,
): void {
  const made: tf.Tensor[] = [];
  const section = (prefix: string): Record<string, tf.Tensor> => {
    const out: Record<string, tf.Tensor> = {};
    for (const [name, t] of checkpoint.tensors) {
      if (!name.startsWith(`${prefix}/`)) continue;
      const tensor = tf.tensor(t.values, t.shape, t.dtype);
      made.push(tensor);
      out[name.slice(prefix.length + 1)] = tensor;
    }
    return out;
  };
  try {
    const unknown = [...checkpoint.tensors.keys()].find((n) => !/^(model|loss|optimizer|health)\//.test(n));
    if (unknown) throw new Error(`it has a tensor '${unknown}' outside model/, loss/, optimizer/ and health/`);
    const saved: GraphState<tf.Tensor> = { variables: section('model'), losses: section('loss'), rng: checkpoint.state.rng };
    graph.loadState(saved);
    optimizer.loadState({ ...checkpoint.state.optimizer, slots: section('optimizer') });
    orderRng?.restore(checkpoint.state.orderRng);
    health?.loadState(section('health'), checkpoint.state.health ?? {});
  } catch (error) {
    if (error instanceof CheckpointError) throw error;
    throw new CheckpointError(checkpoint.file, (error as Error).message);
  } finally {
    tf.dispose(made);
  }
}

// -----------------------------------------------------------------------------------------------
// Which recipe a checkpoint belongs to

/**
 * Parts of the IR a resume may change with `--set`: the optimizer's values (not its kind) and the
 * learning-rate schedule. Both are read on the host each step, so changing them cannot make the
 * saved state unfit. Everything else (architecture, views, losses, data, seed, epochs) is the
 * recipe's identity.
 */
export function recipeIdentity(ir: IR): unknown {
  const strip = (value: unknown): unknown => {
    if (Array.isArray(value)) return value.map(strip);
    if (value === null || typeof value !== 'object') return value;
    return Object.fromEntries(
      Object.entries(value as Record<string, unknown>)
        .filter(([k]) => k !== 'origin')
        .map(([k, v]) => [k, strip(v)]),
    );
  };
  const { source: _source, optimizer, schedule: _schedule, ...rest } = ir;
  return strip({ ...rest, optimizer: { kind: optimizer?.kind } });
}

/** The path of the first place where two JSON values differ (`train.epochs: 2 vs 3`), or null. */
export function firstDifference(a: unknown, b: unknown, path = ''): string | null {
  if (a === b) return null;
  const here = path === '' ? '(the whole IR)' : path;
  if (a === null || b === null || typeof a !== 'object' || typeof b !== 'object' || Array.isArray(a) !== Array.isArray(b)) {
    return `${here}: ${JSON.stringify(a)} vs ${JSON.stringify(b)}`;
  }
  const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])];
  for (const k of keys) {
    const d = firstDifference((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k], path === '' ? k : `${path}.${k}`);
    if (d) return d;
  }
  return null;
}
