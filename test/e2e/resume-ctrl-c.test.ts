/**
 * Ctrl-C in a real terminal (a pseudo-terminal from @lydell/node-pty) with the ink TUI drawing:
 * the terminal turns ^C into SIGINT (ink does not put stdin in raw mode: the reporter sets
 * exitOnCtrlC false and reads no input), the run finishes its step, writes a checkpoint, prints
 * how to resume and exits 130; `ssl resume` then continues from that very step. A second Ctrl-C
 * quits at once, still with 130.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pty from '@lydell/node-pty';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../cli/main.js';
import type { RunEvent } from '../../runtime/events.js';
import { captureIo } from '../helpers/io.js';
import { LONGER_RECIPE, REPOSITORY, cliCommand, plainText, readEvents, stepsOf, until } from './resume-helpers.js';

let scratch: string;
let recipe: string;
beforeAll(() => {
  scratch = mkdtempSync(join(tmpdir(), 'ssl-ctrl-c-'));
  recipe = join(scratch, 'resume_mlp.ssl');
  writeFileSync(recipe, LONGER_RECIPE);
});
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/** `ssl <args>` in a terminal 300 columns wide (so no path is wrapped), without CI set (a person's terminal). */
function inTerminal(args: string[]) {
  const [command, argv] = cliCommand(args);
  const env = Object.fromEntries(Object.entries(process.env).filter(([k, v]) => k !== 'CI' && v !== undefined)) as Record<string, string>;
  const term = pty.spawn(command, argv, { name: 'xterm-256color', cols: 300, rows: 50, cwd: REPOSITORY, env: { ...env, FORCE_COLOR: '1' } });
  let output = '';
  term.onData((d) => (output += d));
  const exited = new Promise<number>((resolve) => term.onExit(({ exitCode }) => resolve(exitCode)));
  return { term, exited, output: () => plainText(output) };
}

describe('Ctrl-C with the terminal UI', () => {
  it('finishes the step, writes a checkpoint, says how to resume, exits 130; resume continues from there', { timeout: 300_000 }, async () => {
    const dir = join(scratch, 'interrupted');
    const metrics = join(dir, 'metrics.jsonl');
    const { term, exited, output } = inTerminal(['run', recipe, '--out', dir, '--reporter', 'tui', '--backend', 'wasm']);
    await until(() => stepsOf(readEvents(metrics)).length >= 3, 'three steps');
    term.write('\x03');
    expect(await exited).toBe(130);

    const events = readEvents(metrics);
    const last = stepsOf(events).at(-1)!.step;
    expect(last).toBeLessThan(64);
    expect(events.at(-1)).toMatchObject({ type: 'run-end', status: 'interrupted', steps: last });
    expect(events.at(-2)).toMatchObject({ type: 'checkpoint', step: last, path: join(dir, 'checkpoints', `step-${String(last).padStart(8, '0')}.safetensors`) });
    expect(JSON.parse(readFileSync(join(dir, 'checkpoints/latest.json'), 'utf8'))).toMatchObject({ step: last });
    expect(existsSync(join(dir, 'weights/weights.bin'))).toBe(true);
    expect(output()).toContain(`ssl: interrupted after step ${last}; resume with: ssl resume ${dir}`);

    const io = captureIo();
    expect(await main(['resume', dir, '--reporter', 'json', '--backend', 'wasm', '--max-steps', String(last + 2)], io)).toBe(0);
    const printed = io.out().trim().split('\n').map((l) => JSON.parse(l) as RunEvent);
    expect(printed[0]).toMatchObject({ type: 'resume', fromStep: last });
    expect(stepsOf(printed).map((s) => s.step)).toEqual([last + 1, last + 2]);
  });

  it('a second Ctrl-C quits at once, with 130', { timeout: 300_000 }, async () => {
    const dir = join(scratch, 'twice');
    const { term, exited, output } = inTerminal(['run', recipe, '--out', dir, '--reporter', 'tui', '--backend', 'wasm']);
    await until(() => stepsOf(readEvents(join(dir, 'metrics.jsonl'))).length >= 3, 'three steps');
    term.write('\x03');
    await until(() => output().includes('Ctrl-C again to quit now'), 'the interrupt notice');
    term.write('\x03');
    expect(await exited).toBe(130);
  });
});
