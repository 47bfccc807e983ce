/**
 * The 'wasm' backend: XNNPACK, SIMD, multi-threaded where Node allows it (wasm-threads.ts), with
 * our kernels (wasm-conv-grads.ts, wasm-matmul.ts), which are registered for 'wasm' only.
 *
 * Environment: SSL_WASM_THREADS = number of threads (default: all cores); 1 disables the
 * threaded binary.
 */
import { availableParallelism, cpus } from 'node:os';
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import * as wasmBackend from '@tensorflow/tfjs-backend-wasm';
import { tf } from '../tf.js';
import { installConvGrads } from './wasm-conv-grads.js';
import { installMatMul } from './wasm-matmul.js';
import { nodeSupportsWasmThreads, withNodeWasmThreadShims } from './wasm-threads.js';

const require = createRequire(import.meta.url);

/** The folder holding the tfjs-backend-wasm .wasm binaries, with a trailing slash. */
export function wasmDistDir(): string {
  // The package's main is dist/tf-backend-wasm.node.js, next to the .wasm files.
  return dirname(require.resolve('@tensorflow/tfjs-backend-wasm')) + '/';
}

export function cores(): number {
  try {
    return availableParallelism();
  } catch {
    return cpus().length || 1;
  }
}

/** Our wasm kernels; registering them is independent of the backend being initialised. */
export function installWasmKernels(): string[] {
  return [...installConvGrads(), ...installMatMul()];
}

const THREADED_INIT_TIMEOUT_MS = 60_000;

function withTimeout<T>(p: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const t = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(message)), ms);
    timer.unref();
  });
  return Promise.race([p, t]).finally(() => clearTimeout(timer));
}

export interface WasmStarted {
  threads: number;
  simd: boolean;
  kernels: string[];
  notes: string[];
}

/** Initialises and switches to the wasm backend. */
export async function startWasm(): Promise<WasmStarted> {
  const kernels = installWasmKernels();
  const notes: string[] = [];
  const env = tf.env();
  const simd = Boolean(await env.getAsync('WASM_HAS_SIMD_SUPPORT'));
  const requested = Number(process.env.SSL_WASM_THREADS ?? '') || cores();
  let wantThreads = simd && requested > 1;
  if (wantThreads && !nodeSupportsWasmThreads()) {
    wantThreads = false;
    notes.push('wasm threads: this Node has no SharedArrayBuffer / wasm atomics; single-threaded');
  }

  // setWasmPaths throws once a wasm init was attempted; the path never changes, so that's fine.
  try {
    wasmBackend.setWasmPaths(wasmDistDir());
  } catch {
    /* already initialised with the same path */
  }
  if (wantThreads) wasmBackend.setThreadsCount(requested);
  env.set('WASM_HAS_MULTITHREAD_SUPPORT', wantThreads);

  let ok = false;
  if (wantThreads) {
    try {
      ok = await withTimeout(
        withNodeWasmThreadShims(requested, () => tf.setBackend('wasm')),
        THREADED_INIT_TIMEOUT_MS,
        `the threaded wasm module did not start within ${THREADED_INIT_TIMEOUT_MS / 1000} s`,
      );
      if (!ok) notes.push('wasm threads: the threaded binary did not initialise; using single-threaded SIMD');
    } catch (e) {
      notes.push(`wasm threads: ${(e as Error).message}; using single-threaded SIMD`);
      ok = false;
    }
    if (!ok) {
      // A failed init leaves the 'wasm' factory registered and no instance: setBackend below
      // runs the factory again, now choosing the single-threaded SIMD binary. (After a timeout
      // the first init may still be pending; tfjs ignores its late result.)
      env.set('WASM_HAS_MULTITHREAD_SUPPORT', false);
      wasmBackend.setThreadsCount(1);
    }
  }
  if (!ok) ok = await tf.setBackend('wasm');
  if (!ok) throw new Error('the wasm backend failed to initialise (see the warning above)');
  await tf.ready();
  let threads = 1;
  try {
    threads = wasmBackend.getThreadsCount();
  } catch {
    /* not initialised: cannot happen after setBackend succeeded */
  }
  return { threads, simd, kernels, notes };
}

export const wasmVersion = wasmBackend.version_wasm;
