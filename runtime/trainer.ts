/**
 * The training loop, owned once for every method: a recipe changes the IR, never this file.
 *
 * It emits typed events (runtime/events.ts) and knows nothing of how they are shown. Every step
 * reads the loss back once (the only host sync), yields to the event loop so the terminal UI can
 * draw and Ctrl-C can land, and checks the loss is finite.
 */
import type { IR } from '../compiler/ir.js';
import type { RunEndEvent, RunEvent, RunEventListener } from './events.js';
import { tf } from './tf.js';
import { initBackend, type BackendInfo, type BackendName } from './backend/index.js';

export type BackendChoice = 'auto' | BackendName;
import { createRng } from './util/rng.js';
import { batchTensor, epochBatches, loadDataSource } from './data/dataset.js';
import { createOptimizer } from './optim/index.js';
import { learningRateAt } from './optim/schedule.js';
import { TrainingGraph } from './graph.js';
import { runProbes } from './evaluate.js';
import { createRunFolder, type RunFolder } from './run-folder.js';
import { saveWeights } from './weights.js';

export interface TrainOptions {
  backend: BackendChoice;
  /** Stop after this many steps (0 = probe the randomly initialised encoder). */
  maxSteps?: number;
  /** Where to write the run folder; null writes nothing (tests). */
  runDir: string | null;
  /** The recipe exactly as written, stored in the run folder. */
  recipeText: string;
  /** More text files for the run folder, by name (the CLI's resolved.ssl, overrides.json, base-N.ssl). */
  extraFiles?: Record<string, string>;
  onEvent: RunEventListener;
  /** Aborting stops the run after the current step; what was written stays. */
  signal?: AbortSignal;
  /** Extra facts for environment.json (e.g. the command line). */
  environment?: Record<string, string | number | boolean>;
}

const yieldToEventLoop = () => new Promise<void>((resolve) => setImmediate(resolve));

export async function train(ir: IR, options: TrainOptions): Promise<RunEndEvent> {
  const started = performance.now();
  let folder: RunFolder | null = null;
  const emit = (event: RunEvent) => {
    folder?.append(event);
    options.onEvent(event);
  };
  let steps = 0;
  let lastLoss: number | null = null;
  let graph: TrainingGraph | null = null;
  let optimizer: ReturnType<typeof createOptimizer> | null = null;
  const end = (status: RunEndEvent['status'], probes: Record<string, number>, message?: string): RunEndEvent => {
    const event: RunEndEvent = {
      type: 'run-end',
      status,
      steps,
      finalLoss: lastLoss,
      probes,
      runDir: folder?.dir ?? '',
      ms: Math.round(performance.now() - started),
      ...(message ? { message } : {}),
      time: Date.now(),
    };
    emit(event);
    return event;
  };

  try {
    const backend = await initBackend(options.backend);
    if (options.runDir !== null) folder = createRunFolder(options.runDir, options.recipeText, ir);
    for (const [name, text] of Object.entries(options.extraFiles ?? {})) folder?.writeBytes(name, new TextEncoder().encode(text));
    const environment = describeEnvironment(backend, options.environment);
    folder?.writeJson('environment.json', environment);

    const rng = createRng(ir.train.seed);
    graph = new TrainingGraph(ir, rng.fork());
    const trainData = loadDataSource(ir.data[ir.train.data], rng.fork());
    const variables = graph.trainableVariables;
    optimizer = createOptimizer(ir.optimizer, graph.optimizerParams());

    const totalSteps = Math.min(ir.train.totalSteps, options.maxSteps ?? Infinity);
    emit({
      type: 'run-start',
      recipe: ir.recipe,
      runDir: folder?.dir ?? '',
      backend: backend.name,
      environment,
      epochs: ir.train.epochs,
      stepsPerEpoch: ir.train.stepsPerEpoch,
      totalSteps,
      batch: ir.train.batch,
      parameters: graph.parameterCounts(),
      time: Date.now(),
    });

    const orderRng = rng.fork();
    training: for (let epoch = 1; epoch <= ir.train.epochs && steps < totalSteps; epoch++) {
      emit({ type: 'epoch-start', epoch, time: Date.now() });
      for (const indices of epochBatches(trainData.size, ir.train.batch, orderRng)) {
        if (steps >= totalSteps) break training;
        if (options.signal?.aborted) break training;
        const stepStarted = performance.now();
        const lr = learningRateAt(ir.schedule, ir.optimizer.lr, steps);
        const momenta = graph.momenta(steps);
        const result = await trainStep(graph, optimizer, variables, ir.train.data, batchTensor(trainData, indices), lr, steps);
        const loss = result.loss;
        lastLoss = loss;
        steps++;
        if (!Number.isFinite(loss)) {
          const bad = Object.entries(result.terms).find(([, v]) => !Number.isFinite(v));
          const term = bad ? ir.graph.nodes.find((n) => n.kind === 'loss' && n.name === bad[0].split('/')[0]) : undefined;
          const where = term ? ` in term '${bad![0]}' (${term.origin.uri}:${term.origin.start.line}:${term.origin.start.column})` : '';
          return end('failed', {}, `loss became ${loss} at step ${steps}${where}; lower the learning rate or check the recipe`);
        }
        const ms = performance.now() - stepStarted;
        emit({
          type: 'step',
          step: steps,
          epoch,
          loss,
          lr,
          ms,
          imagesPerSec: (ir.train.batch * 1000) / ms,
          ...(Object.keys(result.terms).length > 1 ? { terms: result.terms } : {}),
          ...(result.embeddingStd !== null ? { embeddingStd: result.embeddingStd } : {}),
          ...(Object.keys(momenta).length > 0 ? { momentum: momenta } : {}),
          time: Date.now(),
        });
        await yieldToEventLoop();
      }
    }

    if (folder) {
      const path = saveWeights(folder, graph);
      emit({ type: 'checkpoint', step: steps, path, time: Date.now() });
    }
    if (options.signal?.aborted) return end('interrupted', {}, `interrupted after ${steps} steps`);

    const probes: Record<string, number> = {};
    const results = await runProbes(graph, ir.probes, ir.train.seed, (r) => {
      probes[r.name] = r.top1;
      emit({ type: 'eval', name: r.name, probe: r.probe, on: r.on, step: steps, top1: r.top1, fitSize: r.fitSize, evalSize: r.evalSize, ms: Math.round(r.ms), time: Date.now() });
    });
    folder?.writeJson('probes.json', { step: steps, results });
    return end('completed', probes);
  } catch (error) {
    return end('failed', {}, error instanceof Error ? error.message : String(error));
  } finally {
    graph?.dispose();
    optimizer?.dispose();
  }
}

export interface StepResult {
  loss: number;
  /** Each loss term's unweighted value by name (and `term/part` sub-terms). */
  terms: Record<string, number>;
  /** Collapse signal: std of the l2-normalised health embedding (graph.ts normalisedStd); null if none. */
  embeddingStd: number | null;
}

/**
 * One optimisation step (0-based `step`, where ramps are evaluated): forward, gradients, update,
 * then the teachers' EMA and the losses' state updates. Everything but the variables and optimizer
 * slots is released before it returns, so `tf.memory().numTensors` stays flat across steps.
 */
export async function trainStep(
  graph: TrainingGraph,
  optimizer: ReturnType<typeof createOptimizer>,
  variables: tf.Variable[],
  dataName: string,
  batch: tf.Tensor4D,
  lr: number,
  step = 0,
): Promise<StepResult> {
  let names: string[] = [];
  let hasStd = false;
  const readout = tf.tidy(() => {
    const inputs = graph.sampleInputs({ [dataName]: batch });
    let companions: tf.Scalar[] = [];
    const { value, grads } = tf.variableGrads(() => {
      const r = graph.forward(inputs, true, step);
      names = [...r.terms.keys()];
      hasStd = r.embeddingStd !== null;
      // variableGrads tidies the forward pass; the logged companions must outlive it. Kept
      // tensors escape every tidy, so they are disposed by hand once stacked.
      companions = [...r.terms.values(), ...(r.embeddingStd ? [r.embeddingStd] : [])].map((t) => tf.keep(t));
      return r.total;
    }, variables);
    optimizer.apply(grads, lr);
    // One vector, one read: the step's only host sync (async: GPU backends cannot dataSync).
    const stacked = tf.stack([value, ...companions]) as tf.Tensor1D;
    // (Kept tensors escape the tidy, including `value` itself when the total is a single term.)
    tf.dispose(companions);
    return stacked;
  });
  graph.afterStep(step);
  const values = await readout.data();
  tf.dispose([readout, batch]);
  const terms: Record<string, number> = {};
  names.forEach((name, i) => (terms[name] = values[1 + i]!));
  return { loss: values[0]!, terms, embeddingStd: hasStd ? values[1 + names.length]! : null };
}

function describeEnvironment(backend: BackendInfo, extra: Record<string, string | number | boolean> = {}) {
  return {
    backend: backend.name,
    threads: backend.threads,
    simd: backend.simd,
    patchedKernels: backend.kernels.join(','),
    ...backend.versions,
    node: process.version,
    platform: `${process.platform}-${process.arch}`,
    ...extra,
  };
}
