/**
 * Shared by the resume tests: a small recipe that trains in seconds, the real CLI in a separate
 * process (for kill -9 and Ctrl-C in a terminal), and readers of a run folder's metrics.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { RunEvent, StepEvent } from '../../runtime/events.js';

/**
 * An MLP SimCLR on 256 digits (8 steps an epoch, 3 epochs): batch norm statistics, Adam's moments
 * and counters, a warmup schedule, crop / jitter / noise streams and an online linear probe (its
 * classifier, Adam moments and feature statistics) all carry across a checkpoint.
 */
export const RESUME_RECIPE = `recipe resume_mlp
data train = mnist(split: "train", batch: 32, limit: 256)
data test  = mnist(split: "test", limit: 200)
view aug = random_resized_crop(28, scale: 0.3..1.0) | random_apply(0.5, color_jitter(brightness: 0.4, contrast: 0.4)) | gaussian_noise(std: 0.1)
network encoder   = mlp([64, 32], norm: batch)
network projector = mlp([16])
let x1 = aug(train)
let x2 = aug(train)
loss = nt_xent(projector(encoder(x1)), projector(encoder(x2)), temperature: 0.5)
optimizer adam(lr: 1e-3)
schedule  warmup_cosine(warmup: 3 steps)
train     epochs: 3, seed: 11, checkpoint_every: 5 steps
probe linear(on: test, epochs: 5, online: true, every: 4 steps)
probe knn(k: 5, on: test)
`;

const ROOT = resolve(import.meta.dirname, '../..');

/** [command, args] that run `ssl <args>` from the sources in a new process (test/e2e/resume-cli.ts). */
export function cliCommand(args: string[]): [string, string[]] {
  return [process.execPath, ['--import', 'tsx', resolve(ROOT, 'test/e2e/resume-cli.ts'), ...args]];
}

export interface Finished {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Spawns `ssl <args>` (cwd: the repository) and collects its output. */
export function spawnCli(args: string[], env: NodeJS.ProcessEnv = {}): { child: ChildProcess; done: Promise<Finished> } {
  const [command, argv] = cliCommand(args);
  const child = spawn(command, argv, { cwd: ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d) => (stdout += String(d)));
  child.stderr!.on('data', (d) => (stderr += String(d)));
  const done = new Promise<Finished>((resolveDone) => child.on('close', (code, signal) => resolveDone({ code, signal, stdout, stderr })));
  return { child, done };
}

/** The complete, parseable lines of a metrics.jsonl (a half-written last line is left out). */
export function readEvents(file: string): RunEvent[] {
  if (!existsSync(file)) return [];
  const text = readFileSync(file, 'utf8');
  const lines = text.split('\n').slice(0, -1); // the last element is '' or a line still being written
  return lines.map((line) => JSON.parse(line) as RunEvent);
}

export const stepsOf = (events: RunEvent[]) => events.filter((e): e is StepEvent => e.type === 'step');

/** Polls `predicate` every 20 ms until it holds (the test's own timeout bounds the wait). */
export async function until(predicate: () => boolean, what: string, limitMs = 120_000): Promise<void> {
  const start = Date.now();
  while (!predicate()) {
    if (Date.now() - start > limitMs) throw new Error(`gave up waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/**
 * RESUME_RECIPE with 1024 digits (32 steps an epoch, 64 in all) and a checkpoint every 10 steps:
 * long enough that a test can stop a separate process mid-epoch after a checkpoint. The kNN probe
 * only (the linear one costs seconds on 1024 features and the in-process tests cover it).
 */
export const LONGER_RECIPE = RESUME_RECIPE.replace('limit: 256', 'limit: 1024')
  .replace('epochs: 3,', 'epochs: 2,')
  .replace('checkpoint_every: 5 steps', 'checkpoint_every: 10 steps')
  .replace('probe linear(on: test, epochs: 5)\n', '');

export const REPOSITORY = ROOT;

/** Strips ANSI escape sequences (a terminal's output as text). */
export function plainText(s: string): string {
  // eslint-disable-next-line no-control-regex
  return s.replace(/\u001b\[[0-9;?]*[ -/]*[@-~]|\u001b[()][A-Za-z0-9]|\u001b[=>]/g, '');
}
