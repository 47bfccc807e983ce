/**
 * Non-MNIST sources end to end: SimCLR on the 8x8 digits (data/digits.csv.gz) trains for a few
 * steps through views, a conv encoder and both probes with a flat tensor count; `ssl run` loads
 * every file format of test/fixtures/data/recipes/formats.ssl through the probes; and a data file
 * that changed after `ssl check` ends the run as `failed` with the file named, not a crash.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { diskLoader, main } from '../cli/main.js';
import { compile } from '../compiler/index.js';
import type { IR } from '../compiler/ir.js';
import { initBackend } from '../runtime/backend/index.js';
import { batchTensor, epochBatches, loadDataSource } from '../runtime/data/dataset.js';
import { runProbes } from '../runtime/evaluate.js';
import type { RunEvent } from '../runtime/events.js';
import { TrainingGraph } from '../runtime/graph.js';
import { createOptimizer } from '../runtime/optim/index.js';
import { tf } from '../runtime/tf.js';
import { train, trainStep } from '../runtime/trainer.js';
import { createRng } from '../runtime/util/rng.js';
import { captureIo } from './helpers/io.js';

const DIGITS_RECIPE = `recipe digits_simclr
data train = digits(split: "train", batch: 32)
data test  = digits(split: "test")
view aug = random_resized_crop(8, scale: 0.5..1.0) | gaussian_noise(std: 0.1)
network encoder   = convnet(channels: [16, 32], kernel: 3, stride: 2)
network projector = mlp([32, 16])
loss = nt_xent(projector(encoder(aug(train))), projector(encoder(aug(train))), temperature: 0.5)
optimizer adam(lr: 1e-3)
train epochs: 1, seed: 3
probe linear(on: test, epochs: 5)
probe knn(k: 5, on: test)
`;

function compiled(text: string, uri: string): IR {
  const { ir, diagnostics } = compile(text, uri, diskLoader);
  expect(diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
  return ir!;
}

describe('SimCLR on sklearn digits', () => {
  it('trains 12 steps with finite losses and a flat tensor count, then both probes well above chance', async () => {
    const ir = compiled(DIGITS_RECIPE, 'digits.ssl');
    expect(ir.data['train']).toMatchObject({ dataset: 'digits', size: 1437, shape: [8, 8, 1] });
    await initBackend('wasm');
    const rng = createRng(ir.train.seed);
    const graph = new TrainingGraph(ir, rng.fork());
    const optimizer = createOptimizer(ir.optimizer, graph.optimizerParams());
    try {
      const data = loadDataSource(ir.data['train']!, rng.fork());
      const losses: number[] = [];
      const tensors: number[] = [];
      for (const indices of epochBatches(data.size, ir.train.batch, rng.fork())) {
        if (losses.length === 12) break;
        const batch = batchTensor(data, indices); // [32, 8, 8, 1], consumed by the step
        expect(batch.shape).toEqual([32, 8, 8, 1]);
        losses.push((await trainStep(graph, optimizer, graph.trainableVariables, 'train', batch, ir.optimizer.lr, losses.length)).loss);
        tensors.push(tf.memory().numTensors);
      }
      expect(losses.every(Number.isFinite)).toBe(true);
      // NT-Xent over 2N = 64 embeddings starts near ln(63) = 4.14 (12 steps are too few to assert a fall).
      expect(losses[0]).toBeGreaterThan(3.5);
      expect(losses[0]).toBeLessThan(4.5);
      expect(new Set(tensors.slice(1)).size).toBe(1);

      const before = tf.memory().numTensors;
      const results = await runProbes(graph, ir.probes, ir.train.seed, () => {});
      expect(tf.memory().numTensors).toBe(before);
      expect(results.map((r) => [r.probe, r.on, r.fitSize, r.evalSize])).toEqual([
        ['linear', 'test', 1437, 360],
        ['knn', 'test', 1437, 360],
      ]);
      // Ten balanced classes: chance is 0.1; even a briefly trained conv encoder separates digits.
      for (const r of results) expect(r.top1).toBeGreaterThan(0.5);
      console.log(`digits SimCLR, 12 steps: loss ${losses[0]!.toFixed(3)} -> ${losses[11]!.toFixed(3)}; ${results.map((r) => `${r.name} ${r.top1.toFixed(3)}`).join(', ')}`);
    } finally {
      graph.dispose();
      optimizer.dispose();
    }
  });
});

describe('ssl run on every file format', () => {
  it('trains on a CSV table and runs a probe on each format (fixtures)', async () => {
    const out = mkdtempSync(join(tmpdir(), 'ssl-formats-'));
    try {
      const io = captureIo();
      const code = await main(['run', 'test/fixtures/data/recipes/formats.ssl', '--reporter', 'json', '--max-steps', '2', '--out', out], io);
      expect(io.err()).toBe('');
      expect(code).toBe(0);
      const events = io.out().trim().split('\n').map((l) => JSON.parse(l) as RunEvent);
      const evals = events.filter((e): e is Extract<RunEvent, { type: 'eval' }> => e.type === 'eval');
      // [fit size, eval size, top-1] per probe, in recipe order: plain (fit: the training table),
      // mnist5, fashion, ucr TRAIN -> TEST, uea train -> test, cifar, npy f8, npy u1, images, resized.
      expect(evals.map((e) => [e.fitSize, e.evalSize])).toEqual([[6, 6], [5, 5], [2, 2], [4, 2], [3, 2], [3, 3], [4, 4], [4, 4], [5, 5], [5, 5]]);
      // Probing a source on itself with k = 1 finds each example's own features: top-1 = 1.
      for (const i of [0, 1, 2, 5, 6, 7, 8, 9]) expect(evals[i]!.top1, evals[i]!.name).toBe(1);
      for (const i of [3, 4]) expect([0, 0.5, 1]).toContain(evals[i]!.top1); // train -> test on 2 examples
      expect(events.at(-1)).toMatchObject({ type: 'run-end', status: 'completed', steps: 2 });
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  });
});

describe('a data file that no longer matches the checked recipe', () => {
  it('fails the run with a message naming the file', async () => {
    const text = `recipe table
data d = csv("../csv/table.csv", label: "label", batch: 2)
network e = mlp([4])
loss = vicreg(e(d), e(d))
optimizer adam(lr: 1e-3)
train epochs: 1
`;
    const ir = compiled(text, 'test/fixtures/data/recipes/table.ssl');
    // As if the file lost a row after `ssl check`: the IR expects 7 examples, the file holds 6.
    ir.data['d']!.size = 7;
    const events: RunEvent[] = [];
    const end = await train(ir, { backend: 'cpu', runDir: null, recipeText: text, onEvent: (e) => events.push(e) });
    expect(end.status).toBe('failed');
    expect(end.message).toBe("test/fixtures/data/csv/table.csv: holds 6 examples but the recipe's data source expects 7");
    expect(events.at(-1)?.type).toBe('run-end');
  });
});
