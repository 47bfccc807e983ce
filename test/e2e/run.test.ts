/**
 * End to end: the CLI compiles test/fixtures/tiny.ssl and trains it on real MNIST (512 digits) on
 * the default backend, with the json reporter; the events, the run folder and the tensor count
 * are checked.
 */
import { mkdtempSync, readFileSync, existsSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../cli/main.js';
import { compile } from '../../compiler/index.js';
import type { IR } from '../../compiler/ir.js';
import type { RunEvent, StepEvent } from '../../runtime/events.js';
import { train } from '../../runtime/trainer.js';
import { tf } from '../../runtime/tf.js';
import { initBackend } from '../../runtime/backend/index.js';
import { TrainingGraph } from '../../runtime/graph.js';
import { createRng } from '../../runtime/util/rng.js';
import { loadWeights } from '../../runtime/weights.js';
import { captureIo } from '../helpers/io.js';

const FIXTURE = 'test/fixtures/tiny.ssl';
const fixtureText = readFileSync(FIXTURE, 'utf8');

function compileFixture(text = fixtureText): IR {
  const { ir, diagnostics } = compile(text, FIXTURE);
  expect(diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
  return ir!;
}

let scratch: string;
beforeAll(() => {
  scratch = mkdtempSync(join(tmpdir(), 'ssl-e2e-'));
});
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

describe('ssl run --reporter json (tiny SimCLR on 512 MNIST digits)', () => {
  let events: RunEvent[];
  let code: number;
  let outDir: string;

  beforeAll(async () => {
    outDir = join(scratch, 'json-run');
    const io = captureIo();
    code = await main(['run', FIXTURE, '--reporter', 'json', '--max-steps', '4', '--out', outDir], io);
    events = io.out().trim().split('\n').map((line) => JSON.parse(line) as RunEvent);
  });

  it('exits 0 and prints one event per line in order', () => {
    expect(code).toBe(0);
    expect(events.map((e) => e.type)).toEqual([
      'run-start', 'epoch-start', 'step', 'step', 'step', 'step', 'checkpoint', 'eval', 'eval', 'run-end',
    ]);
  });

  it('run-start describes the run the recipe asked for', () => {
    const start = events[0] as Extract<RunEvent, { type: 'run-start' }>;
    expect(start).toMatchObject({ recipe: 'tiny', backend: 'wasm', epochs: 1, stepsPerEpoch: 8, totalSteps: 4, batch: 64 });
    // convnet 3x3x1x16 + 16, 3x3x16x32 + 32, 3x3x32x64 + 64; mlp 64x64 + 64, 64x32 + 32
    expect(start.parameters).toEqual({ encoder: 144 + 16 + 4608 + 32 + 18432 + 64, projector: 4096 + 64 + 2048 + 32 });
  });

  it('steps carry finite losses near log(2N-1) at init, the warmup lr and throughput', () => {
    const steps = events.filter((e): e is StepEvent => e.type === 'step');
    expect(steps.map((s) => s.step)).toEqual([1, 2, 3, 4]);
    for (const s of steps) {
      expect(Number.isFinite(s.loss)).toBe(true);
      expect(s.imagesPerSec).toBeGreaterThan(0);
    }
    // NT-Xent over 2N = 128 embeddings starts near ln(127) = 4.84 when embeddings are uninformative.
    expect(steps[0]!.loss).toBeGreaterThan(4.0);
    expect(steps[0]!.loss).toBeLessThan(5.5);
    // warmup_cosine(warmup: 2 steps) at lr 1e-3 * 64 / 256
    expect(steps[0]!.lr).toBeCloseTo(0.25e-3 * 0.5, 10);
    expect(steps[1]!.lr).toBeCloseTo(0.25e-3, 10);
  });

  it('probes report top-1 well above chance on 500 test digits', () => {
    const evals = events.filter((e) => e.type === 'eval') as Extract<RunEvent, { type: 'eval' }>[];
    expect(evals.map((e) => [e.probe, e.on, e.fitSize, e.evalSize])).toEqual([
      ['linear', 'test', 512, 500],
      ['knn', 'test', 512, 500],
    ]);
    for (const e of evals) expect(e.top1).toBeGreaterThan(0.45); // chance is 0.1; measured 0.61 / 0.59
    const end = events.at(-1) as Extract<RunEvent, { type: 'run-end' }>;
    expect(end).toMatchObject({ status: 'completed', steps: 4 });
    expect(end.probes).toEqual({ linear: evals[0]!.top1, knn: evals[1]!.top1 });
  });

  it('writes the run folder: recipe as written, IR, metrics as streamed, probes, environment, weights', () => {
    expect(readFileSync(join(outDir, 'recipe.ssl'), 'utf8')).toBe(fixtureText);
    expect(JSON.parse(readFileSync(join(outDir, 'ir.json'), 'utf8'))).toEqual(compileFixture());
    const metrics = readFileSync(join(outDir, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    expect(metrics).toEqual(events);
    const probes = JSON.parse(readFileSync(join(outDir, 'probes.json'), 'utf8'));
    expect(probes.results.map((r: { probe: string }) => r.probe)).toEqual(['linear', 'knn']);
    const env = JSON.parse(readFileSync(join(outDir, 'environment.json'), 'utf8'));
    expect(env).toMatchObject({ backend: 'wasm', 'tfjs-core': '4.22.0', node: process.version });
    const manifest = JSON.parse(readFileSync(join(outDir, 'weights/manifest.json'), 'utf8'));
    const floats = manifest.entries.reduce((n: number, e: { shape: number[] }) => n + e.shape.reduce((a, b) => a * b, 1), 0);
    expect(readFileSync(join(outDir, 'weights/weights.bin')).byteLength).toBe(floats * 4);
  });

  it('saved weights load back into a fresh graph exactly; a different architecture is refused', async () => {
    await initBackend('wasm');
    const graph = new TrainingGraph(compileFixture(), createRng(12345));
    loadWeights(join(outDir, 'weights'), graph);
    const manifest = JSON.parse(readFileSync(join(outDir, 'weights/manifest.json'), 'utf8'));
    const bytes = readFileSync(join(outDir, 'weights/weights.bin'));
    const blob = new Float32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4);
    for (const module of graph.networks.values()) {
      for (const v of module.trainable) {
        const entry = manifest.entries.find((e: { name: string }) => e.name === v.name);
        expect(Array.from(v.dataSync())).toEqual(Array.from(blob.subarray(entry.offset, entry.offset + v.size)));
      }
    }
    graph.dispose();
    const wider = new TrainingGraph(compileFixture(fixtureText.replace('mlp([64, 32])', 'mlp([64, 48])')), createRng(1));
    expect(() => loadWeights(join(outDir, 'weights'), wider)).toThrow(/projector\/0\/dense1\/kernel' has shape \[64,32\] but the recipe builds \[64,48\]/);
    wider.dispose();
  });

  it('refuses to write into a non-empty run folder', async () => {
    const io = captureIo();
    expect(await main(['run', FIXTURE, '--reporter', 'plain', '--max-steps', '1', '--out', outDir], io)).toBe(1);
    expect(io.err()).toMatch(/already exists and is not empty/);
  });
});

describe('trainer', () => {
  it('keeps tf.memory().numTensors flat over steps and releases everything at the end', async () => {
    const ir = compileFixture();
    const before = tf.memory().numTensors;
    const counts: number[] = [];
    const end = await train(ir, {
      backend: 'wasm',
      maxSteps: 6,
      runDir: null,
      recipeText: fixtureText,
      onEvent: (e) => {
        if (e.type === 'step') counts.push(tf.memory().numTensors);
      },
    });
    expect(end.status).toBe('completed');
    expect(counts).toHaveLength(6);
    // Adam creates its slots on the first step; from then on nothing may accumulate.
    expect(new Set(counts.slice(1)).size).toBe(1);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('recipes/simclr.ssl (batch norm, LARS, warmup in epochs) trains with finite loss and no leaks', async () => {
    const text = readFileSync('recipes/simclr.ssl', 'utf8')
      .replace('mnist(split: "train", batch: 512)', 'mnist(split: "train", batch: 64, limit: 640)')
      .replace('mnist(split: "test")', 'mnist(split: "test", limit: 200)')
      .replace('warmup: 10 epochs', 'warmup: 1 epochs')
      .replace('epochs: 100', 'epochs: 2');
    const ir = compileFixture(text);
    expect(ir.optimizer.kind).toBe('lars');
    expect(ir.schedule).toMatchObject({ kind: 'warmup_cosine', warmupSteps: 10, totalSteps: 20 });
    const before = tf.memory().numTensors;
    const steps: StepEvent[] = [];
    const counts: number[] = [];
    const end = await train(ir, {
      backend: 'wasm', maxSteps: 5, runDir: null, recipeText: text,
      onEvent: (e) => {
        if (e.type === 'step') {
          steps.push(e);
          counts.push(tf.memory().numTensors);
        }
      },
    });
    expect(end.status).toBe('completed');
    expect(steps.every((s) => Number.isFinite(s.loss))).toBe(true);
    expect(new Set(counts.slice(1)).size).toBe(1);
    expect(Object.keys(end.probes)).toEqual(['linear', 'knn', 'knn@1%']);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('is deterministic for a seed: same losses step for step', async () => {
    const ir = compileFixture();
    const losses = async () => {
      const out: number[] = [];
      await train(ir, { backend: 'wasm', maxSteps: 3, runDir: null, recipeText: fixtureText, onEvent: (e) => e.type === 'step' && out.push(e.loss) });
      return out;
    };
    const a = await losses();
    expect(await losses()).toEqual(a);
    const other = compileFixture(fixtureText.replace('seed: 7', 'seed: 8'));
    const b: number[] = [];
    await train(other, { backend: 'wasm', maxSteps: 3, runDir: null, recipeText: fixtureText, onEvent: (e) => e.type === 'step' && b.push(e.loss) });
    expect(b).not.toEqual(a);
  });

  it('an interrupted run stops after the current step and keeps what it wrote', async () => {
    const ir = compileFixture();
    const dir = join(scratch, 'interrupted');
    const controller = new AbortController();
    const end = await train(ir, {
      backend: 'wasm',
      runDir: dir,
      recipeText: fixtureText,
      signal: controller.signal,
      onEvent: (e) => {
        if (e.type === 'step' && e.step === 2) controller.abort();
      },
    });
    expect(end).toMatchObject({ status: 'interrupted', steps: 2 });
    const metrics = readFileSync(join(dir, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    expect(metrics.filter((m) => m.type === 'step')).toHaveLength(2);
    expect(metrics.at(-1)).toMatchObject({ type: 'run-end', status: 'interrupted' });
    expect(existsSync(join(dir, 'weights/weights.bin'))).toBe(true);
  });

  it('a diverging run stops with a failed run-end instead of training on NaN', async () => {
    const ir = compileFixture(fixtureText.replace('adam(lr: 1e-3 * batch / 256)', 'sgd(lr: 1e30)'));
    const end = await train(ir, { backend: 'wasm', maxSteps: 8, runDir: null, recipeText: fixtureText, onEvent: () => {} });
    expect(end.status).toBe('failed');
    expect(end.message).toMatch(/loss became (NaN|Infinity|-Infinity) at step \d/);
  });
});
