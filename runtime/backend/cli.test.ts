/**
 * `--backend` through the command line: the choices, a backend that cannot start (a failed run
 * that says why, exit 1), and why the backend runs, in the run-start event and in
 * environment.json.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { main } from '../../cli/main.js';
import { captureIo } from '../../test/helpers/io.js';
import type { RunEvent } from '../events.js';

const scratch = mkdtempSync(join(tmpdir(), 'ssl-backend-cli-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

const events = (stdout: string) => stdout.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as RunEvent);

async function run(...args: string[]) {
  const io = captureIo();
  const out = join(scratch, `run-${Math.random().toString(36).slice(2)}`);
  const code = await main(['run', 'test/fixtures/tiny.ssl', '--reporter', 'json', '--out', out, ...args], io);
  return { code, out, stdout: io.out(), stderr: io.err() };
}

describe('ssl run --backend', () => {
  it('lists every backend as a choice', async () => {
    const { code, stderr } = await run('--backend', 'gpu');
    expect(code).toBe(2);
    expect(stderr).toMatch(/argument 'gpu' is invalid\. Allowed choices are auto, wasm, cpu, webgpu, tensorflow/);
  });

  it('fails the run, saying how to install, when the tensorflow backend is absent', async () => {
    const { code, stdout, stderr } = await run('--backend', 'tensorflow', '--max-steps', '1');
    expect(code).toBe(1);
    expect(stderr).toMatch(/^ssl: run failed: backend 'tensorflow' could not start: neither @tensorflow\/tfjs-node nor @tensorflow\/tfjs-node-gpu is installed.*npm install @tensorflow\/tfjs-node@4\.22\.0/m);
    expect(events(stdout).at(-1)).toMatchObject({ type: 'run-end', status: 'failed', steps: 0 });
  });

  it('records why this backend runs: in the run-start event, environment.json and the command line', { timeout: 120_000 }, async () => {
    const { code, out, stdout, stderr } = await run('--backend', 'wasm', '--max-steps', '1');
    expect(code, stderr).toBe(0);
    const start = events(stdout).find((e) => e.type === 'run-start');
    expect(start).toMatchObject({ type: 'run-start', backend: 'wasm' });
    const reason = (start as { backendReason?: string }).backendReason!;
    expect(reason).toMatch(/^--backend wasm \(CPU, \d+ threads?, wasm SIMD\), as asked$/);
    const env = JSON.parse(readFileSync(join(out, 'environment.json'), 'utf8'));
    expect(env).toMatchObject({ backend: 'wasm', backendReason: reason, gpu: false, simd: true, command: 'ssl run test/fixtures/tiny.ssl --backend wasm --max-steps 1' });
    expect(env.device).toMatch(/^CPU, \d+ threads?, wasm SIMD$/);
    // (What auto writes there, "auto chose wasm (...); passed over ...", is index.test.ts's.)
  });
});
