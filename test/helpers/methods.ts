/**
 * Trains a recipe from recipes/ for a few steps on real MNIST digits, the way the trainer does
 * (graph.forward inside variableGrads, optimizer, EMA and loss-state updates), on a small batch
 * with a constant learning rate, and records what a method test asserts: each step's loss, terms
 * and embedding std, and the tensor count after every step.
 */
import { readFileSync } from 'node:fs';
import { expect } from 'vitest';
import { compile } from '../../compiler/index.js';
import type { IR } from '../../compiler/ir.js';
import { initBackend } from '../../runtime/backend/index.js';
import { batchTensor, epochBatches, loadDataSource } from '../../runtime/data/dataset.js';
import { TrainingGraph } from '../../runtime/graph.js';
import { createOptimizer } from '../../runtime/optim/index.js';
import { tf } from '../../runtime/tf.js';
import { trainStep, type StepResult } from '../../runtime/trainer.js';
import { createRng } from '../../runtime/util/rng.js';

export interface MethodRun {
  ir: IR;
  steps: StepResult[];
  /** tf.memory().numTensors after each step. */
  tensors: number[];
}

export interface MethodRunOptions {
  steps?: number;
  batch?: number;
  /** Replace the recipe's text before compiling (e.g. remove a stopgrad). */
  edit?: (text: string) => string;
  /** Adjust the compiled IR (e.g. a smaller queue for a smaller batch). */
  patch?: (ir: IR) => void;
}

export function compileRecipe(path: string, edit: (text: string) => string = (t) => t): ReturnType<typeof compile> & { text: string } {
  const text = edit(readFileSync(path, 'utf8'));
  return { ...compile(text, path), text };
}

export async function trainRecipe(path: string, options: MethodRunOptions = {}): Promise<MethodRun> {
  const { steps = 20, batch = 64 } = options;
  const { ir, diagnostics } = compileRecipe(path, options.edit);
  expect(diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
  if (!ir) throw new Error(`${path} did not compile`);
  // A short constant-lr run: warm-ups of 10 epochs would keep the lr near 0 for all 20 steps.
  ir.train.batch = batch;
  ir.data[ir.train.data]!.batch = batch;
  ir.data[ir.train.data]!.limit = batch * steps;
  ir.data[ir.train.data]!.size = batch * steps;
  ir.schedule = { kind: 'constant', origin: null };
  options.patch?.(ir);

  await initBackend('wasm');
  const rng = createRng(ir.train.seed);
  const graph = new TrainingGraph(ir, rng.fork());
  const data = loadDataSource(ir.data[ir.train.data]!, rng.fork());
  const optimizer = createOptimizer(ir.optimizer, graph.optimizerParams());
  const results: StepResult[] = [];
  const tensors: number[] = [];
  try {
    let step = 0;
    for (const indices of epochBatches(data.size, batch, rng.fork())) {
      if (step >= steps) break;
      results.push(await trainStep(graph, optimizer, graph.trainableVariables, ir.train.data, batchTensor(data, indices), ir.optimizer.lr, step));
      tensors.push(tf.memory().numTensors);
      step++;
    }
  } finally {
    graph.dispose();
    optimizer.dispose();
  }
  const losses = results.map((r) => r.loss);
  console.log(
    `${path}: ${results.length} steps at batch ${batch}: loss (mean of 5) ${mean(losses.slice(0, 5)).toFixed(4)} -> ${mean(losses.slice(-5)).toFixed(4)}, ` +
      `tensors ${tensors[1]} -> ${tensors[tensors.length - 1]}`,
  );
  return { ir, steps: results, tensors };
}

export function mean(xs: number[]): number {
  return xs.reduce((a, b) => a + b, 0) / xs.length;
}
