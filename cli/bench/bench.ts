/**
 * `npm run bench`: ms per training step of the quickstart (conv encoder) and its MLP twin, on
 * every CPU configuration side by side in one run, each in a fresh process, with ratios to the
 * default (wasm, patched kernels, all threads). When Debian's python3-torch is installed the
 * PyTorch peer runs too, so the gap to what a researcher would otherwise use is measured, not quoted.
 *
 *   npm run bench [-- --steps N] [-- --all]    (--all adds the conv encoder on the pure-JS cpu backend: minutes per step)
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { cpus } from 'node:os';
import { fileURLToPath } from 'node:url';
import type { StepBenchResult } from './step-bench.js';

const here = (path: string) => fileURLToPath(new URL(path, import.meta.url));
const root = here('../../../');
const recipes = { conv: `${root}examples/quickstart.ssl`, mlp: `${root}examples/quickstart-mlp.ssl` } as const;

interface Config {
  label: string;
  encoder: keyof typeof recipes;
  run: () => StepBenchResult | { error: string };
}

function child(command: string, args: string[], env: NodeJS.ProcessEnv = {}): StepBenchResult | { error: string } {
  const result = spawnSync(command, args, { encoding: 'utf8', env: { ...process.env, ...env }, timeout: 20 * 60_000 });
  const line = result.stdout?.trim().split('\n').pop();
  if (result.status !== 0 || !line) return { error: (result.stderr || result.error?.message || `exit ${result.status}`).trim().split('\n').pop()! };
  return JSON.parse(line);
}

const ssl = (encoder: keyof typeof recipes, backend: string, extra: string[] = [], env: NodeJS.ProcessEnv = {}) => () =>
  child(process.execPath, [here('./step-bench.js'), recipes[encoder], backend, '--steps', String(steps), ...extra], env);

const torchPython = '/usr/bin/python3';
const hasTorch = existsSync(torchPython) && spawnSync(torchPython, ['-c', 'import torch'], { encoding: 'utf8' }).status === 0;
// One BLAS thread: PyTorch runs its own 2 intra-op threads, and OpenBLAS's pool on top of them
// oversubscribes 2 cores (measured: MLP step 40 ms with 1 BLAS thread, 56 ms median and 104 ms p75 with 2).
const torch = (encoder: keyof typeof recipes) => () =>
  child(torchPython, [here('../../../cli/bench/torch_step.py'), encoder, String(steps)], { OPENBLAS_NUM_THREADS: '1' });

const args = process.argv.slice(2);
const steps = Number(args[args.indexOf('--steps') + 1]) || 10;
const all = args.includes('--all');

const configs: Config[] = [];
for (const encoder of ['conv', 'mlp'] as const) {
  configs.push({ label: `wasm simd, ${cpus().length} threads, patched (default)`, encoder, run: ssl(encoder, 'wasm') });
  configs.push({ label: 'wasm simd, 1 thread, patched', encoder, run: ssl(encoder, 'wasm', [], { SSL_WASM_THREADS: '1' }) });
  configs.push({ label: `wasm simd, ${cpus().length} threads, stock kernels`, encoder, run: ssl(encoder, 'wasm', ['--stock']) });
  if (encoder === 'mlp' || all) configs.push({ label: 'cpu (pure JS)', encoder, run: ssl(encoder, 'cpu', ['--warmup', '1']) });
  if (hasTorch) configs.push({ label: 'PyTorch CPU, 2 threads (peer)', encoder, run: torch(encoder) });
}

const fmt = (ms: number) => (ms >= 100 ? ms.toFixed(0) : ms.toFixed(1));
console.log(`ssl bench: one SimCLR training step, batch 256 x 2 views of 28x28x1, median of ${steps} steps after warm-up`);
console.log(`machine: ${cpus().length} x ${cpus()[0]?.model ?? 'cpu'}, node ${process.version}${hasTorch ? '' : '; PyTorch peer skipped (apt-get install python3-torch libopenblas0-pthread to add it)'}\n`);
console.log('encoder  configuration                              ms/step (p25-p75)     augment ms   vs default');
for (const encoder of ['conv', 'mlp'] as const) {
  let reference: number | undefined;
  for (const config of configs.filter((c) => c.encoder === encoder)) {
    const r = config.run();
    const cells =
      'error' in r && r.error && !('msPerStep' in r)
        ? `failed: ${r.error}`
        : (() => {
            const s = r as StepBenchResult;
            if (s.error) return `failed: ${s.error}`;
            reference ??= s.msPerStep.median;
            const spread = `${fmt(s.msPerStep.median)} (${fmt(s.msPerStep.p25)}-${fmt(s.msPerStep.p75)})`;
            const ratio = s.msPerStep.median / reference;
            return `${spread.padEnd(22)}${(s.augmentMs == null ? '-' : fmt(s.augmentMs)).padStart(10)}   ${ratio.toFixed(2)}x`;
          })();
    console.log(`${encoder.padEnd(9)}${config.label.padEnd(43)}${cells}`);
  }
}
