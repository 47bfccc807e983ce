/**
 * The health monitor beside real training: test/fixtures/tiny.ssl (SimCLR, 512 MNIST digits,
 * batch 64) with an online linear probe, stepped with the trainer's own trainStep on wasm.
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compile } from '../../compiler/index.js';
import type { IR } from '../../compiler/ir.js';
import type { EvalEvent } from '../events.js';
import { tf } from '../tf.js';
import { initBackend } from '../backend/index.js';
import { TrainingGraph } from '../graph.js';
import { createRng } from '../util/rng.js';
import { batchTensor, epochBatches, loadDataSource } from '../data/dataset.js';
import { createOptimizer } from '../optim/index.js';
import { learningRateAt } from '../optim/schedule.js';
import { trainStep } from '../trainer.js';
import { createHealthMonitor, defaultRankEvery, healthFeatureRef, type HealthUpdate } from './monitor.js';

const fixture = readFileSync(new URL('../../test/fixtures/tiny.ssl', import.meta.url), 'utf8');

function compileText(text: string): IR {
  const { ir, diagnostics } = compile(text, 'tiny.ssl');
  if (!ir) throw new Error(diagnostics.map((d) => d.message).join('\n'));
  return ir;
}

/** tiny.ssl for `epochs` epochs (8 steps each), its linear probe online with `every`. */
const onlineRecipe = (epochs: number, every: string) =>
  fixture.replace('train     epochs: 1, seed: 7', `train     epochs: ${epochs}, seed: 7`).replace('probe linear(on: test, epochs: 20)', `probe linear(on: test, epochs: 20, online: true, every: ${every})`);

interface Trace {
  updates: HealthUpdate[];
  tensors: number[];
  weightsBefore: Float32Array[];
  weightsAfterMonitorOnly: Float32Array[];
}

/** Trains `steps` steps of `ir`, calling the monitor after each, and records what it returned. */
async function run(ir: IR, steps: number, rankEvery?: number): Promise<Trace> {
  const rng = createRng(ir.train.seed);
  const graph = new TrainingGraph(ir, rng.fork());
  let optimizer: ReturnType<typeof createOptimizer> | null = null;
  let monitor: ReturnType<typeof createHealthMonitor> | null = null;
  const trace: Trace = { updates: [], tensors: [], weightsBefore: [], weightsAfterMonitorOnly: [] };
  const state = () => Promise.all([...graph.networks.values()].flatMap((m) => [...m.trainable, ...m.state]).map(async (v) => (await v.data()) as Float32Array));
  try {
    const trainData = loadDataSource(ir.data[ir.train.data]!, rng.fork());
    optimizer = createOptimizer(ir.optimizer, graph.optimizerParams());
    monitor = createHealthMonitor(ir, graph, { trainData, totalSteps: steps, ...(rankEvery !== undefined ? { rankEvery } : {}) });
    const order = rng.fork();
    let step = 0;
    // The monitor alone (before any training) must leave every weight and running statistic as it was.
    trace.weightsBefore = await state();
    const first = [...epochBatches(trainData.size, ir.train.batch, createRng(1))][0]!;
    const probeOnly = createHealthMonitor(ir, graph, { trainData, totalSteps: 1 });
    await probeOnly.onStep({ step: 1, ms: 1, indices: first });
    probeOnly.dispose();
    trace.weightsAfterMonitorOnly = await state();
    while (step < steps) {
      for (const indices of epochBatches(trainData.size, ir.train.batch, order)) {
        if (step >= steps) break;
        const started = performance.now();
        await trainStep(graph, optimizer, graph.trainableVariables, ir.train.data, batchTensor(trainData, indices), learningRateAt(ir.schedule, ir.optimizer.lr, step), step);
        step++;
        trace.updates.push(await monitor.onStep({ step, ms: performance.now() - started, indices }));
        trace.tensors.push(tf.memory().numTensors);
      }
    }
  } finally {
    monitor?.dispose();
    graph.dispose();
    optimizer?.dispose();
  }
  return trace;
}

beforeAll(async () => {
  await initBackend('wasm');
});
afterAll(() => undefined);

describe('createHealthMonitor on tiny SimCLR with an online probe', () => {
  let trace: Trace;
  const steps = 24; // 3 epochs of 8 steps
  beforeAll(async () => {
    trace = await run(compileText(onlineRecipe(3, '8 steps')), steps, 5);
  });

  it('keeps the tensor count flat over the steps', () => {
    expect(new Set(trace.tensors.slice(1)).size).toBe(1);
  });

  it('does not touch the encoder: weights and batch-norm statistics unchanged by the monitor alone', () => {
    expect(trace.weightsAfterMonitorOnly).toEqual(trace.weightsBefore);
  });

  it('measures the effective rank at step 1, every 5 steps and at the last step, within [1, D]', () => {
    const ranked = trace.updates.map((u, i) => (u.fields.effectiveRank !== undefined ? i + 1 : null)).filter((s) => s !== null);
    expect(ranked).toEqual([1, 5, 10, 15, 20, 24]);
    for (const u of trace.updates) {
      const r = u.fields.effectiveRank;
      if (r === undefined) continue;
      expect(r).toBeGreaterThanOrEqual(1);
      expect(r).toBeLessThanOrEqual(64); // tiny.ssl's encoder is 64 wide
      expect(r).toBeGreaterThan(2); // a SimCLR encoder this early is far from collapsed
    }
    // The online probe's running top-1 is read on the same steps.
    const read = trace.updates.map((u, i) => (u.fields.onlineTop1 ? i + 1 : null)).filter((s) => s !== null);
    expect(read).toEqual(ranked);
    expect(Object.keys(trace.updates[0]!.fields.onlineTop1!)).toEqual(['linear/online']);
  });

  it('reports every step: smoothed throughput and a finite ETA', () => {
    for (const u of trace.updates) {
      expect(u.fields.throughput).toBeGreaterThan(0);
      expect(Number.isFinite(u.fields.etaMs)).toBe(true);
    }
  });

  it('evaluates the online probe on held-out data every 8 steps; it learns (top-1 well above the 10 % of chance)', () => {
    const evals = trace.updates.flatMap((u) => u.evals) as EvalEvent[];
    expect(evals.map((e) => e.step)).toEqual([8, 16, 24]);
    for (const e of evals) expect(e).toMatchObject({ type: 'eval', name: 'linear/online', probe: 'linear', on: 'test', evalSize: 500, online: true });
    expect(evals.map((e) => e.fitSize)).toEqual([8 * 64, 16 * 64, 24 * 64]);
    expect(evals.at(-1)!.top1).toBeGreaterThan(0.5);
    // The running top-1 on training batches, read at the last step, is also far above chance.
    expect(trace.updates.at(-1)!.fields.onlineTop1!['linear/online']).toBeGreaterThan(0.4);
  });
});

describe('healthFeatureRef and defaults', () => {
  it('reads the first probe\'s representation, else the backbone found as the compiler does', () => {
    const ir = compileText(fixture);
    expect(healthFeatureRef(ir)).toMatchObject({ chain: ['encoder'], stage: 0 });
    expect(healthFeatureRef({ ...ir, probes: [] })).toEqual({ chain: ['encoder'], stage: 0 });
  });

  it('about 100 rank points per run, never more often than every 10 steps', () => {
    expect(defaultRankEvery(24)).toBe(10);
    expect(defaultRankEvery(234)).toBe(10);
    expect(defaultRankEvery(5000)).toBe(50);
  });

  it('without online probes the monitor does no per-step work and reports no online fields', async () => {
    const ir = compileText(fixture);
    const trace = await run(ir, 3, 2);
    expect(trace.updates.map((u) => Object.keys(u.fields).sort())).toEqual([
      ['effectiveRank', 'etaMs', 'throughput'],
      ['effectiveRank', 'etaMs', 'throughput'],
      ['effectiveRank', 'etaMs', 'throughput'],
    ]);
    expect(trace.updates.flatMap((u) => u.evals)).toEqual([]);
  });
});
