/**
 * The training loop, owned once for every method: a recipe changes the IR, never this file.
 *
 * It emits typed events (runtime/events.ts) and knows nothing of how they are shown. Every step
 * reads the loss back once (the only host sync), yields to the event loop so the terminal UI can
 * draw and Ctrl-C can land, and checks the loss is finite.
 *
 * Runs survive: a checkpoint (runtime/checkpoint.ts) is written every `checkpoint_every` steps, at
 * the end and when the run is aborted (Ctrl-C), never of a state holding NaN or Inf. `train` with
 * `resume` rebuilds everything from the seed exactly as a new run does, puts the checkpoint's state
 * into it, cuts metrics.jsonl back to the checkpoint and takes the remaining steps: on the same
 * backend they are bit for bit the steps of a run that never stopped (test/e2e/resume*.test.ts).
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
import { createRunFolder, openRunFolder, truncateMetrics, type MetricsCut, type RunFolder } from './run-folder.js';
import { saveWeights } from './weights.js';
import { createHealthMonitor, type HealthMonitor } from './health/monitor.js';
import {
  captureCheckpoint,
  CHECKPOINT_DIR,
  checkpointFileName,
  PoisonedStateError,
  restoreCheckpoint,
  writeCheckpoint,
  type Checkpoint,
  type TrainerPosition,
} from './checkpoint.js';
import type { AtomicWriteHooks } from './checkpoint-file.js';
import { join } from 'node:path';

export interface TrainOptions {
  backend: BackendChoice;
  /** Stop after this many steps of the run (0 = probe the randomly initialised encoder); a resume counts from the run's start. */
  maxSteps?: number;
  /** Where to write the run folder; null writes nothing (tests). */
  runDir: string | null;
  /** The recipe exactly as written, stored in the run folder. */
  recipeText: string;
  /** More text files for the run folder, by name (the CLI's resolved.ssl, overrides.json, base-N.ssl). */
  extraFiles?: Record<string, string>;
  onEvent: RunEventListener;
  /** Aborting stops the run after the current step; a checkpoint of that step is written. */
  signal?: AbortSignal;
  /** Extra facts for environment.json (e.g. the command line). */
  environment?: Record<string, string | number | boolean>;
  /** Continue the run in `runDir` from this checkpoint (`ssl resume`) instead of starting one. */
  resume?: ResumeOptions;
  /** Test hooks for checkpoint writes (a simulated crash before the rename). */
  checkpointHooks?: AtomicWriteHooks;
}

export interface ResumeOptions {
  /** Read and checked by the caller against the run's IR (checkpoint.ts readLatestCheckpoint). */
  checkpoint: Checkpoint;
  /** `--set` overrides of this resume, already applied to the IR given to `train`; recorded in the run folder. */
  set?: string[];
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
  let monitor: HealthMonitor | null = null;
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
    const resume = options.resume;
    const saved = resume?.checkpoint.state;
    if (options.runDir !== null && !resume) folder = createRunFolder(options.runDir, options.recipeText, ir);
    const environment = describeEnvironment(backend, options.environment);
    if (!resume) {
      for (const [name, text] of Object.entries(options.extraFiles ?? {})) folder?.writeBytes(name, new TextEncoder().encode(text));
      folder?.writeJson('environment.json', environment);
    }

    // Built in the same order from the same seed whether the run starts or resumes, so every
    // stream exists as it did; a resume then overwrites their states from the checkpoint.
    const rng = createRng(ir.train.seed);
    graph = new TrainingGraph(ir, rng.fork());
    const trainData = loadDataSource(ir.data[ir.train.data], rng.fork());
    const variables = graph.trainableVariables;
    optimizer = createOptimizer(ir.optimizer, graph.optimizerParams());
    const orderRng = rng.fork();
    const totalSteps = Math.min(ir.train.totalSteps, options.maxSteps ?? Infinity);
    // Effective rank, throughput / ETA and online probes (runtime/health): its own streams, so
    // it changes no number of the training itself.
    monitor = createHealthMonitor(ir, graph, { trainData, totalSteps });
    let position: TrainerPosition = { step: 0, epoch: 1, epochStep: 0, orderRng: orderRng.state(), lastLoss: null };
    let cut: MetricsCut | null = null;
    if (resume) {
      restoreCheckpoint(resume.checkpoint, graph, optimizer, orderRng, monitor);
      position = { step: saved!.step, epoch: saved!.epoch, epochStep: saved!.epochStep, orderRng: saved!.orderRng, lastLoss: saved!.lastLoss };
      steps = saved!.step;
      lastLoss = saved!.lastLoss;
      // Only now that the checkpoint is in place is the run folder touched: everything logged
      // after the checkpoint is taken again by this run, so it is cut (with a line a kill left
      // half-written) and every step appears once.
      if (options.runDir !== null) {
        cut = truncateMetrics(join(options.runDir, 'metrics.jsonl'), saved!.metricsLines);
        folder = openRunFolder(options.runDir);
        if (resume.set?.length) {
          folder.writeJson(`resume-${saved!.step}.json`, { fromStep: saved!.step, checkpoint: resume.checkpoint.file, set: resume.set, optimizer: ir.optimizer, schedule: ir.schedule });
        }
      }
    }

    const start = {
      recipe: ir.recipe,
      runDir: folder?.dir ?? '',
      backend: backend.name,
      backendReason: backend.reason,
      environment,
      epochs: ir.train.epochs,
      stepsPerEpoch: ir.train.stepsPerEpoch,
      totalSteps,
      batch: ir.train.batch,
      parameters: graph.parameterCounts(),
      time: Date.now(),
    };
    if (resume) {
      emit({
        type: 'resume',
        ...start,
        fromStep: saved!.step,
        epoch: saved!.epoch,
        checkpoint: resume.checkpoint.file,
        droppedLines: cut?.dropped ?? 0,
        ...(resume.set?.length ? { set: resume.set } : {}),
      });
      if (saved!.backend !== backend.name) {
        emit({
          type: 'warning',
          code: 'resume-backend',
          message: `the run was on ${saved!.backend} and resumes on ${backend.name}: from here its numbers differ in the last bits from a run that never stopped`,
          time: Date.now(),
        });
      }
      if (cut && cut.kept < saved!.metricsLines) {
        emit({
          type: 'warning',
          code: 'metrics-short',
          message: `metrics.jsonl held ${cut.kept} of the ${saved!.metricsLines} lines written up to the checkpoint; the missing ones are lost`,
          time: Date.now(),
        });
      }
    } else {
      emit({ type: 'run-start', ...start });
    }

    const resumeSet = [...(saved?.resumeSet ?? []), ...(resume?.set ?? [])];
    let checkpointed = resume ? saved!.step : -1;
    /**
     * Writes a checkpoint of `position` (and the final weights with `weights`), then its event.
     * A state holding NaN or Inf is not written: returns a message instead, and the last good
     * checkpoint stays latest.
     */
    const checkpoint = async (weights: boolean): Promise<string | null> => {
      if (!folder || !graph || !optimizer) return null;
      let file: string | undefined;
      if (checkpointed !== steps) {
        try {
          const captured = await captureCheckpoint(graph, optimizer, position, { metricsLines: folder.lines + 1, backend: backend.name, resumeSet }, monitor ?? undefined);
          file = writeCheckpoint(folder.dir, captured, ir, ir.train.checkpoint.keep, options.checkpointHooks);
          checkpointed = steps;
        } catch (error) {
          if (!(error instanceof PoisonedStateError)) throw error;
          return `after step ${steps} the model or optimizer state holds a non-finite value (${error.message}); it was not checkpointed${lastGood()}`;
        }
      }
      const path = file ?? join(folder.dir, CHECKPOINT_DIR, checkpointFileName(steps));
      const weightsDir = weights ? await saveWeights(folder, graph) : undefined;
      if (file || weightsDir) emit({ type: 'checkpoint', step: steps, path, ...(weightsDir ? { weights: weightsDir } : {}), time: Date.now() });
      return null;
    };
    const lastGood = () =>
      checkpointed > 0 && folder ? `; the last good checkpoint (step ${checkpointed}) stays latest: \`ssl resume ${folder.dir} --set optimizer.lr=...\` continues from it` : '';

    const every = ir.train.checkpoint.everySteps;
    // A resumed run re-enters the checkpoint's epoch: its shuffle is drawn again from the order
    // stream's state at the epoch start, and the batches already taken are skipped.
    let skip = position.epochStep;
    training: for (let epoch = position.epoch; epoch <= ir.train.epochs && steps < totalSteps; epoch++, skip = 0) {
      const epochOrder = orderRng.state(); // before epochBatches draws this epoch's shuffle
      if (skip === 0) emit({ type: 'epoch-start', epoch, time: Date.now() });
      let epochStep = 0;
      for (const indices of epochBatches(trainData.size, ir.train.batch, orderRng)) {
        if (epochStep < skip) {
          epochStep++;
          continue;
        }
        if (steps >= totalSteps) break training;
        if (options.signal?.aborted) break training;
        const stepStarted = performance.now();
        const lr = learningRateAt(ir.schedule, ir.optimizer.lr, steps);
        const momenta = graph.momenta(steps);
        const result = await trainStep(graph, optimizer, variables, ir.train.data, batchTensor(trainData, indices), lr, steps);
        const loss = result.loss;
        lastLoss = loss;
        steps++;
        epochStep++;
        if (!Number.isFinite(loss)) {
          // The update of this step already ran on the bad loss: nothing from here is checkpointed.
          const bad = Object.entries(result.terms).find(([, v]) => !Number.isFinite(v));
          const term = bad ? ir.graph.nodes.find((n) => n.kind === 'loss' && n.name === bad[0].split('/')[0]) : undefined;
          const where = term ? ` in term '${bad![0]}' (${term.origin.uri}:${term.origin.start.line}:${term.origin.start.column})` : '';
          return end('failed', {}, `loss became ${loss} at step ${steps}${where}; lower the learning rate or check the recipe${lastGood()}`);
        }
        position = { step: steps, epoch, epochStep, orderRng: epochOrder, lastLoss: loss };
        const ms = performance.now() - stepStarted;
        const health = await monitor.onStep({ step: steps, ms, indices });
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
          ...health.fields,
          time: Date.now(),
        });
        for (const event of health.evals) emit(event);
        // The last step's checkpoint is the final one below (with the weights).
        if (every > 0 && steps % every === 0 && steps < totalSteps) {
          const poisoned = await checkpoint(false);
          if (poisoned) return end('failed', {}, poisoned);
        }
        await yieldToEventLoop();
      }
    }

    if (steps > 0) {
      const poisoned = await checkpoint(true);
      if (poisoned) return end('failed', {}, poisoned);
    } else if (folder) {
      // Nothing trained (--max-steps 0): the initial weights, for the probes' record; nothing to resume.
      emit({ type: 'checkpoint', step: 0, path: await saveWeights(folder, graph), time: Date.now() });
    }
    if (options.signal?.aborted) {
      const how = folder && steps > 0 ? `; resume with: ssl resume ${folder.dir}` : '';
      return end('interrupted', {}, `interrupted after ${steps} steps${how}`);
    }

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
    monitor?.dispose();
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
  batch: tf.Tensor,
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
    backendReason: backend.reason,
    device: backend.device,
    gpu: backend.gpu,
    ...(backend.notes.length ? { backendNotes: backend.notes.join('; ') } : {}),
    threads: backend.threads,
    simd: backend.simd,
    patchedKernels: backend.kernels.join(','),
    ...backend.versions,
    node: process.version,
    platform: `${process.platform}-${process.arch}`,
    ...extra,
  };
}
