/**
 * Test support (not used by the runtime): the same computations on two backends, read back
 * asynchronously (GPU backends cannot `dataSync` in Node), for comparing a backend against the
 * reference 'cpu' backend.
 */
import { readFileSync } from 'node:fs';
import { compile } from '../../compiler/index.js';
import type { IR } from '../../compiler/ir.js';
import { tf } from '../../runtime/tf.js';
import { batchTensor, loadDataSource } from '../../runtime/data/dataset.js';
import { TrainingGraph, type SampledInputs } from '../../runtime/graph.js';
import { createOptimizer } from '../../runtime/optim/index.js';
import { trainStep } from '../../runtime/trainer.js';
import { createRng } from '../../runtime/util/rng.js';
import { initBackend, type BackendName, type InitOptions } from '../../runtime/backend/index.js';

export type HostTensor = { shape: number[]; values: Float32Array };

/**
 * tiny.ssl (the suite's small SimCLR run: a 16-32-64 conv encoder, NT-Xent, Adam) at `batch`:
 * the cpu backend's pure-JS conv gradients take ~14 s a step at batch 16, ~40 s at 64.
 */
export function tinyRecipe(batch = 16): IR {
  const path = new URL('../fixtures/tiny.ssl', import.meta.url);
  const { ir, diagnostics } = compile(readFileSync(path, 'utf8'), 'tiny.ssl');
  if (!ir) throw new Error(diagnostics.map((d) => d.message).join('\n'));
  ir.train.batch = batch;
  ir.data[ir.train.data]!.batch = batch;
  return ir;
}

/** Largest |a - b| relative to the largest |b| (so entries near 0 do not dominate). */
export function relativeMaxError(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`length ${a.length} vs ${b.length}`);
  let worst = 0;
  let scale = 0;
  for (let i = 0; i < a.length; i++) {
    worst = Math.max(worst, Math.abs(a[i]! - b[i]!));
    scale = Math.max(scale, Math.abs(b[i]!));
  }
  return worst / Math.max(scale, 1e-12);
}

function seeded(shape: number[], seed: number): HostTensor {
  const rng = createRng(seed);
  const n = shape.reduce((a, b) => a * b, 1);
  return { shape, values: Float32Array.from({ length: n }, () => rng.normal()) };
}

/** Ops whose gradients a training step needs, each as a scalar function of its inputs. */
export const GRADIENT_CASES: { name: string; inputs: HostTensor[]; f: (...xs: tf.Tensor[]) => tf.Scalar }[] = [
  {
    name: 'conv2d stride 2 same + relu + mean (filter and input gradients)',
    inputs: [seeded([4, 9, 9, 3], 1), seeded([3, 3, 3, 5], 2)],
    f: (x, w) => tf.mean(tf.relu(tf.conv2d(x as tf.Tensor4D, w as tf.Tensor4D, 2, 'same'))),
  },
  {
    name: 'matMul + bias + tanh',
    inputs: [seeded([6, 7], 3), seeded([7, 4], 4), seeded([4], 5)],
    f: (a, b, c) => tf.sum(tf.tanh(tf.add(tf.matMul(a as tf.Tensor2D, b as tf.Tensor2D), c))),
  },
  {
    name: 'l2 normalise + similarity + logSumExp (NT-Xent core)',
    inputs: [seeded([8, 6], 6)],
    f: (z) => {
      const n = tf.div(z, tf.norm(z, 'euclidean', 1, true));
      return tf.mean(tf.logSumExp(tf.div(tf.matMul(n, n, false, true), 0.5), 1));
    },
  },
  {
    name: 'batch moments (batch norm) + square',
    inputs: [seeded([10, 5], 7)],
    f: (x) => {
      const { mean, variance } = tf.moments(x, 0);
      return tf.sum(tf.mul(tf.square(tf.div(tf.sub(x, mean), tf.sqrt(tf.add(variance, 1e-5)))), tf.tensor(seeded([10, 5], 8).values, [10, 5])));
    },
  },
  {
    name: 'gather + transpose + reshape',
    inputs: [seeded([5, 4], 9)],
    f: (x) => tf.sum(tf.square(tf.reshape(tf.transpose(tf.gather(x, tf.tensor1d([3, 0, 3, 1], 'int32'))), [2, 8]))),
  },
];

/** Value and input gradients of each case on `backend`, read back to the host. */
export async function gradientsOn(backend: BackendName, options: InitOptions = {}): Promise<{ value: number; grads: Float32Array[] }[]> {
  await initBackend(backend, options);
  const out: { value: number; grads: Float32Array[] }[] = [];
  for (const c of GRADIENT_CASES) {
    const xs = c.inputs.map((h) => tf.tensor(h.values, h.shape));
    const { value, grads } = tf.valueAndGrads((...args: tf.Tensor[]) => c.f(...args))(xs);
    out.push({ value: (await value.data())[0]!, grads: (await Promise.all(grads.map((g) => g.data()))) as Float32Array[] });
    tf.dispose([...xs, value, ...grads]);
  }
  return out;
}

/** Host copies of one step's sampled inputs, drawn on cpu, so both backends see the same views. */
export async function sampleOnce(ir: IR): Promise<Map<number, HostTensor>> {
  await initBackend('cpu');
  const graph = new TrainingGraph(ir, createRng(1));
  const data = loadDataSource(ir.data[ir.train.data]!);
  const batch = batchTensor(data, Array.from({ length: ir.train.batch }, (_, i) => i));
  const inputs = graph.sampleInputs({ [ir.train.data]: batch });
  const host = new Map<number, HostTensor>();
  for (const [id, t] of inputs) host.set(id, { shape: t.shape, values: (await t.data()) as Float32Array });
  tf.dispose([...inputs.values(), batch]);
  graph.dispose();
  return host;
}

/** The whole loss and its gradient for every trainable variable, by name, on `backend`. */
export async function lossGradientsOn(backend: BackendName, ir: IR, host: Map<number, HostTensor>, options: InitOptions = {}) {
  await initBackend(backend, options);
  const graph = new TrainingGraph(ir, createRng(1)); // same seed: same initial weights
  const inputs: SampledInputs = new Map([...host].map(([id, h]) => [id, tf.tensor(h.values, h.shape)]));
  const { value, grads } = tf.variableGrads(() => graph.loss(inputs), graph.trainableVariables);
  const loss = (await value.data())[0]!;
  const out: Record<string, Float32Array> = {};
  for (const [name, g] of Object.entries(grads)) out[name] = (await g.data()) as Float32Array;
  tf.dispose([value, ...Object.values(grads), ...inputs.values()]);
  graph.dispose();
  return { loss, grads: out };
}

/**
 * `steps` training steps of `ir` exactly as the trainer takes them (augmentations drawn on the
 * host from the seed, so both backends see the same views), on `backend`: the losses, and the
 * tensor count after each step.
 */
export async function trainOn(backend: BackendName, ir: IR, steps: number, options: InitOptions = {}): Promise<{ losses: number[]; tensors: number[] }> {
  await initBackend(backend, options);
  const rng = createRng(ir.train.seed);
  const graph = new TrainingGraph(ir, rng.fork());
  const data = loadDataSource(ir.data[ir.train.data]!, rng.fork());
  const optimizer = createOptimizer(ir.optimizer, graph.optimizerParams());
  const losses: number[] = [];
  const tensors: number[] = [];
  try {
    for (let step = 0; step < steps; step++) {
      const indices = Int32Array.from({ length: ir.train.batch }, (_, i) => (step * ir.train.batch + i) % data.size);
      const result = await trainStep(graph, optimizer, graph.trainableVariables, ir.train.data, batchTensor(data, indices), ir.optimizer.lr, step);
      losses.push(result.loss);
      tensors.push(tf.memory().numTensors);
    }
  } finally {
    graph.dispose();
    optimizer.dispose();
  }
  return { losses, tensors };
}
