/**
 * Times full training steps of a recipe in this process: data batch, both augmented views,
 * forward, NT-Xent, backward and the optimizer update — exactly what `ssl run` does per step.
 *
 * Run as a child of bench.ts so each configuration gets a fresh TF.js (backends, thread pools and
 * registered kernels are process-global):
 *   node dist/cli/bench/step-bench.js <recipe.ssl> <backend|auto> [--stock] [--steps N] [--warmup N]
 * prints one JSON line: { recipe, backend, device, threads, stock, batch, msPerStep: {median, p25, p75},
 * imagesPerSec, augmentMs }. Every step ends with the trainer's one loss readout (`await data()`), so
 * on a GPU the time includes the queue draining: it is wall time per step, not submission time.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { compile } from '../../compiler/index.js';
import { tf } from '../../runtime/tf.js';
import { initBackend, isBackendChoice, type BackendChoice } from '../../runtime/backend/index.js';
import { uninstallConvGrads } from '../../runtime/backend/wasm-conv-grads.js';
import { uninstallMatMul } from '../../runtime/backend/wasm-matmul.js';
import { createRng } from '../../runtime/util/rng.js';
import { batchTensor, epochBatches, loadDataSource } from '../../runtime/data/dataset.js';
import { createOptimizer } from '../../runtime/optim/index.js';
import { TrainingGraph } from '../../runtime/graph.js';
import { trainStep } from '../../runtime/trainer.js';

export interface StepBenchResult {
  recipe: string;
  backend: string;
  /** What computed, in words (BackendInfo.device), and why this backend (BackendInfo.reason). */
  device: string;
  reason: string;
  threads: number;
  batch: number;
  stock: boolean;
  steps: number;
  msPerStep: { median: number; p25: number; p75: number };
  /** Training examples per second at the median step (each example is seen in every view). */
  imagesPerSec: number;
  /** Drawing the graph's views alone (no network), per step. */
  augmentMs: number;
  error?: string;
}

const quantile = (sorted: number[], q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];

export async function benchSteps(
  recipePath: string,
  backend: BackendChoice,
  options: { stock?: boolean; steps?: number; warmup?: number } = {},
): Promise<StepBenchResult> {
  const { steps = 10, warmup = 3, stock = false } = options;
  const { ir, diagnostics } = compile(readFileSync(recipePath, 'utf8'), recipePath);
  if (!ir) throw new Error(`${recipePath} does not compile: ${diagnostics.map((d) => d.message).join('; ')}`);
  const info = await initBackend(backend);
  if (stock && info.name === 'wasm') {
    uninstallConvGrads();
    uninstallMatMul();
  }
  const result: StepBenchResult = {
    recipe: ir.recipe,
    backend: info.name,
    device: info.device,
    reason: info.reason,
    threads: info.threads,
    batch: ir.train.batch,
    stock,
    steps,
    msPerStep: { median: NaN, p25: NaN, p75: NaN },
    imagesPerSec: NaN,
    augmentMs: NaN,
  };
  const rng = createRng(ir.train.seed);
  const graph = new TrainingGraph(ir, rng.fork());
  const data = loadDataSource(ir.data[ir.train.data], rng.fork());
  const variables = graph.trainableVariables;
  const optimizer = createOptimizer(ir.optimizer, graph.optimizerParams());
  const batches = epochBatches(data.size, ir.train.batch, rng.fork());
  const next = () => batchTensor(data, batches.next().value as Int32Array);
  try {
    const times: number[] = [];
    for (let i = 0; i < warmup + steps; i++) {
      const started = performance.now();
      await trainStep(graph, optimizer, variables, ir.train.data, next(), ir.optimizer.lr);
      if (i >= warmup) times.push(performance.now() - started);
    }
    times.sort((a, b) => a - b);
    result.msPerStep = { median: quantile(times, 0.5), p25: quantile(times, 0.25), p75: quantile(times, 0.75) };
    result.imagesPerSec = (ir.train.batch * 1000) / result.msPerStep.median;
    const augment: number[] = [];
    for (let i = 0; i < steps; i++) {
      const x = next();
      const started = performance.now();
      const inputs = graph.sampleInputs({ [ir.train.data]: x });
      await Promise.all([...inputs.values()].map((t) => t.data()));
      augment.push(performance.now() - started);
      tf.dispose([...inputs.values(), x]);
    }
    augment.sort((a, b) => a - b);
    result.augmentMs = quantile(augment, 0.5);
  } catch (error) {
    result.error = error instanceof Error ? error.message.split('\n')[0] : String(error);
  } finally {
    graph.dispose();
    optimizer.dispose();
  }
  return result;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const [recipe, backend, ...rest] = process.argv.slice(2);
  const flag = (name: string) => {
    const i = rest.indexOf(name);
    return i >= 0 ? Number(rest[i + 1]) : undefined;
  };
  if (!recipe || !backend || !isBackendChoice(backend)) {
    process.stderr.write('usage: step-bench.js <recipe.ssl> <auto|wasm|cpu|webgpu|tensorflow> [--stock] [--steps N] [--warmup N]\n');
    process.exit(2);
  }
  const result = await benchSteps(recipe, backend, { stock: rest.includes('--stock'), steps: flag('--steps'), warmup: flag('--warmup') }).catch((error: unknown) => {
    // One line: bench.ts shows the child's last stderr line (e.g. why the backend could not start).
    process.stderr.write(`${error instanceof Error ? error.message.replace(/\s*\n\s*/g, ' ') : String(error)}\n`, () => process.exit(1));
    return new Promise<never>(() => {});
  });
  process.stdout.write(JSON.stringify(result) + '\n', () => process.exit(0));
}
