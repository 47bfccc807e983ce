/**
 * Backend selection and set-up.
 *
 * `initBackend('auto')` (the default) starts the fastest backend this machine can run, in order:
 *   1. 'tensorflow' on a GPU  @tensorflow/tfjs-node-gpu with a CUDA device (tensorflow.ts), if the
 *                             user installed it (never a dependency: its install downloads
 *                             libtensorflow).
 *   2. 'webgpu'               Dawn on a real GPU adapter (webgpu.ts; optional dependencies). Software
 *                             adapters (llvmpipe) are refused here: they are slower than wasm.
 *   3. 'tensorflow' on CPU    tfjs-node, if installed: libtensorflow's native kernels (Eigen/oneDNN,
 *                             AVX2/FMA, every conv gradient native, all cores) against wasm's
 *                             128-bit SIMD and our JS-composed conv gradients. Not measured here
 *                             (it cannot be installed offline); where per-op overhead dominates
 *                             (tiny MLPs) wasm may win: `--backend wasm` overrides.
 *   4. 'wasm'                 XNNPACK + SIMD + threads, with our kernels (wasm.ts): the CPU default.
 *   5. 'cpu'                  pure JS; always there, about 100x slower than wasm for conv nets.
 * Each probe is cheap when its backend is absent: a package that does not resolve costs a failed
 * `require.resolve`, and on Linux Dawn is not even loaded without a Vulkan loader (vulkan.ts).
 *
 * The result says why: `reason` names the backend chosen and why each faster one was not, e.g.
 * "auto chose wasm (...); passed over tensorflow: not installed; webgpu: no Vulkan loader
 * (libvulkan.so.1)". Asking for a named backend that cannot start throws an Error whose message
 * says what is missing and how to add it. Calling again is cheap and returns the same answer.
 */
import { version_cpu } from '@tensorflow/tfjs-backend-cpu';
import { tf } from '../tf.js';
import { BACKEND_CHOICES, type BackendChoice, type BackendName } from './names.js';
import { nodeModules, type ModuleLoader } from './optional.js';
import { installedTensorflow, startTensorflow } from './tensorflow.js';
import { cores, startWasm, wasmVersion } from './wasm.js';
import { describeAdapter, startWebGPU, type WebGPUOptions } from './webgpu.js';

export type { BackendChoice, BackendName } from './names.js';
export { BACKEND_CHOICES, BACKEND_NAMES, isBackendChoice } from './names.js';
export { installWasmKernels, wasmDistDir } from './wasm.js';

export interface BackendInfo {
  /** The tfjs backend now active. */
  name: BackendName;
  /** What computes, in words: 'CPU, 2 threads, wasm SIMD', 'GPU: NVIDIA ... (Vulkan)'. */
  device: string;
  /** Whether a GPU computes (false for software renderers behind webgpu). */
  gpu: boolean;
  /** Host threads the backend computes on (1 for cpu and webgpu). */
  threads: number;
  /** Whether wasm SIMD is in use. */
  simd: boolean;
  /** Kernels we registered or replaced for this backend. */
  kernels: string[];
  /** Package versions, plus node. */
  versions: Record<string, string>;
  /** Why a faster option within this backend was not used (e.g. wasm threads fell back), if anything. */
  notes: string[];
  /** Why this backend runs: asked for by name, or under 'auto' the first that started and why each faster one did not. */
  reason: string;
  /** Under 'auto': each faster backend passed over, and why (short). */
  passedOver: { backend: string; why: string }[];
}

type StartedInfo = Omit<BackendInfo, 'reason' | 'passedOver'>;

export interface InitOptions {
  /** Where optional packages are resolved and imported from (tests stand in for absent ones). */
  loader?: ModuleLoader;
  webgpu?: Omit<WebGPUOptions, 'auto'>;
}

interface Context {
  loader: ModuleLoader;
  webgpu: WebGPUOptions;
}

function baseVersions(): Record<string, string> {
  return { 'tfjs-core': tf.version_core, 'tfjs-backend-cpu': version_cpu, 'tfjs-backend-wasm': wasmVersion, node: process.versions.node };
}

/** Starts a backend and leaves it active; throws with what is missing when it cannot. */
const STARTERS: Record<BackendName, (ctx: Context) => Promise<StartedInfo>> = {
  async wasm() {
    const w = await startWasm();
    const device = `CPU, ${w.threads} thread${w.threads === 1 ? '' : 's'}, wasm${w.simd ? ' SIMD' : ''}`;
    return { name: 'wasm', device, gpu: false, threads: w.threads, simd: w.simd, kernels: w.kernels, versions: baseVersions(), notes: w.notes };
  },
  async cpu() {
    if (!(await tf.setBackend('cpu'))) throw new Error('the cpu backend failed to start');
    return { name: 'cpu', device: 'CPU, 1 thread, JavaScript', gpu: false, threads: 1, simd: false, kernels: [], versions: baseVersions(), notes: [] };
  },
  async tensorflow(ctx) {
    const t = await startTensorflow(ctx.loader);
    return {
      name: 'tensorflow', device: t.gpu ? 'GPU (CUDA), libtensorflow' : `CPU, ${cores()} threads, libtensorflow`, gpu: t.gpu,
      threads: t.gpu ? 1 : cores(), simd: false, kernels: [], versions: { ...baseVersions(), ...t.versions }, notes: t.notes,
    };
  },
  async webgpu(ctx) {
    const w = await startWebGPU(ctx.loader, ctx.webgpu);
    if (!(await tf.setBackend('webgpu'))) throw new Error('the webgpu backend failed to start (see the warning above)');
    await tf.ready();
    const route = w.route === 'native' ? '' : ` via ${w.route === 'vulkan' ? 'Vulkan' : 'OpenGL'}`;
    return {
      name: 'webgpu', device: `${w.software ? 'software renderer' : 'GPU'}: ${describeAdapter(w.adapter)}${route}`, gpu: !w.software,
      threads: 1, simd: false, kernels: [], versions: { ...baseVersions(), ...w.versions }, notes: w.notes,
    };
  },
};

/** Backends started in this process (tfjs backends are process-global): switching back is a setBackend. */
const started = new Map<BackendName, StartedInfo>();

async function start(name: BackendName, ctx: Context): Promise<StartedInfo> {
  let info = started.get(name);
  if (!info) {
    info = await STARTERS[name](ctx);
    started.set(name, info);
  }
  if (tf.getBackend() !== name && !(await tf.setBackend(name))) throw new Error(`could not switch back to '${name}'`);
  return info;
}

function shortReason(e: unknown): string {
  const short = (e as { short?: unknown }).short;
  if (typeof short === 'string') return short;
  return ((e as Error).message ?? String(e)).split('\n')[0]!;
}

let autoChoice: BackendInfo | null = null;

/**
 * Makes `choice` the active tfjs backend and returns what it runs on and why. Idempotent.
 */
export async function initBackend(choice: BackendChoice, options: InitOptions = {}): Promise<BackendInfo> {
  if (!(BACKEND_CHOICES as readonly string[]).includes(choice)) {
    throw new Error(`unknown backend '${choice}' (expected ${BACKEND_CHOICES.slice(0, -1).join(', ')} or ${BACKEND_CHOICES.at(-1)})`);
  }
  const ctx: Context = { loader: options.loader ?? nodeModules, webgpu: { ...options.webgpu } };
  if (choice === 'auto') {
    const memoisable = options.loader === undefined && options.webgpu === undefined;
    if (memoisable && autoChoice) {
      await start(autoChoice.name, ctx);
      return autoChoice;
    }
    const info = await chooseAuto(ctx);
    if (memoisable) autoChoice = info;
    return info;
  }
  try {
    const info = await start(choice, ctx);
    return { ...info, reason: `--backend ${choice} (${info.device}), as asked`, passedOver: [] };
  } catch (e) {
    throw new Error(`backend '${choice}' could not start: ${(e as Error).message ?? String(e)}`);
  }
}

/** The order of `auto`, fastest first; see the header. */
async function chooseAuto(ctx: Context): Promise<BackendInfo> {
  const passedOver: BackendInfo['passedOver'] = [];
  const chosen = (info: StartedInfo): BackendInfo => {
    const skipped = passedOver.map((p) => `${p.backend}: ${p.why}`).join('; ');
    return { ...info, reason: `auto chose ${info.name} (${info.device})${skipped ? `; passed over ${skipped}` : ''}`, passedOver };
  };
  const attempt = async (name: BackendName, label: string, accept: (info: StartedInfo) => string | null, c = ctx): Promise<StartedInfo | null> => {
    try {
      const info = await start(name, c);
      const refusal = accept(info);
      if (refusal === null) return info;
      passedOver.push({ backend: label, why: refusal });
    } catch (e) {
      passedOver.push({ backend: label, why: shortReason(e) });
    }
    return null;
  };

  const tensorflowPkg = installedTensorflow(ctx.loader);
  let tensorflowFailed = false;
  if (tensorflowPkg === '@tensorflow/tfjs-node-gpu') {
    const info = await attempt('tensorflow', 'tensorflow (GPU)', (i) => (i.gpu ? null : 'tfjs-node-gpu found no CUDA GPU'));
    if (info) return chosen(info);
    tensorflowFailed = !started.has('tensorflow');
  } else if (!tensorflowPkg) {
    passedOver.push({ backend: 'tensorflow', why: 'not installed' });
  }

  const webgpu = await attempt('webgpu', 'webgpu', (i) => (i.gpu ? null : `only a software adapter (${i.device})`), { ...ctx, webgpu: { ...ctx.webgpu, auto: true } });
  if (webgpu) return chosen(webgpu);

  if (tensorflowPkg && !tensorflowFailed) {
    const info = await attempt('tensorflow', 'tensorflow (CPU)', () => null);
    if (info) return chosen(info);
  }
  const wasm = await attempt('wasm', 'wasm', () => null);
  if (wasm) return chosen(wasm);
  try {
    return chosen(await start('cpu', ctx));
  } catch (e) {
    throw new Error(`no TensorFlow.js backend could start: ${[...passedOver.map((p) => `${p.backend}: ${p.why}`), `cpu: ${shortReason(e)}`].join('; ')}`);
  }
}

/**
 * Forgets which backends were started and what auto chose, so the next call probes again (tests
 * that stand in for packages). The tfjs backends themselves stay registered.
 */
export function forgetBackends(): void {
  started.clear();
  autoChoice = null;
}
