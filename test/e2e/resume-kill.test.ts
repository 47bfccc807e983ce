/**
 * kill -9 in the middle of an epoch, then `ssl resume`, with the real CLI in separate processes:
 * at most the work since the last checkpoint is lost, metrics.jsonl ends up as valid JSON lines
 * with every step once and in order, and the losses, probes and weights are those of a run of the
 * same recipe and seed that was never stopped (wasm backend, bit for bit).
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CheckpointEvent, RunEndEvent, RunEvent } from '../../runtime/events.js';
import { LONGER_RECIPE, readEvents, spawnCli, stepsOf, until } from './resume-helpers.js';

let scratch: string;
let recipe: string;
beforeAll(() => {
  scratch = mkdtempSync(join(tmpdir(), 'ssl-kill-'));
  recipe = join(scratch, 'resume_mlp.ssl');
  writeFileSync(recipe, LONGER_RECIPE);
});
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

const TOTAL = 64;
const EVERY = 10;

describe('kill -9 mid-epoch, then ssl resume', () => {
  it('loses at most the steps since the last checkpoint and finishes as a run that never stopped', { timeout: 300_000 }, async () => {
    const reference = join(scratch, 'reference');
    const ref = await spawnCli(['run', recipe, '--out', reference, '--reporter', 'json', '--backend', 'wasm']).done;
    expect(ref.stderr).toBe('');
    expect(ref.code).toBe(0);

    const dir = join(scratch, 'killed');
    const metrics = join(dir, 'metrics.jsonl');
    const { child, done } = spawnCli(['run', recipe, '--out', dir, '--reporter', 'json', '--backend', 'wasm']);
    // Wait for a checkpoint and three more steps, and not at an epoch's end, then kill at once.
    await until(() => {
      const events = readEvents(metrics);
      const checkpoint = events.filter((e): e is CheckpointEvent => e.type === 'checkpoint').at(-1);
      const last = stepsOf(events).at(-1)?.step ?? 0;
      return checkpoint !== undefined && last >= checkpoint.step + 3 && last % 32 !== 0;
    }, 'a checkpoint and three steps after it');
    child.kill('SIGKILL');
    const killed = await done;
    expect(killed.signal).toBe('SIGKILL');

    const before = readEvents(metrics);
    expect(before.some((e) => e.type === 'run-end')).toBe(false);
    const loggedSteps = stepsOf(before).at(-1)!.step;
    const latest = JSON.parse(readFileSync(join(dir, 'checkpoints/latest.json'), 'utf8')) as { step: number };
    // At most the work since the last checkpoint is lost.
    expect(latest.step).toBeGreaterThan(0);
    expect(loggedSteps - latest.step).toBeGreaterThanOrEqual(0);
    expect(loggedSteps - latest.step).toBeLessThan(EVERY);

    const resumed = await spawnCli(['resume', dir, '--reporter', 'json', '--backend', 'wasm']).done;
    expect(resumed.stderr).toBe('');
    expect(resumed.code).toBe(0);
    const printed = resumed.stdout.trim().split('\n').map((l) => JSON.parse(l) as RunEvent);
    expect(printed[0]).toMatchObject({ type: 'resume', fromStep: latest.step, totalSteps: TOTAL });
    expect((printed[0] as { droppedLines: number }).droppedLines).toBeGreaterThanOrEqual(loggedSteps - latest.step);

    // metrics.jsonl: valid JSON lines, each step once, 1..N in order, one end.
    const text = readFileSync(metrics, 'utf8');
    expect(text.endsWith('\n')).toBe(true);
    const events = text.trimEnd().split('\n').map((l) => JSON.parse(l) as RunEvent);
    expect(stepsOf(events).map((s) => s.step)).toEqual(Array.from({ length: TOTAL }, (_, i) => i + 1));
    expect(events.filter((e) => e.type === 'run-end')).toHaveLength(1);

    // The same numbers as the run that never stopped.
    const referenceEvents = readEvents(join(reference, 'metrics.jsonl'));
    expect(stepsOf(events).map((s) => [s.step, s.loss, s.lr])).toEqual(stepsOf(referenceEvents).map((s) => [s.step, s.loss, s.lr]));
    const end = events.at(-1) as RunEndEvent;
    const refEnd = referenceEvents.at(-1) as RunEndEvent;
    expect(end).toMatchObject({ status: 'completed', steps: TOTAL, probes: refEnd.probes, finalLoss: refEnd.finalLoss });
    expect(readFileSync(join(dir, 'weights/weights.bin')).equals(readFileSync(join(reference, 'weights/weights.bin')))).toBe(true);
    const probes = (d: string) => JSON.parse(readFileSync(join(d, 'probes.json'), 'utf8')).results.map(({ ms: _ms, ...r }: { ms: number }) => r);
    expect(probes(dir)).toEqual(probes(reference));
  });
});
