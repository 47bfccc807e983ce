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
        const loss = await trainStep(graph, optimizer, variables, ir.train.data, batchTensor(trainData, indices), lr);
        lastLoss = loss;
        steps++;
        if (!Number.isFinite(loss)) {
          return end('failed', {}, `loss became ${loss} at step ${steps}; lower the learning rate or check the recipe`);
        }
        const ms = performance.now() - stepStarted;
        emit({ type: 'step', step: steps, epoch, loss, lr, ms, imagesPerSec: (ir.train.batch * 1000) / ms, time: Date.now() });
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

/**
 * One optimisation step; returns the loss. Everything but the variables and optimizer slots is
 * released before it returns, so `tf.memory().numTensors` stays flat across steps.
 */
export async function trainStep(
  graph: TrainingGraph,
  optimizer: ReturnType<typeof createOptimizer>,
  variables: tf.Variable[],
  dataName: string,
  batch: tf.Tensor4D,
  lr: number,
): Promise<number> {
  const loss = tf.tidy(() => {
    const inputs = graph.sampleInputs({ [dataName]: batch });
    const { value, grads } = tf.variableGrads(() => graph.loss(inputs), variables);
    optimizer.apply(grads, lr);
    return value;
  });
  // One scalar read, the step's only host sync (async: GPU backends cannot dataSync).
  const value = (await loss.data())[0];
  tf.dispose([loss, batch]);
  return value;
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
