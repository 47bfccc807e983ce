/**
 * End to end, in process: a run stopped at a checkpoint and resumed takes the same steps as a run
 * that never stopped, to the last bit on the cpu and wasm backends: every loss after the
 * checkpoint, the final weights and checkpoint tensors, the probe accuracies. Also the NaN guard,
 * resuming with `--set`, and what `ssl resume` refuses.
 */
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { diskLoader, main } from '../../cli/main.js';
import { planResume } from '../../cli/resume.js';
import { compile } from '../../compiler/index.js';
import type { IR } from '../../compiler/ir.js';
import type { RunEndEvent, RunEvent, StepEvent } from '../../runtime/events.js';
import { readCheckpoint, readLatestCheckpoint, listCheckpoints } from '../../runtime/checkpoint.js';
import { train, type BackendChoice } from '../../runtime/trainer.js';
import { tf } from '../../runtime/tf.js';
import { initBackend } from '../../runtime/backend/index.js';
import { captureIo } from '../helpers/io.js';
import { RESUME_RECIPE, readEvents, stepsOf } from './resume-helpers.js';

let scratch: string;
beforeAll(() => {
  scratch = mkdtempSync(join(tmpdir(), 'ssl-resume-'));
});
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

function compileRecipe(text = RESUME_RECIPE): IR {
  const { ir, diagnostics } = compile(text, join(scratch, 'resume_mlp.ssl'));
  expect(diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
  return ir!;
}

interface Outcome {
  end: RunEndEvent;
  dir: string;
  events: RunEvent[];
}

async function run(name: string, backend: BackendChoice, options: { stopAt?: number; onStep?: (step: number) => void; ir?: IR } = {}): Promise<Outcome> {
  const dir = join(scratch, name);
  const controller = new AbortController();
  const end = await train(options.ir ?? compileRecipe(), {
    backend,
    runDir: dir,
    recipeText: RESUME_RECIPE,
    signal: controller.signal,
    onEvent: (e) => {
      if (e.type !== 'step') return;
      options.onStep?.(e.step);
      if (e.step === options.stopAt) controller.abort();
    },
  });
  return { end, dir, events: readEvents(join(dir, 'metrics.jsonl')) };
}

async function resume(dir: string, backend: BackendChoice, set: string[] = []): Promise<RunEndEvent> {
  const plan = planResume(dir, set, diskLoader, () => {});
  return train(plan.ir, { backend, runDir: dir, recipeText: '', resume: { checkpoint: plan.checkpoint, set }, onEvent: () => {} });
}

/** metrics.jsonl of a finished run: valid JSON lines whose step events are 1..N, once each, in order. */
function expectCleanMetrics(dir: string, totalSteps: number): RunEvent[] {
  const text = readFileSync(join(dir, 'metrics.jsonl'), 'utf8');
  expect(text.endsWith('\n')).toBe(true);
  const events = text.trimEnd().split('\n').map((line) => JSON.parse(line) as RunEvent);
  expect(stepsOf(events).map((s) => s.step)).toEqual(Array.from({ length: totalSteps }, (_, i) => i + 1));
  expect(events.filter((e) => e.type === 'run-end')).toHaveLength(1);
  expect(events.at(-1)).toMatchObject({ type: 'run-end', status: 'completed' });
  return events;
}

const weightsOf = (dir: string) => readFileSync(join(dir, 'weights/weights.bin'));

function finalTensors(dir: string): Record<string, number[]> {
  const latest = readLatestCheckpoint(dir);
  return Object.fromEntries([...latest.tensors].map(([name, t]) => [name, Array.from(t.values)]));
}

for (const backend of ['cpu', 'wasm'] as const) {
  describe(`stop at a checkpoint, resume, and get the numbers of a run that never stopped (${backend})`, () => {
    let reference: Outcome;
    let resumed: RunEndEvent;
    let stopped: Outcome;
    let tensorsBefore: number;
    let checkpointsWhenStopped: string[];

    beforeAll(async () => {
      await initBackend(backend);
      tensorsBefore = tf.memory().numTensors;
      reference = await run(`${backend}-reference`, backend);
      stopped = await run(`${backend}-stopped`, backend, { stopAt: 7 }); // mid-epoch 1 of 8 steps, after the checkpoint of step 5
      checkpointsWhenStopped = listCheckpoints(join(stopped.dir, 'checkpoints'));
      resumed = await resume(stopped.dir, backend);
    });

    it('the stopped run ended interrupted with a checkpoint of its last step', () => {
      expect(reference.end.status).toBe('completed');
      expect(stopped.end).toMatchObject({ status: 'interrupted', steps: 7 });
      expect(stopped.end.message).toContain(`resume with: ssl resume ${stopped.dir}`);
      expect(checkpointsWhenStopped).toEqual(['step-00000005.safetensors', 'step-00000007.safetensors']);
      // keep_checkpoints (default 2): the resumed run's newest two are left.
      expect(listCheckpoints(join(stopped.dir, 'checkpoints'))).toEqual(['step-00000020.safetensors', 'step-00000024.safetensors']);
    });

    it('every loss after the checkpoint, the probes and the final weights are bit-identical', () => {
      expect(resumed.status).toBe('completed');
      const events = expectCleanMetrics(stopped.dir, 24);
      const health = (s: StepEvent) => [s.step, s.loss, s.lr, s.effectiveRank, s.onlineTop1];
      expect(stepsOf(events).map(health)).toEqual(stepsOf(reference.events).map(health));
      // The online probe's held-out checks after the seam come from the restored classifier.
      const online = (list: RunEvent[]) => list.filter((e) => e.type === 'eval' && e.online).map((e) => e.type === 'eval' && [e.step, e.top1, e.fitSize]);
      expect(online(events)).toEqual(online(reference.events));
      expect(online(events).length).toBeGreaterThanOrEqual(6);
      expect(resumed.probes).toEqual(reference.end.probes);
      expect(resumed.finalLoss).toBe(reference.end.finalLoss);
      expect(weightsOf(stopped.dir).equals(weightsOf(reference.dir))).toBe(true);
      // The final checkpoints hold the same tensors: optimizer moments and counters included.
      expect(finalTensors(stopped.dir)).toEqual(finalTensors(reference.dir));
      expect(readLatestCheckpoint(stopped.dir).state.optimizer).toEqual(readLatestCheckpoint(reference.dir).state.optimizer);
    });

    it('metrics.jsonl says what happened: the interrupted end was cut, a resume event marks the seam', () => {
      const events = readEvents(join(stopped.dir, 'metrics.jsonl'));
      const seam = events.findIndex((e) => e.type === 'resume');
      expect(events[seam]).toMatchObject({ type: 'resume', fromStep: 7, epoch: 1, droppedLines: 1, totalSteps: 24, backend });
      expect(events[seam - 1]).toMatchObject({ type: 'checkpoint', step: 7 });
      expect(events.filter((e) => e.type === 'epoch-start').map((e) => (e as { epoch: number }).epoch)).toEqual([1, 2, 3]);
      expect(events.filter((e) => e.type === 'checkpoint').map((e) => (e as { step: number }).step)).toEqual([5, 7, 10, 15, 20, 24]);
    });

    it('keeps tf.memory().numTensors flat: nothing of three runs, two checkpoints a run and a restore is left', () => {
      expect(tf.memory().numTensors).toBe(tensorsBefore);
    });
  });
}

describe('the NaN guard keeps the last good checkpoint latest, and a resume with a lower lr goes on from it', () => {
  const poison = (name: string) => {
    const v = tf.engine().registeredVariables[name]!;
    tf.tidy(() => v.assign(tf.fill(v.shape, Number.NaN)));
  };

  it('a NaN loss stops the run naming the term and its line; nothing after the last checkpoint is written', async () => {
    // A weight turns NaN after step 6, so the loss of step 7 is NaN (the checkpoint of step 5 is the last good one).
    const failed = await run('nan-loss', 'cpu', { onStep: (s) => s === 6 && poison('encoder/0/dense0/kernel') });
    expect(failed.end.status).toBe('failed');
    expect(failed.end.message).toMatch(/^loss became NaN at step 7 in term 'nt_xent' \(.*resume_mlp\.ssl:9:8\); lower the learning rate or check the recipe; the last good checkpoint \(step 5\) stays latest/);
    expect(listCheckpoints(join(failed.dir, 'checkpoints'))).toEqual(['step-00000005.safetensors']);
    expect(readLatestCheckpoint(failed.dir).state.step).toBe(5);
    expect(existsSync(join(failed.dir, 'weights'))).toBe(false);

    const end = await resume(failed.dir, 'cpu', ['optimizer.lr=5e-4']);
    expect(end).toMatchObject({ status: 'completed', steps: 24 });
    const events = expectCleanMetrics(failed.dir, 24);
    expect(events.find((e) => e.type === 'resume')).toMatchObject({ fromStep: 5, set: ['optimizer.lr=5e-4'] });
    // The schedule now scales the new base lr: step 6 (0-based 5) of warmup_cosine over 24 steps.
    const step6 = stepsOf(events).find((s) => s.step === 6)!;
    expect(step6.lr).toBeCloseTo(5e-4 * 0.5 * (1 + Math.cos((Math.PI * 2) / 21)), 12);
    const record = JSON.parse(readFileSync(join(failed.dir, 'resume-5.json'), 'utf8'));
    expect(record).toMatchObject({ fromStep: 5, set: ['optimizer.lr=5e-4'], optimizer: { kind: 'adam', lr: 5e-4 } });
    // Later checkpoints carry the override, so a second resume keeps it.
    const latest = readLatestCheckpoint(failed.dir);
    expect(latest.state.resumeSet).toEqual(['optimizer.lr=5e-4']);
    expect(latest.ir.optimizer).toMatchObject({ kind: 'adam', lr: 5e-4 });
  });

  it('a state that turned NaN where the loss does not see it (batch-norm statistics) is not checkpointed', async () => {
    const failed = await run('nan-state', 'cpu', { onStep: (s) => s === 9 && poison('encoder/0/bn0/moving_mean') });
    expect(failed.end.status).toBe('failed');
    expect(failed.end.message).toMatch(/^after step 10 the model or optimizer state holds a non-finite value \('encoder\/0\/bn0\/moving_mean' holds NaN \(element 0\)\); it was not checkpointed; the last good checkpoint \(step 5\) stays latest/);
    expect(readLatestCheckpoint(failed.dir).state.step).toBe(5);
    expect(listCheckpoints(join(failed.dir, 'checkpoints'))).toEqual(['step-00000005.safetensors']);
  });
});

describe('ssl resume refuses what it cannot continue, naming the file', () => {
  let dir: string;
  beforeAll(async () => {
    dir = (await run('refusals', 'cpu', { stopAt: 6 })).dir;
  });

  const resumeCli = async (args: string[]) => {
    const io = captureIo();
    const code = await main(['resume', ...args, '--reporter', 'json', '--backend', 'cpu'], io);
    return { code, err: io.err(), out: io.out() };
  };

  it('a folder that is not a run is a usage error', async () => {
    const r = await resumeCli([join(scratch, 'no-such-run')]);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/ssl: cannot resume: .*no-such-run is not a run folder: it has no ir.json/);
  });

  it('a damaged latest checkpoint is an error naming it (and the run folder is left as it was)', async () => {
    const copy = join(scratch, 'damaged');
    cpSync(dir, copy, { recursive: true });
    const file = join(copy, 'checkpoints/step-00000006.safetensors');
    const bytes = readFileSync(file);
    writeFileSync(file, bytes.subarray(0, bytes.length - 100));
    const metricsBefore = readFileSync(join(copy, 'metrics.jsonl'), 'utf8');
    const r = await resumeCli([copy]);
    expect(r.code).toBe(1);
    expect(r.err).toContain(`ssl: cannot resume: ${file}: `);
    expect(r.err).toMatch(/cut off|checksum/);
    expect(readFileSync(join(copy, 'metrics.jsonl'), 'utf8')).toBe(metricsBefore);
  });

  it("a checkpoint of another recipe (the run's ir.json changed) is refused with the first difference", async () => {
    const copy = join(scratch, 'other-recipe');
    cpSync(dir, copy, { recursive: true });
    const ir = JSON.parse(readFileSync(join(copy, 'ir.json'), 'utf8'));
    ir.networks.projector.stages[0].widths = [24];
    ir.networks.projector.stages[0].outputShape = [24];
    ir.networks.projector.outputShape = [24];
    writeFileSync(join(copy, 'ir.json'), JSON.stringify(ir));
    const r = await resumeCli([copy]);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/step-00000006\.safetensors: was written by another recipe than .*ir\.json \(networks\.projector\.stages\.0\.widths\.0: 16 vs 24\)/);
  });

  it('--set may change optimizer and schedule values only', async () => {
    const r = await resumeCli([dir, '--set', 'train.epochs=5']);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/--set at resume may change only optimizer and schedule values .*not 'train.epochs=5'/);
    const kind = await resumeCli([dir, '--set', 'optimizer=sgd(lr: 0.1)']);
    expect(kind.code).toBe(1);
    expect(kind.err).toMatch(/--set changed the optimizer from adam to sgd/);
  });

  it('the CLI resumes to the end with the json reporter: resume event first, run-end completed last', async () => {
    const copy = join(scratch, 'cli-resume');
    cpSync(dir, copy, { recursive: true });
    const r = await resumeCli([copy, '--max-steps', '12']);
    expect(r.code).toBe(0);
    const printed = r.out.trim().split('\n').map((l) => JSON.parse(l) as RunEvent);
    expect(printed[0]).toMatchObject({ type: 'resume', fromStep: 6, totalSteps: 12 });
    expect(stepsOf(printed).map((s) => s.step)).toEqual([7, 8, 9, 10, 11, 12]);
    expect(printed.at(-1)).toMatchObject({ type: 'run-end', status: 'completed', steps: 12 });
    // What the reporter printed is what metrics.jsonl holds after the checkpoint.
    expect(readEvents(join(copy, 'metrics.jsonl')).slice(-printed.length)).toEqual(printed);
    expect(readCheckpoint(join(copy, 'checkpoints/step-00000012.safetensors')).state).toMatchObject({ step: 12, epoch: 2, epochStep: 4 });

    // Resuming a finished run takes no step and redoes the probes, with the same results.
    const again = await resumeCli([copy, '--max-steps', '12']);
    expect(again.code).toBe(0);
    const second = again.out.trim().split('\n').map((l) => JSON.parse(l) as RunEvent);
    expect(second.map((e) => e.type)).toEqual(['resume', 'checkpoint', 'eval', 'eval', 'run-end']);
    expect((second.at(-1) as RunEndEvent).probes).toEqual((printed.at(-1) as RunEndEvent).probes);
    expect(stepsOf(readEvents(join(copy, 'metrics.jsonl'))).map((s) => s.step)).toEqual(Array.from({ length: 12 }, (_, i) => i + 1));
  });

  it('--max-steps before the checkpoint is refused', async () => {
    const r = await resumeCli([dir, '--max-steps', '3']);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/--max-steps 3 is before the checkpoint's step 6/);
  });
});
