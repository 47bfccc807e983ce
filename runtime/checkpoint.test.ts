/**
 * Checkpoint round trips for every stateful piece of a run: save after a few steps, load into a
 * graph and optimizer built from another seed, and the next steps must be bit-identical (cpu
 * backend) to those of the graph that never stopped: losses, every variable, queue pointer,
 * centre, random streams, optimizer counters.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compile } from '../compiler/index.js';
import type { IR } from '../compiler/ir.js';
import { tf } from './tf.js';
import { TrainingGraph } from './graph.js';
import { createOptimizer } from './optim/index.js';
import type { OptimizerState } from './optim/types.js';
import { trainStep } from './trainer.js';
import { createRng } from './util/rng.js';
import {
  captureCheckpoint,
  CheckpointError,
  firstDifference,
  listCheckpoints,
  PoisonedStateError,
  readCheckpoint,
  readLatestCheckpoint,
  recipeIdentity,
  restoreCheckpoint,
  writeCheckpoint,
  type Checkpoint,
  type TrainerPosition,
} from './checkpoint.js';
import { decodeCheckpoint, encodeCheckpoint } from './checkpoint-file.js';

const HEAD = `data train = mnist(split: "train", batch: 8, limit: 64)\ndata test = mnist(split: "test", limit: 16)\n`;
const TAIL = `train epochs: 1, seed: 3\nprobe knn(k: 1, on: test)\n`;

/** Small recipes that between them hold every kind of state a checkpoint must carry. */
const RECIPES: Record<string, string> = {
  // batch-norm statistics, an EMA teacher, MoCo's queue and pointer, SGD momentum, crop/jitter/blur streams
  moco: `recipe moco\n${HEAD}
view aug = random_resized_crop(28, scale: 0.2..1.0) | random_apply(0.8, color_jitter(brightness: 0.4, contrast: 0.4)) | gaussian_blur(sigma: 0.1..1.0, p: 0.5)
network query = convnet(channels: [4, 8], kernel: 3, stride: 2, norm: batch) -> mlp([16])
teacher key = ema(query, momentum: 0.99)
loss = info_nce(query(aug(train)), stopgrad(key(aug(train))), temperature: 0.2, queue: 12)
optimizer sgd(lr: 0.05, momentum: 0.9, weight_decay: 1e-4)
${TAIL}`,
  // DINO's centre, multi-crop streams, a teacher with a momentum ramp, AdamW with a weight-decay ramp
  dino: `recipe dino\n${HEAD}
view global_crop = random_resized_crop(28, scale: 0.4..1.0) | gaussian_noise(std: 0.1)
view local_crop = random_resized_crop(12, scale: 0.05..0.4) | random_flip()
network student = convnet(channels: [4, 8], kernel: 3, stride: 2, norm: batch) -> mlp([16, 32])
teacher teacher = ema(student, momentum: 0.9 -> 1.0 cosine)
let globals = repeat(2, global_crop(train))
let locals = repeat(2, local_crop(train))
loss = dino(student(globals + locals), teacher(globals), student_temperature: 0.1, teacher_temperature: 0.04 -> 0.07 linear, center_momentum: 0.9)
optimizer adamw(lr: 1e-3, weight_decay: 0.04 -> 0.4 cosine)
${TAIL}`,
  // the mask sampler's stream, a transformer with layer targets, Adam's per-parameter t
  data2vec: `recipe data2vec\n${HEAD}
view aug = random_resized_crop(28, scale: 0.2..1.0)
network student = transformer(patch: 7, dim: 16, depth: 1, heads: 2, mlp_ratio: 2, pool: none)
network head = mlp([16])
teacher target = ema(student, momentum: 0.99)
let x = aug(train)
let m = mask_patches(x, patch: 7, ratio: 0.5)
loss = smooth_l1(head(student(x, mask: m)), stopgrad(target(x, layers: 1)), mask: m, beta: 1)
optimizer adam(lr: 1e-3, weight_decay: 1e-4)
${TAIL}`,
  // LARS momentum, batch norm in a predictor, two views
  byol: `recipe byol\n${HEAD}
view v1 = random_resized_crop(28, scale: 0.2..1.0) | random_apply(0.8, color_jitter(brightness: 0.4, contrast: 0.4))
view v2 = random_resized_crop(28, scale: 0.2..1.0)
network online = mlp([32, 16], norm: batch)
network predictor = mlp([32, 16], norm: batch)
teacher target = ema(online, momentum: 0.99)
let x1 = v1(train)
let x2 = v2(train)
loss = cosine_regress(predictor(online(x1)), stopgrad(target(x2))) + cosine_regress(predictor(online(x2)), stopgrad(target(x1)))
optimizer lars(lr: 0.2, weight_decay: 1.5e-6)
${TAIL}`,
};

function compileRecipe(text: string): IR {
  const { ir, diagnostics } = compile(text, 'test.ssl');
  expect(diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
  return ir!;
}

/** A deterministic batch [B, 28, 28, 1] in [0, 1) for step k (no dataset needed). */
function batchFor(k: number, b = 8): tf.Tensor4D {
  const rng = createRng(1000 + k);
  return tf.tensor4d(Float32Array.from({ length: b * 28 * 28 }, () => rng.next()), [b, 28, 28, 1]);
}

interface Run {
  graph: TrainingGraph;
  optimizer: OptimizerState;
}

function build(ir: IR, seed: number): Run {
  const graph = new TrainingGraph(ir, createRng(seed).fork());
  return { graph, optimizer: createOptimizer(ir.optimizer, graph.optimizerParams()) };
}

async function step(run: Run, ir: IR, k: number): Promise<number> {
  const lr = ir.optimizer.lr * (1 + 0.1 * k); // changes every step, as under a schedule
  return (await trainStep(run.graph, run.optimizer, run.graph.trainableVariables, ir.train.data, batchFor(k), lr, k)).loss;
}

/** Every value a run's next step depends on, as plain arrays (for exact comparison). */
async function snapshot(run: Run): Promise<Record<string, unknown>> {
  const g = run.graph.saveState();
  const o = run.optimizer.saveState();
  const out: Record<string, unknown> = { rng: g.rng, counters: o.counters };
  for (const [name, t] of Object.entries({ ...g.variables, ...g.losses })) out[`v:${name}`] = Array.from(await t.data());
  for (const [name, t] of Object.entries(o.slots)) out[`s:${name}`] = Array.from(await t.data());
  return out;
}

const position = (step: number): TrainerPosition => ({ step, epoch: 1, epochStep: step, orderRng: createRng(5).state(), lastLoss: 1.5 });
const extra = { metricsLines: 7, backend: 'cpu', resumeSet: [] };

/** A checkpoint through the real file format, in memory. */
async function checkpointOf(run: Run, ir: IR, step: number): Promise<Checkpoint> {
  const { state, tensors } = await captureCheckpoint(run.graph, run.optimizer, position(step), extra);
  const chunks = encodeCheckpoint({ state: JSON.stringify(state), ir: JSON.stringify(ir), tensors });
  const decoded = decodeCheckpoint(Buffer.concat(chunks), 'memory.safetensors');
  return { file: 'memory.safetensors', state: JSON.parse(decoded.state), ir: JSON.parse(decoded.ir), tensors: decoded.tensors };
}

function dispose(run: Run): void {
  run.graph.dispose();
  run.optimizer.dispose();
}

let scratch: string;
beforeAll(async () => {
  await tf.setBackend('cpu');
  scratch = mkdtempSync(join(tmpdir(), 'ssl-checkpoint-'));
});
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

describe('checkpoint round trip: save -> fresh graph from another seed -> load -> identical next steps (cpu)', () => {
  // TF.js variable names are global, so the run that never stops goes first and is recorded.
  for (const [name, text] of Object.entries(RECIPES)) {
    it(name, async () => {
      const ir = compileRecipe(text);
      const baseline = tf.memory().numTensors;
      const original = build(ir, ir.train.seed);
      for (let k = 0; k < 3; k++) await step(original, ir, k);
      const held = tf.memory().numTensors - baseline; // variables, slots, loss state
      const saved = await checkpointOf(original, ir, 3);
      expect(tf.memory().numTensors - baseline).toBe(held); // capturing reads, it allocates nothing
      const atSave = await snapshot(original);
      const losses: number[] = [];
      for (let k = 3; k < 6; k++) losses.push(await step(original, ir, k));
      const atEnd = await snapshot(original);
      dispose(original);
      expect(tf.memory().numTensors).toBe(baseline);

      const resumed = build(ir, 999); // different initial weights, streams and queue draws
      expect(await snapshot(resumed)).not.toEqual(atSave);
      restoreCheckpoint(saved, resumed.graph, resumed.optimizer);
      expect(await snapshot(resumed)).toEqual(atSave);
      expect(tf.memory().numTensors - baseline).toBe(held); // nothing made for the restore is left over
      for (let k = 3; k < 6; k++) expect(await step(resumed, ir, k)).toBe(losses[k - 3]);
      expect(await snapshot(resumed)).toEqual(atEnd);
      dispose(resumed);
      expect(tf.memory().numTensors).toBe(baseline);
    });
  }

  it('MoCo: the queue pointer (host mirror and variable) comes back and keeps wrapping as before', async () => {
    const ir = compileRecipe(RECIPES.moco!);
    const original = build(ir, 3);
    for (let k = 0; k < 2; k++) await step(original, ir, k); // 2 batches of 8 into a queue of 12: pointer 4
    const saved = await checkpointOf(original, ir, 2);
    const next = await step(original, ir, 2);
    dispose(original);
    expect(Array.from(saved.tensors.get('loss/info_nce/queue_pointer')?.values ?? [])).toEqual([4]);
    const resumed = build(ir, 4);
    restoreCheckpoint(saved, resumed.graph, resumed.optimizer);
    expect(resumed.graph.saveState().losses['info_nce/queue_pointer']!.dataSync()[0]).toBe(4);
    expect(await step(resumed, ir, 2)).toBe(next);
    expect(resumed.graph.saveState().losses['info_nce/queue_pointer']!.dataSync()[0]).toBe(0); // 4 + 8 wraps at 12
    dispose(resumed);
  });
});

describe('checkpoint misfits are errors naming the file', () => {
  it('a checkpoint of another architecture, optimizer or loss state is refused before anything changes', async () => {
    const ir = compileRecipe(RECIPES.byol!);
    const run = build(ir, 3);
    await step(run, ir, 0);
    const saved = await checkpointOf(run, ir, 1);
    dispose(run);

    const wider = compileRecipe(RECIPES.byol!.replace('network predictor = mlp([32, 16]', 'network predictor = mlp([48, 16]'));
    const other = build(wider, 3);
    const before = await snapshot(other);
    expect(() => restoreCheckpoint(saved, other.graph, other.optimizer)).toThrow(
      /^memory\.safetensors: the checkpoint's 'predictor\/0\/dense0\/kernel' has shape \[16,32\] but the recipe builds \[16,48\]/,
    );
    expect(await snapshot(other)).toEqual(before);
    dispose(other);

    const sgd = compileRecipe(RECIPES.byol!.replace('optimizer lars(lr: 0.2, weight_decay: 1.5e-6)', 'optimizer sgd(lr: 0.1, momentum: 0.9)'));
    const withSgd = build(sgd, 3);
    expect(() => restoreCheckpoint(saved, withSgd.graph, withSgd.optimizer)).toThrow(/memory\.safetensors: sgd: cannot continue from the state of a 'lars' optimizer/);
    dispose(withSgd);

    const moco = compileRecipe(RECIPES.moco!);
    const mocoRun = build(moco, 3);
    expect(() => restoreCheckpoint(saved, mocoRun.graph, mocoRun.optimizer)).toThrow(/memory\.safetensors: the checkpoint has no variable 'query\/0\/conv0\/kernel' \(and \d+ more\)/);
    dispose(mocoRun);
  });

  it('a state holding NaN is never captured (PoisonedStateError names the variable)', async () => {
    const ir = compileRecipe(RECIPES.byol!);
    const run = build(ir, 3);
    const w = run.graph.trainableVariables[0]!;
    tf.tidy(() => w.assign(tf.fill(w.shape, Number.NaN)));
    await expect(captureCheckpoint(run.graph, run.optimizer, position(1), extra)).rejects.toThrow(PoisonedStateError);
    await expect(captureCheckpoint(run.graph, run.optimizer, position(1), extra)).rejects.toThrow(`'${w.name}' holds NaN (element 0)`);
    dispose(run);
  });

  it('recipeIdentity ignores origins and what a resume may --set (optimizer values, schedule), nothing else', () => {
    const ir = compileRecipe(RECIPES.byol!);
    const moved = compileRecipe('# a comment moves every origin\n' + RECIPES.byol!.replace('lars(lr: 0.2', 'lars(lr: 0.02'));
    expect(firstDifference(recipeIdentity(ir), recipeIdentity(moved))).toBeNull();
    const longer = compileRecipe(RECIPES.byol!.replace('epochs: 1', 'epochs: 2'));
    expect(firstDifference(recipeIdentity(ir), recipeIdentity(longer))).toBe('train.epochs: 1 vs 2');
    const sgd = compileRecipe(RECIPES.byol!.replace('lars(lr: 0.2, weight_decay: 1.5e-6)', 'sgd(lr: 0.2)'));
    expect(firstDifference(recipeIdentity(ir), recipeIdentity(sgd))).toBe('optimizer.kind: "lars" vs "sgd"');
  });
});

describe('checkpoints on disk: atomic writes, latest pointer, retention', () => {
  it('writes step-N files and latest.json, keeps the newest `keep`, and reads the latest back', async () => {
    const ir = compileRecipe(RECIPES.byol!);
    const run = build(ir, 3);
    const dir = join(scratch, 'retention');
    for (let k = 0; k < 4; k++) {
      await step(run, ir, k);
      writeCheckpoint(dir, await captureCheckpoint(run.graph, run.optimizer, position(k + 1), extra), ir, 2);
    }
    expect(listCheckpoints(join(dir, 'checkpoints'))).toEqual(['step-00000003.safetensors', 'step-00000004.safetensors']);
    expect(JSON.parse(readFileSync(join(dir, 'checkpoints/latest.json'), 'utf8'))).toMatchObject({ file: 'step-00000004.safetensors', step: 4 });
    const latest = readLatestCheckpoint(dir);
    expect(latest.state.step).toBe(4);
    expect(latest.ir).toEqual(JSON.parse(JSON.stringify(ir)));
    dispose(run);
  });

  it('a crash between write and rename leaves the last good checkpoint latest and intact; the next write sweeps the temp file', async () => {
    const ir = compileRecipe(RECIPES.byol!);
    const run = build(ir, 3);
    const dir = join(scratch, 'crash');
    await step(run, ir, 0);
    writeCheckpoint(dir, await captureCheckpoint(run.graph, run.optimizer, position(1), extra), ir, 2);
    const good = readFileSync(join(dir, 'checkpoints/step-00000001.safetensors'));
    await step(run, ir, 1);
    const crash = () => {
      throw new Error('simulated crash');
    };
    const captured = await captureCheckpoint(run.graph, run.optimizer, position(2), extra);
    expect(() => writeCheckpoint(dir, captured, ir, 2, { beforeRename: crash })).toThrow('simulated crash');
    const files = readdirSync(join(dir, 'checkpoints'));
    expect(files.filter((f) => f.endsWith('.tmp'))).toHaveLength(1); // the complete but unpublished temp file
    expect(existsSync(join(dir, 'checkpoints/step-00000002.safetensors'))).toBe(false);
    expect(readLatestCheckpoint(dir).state.step).toBe(1);
    expect(readFileSync(join(dir, 'checkpoints/step-00000001.safetensors')).equals(good)).toBe(true);

    writeCheckpoint(dir, captured, ir, 2);
    expect(readdirSync(join(dir, 'checkpoints')).filter((f) => f.endsWith('.tmp'))).toEqual([]);
    expect(readLatestCheckpoint(dir).state.step).toBe(2);
    dispose(run);
  });

  it('corrupt or foreign files are CheckpointErrors naming the file and the problem', async () => {
    const ir = compileRecipe(RECIPES.byol!);
    const run = build(ir, 3);
    const dir = join(scratch, 'corrupt');
    await step(run, ir, 0);
    const file = writeCheckpoint(dir, await captureCheckpoint(run.graph, run.optimizer, position(1), extra), ir, 2);
    const bytes = readFileSync(file);
    const damaged = (name: string, mutate: (b: Buffer) => Buffer) => {
      const path = join(dir, name);
      writeFileSync(path, mutate(Buffer.from(bytes)));
      return path;
    };
    const expectError = (path: string, pattern: RegExp) => {
      let error: unknown;
      try {
        readCheckpoint(path);
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(CheckpointError);
      expect((error as CheckpointError).file).toBe(path);
      expect((error as Error).message).toMatch(pattern);
    };
    expectError(damaged('cut.safetensors', (b) => b.subarray(0, b.length - 10)), /is cut off|checksum/);
    expectError(damaged('cut-header.safetensors', (b) => b.subarray(0, 40)), /header claims \d+ bytes but the file has 40/);
    expectError(damaged('tiny.safetensors', (b) => b.subarray(0, 3)), /too short to be a checkpoint/);
    expectError(
      damaged('flipped.safetensors', (b) => {
        b[b.length - 5]! ^= 0x01; // one bit of the last tensor
        return b;
      }),
      /checksum does not match/,
    );
    expectError(
      damaged('state.safetensors', (b) => Buffer.from(b.toString('latin1').replace('\\"step\\":1,', '\\"step\\":7,'), 'latin1')),
      /checksum does not match/,
    );
    expectError(damaged('text.safetensors', () => Buffer.from('{"not": "a checkpoint"}')), /header claims|not valid JSON/);
    expectError(join(dir, 'missing.safetensors'), /no such file/);
    expect(() => readLatestCheckpoint(join(scratch, 'no-run'))).toThrow(/no-run\/checkpoints: holds no checkpoint/);
    dispose(run);
  });

  it('the file is safetensors: 8-byte length, JSON header padded to 8, dtypes and contiguous offsets', async () => {
    const ir = compileRecipe(RECIPES.moco!);
    const run = build(ir, 3);
    await step(run, ir, 0);
    const file = writeCheckpoint(join(scratch, 'layout'), await captureCheckpoint(run.graph, run.optimizer, position(1), extra), ir, 2);
    const bytes = readFileSync(file);
    const n = Number(bytes.readBigUInt64LE(0));
    expect(n % 8).toBe(0);
    const header = JSON.parse(bytes.subarray(8, 8 + n).toString('utf8'));
    const entries = Object.entries(header).filter(([k]) => k !== '__metadata__') as [string, { dtype: string; shape: number[]; data_offsets: [number, number] }][];
    let at = 0;
    for (const [, e] of entries) {
      expect(e.data_offsets[0]).toBe(at);
      at = e.data_offsets[1];
    }
    expect(8 + n + at).toBe(bytes.length);
    expect(header['loss/info_nce/queue_pointer']).toMatchObject({ dtype: 'I32', shape: [] });
    expect(header['loss/info_nce/queue']).toMatchObject({ dtype: 'F32', shape: [12, 16] });
    expect(Object.keys(header).some((k) => k.startsWith('optimizer/query/'))).toBe(true);
    expect(header.__metadata__.format).toBe('ssl-checkpoint/1');
    dispose(run);
  });
});
