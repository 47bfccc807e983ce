/**
 * Backend selection and set-up.
 *
 * `initBackend('auto')` tries, in order, the entries of PROBES:
 *   1. 'tensorflow'  native libtensorflow through @tensorflow/tfjs-node, only if the user has it
 *                    installed (it is not a dependency: its install script downloads
 *                    libtensorflow, which fails offline). Loaded by dynamic import only.
 *   2. 'wasm'        XNNPACK, SIMD, multi-threaded where Node allows it (wasm-threads.ts), with
 *                    our kernels (wasm-conv-grads.ts, wasm-matmul.ts).
 *   3. 'cpu'         pure JS; always there, slow (about 100x wasm for conv nets).
 * A 'webgpu' probe can be added to PROBES later in the same shape.
 *
 * Asking for a named backend that cannot start throws an Error whose message says why; 'auto'
 * falls through to the next probe. Calling again is cheap and returns the same answer.
 */
import { availableParallelism, cpus } from 'node:os';
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import * as wasmBackend from '@tensorflow/tfjs-backend-wasm';
import { version_cpu } from '@tensorflow/tfjs-backend-cpu';
import { tf } from '../tf.js';
import { installConvGrads } from './wasm-conv-grads.js';
import { installMatMul } from './wasm-matmul.js';
import { nodeSupportsWasmThreads, withNodeWasmThreadShims } from './wasm-threads.js';

export type BackendName = 'wasm' | 'cpu';

export interface BackendInfo {
  /** The tfjs backend name now active ('wasm', 'cpu', 'tensorflow'). */
  name: string;
  /** Threads the backend computes on (1 for cpu). */
  threads: number;
  /** Whether wasm SIMD is in use. */
  simd: boolean;
  /** Kernels we registered or replaced for this backend. */
  kernels: string[];
  /** Package versions, plus node. */
  versions: Record<string, string>;
  /** Why a faster option was not used (e.g. wasm threads fell back), if anything. */
  notes: string[];
}

const require = createRequire(import.meta.url);

/** The folder holding the tfjs-backend-wasm .wasm binaries, with a trailing slash. */
export function wasmDistDir(): string {
  // The package's main is dist/tf-backend-wasm.node.js, next to the .wasm files.
  return dirname(require.resolve('@tensorflow/tfjs-backend-wasm')) + '/';
}

function baseVersions(): Record<string, string> {
  return {
    'tfjs-core': tf.version_core,
    'tfjs-backend-cpu': version_cpu,
    'tfjs-backend-wasm': wasmBackend.version_wasm,
    node: process.versions.node,
  };
}

function cores(): number {
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

// ---------------------------------------------------------------------------------- wasm

const THREADED_INIT_TIMEOUT_MS = 60_000;

function withTimeout<T>(p: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const t = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(message)), ms);
    timer.unref();
  });
  return Promise.race([p, t]).finally(() => clearTimeout(timer));
}

let wasmInit: Promise<BackendInfo> | null = null;

/**
 * Environment variables:
 *   SSL_WASM_THREADS  number of threads (default: all cores); 1 disables the threaded binary.
 */
async function initWasm(): Promise<BackendInfo> {
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
  return { name: 'wasm', threads, simd, kernels, versions: baseVersions(), notes };
}

// ---------------------------------------------------------------------------------- probes

interface Probe {
  name: string;
  /** Whether the probe can be tried at all, cheaply (package installed, etc.). */
  available(): boolean;
  init(): Promise<BackendInfo>;
}

function isInstalled(pkg: string): boolean {
  try {
    require.resolve(pkg);
    return true;
  } catch {
    return false;
  }
}

const PROBES: Probe[] = [
  {
    name: 'tensorflow',
    available: () => isInstalled('@tensorflow/tfjs-node'),
    async init() {
      // Optional peer: the specifier is a variable so that TypeScript does not resolve it.
      const pkg = '@tensorflow/tfjs-node';
      const mod = (await import(pkg)) as { version?: Record<string, string> };
      if (!(await tf.setBackend('tensorflow'))) throw new Error('tfjs-node is installed but its backend failed to start');
      return {
        name: 'tensorflow', threads: cores(), simd: false, kernels: [],
        versions: { ...baseVersions(), 'tfjs-node': mod.version?.['tfjs-node'] ?? 'unknown' }, notes: [],
      };
    },
  },
  {
    name: 'wasm',
    available: () => true,
    init: () => (wasmInit ??= initWasm().catch((e: unknown) => {
      wasmInit = null;
      throw e;
    })),
  },
  {
    name: 'cpu',
    available: () => true,
    async init() {
      if (!(await tf.setBackend('cpu'))) throw new Error('the cpu backend failed to start');
      return { name: 'cpu', threads: 1, simd: false, kernels: [], versions: baseVersions(), notes: [] };
    },
  },
];

const current = new Map<string, BackendInfo>();

/**
 * Makes `choice` the active tfjs backend and returns what it runs on. 'auto' picks the first
 * probe that starts (tensorflow if installed, else wasm, else cpu). Idempotent.
 */
export async function initBackend(choice: 'auto' | BackendName): Promise<BackendInfo> {
  const candidates = choice === 'auto' ? PROBES.filter((p) => p.available()) : PROBES.filter((p) => p.name === choice);
  if (candidates.length === 0) throw new Error(`unknown backend '${choice}' (expected auto, wasm or cpu)`);
  const failures: string[] = [];
  for (const probe of candidates) {
    try {
      const known = current.get(probe.name);
      if (known && tf.getBackend() === probe.name) return known;
      const info = await probe.init();
      // wasm's init is memoised; switching back to it after another backend needs setBackend.
      if (tf.getBackend() !== probe.name && !(await tf.setBackend(probe.name))) {
        throw new Error(`could not switch to '${probe.name}'`);
      }
      current.set(probe.name, info);
      if (failures.length) info.notes = [...info.notes, ...failures];
      return info;
    } catch (e) {
      const msg = `backend '${probe.name}' could not start: ${(e as Error).message ?? String(e)}`;
      if (choice !== 'auto') throw new Error(msg);
      failures.push(msg);
    }
  }
  throw new Error(`no TensorFlow.js backend could start:\n  ${failures.join('\n  ')}`);
}
