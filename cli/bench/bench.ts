/**
 * `npm run bench`: ms per training step of the quickstart (conv encoder) and its MLP twin, on
 * every CPU configuration side by side in one run, each in a fresh process, with ratios to the
 * default (wasm, patched kernels, all threads). When Debian's python3-torch is installed the
 * PyTorch peer runs too, so the gap to what a researcher would otherwise use is measured, not quoted.
 *
 *   npm run bench [-- --steps N] [-- --all]    (--all adds the conv encoder on the pure-JS cpu backend: minutes per step)
 *
 * With `--backend NAME` (auto, wasm, cpu, webgpu, tensorflow) it measures that one backend only:
 * the quickstart (conv encoder) and its MLP twin, ms/step and images/s, and what the backend ran
 * on. On a GPU machine: `npm run bench -- --backend webgpu [--steps 20] [--warmup 5]` (the first
 * steps compile shaders: keep a few warm-up steps).
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { cpus } from 'node:os';
import { fileURLToPath } from 'node:url';
import { isBackendChoice } from '../../runtime/backend/names.js';
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
const option = (name: string) => (args.includes(name) ? args[args.indexOf(name) + 1] : undefined);
const steps = Number(option('--steps')) || 10;
const all = args.includes('--all');
const fmt = (ms: number) => (ms >= 100 ? ms.toFixed(0) : ms.toFixed(1));

const backend = option('--backend');
if (backend !== undefined) {
  if (!isBackendChoice(backend)) {
    console.error(`bench: unknown backend '${backend}' (expected auto, wasm, cpu, webgpu or tensorflow)`);
    process.exit(2);
  }
  const warmup = option('--warmup');
  const extra = warmup === undefined ? [] : ['--warmup', warmup];
  console.log(`ssl bench --backend ${backend}: one SimCLR training step of each recipe, median of ${steps} steps after ${warmup ?? 3} warm-up`);
  console.log(`machine: ${cpus().length} x ${cpus()[0]?.model ?? 'cpu'}, node ${process.version}\n`);
  let failed = false;
  for (const encoder of ['conv', 'mlp'] as const) {
    const r = ssl(encoder, backend, extra)();
    if ('error' in r && r.error) {
      console.log(`${encoder.padEnd(6)} failed: ${r.error}`);
      failed = true;
      if (r.error.startsWith(`backend '`)) break; // could not start: the next recipe would say the same
      continue;
    }
    const s = r as StepBenchResult;
    if (encoder === 'conv') console.log(`backend: ${s.backend}, ${s.device}\n  why: ${s.reason}\n`);
    const spread = `${fmt(s.msPerStep.median)} (${fmt(s.msPerStep.p25)}-${fmt(s.msPerStep.p75)})`;
    console.log(
      `${encoder.padEnd(6)} ${s.recipe.padEnd(16)} batch ${String(s.batch).padEnd(5)} ms/step ${spread.padEnd(20)} images/s ${s.imagesPerSec.toFixed(0).padStart(6)}   augment ${fmt(s.augmentMs)} ms`,
    );
  }
  process.exit(failed ? 1 : 0);
}

const configs: Config[] = [];
for (const encoder of ['conv', 'mlp'] as const) {
  configs.push({ label: `wasm simd, ${cpus().length} threads, patched (default)`, encoder, run: ssl(encoder, 'wasm') });
  configs.push({ label: 'wasm simd, 1 thread, patched', encoder, run: ssl(encoder, 'wasm', [], { SSL_WASM_THREADS: '1' }) });
  configs.push({ label: `wasm simd, ${cpus().length} threads, stock kernels`, encoder, run: ssl(encoder, 'wasm', ['--stock']) });
  if (encoder === 'mlp' || all) configs.push({ label: 'cpu (pure JS)', encoder, run: ssl(encoder, 'cpu', ['--warmup', '1']) });
  if (hasTorch) configs.push({ label: 'PyTorch CPU, 2 threads (peer)', encoder, run: torch(encoder) });
}

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
