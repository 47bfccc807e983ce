import { MathBackendCPU } from '@tensorflow/tfjs-backend-cpu';
import { existsSync } from 'node:fs';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { tf } from '../tf.js';
import { forgetBackends, initBackend, wasmDistDir, type InitOptions } from './index.js';
import { nodeModules, type ModuleLoader } from './optional.js';
import { findVulkanLoader } from './vulkan.js';
import type { Gpu, GpuAdapter } from './webgpu.js';

afterAll(async () => {
  forgetBackends();
  await initBackend('wasm');
});

describe('initBackend', () => {
  it('finds the wasm binaries', () => {
    for (const f of ['tfjs-backend-wasm.wasm', 'tfjs-backend-wasm-simd.wasm', 'tfjs-backend-wasm-threaded-simd.wasm']) {
      expect(existsSync(wasmDistDir() + f)).toBe(true);
    }
  });

  it("'auto' picks wasm on this machine (no tfjs-node, no GPU adapter), with our kernels, and says why", async () => {
    const info = await initBackend('auto');
    expect(info.name).toBe('wasm');
    expect(tf.getBackend()).toBe('wasm');
    expect(info.simd).toBe(true);
    expect(info.threads).toBeGreaterThanOrEqual(1);
    expect(info.gpu).toBe(false);
    expect(info.device).toBe(`CPU, ${info.threads} thread${info.threads === 1 ? '' : 's'}, wasm SIMD`);
    expect(info.kernels).toEqual(expect.arrayContaining(['Conv2DBackpropFilter', 'BatchMatMul']));
    expect(info.versions['tfjs-core']).toBe('4.22.0');
    expect(info.versions['tfjs-backend-wasm']).toBe('4.22.0');
    expect(info.passedOver.map((p) => p.backend)).toEqual(['tensorflow', 'webgpu']);
    expect(info.passedOver[0]!.why).toBe('not installed');
    expect(info.reason).toBe(`auto chose wasm (${info.device}); passed over tensorflow: not installed; webgpu: ${info.passedOver[1]!.why}`);
  });

  it('is idempotent and switches between backends', async () => {
    const a = await initBackend('wasm');
    const b = await initBackend('wasm');
    expect(b).toEqual(a);
    expect(a.reason).toBe(`--backend wasm (${a.device}), as asked`);
    const c = await initBackend('cpu');
    expect(c.name).toBe('cpu');
    expect(tf.getBackend()).toBe('cpu');
    const d = await initBackend('wasm');
    expect(d.name).toBe('wasm');
    expect(tf.getBackend()).toBe('wasm');
    // The backend computes.
    expect(Array.from(tf.tidy(() => tf.add(tf.ones([2]), tf.ones([2])).dataSync()))).toEqual([2, 2]);
    // auto's answer is remembered, and switching back to it works.
    const auto = await initBackend('auto');
    await initBackend('cpu');
    expect(await initBackend('auto')).toBe(auto);
    expect(tf.getBackend()).toBe(auto.name);
  });

  it('registers our wasm kernels for wasm only: other backends keep their own', async () => {
    const info = await initBackend('wasm');
    expect(info.kernels.length).toBeGreaterThan(0);
    for (const name of info.kernels) {
      const ours = tf.getKernel(name, 'wasm')!.kernelFunc;
      expect(tf.getKernel(name, 'cpu')?.kernelFunc, name).not.toBe(ours);
    }
    for (const backend of ['cpu', 'webgpu', 'tensorflow']) {
      const funcs = new Set(info.kernels.map((n) => tf.getKernel(n, 'wasm')!.kernelFunc));
      expect(tf.getKernelsForBackend(backend).filter((k) => funcs.has(k.kernelFunc)), backend).toEqual([]);
    }
  });

  it('rejects an unknown backend with a clear message', async () => {
    await expect(initBackend('gpu' as never)).rejects.toThrow("unknown backend 'gpu' (expected auto, wasm, cpu, webgpu or tensorflow)");
  });

  it('probes cheaply under auto: without a Vulkan loader Dawn is not even loaded', async () => {
    const loaded: string[] = [];
    const spy: ModuleLoader = { ...nodeModules, load: <T,>(pkg: string) => (loaded.push(pkg), nodeModules.load<T>(pkg)) };
    forgetBackends();
    const info = await initBackend('auto', { loader: spy });
    if (!nodeModules.isInstalled('webgpu')) {
      // Installed with --omit=optional: nothing to load.
      expect(loaded).toEqual([]);
      expect(info.passedOver).toContainEqual({ backend: 'webgpu', why: 'not installed' });
    } else if (process.platform === 'linux' && findVulkanLoader() === null) {
      expect(loaded).toEqual([]);
      expect(info.passedOver).toContainEqual({ backend: 'webgpu', why: 'no Vulkan loader (libvulkan.so.1)' });
    } else {
      // A Vulkan loader (or another OS): Dawn is asked, and answers one way or the other.
      expect(loaded).toContain('webgpu');
    }
  });
});

// ------------------------------------------------------------ stand-ins for absent packages

/** tfjs-node(-gpu) stand-in: registers the cpu backend as 'tensorflow', as the real package registers libtensorflow's. */
function fakeTfjsNode(gpu: boolean) {
  return {
    register() {
      if (tf.findBackendFactory('tensorflow')) tf.removeBackend('tensorflow');
      tf.registerBackend('tensorflow', () => Object.assign(new MathBackendCPU(), { isUsingGpuDevice: gpu, binding: { TF_Version: '2.9.1' } }));
      for (const kernel of tf.getKernelsForBackend('cpu')) {
        if (!tf.getKernel(kernel.kernelName, 'tensorflow')) tf.registerKernel({ ...kernel, backendName: 'tensorflow' });
      }
    },
  };
}

function adapter(info: GpuAdapter['info']): Gpu {
  return {
    requestAdapter: async () => ({
      info,
      features: new Set<string>(),
      limits: {},
      requestDevice: async () => ({ features: new Set<string>(), lost: new Promise(() => {}), onuncapturederror: null, destroy() {} }),
    }),
  };
}
const H100 = adapter({ vendor: 'nvidia', architecture: 'hopper', device: 'NVIDIA H100 80GB HBM3' });
const LLVMPIPE = adapter({ device: 'llvmpipe (LLVM 15.0.6, 256 bits)' });
const NO_ADAPTER: Gpu = { requestAdapter: async () => null };

/** A machine with these packages installed; loading a tfjs-node stand-in registers its backend. */
function machine(packages: { tensorflow?: 'gpu-build, CUDA' | 'gpu-build, no CUDA' | 'cpu-build'; webgpu?: Gpu }): InitOptions {
  const installed = new Map<string, () => unknown>();
  if (packages.tensorflow) {
    const pkg = packages.tensorflow === 'cpu-build' ? '@tensorflow/tfjs-node' : '@tensorflow/tfjs-node-gpu';
    const fake = fakeTfjsNode(packages.tensorflow === 'gpu-build, CUDA');
    installed.set(pkg, () => fake.register());
  }
  if (packages.webgpu) installed.set('@tensorflow/tfjs-backend-webgpu', () => ({ WebGPUBackend: class extends MathBackendCPU {} }));
  const loader: ModuleLoader = {
    isInstalled: (pkg) => installed.has(pkg) || (packages.webgpu !== undefined && pkg === 'webgpu'),
    version: (pkg) => (installed.has(pkg) ? tf.version_core : undefined),
    load: async <T,>(pkg: string) => {
      const load = installed.get(pkg);
      if (!load) throw new Error(`Cannot find package '${pkg}'`);
      return load() as T;
    },
  };
  // Without a stand-in GPU, Dawn is 'not installed': the loader above does not resolve 'webgpu'.
  return { loader, webgpu: packages.webgpu ? { gpu: packages.webgpu } : {} };
}

describe("auto's order: tensorflow on a GPU, webgpu on a real GPU, tensorflow on CPU, wasm, cpu", () => {
  beforeEach(() => forgetBackends());

  it('1. prefers tfjs-node-gpu on a CUDA device over everything', async () => {
    const info = await initBackend('auto', machine({ tensorflow: 'gpu-build, CUDA', webgpu: H100 }));
    expect(info).toMatchObject({ name: 'tensorflow', gpu: true, device: 'GPU (CUDA), libtensorflow', passedOver: [] });
    expect(info.versions).toMatchObject({ 'tfjs-node-gpu': '4.22.0', libtensorflow: '2.9.1' });
    expect(info.reason).toBe('auto chose tensorflow (GPU (CUDA), libtensorflow)');
    expect(tf.getBackend()).toBe('tensorflow');
  });

  it('2. takes webgpu on a real GPU when tfjs-node-gpu found no CUDA device', async () => {
    const info = await initBackend('auto', machine({ tensorflow: 'gpu-build, no CUDA', webgpu: H100 }));
    expect(info).toMatchObject({ name: 'webgpu', gpu: true, device: 'GPU: nvidia hopper NVIDIA H100 80GB HBM3' });
    expect(info.reason).toBe('auto chose webgpu (GPU: nvidia hopper NVIDIA H100 80GB HBM3); passed over tensorflow (GPU): tfjs-node-gpu found no CUDA GPU');
    expect(tf.getBackend()).toBe('webgpu');
  });

  it('3. takes tensorflow on the CPU over wasm, and a software webgpu adapter over neither', async () => {
    const info = await initBackend('auto', machine({ tensorflow: 'cpu-build', webgpu: LLVMPIPE }));
    expect(info).toMatchObject({ name: 'tensorflow', gpu: false });
    expect(info.device).toMatch(/^CPU, \d+ threads, libtensorflow$/);
    expect(info.passedOver).toEqual([{ backend: 'webgpu', why: 'only a software adapter (llvmpipe (LLVM 15.0.6, 256 bits))' }]);
  });

  it('3. tfjs-node-gpu without CUDA still beats wasm, on the CPU, with a note', async () => {
    const info = await initBackend('auto', machine({ tensorflow: 'gpu-build, no CUDA', webgpu: NO_ADAPTER }));
    expect(info).toMatchObject({ name: 'tensorflow', gpu: false });
    expect(info.notes.join(' ')).toMatch(/found no usable CUDA GPU/);
    expect(info.passedOver.map((p) => p.backend)).toEqual(['tensorflow (GPU)', 'webgpu']);
    expect(info.passedOver[1]!.why).toMatch(/^no GPU adapter/);
  });

  it('4. falls back to wasm with every reason when nothing faster is there', async () => {
    const info = await initBackend('auto', machine({}));
    expect(info.name).toBe('wasm');
    expect(info.passedOver).toEqual([
      { backend: 'tensorflow', why: 'not installed' },
      { backend: 'webgpu', why: 'not installed' },
    ]);
  });

  it('runs a software webgpu adapter when asked for by name, with a note', async () => {
    const info = await initBackend('webgpu', machine({ webgpu: LLVMPIPE }));
    expect(info).toMatchObject({ name: 'webgpu', gpu: false, device: 'software renderer: llvmpipe (LLVM 15.0.6, 256 bits)' });
    expect(info.notes[0]).toMatch(/20-30x slower than --backend wasm/);
    // auto, asked next, does not take the software adapter that is already running.
    const auto = await initBackend('auto', machine({ webgpu: LLVMPIPE }));
    expect(auto.name).toBe('wasm');
  });
});

describe('the tensorflow backend', () => {
  beforeEach(() => forgetBackends());

  it('says how to install tfjs-node when it is absent', async () => {
    const error = (await initBackend('tensorflow', machine({})).catch((e: unknown) => e)) as Error;
    expect(error.message).toMatch(/^backend 'tensorflow' could not start: neither @tensorflow\/tfjs-node nor @tensorflow\/tfjs-node-gpu is installed/);
    expect(error.message).toContain('npm install @tensorflow/tfjs-node@4.22.0');
    expect(error.message).toContain('npm install @tensorflow/tfjs-node-gpu@4.22.0');
    expect(error.message).toMatch(/downloads libtensorflow/);
    // The real machine has neither either.
    await expect(initBackend('tensorflow')).rejects.toThrow(/neither @tensorflow\/tfjs-node nor/);
  });

  it('reports GPU or CPU for tfjs-node-gpu, CPU for tfjs-node', async () => {
    expect(await initBackend('tensorflow', machine({ tensorflow: 'gpu-build, CUDA' }))).toMatchObject({ name: 'tensorflow', gpu: true, reason: '--backend tensorflow (GPU (CUDA), libtensorflow), as asked' });
    forgetBackends();
    expect(await initBackend('tensorflow', machine({ tensorflow: 'cpu-build' }))).toMatchObject({ name: 'tensorflow', gpu: false, versions: { 'tfjs-node': '4.22.0' } });
    // It computes (the stand-in is the cpu backend under the name 'tensorflow').
    const sum = tf.add(tf.tensor1d([1, 2]), tf.tensor1d([3, 4]));
    expect(Array.from(await sum.data())).toEqual([4, 6]);
    sum.dispose();
  });

  it('names a tfjs-node that registered with another copy of tfjs-core, or failed to load', async () => {
    if (tf.findBackendFactory('tensorflow')) tf.removeBackend('tensorflow');
    const registersNothing: InitOptions = { loader: { isInstalled: (p) => p === '@tensorflow/tfjs-node', version: () => '4.17.0', load: async <T,>() => ({}) as T } };
    await expect(initBackend('tensorflow', registersNothing)).rejects.toThrow(
      /@tensorflow\/tfjs-node 4\.17\.0 registered its backend with another copy of tfjs-core than ssl's \(4\.22\.0\): npm install @tensorflow\/tfjs-node@4\.22\.0/,
    );
    const broken: InitOptions = {
      loader: { isInstalled: (p) => p === '@tensorflow/tfjs-node', version: () => '4.22.0', load: async () => Promise.reject(new Error('libtensorflow.so.2: cannot open shared object file')) },
    };
    await expect(initBackend('tensorflow', broken)).rejects.toThrow(/is installed but failed to load .*libtensorflow\.so\.2: cannot open shared object file/);
  });
});
