/**
 * Live health of a training run, computed beside the trainer and added to its step events:
 *
 * - effective rank (RankMe, effective-rank.ts) of the probed representation of a fixed batch of
 *   `rankExamples` training examples, un-augmented and in eval mode (batch-norm running
 *   statistics), so successive values differ only because the encoder changed, not because the
 *   batch or its augmentations did. Measured at step 1, every `rankEvery` steps and at the last
 *   step: one eval-mode forward of the fixed batch and one host read of [N, D] features on those
 *   steps only, then a host eigensolve of the D x D Gram matrix.
 * - smoothed throughput and an ETA that counts the health checks, the online probe's held-out
 *   evaluations and the final probes' feature extraction still to come.
 * - online linear probes (online-probe.ts) for every `probe linear(..., online: true)`: a
 *   classifier trained on every training batch's stop-gradient features, with its running top-1
 *   read on the rank steps and its top-1 on the probe's `on` data every `online.everySteps` steps
 *   and at the last step (reported as eval events with `online: true`).
 *
 * The trainer calls `onStep` once per step, after the optimizer step; everything the monitor
 * allocates per step is released before the promise resolves, so `tf.memory().numTensors` stays
 * flat, and the monitor's own variables go with `dispose()`.
 */
import type { FeatureRef, GraphNode, IR, Probe } from '../../compiler/ir.js';
import type { EvalEvent, StepEvent } from '../events.js';
import { tf } from '../tf.js';
import { batchLabels, batchTensor, loadDataSource, shuffledOrder } from '../data/dataset.js';
import { createRng } from '../util/rng.js';
import { probeNames } from '../evaluate.js';
import { effectiveRank } from './effective-rank.js';
import { OnlineLinearProbe, type OnlineProbeCounters } from './online-probe.js';
import { ProgressClock } from './progress.js';

/** A loaded data source, as the trainer's data layer returns it. */
type Dataset = ReturnType<typeof loadDataSource>;

/** What the monitor needs of the training graph: eval-mode features of raw data. */
export interface FeatureSource {
  features(x: tf.Tensor, chain: string[], stage: number): tf.Tensor2D;
}

/** Rows of the fixed rank batch: >= the usual representation widths (64-512), so rank <= D is reachable. */
export const RANK_EXAMPLES = 512;
/** Feature extraction batch for held-out evaluation (as evaluate.ts). */
const EVAL_BATCH = 1000;
/** Separates the rank batch's stream from every stream the trainer draws from ir.train.seed. */
const RANK_BATCH_SEED_OFFSET = 0x4e41;

export interface HealthMonitorOptions {
  /** The training data exactly as the trainer loaded it: labels for online probes, the fixed rank batch. */
  trainData: Dataset;
  /** Steps this run takes (min of the planned total and --max-steps). */
  totalSteps: number;
  /** Effective rank every this many steps (plus the first and last step); 0 turns it off. Default: `defaultRankEvery`. */
  rankEvery?: number;
  /** Rows of the fixed rank batch (default RANK_EXAMPLES, at most the training set). */
  rankExamples?: number;
}

export interface HealthStep {
  /** 1-based global step just taken. */
  step: number;
  /** The trainer's wall time for the step (data, forward, backward, update, read-back). */
  ms: number;
  /** Indices of the step's batch in `trainData` (its labels feed the online probes). */
  indices: ArrayLike<number>;
  /**
   * The probed representation of this batch, if the trainer has it ([B, D]; read, not disposed).
   * Without it the monitor computes it from the raw batch in eval mode: one extra forward per step
   * of the network chain (only when the recipe has an online probe).
   */
  features?: tf.Tensor2D;
}

/** Fields for the step event, and eval events to emit after it (online probes on held-out data). */
export interface HealthUpdate {
  fields: Pick<StepEvent, 'effectiveRank' | 'throughput' | 'etaMs' | 'onlineTop1'>;
  evals: EvalEvent[];
}

export interface HealthMonitor {
  onStep(step: HealthStep): Promise<HealthUpdate>;
  /** Steps on which the effective rank is measured (for tests and the report's notes). */
  readonly rankEvery: number;
  /**
   * The online probes' state for a checkpoint, tensors keyed `<probe>/<name>` (live variables:
   * read, do not dispose); empty without online probes. Rank and throughput carry no state that
   * changes numbers.
   */
  saveState(): { tensors: Record<string, tf.Tensor>; counters: Record<string, OnlineProbeCounters> };
  /** Puts a `saveState` back (a resume); a probe missing from it is an error naming it. */
  loadState(tensors: Record<string, tf.Tensor>, counters: Record<string, OnlineProbeCounters>): void;
  dispose(): void;
}

/** About 100 rank points per run, never more often than every 10 steps. */
export function defaultRankEvery(totalSteps: number): number {
  return Math.max(10, Math.ceil(totalSteps / 100));
}

/**
 * The representation the health checks read: the first probe's (what the recipe is judged by),
 * else the backbone's first stage, found as validate/probes.ts does: the first network applied to
 * a view (else to a batch) that is not a teacher. Null when the graph applies no network.
 */
export function healthFeatureRef(ir: IR): Pick<FeatureRef, 'chain' | 'stage'> | null {
  if (ir.probes.length > 0) return ir.probes[0]!.features;
  const byId = new Map(ir.graph.nodes.map((n) => [n.id, n]));
  const applies = ir.graph.nodes.filter((n): n is Extract<GraphNode, { kind: 'apply' }> => n.kind === 'apply' && !(n.network in (ir.teachers ?? {})));
  const backbone = applies.find((n) => byId.get(n.input)?.kind === 'view') ?? applies.find((n) => byId.get(n.input)?.kind === 'batch');
  if (!backbone) return null;
  const chain: string[] = [];
  let node: GraphNode | undefined = backbone;
  while (node && node.kind !== 'batch') {
    if (node.kind === 'apply') chain.unshift(node.network);
    node = 'input' in node ? byId.get(node.input) : undefined;
  }
  return { chain, stage: 0 };
}

interface OnlineEntry {
  name: string;
  probe: Extract<Probe, { kind: 'linear' }> & { online: { everySteps: number } };
  classifier: OnlineLinearProbe;
  /** Loaded on first use. */
  heldOut: Dataset | null;
}

const refKey = (ref: Pick<FeatureRef, 'chain' | 'stage'>) => `${ref.chain.join('>')}#${ref.stage}`;

export function createHealthMonitor(ir: IR, graph: FeatureSource, options: HealthMonitorOptions): HealthMonitor {
  const { trainData, totalSteps } = options;
  const rankRef = healthFeatureRef(ir);
  const rankEvery = rankRef ? Math.max(0, Math.floor(options.rankEvery ?? defaultRankEvery(totalSteps))) : 0;
  const rankRows = Math.min(trainData.size, Math.max(1, options.rankExamples ?? RANK_EXAMPLES));
  const rankIndices = shuffledOrder(trainData.size, createRng(ir.train.seed + RANK_BATCH_SEED_OFFSET)).slice(0, rankRows);
  const names = probeNames(ir.probes);
  const online: OnlineEntry[] = [];
  try {
    ir.probes.forEach((probe, i) => {
      if (probe.kind !== 'linear' || !probe.online) return;
      online.push({
        name: `${names[i]}/online`,
        probe: probe as OnlineEntry['probe'],
        // Trained on the training data's labels, checked on `on`'s: the classes of both.
        classifier: new OnlineLinearProbe({ dim: probe.features.dim, numClasses: Math.max(ir.data[ir.train.data]?.numClasses ?? 0, probe.on.numClasses), l2: probe.l2 }),
        heldOut: null,
      });
    });
  } catch (error) {
    for (const entry of online) entry.classifier.dispose();
    throw error;
  }
  const clock = new ProgressClock({ batch: ir.train.batch, totalSteps });
  clock.plan('rank', (step) => countDue(step, totalSteps, rankEvery));
  for (const entry of online) clock.plan(`eval:${entry.name}`, (step) => countDue(step, totalSteps, entry.probe.online.everySteps));
  // The final probes extract features of each distinct (data, representation) pair once (evaluate.ts).
  const finalExamples = new Map<string, number>();
  for (const p of ir.probes) {
    for (const source of [p.fit, p.on]) finalExamples.set(JSON.stringify([source.dataset, source.split, source.labelFraction, source.size, refKey(p.features)]), Math.round(source.size * source.labelFraction));
  }
  const finalExtraction = [...finalExamples.values()].reduce((a, b) => a + b, 0);

  // Rank at step 1 too: the untrained encoder's rank is the reference a collapse falls from.
  const rankDue = (step: number) => rankEvery > 0 && (step === 1 || step % rankEvery === 0 || step === totalSteps);
  const evalDue = (step: number, every: number) => step % every === 0 || step === totalSteps;

  async function measureRank(): Promise<number> {
    const started = performance.now();
    const x = batchTensor(trainData, rankIndices);
    const z = graph.features(x, rankRef!.chain, rankRef!.stage); // [N, D]
    x.dispose();
    const [n, d] = z.shape;
    const values = await z.data();
    z.dispose();
    clock.measureForward(n, performance.now() - started);
    return effectiveRank(values, n, d);
  }

  async function evaluateHeldOut(entry: OnlineEntry, step: number): Promise<EvalEvent> {
    const started = performance.now();
    const { probe } = entry;
    entry.heldOut ??= loadDataSource(probe.on, createRng(ir.train.seed));
    const data = entry.heldOut;
    let correct = tf.scalar(0);
    for (let start = 0; start < data.size; start += EVAL_BATCH) {
      const indices = Array.from({ length: Math.min(EVAL_BATCH, data.size - start) }, (_, i) => start + i);
      const x = batchTensor(data, indices);
      const f = graph.features(x, probe.features.chain, probe.features.stage);
      const hits = entry.classifier.countCorrect(f, batchLabels(data, indices));
      const sum = tf.add(correct, hits) as tf.Scalar;
      tf.dispose([x, f, hits, correct]);
      correct = sum;
    }
    const top1 = (await correct.data())[0]! / data.size;
    correct.dispose();
    const ms = performance.now() - started;
    clock.measureForward(data.size, ms);
    return {
      type: 'eval',
      name: entry.name,
      probe: 'linear',
      on: probe.on.split,
      step,
      top1,
      fitSize: entry.classifier.examplesSeen,
      evalSize: data.size,
      ms: Math.round(ms),
      online: true,
      time: Date.now(),
    };
  }

  return {
    rankEvery,
    async onStep({ step, ms, indices, features }) {
      const started = performance.now();
      const fields: HealthUpdate['fields'] = {};
      const evals: EvalEvent[] = [];
      if (online.length > 0) {
        const labels = batchLabels(trainData, indices);
        // One forward per distinct representation, shared by the online probes that read it.
        const computed = new Map<string, tf.Tensor2D>();
        try {
          for (const entry of online) {
            const key = refKey(entry.probe.features);
            let f = features ?? computed.get(key);
            if (!f) {
              const x = batchTensor(trainData, indices);
              f = graph.features(x, entry.probe.features.chain, entry.probe.features.stage);
              x.dispose();
              computed.set(key, f);
            }
            entry.classifier.train(f, labels);
          }
        } finally {
          tf.dispose([...computed.values()]);
        }
      }
      clock.step(ms, performance.now() - started);

      if (rankDue(step)) {
        const t = performance.now();
        fields.effectiveRank = await measureRank();
        const top1s: Record<string, number> = {};
        for (const entry of online) {
          const top1 = await entry.classifier.readRunningTop1();
          if (top1 !== null) top1s[entry.name] = top1;
        }
        if (Object.keys(top1s).length > 0) fields.onlineTop1 = top1s;
        clock.record('rank', performance.now() - t);
      }
      for (const entry of online) {
        if (!evalDue(step, entry.probe.online.everySteps)) continue;
        const event = await evaluateHeldOut(entry, step);
        clock.record(`eval:${entry.name}`, event.ms);
        evals.push(event);
      }
      const throughput = clock.throughput();
      if (throughput !== null) fields.throughput = throughput;
      const eta = clock.etaMs(step, finalExtraction);
      if (eta !== null) fields.etaMs = eta;
      return { fields, evals };
    },
    saveState() {
      const tensors: Record<string, tf.Tensor> = {};
      const counters: Record<string, OnlineProbeCounters> = {};
      for (const entry of online) {
        const saved = entry.classifier.saveState();
        for (const [name, t] of Object.entries(saved.tensors)) tensors[`${entry.name}/${name}`] = t;
        counters[entry.name] = saved.counters;
      }
      return { tensors, counters };
    },
    loadState(tensors, counters) {
      for (const entry of online) {
        const own: Record<string, tf.Tensor> = {};
        const prefix = `${entry.name}/`;
        for (const [name, t] of Object.entries(tensors)) if (name.startsWith(prefix)) own[name.slice(prefix.length)] = t;
        const c = counters[entry.name];
        if (!c) throw new Error(`the checkpoint has no state for the online probe '${entry.name}'`);
        entry.classifier.loadState(own, c);
      }
    },
    dispose() {
      for (const entry of online) entry.classifier.dispose();
    },
  };
}

/** How many of the steps after `step` (up to `totalSteps`) a check every `every` steps runs on. */
function countDue(step: number, totalSteps: number, every: number): number {
  if (every <= 0 || step >= totalSteps) return 0;
  const multiples = Math.floor(totalSteps / every) - Math.floor(step / every);
  // The last step always runs one, unless it is a multiple already.
  return multiples + (totalSteps % every === 0 ? 0 : 1);
}
