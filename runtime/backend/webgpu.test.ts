/**
 * The webgpu backend, whichever machine runs this: with a GPU adapter, a training step on it
 * matches the cpu backend; without one, asking for it fails at once with what is missing. The
 * OpenGL route (Mesa llvmpipe on a machine without a GPU) runs the same webgpu code path on the
 * CPU, slowly: gradients of the ops a step needs, the whole SimCLR loss gradient and a short
 * training run are compared with cpu there. The decisions of the loader (timeouts, software
 * adapters, absent packages, device errors) are tested with stand-ins for Dawn.
 */
import { MathBackendCPU } from '@tensorflow/tfjs-backend-cpu';
import { afterAll, describe, expect, it } from 'vitest';
import { tf } from '../tf.js';
import { forgetBackends, initBackend } from './index.js';
import type { ModuleLoader } from './optional.js';
import { nodeModules } from './optional.js';
import { gradientsOn, GRADIENT_CASES, lossGradientsOn, relativeMaxError, sampleOnce, tinyRecipe, trainOn } from '../../test/helpers/backend-parity.js';
import { describeAdapter, isSoftwareAdapter, startWebGPU, WebGPUUnavailable, withDeviceErrorCheck, type Gpu, type GpuAdapter } from './webgpu.js';

afterAll(async () => {
  await initBackend('wasm');
});

/** What a GPU-less machine must be told: the missing piece by name. */
const MISSING_PIECE = /libvulkan\.so\.1|Vulkan found no drivers|nvidia_icd\.json|libglvnd0|software drivers|not installed|OpenGL|EGL|within \d/;

/** Compares every case's value and input gradients on `backend` with cpu. */
async function expectGradientsMatchCpu(options: Parameters<typeof initBackend>[1]) {
  const cpu = await gradientsOn('cpu');
  const gpu = await gradientsOn('webgpu', options);
  GRADIENT_CASES.forEach((c, i) => {
    expect(gpu[i]!.value, c.name).toBeCloseTo(cpu[i]!.value, 4);
    cpu[i]!.grads.forEach((g, j) => expect(relativeMaxError(gpu[i]!.grads[j]!, g), `${c.name}, input ${j}`).toBeLessThan(1e-4));
  });
}

/**
 * The whole SimCLR loss and its gradient for every weight against cpu; then `steps` Adam steps
 * against wasm (whose steps equal cpu's to 1e-3: graph.test.ts; cpu would take ~14 s a step).
 */
async function expectTrainingMatchesCpu(options: Parameters<typeof initBackend>[1], steps: number) {
  const ir = tinyRecipe(16);
  const host = await sampleOnce(ir);
  const cpu = await lossGradientsOn('cpu', ir, host);
  const gpu = await lossGradientsOn('webgpu', ir, host, options);
  expect(gpu.loss).toBeCloseTo(cpu.loss, 4);
  expect(Object.keys(gpu.grads).sort()).toEqual(Object.keys(cpu.grads).sort());
  expect(Object.keys(cpu.grads)).toHaveLength(10); // 3 conv + 2 dense layers, kernel and bias each
  for (const [name, g] of Object.entries(cpu.grads)) expect(relativeMaxError(gpu.grads[name]!, g), name).toBeLessThan(1e-3);

  const reference = await trainOn('wasm', ir, steps);
  const gpuRun = await trainOn('webgpu', ir, steps, options);
  expect(new Set(reference.losses).size).toBe(steps); // the steps differ: the weights moved
  gpuRun.losses.forEach((loss, i) => expect(Math.abs(loss - reference.losses[i]!) / reference.losses[i]!, `step ${i + 1}`).toBeLessThan(1e-4));
  // No tensor leaks on the GPU backend either: flat after the first step (Adam's slots).
  expect(new Set(gpuRun.tensors.slice(1)).size).toBe(1);
}

describe('webgpu on this machine (Dawn, Vulkan on Linux)', () => {
  it('trains like cpu on a GPU adapter, or says at once what is missing', { timeout: 300_000 }, async () => {
    let started = false;
    try {
      const info = await initBackend('webgpu');
      started = true;
      expect(info.name).toBe('webgpu');
      expect(tf.getBackend()).toBe('webgpu');
    } catch (e) {
      const message = (e as Error).message;
      expect(message).toMatch(/^backend 'webgpu' could not start: /);
      expect(message).toMatch(MISSING_PIECE);
    }
    if (started) await expectTrainingMatchesCpu({}, 3);
  });
});

describe("webgpu through Dawn's OpenGL backend (Mesa llvmpipe without a GPU)", () => {
  const opengl = { webgpu: { opengl: true } };
  let available = true;

  it('starts, as a software renderer that auto would refuse, or says what is missing', { timeout: 60_000 }, async () => {
    forgetBackends();
    try {
      const info = await initBackend('webgpu', opengl);
      expect(info.name).toBe('webgpu');
      if (!info.gpu) {
        expect(info.device).toMatch(/^software renderer: /);
        expect(info.notes.join(' ')).toMatch(/slower than --backend wasm/);
      }
    } catch (e) {
      available = false;
      expect((e as Error).message).toMatch(/no OpenGL adapter|EGL|libvulkan|not installed/);
    }
  });

  it('gives the gradients cpu gives for the ops a step needs', { timeout: 300_000 }, async () => {
    if (!available) return expect(available).toBe(false); // asserted above: the error named what is missing
    await expectGradientsMatchCpu(opengl);
  });

  it('trains tiny.ssl like cpu: whole-loss gradients, three Adam steps, flat tensor count', { timeout: 300_000 }, async () => {
    if (!available) return expect(available).toBe(false);
    await expectTrainingMatchesCpu(opengl, 3);
  });

  it('reads results asynchronously only: dataSync cannot work in Node, which is why the runtime awaits data()', { timeout: 60_000 }, async () => {
    if (!available) return expect(available).toBe(false);
    await initBackend('webgpu', opengl);
    const t = tf.tidy(() => tf.square(tf.tensor1d([1, 2, 3])));
    expect(Array.from(await t.data())).toEqual([1, 4, 9]);
    t.dispose();
  });
});

// ------------------------------------------------------------------- stand-ins for Dawn

function fakeAdapter(info: GpuAdapter['info'], onDevice?: (device: FakeDevice) => void): GpuAdapter {
  return {
    info,
    features: new Set<string>(),
    limits: { maxComputeWorkgroupSizeX: 256 },
    requestDevice: async () => {
      const device: FakeDevice = { features: new Set<string>(), lost: new Promise(() => {}), onuncapturederror: null, destroy() {} };
      onDevice?.(device);
      return device;
    },
  };
}
interface FakeDevice {
  features: Set<string>;
  lost: Promise<{ reason?: string; message?: string }>;
  onuncapturederror: ((event: { error?: { message?: string } }) => void) | null;
  destroy(): void;
}

/** tfjs-backend-webgpu stand-in: the cpu backend under the name 'webgpu'. */
const fakeTfjsWebgpu = {
  WebGPUBackend: class extends MathBackendCPU {
    constructor(_device: unknown, _info?: unknown) {
      super();
    }
  },
};

function loaderWith(packages: Record<string, unknown>, versions: Record<string, string> = {}): ModuleLoader {
  return {
    isInstalled: (pkg) => pkg in packages,
    version: (pkg) => versions[pkg] ?? (pkg in packages ? tf.version_core : undefined),
    load: async <T,>(pkg: string) => {
      if (!(pkg in packages)) throw new Error(`Cannot find package '${pkg}'`);
      return packages[pkg] as T;
    },
  };
}

describe('the webgpu loader', () => {
  it('recognises software adapters by their info', () => {
    expect(isSoftwareAdapter({ info: { device: 'llvmpipe-llvm-15-0-6-256-bits-', description: 'OpenGL version 4.5 (Core Profile) Mesa 22.3.6' } })).toBe(true);
    expect(isSoftwareAdapter({ info: { vendor: 'mesa', device: 'llvmpipe (LLVM 15.0.6, 256 bits)' } })).toBe(true); // lavapipe
    expect(isSoftwareAdapter({ info: { vendor: 'google', architecture: 'swiftshader' } })).toBe(true);
    expect(isSoftwareAdapter({ info: { vendor: 'nvidia' }, isFallbackAdapter: true })).toBe(true);
    expect(isSoftwareAdapter({ info: { vendor: 'nvidia', architecture: 'hopper', device: 'NVIDIA H100 80GB HBM3', description: 'NVIDIA: 580.65.06' } })).toBe(false);
    expect(describeAdapter({ vendor: 'nvidia', architecture: 'hopper', device: 'NVIDIA H100', description: 'NVIDIA: 580' })).toBe('nvidia hopper NVIDIA H100 (NVIDIA: 580)');
  });

  it('says which optional packages are missing and how to install them', async () => {
    const loader = loaderWith({ webgpu: {} });
    const error = await startWebGPU(loader).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(WebGPUUnavailable);
    expect((error as WebGPUUnavailable).short).toBe('not installed');
    expect((error as Error).message).toMatch(/optional packages @tensorflow\/tfjs-backend-webgpu are not installed/);
    expect((error as Error).message).toContain('npm install webgpu@^0.6.2 @tensorflow/tfjs-backend-webgpu@4.22.0');
    forgetBackends(); // else the webgpu started above is the answer
    await expect(initBackend('webgpu', { loader: loaderWith({}) })).rejects.toThrow(/backend 'webgpu' could not start: the optional packages webgpu and @tensorflow\/tfjs-backend-webgpu are not installed/);
  });

  it('turns an adapter request that never answers into an error after the time limit', async () => {
    const hanging: Gpu = { requestAdapter: () => new Promise(() => {}) };
    const error = await startWebGPU(nodeModules, { gpu: hanging, adapterTimeoutMs: 50 }).catch((e: unknown) => e);
    expect((error as WebGPUUnavailable).short).toBe('no GPU adapter within 0.05 s');
  });

  it('explains a null adapter from what the machine has', async () => {
    const none: Gpu = { requestAdapter: async () => null };
    const error = (await startWebGPU(nodeModules, { gpu: none }).catch((e: unknown) => e)) as WebGPUUnavailable;
    expect(error.message).toMatch(/^no GPU adapter/);
    expect(error.message).toMatch(MISSING_PIECE);
    if (process.platform === 'linux') expect(error.short).toMatch(/^no GPU adapter \((no Vulkan loader \(libvulkan\.so\.1\)|Vulkan: [a-z ]+)\)$/);
    const gl = (await startWebGPU(nodeModules, { gpu: none, opengl: true }).catch((e: unknown) => e)) as WebGPUUnavailable;
    expect(gl.short).toBe('no OpenGL adapter');
    expect(gl.message).toMatch(/EGL_PLATFORM=surfaceless/);
  });

  it('refuses a software adapter under auto and accepts it when asked for by name', async () => {
    const llvmpipe: Gpu = { requestAdapter: async () => fakeAdapter({ device: 'llvmpipe-llvm-15', description: 'Mesa 22.3.6' }) };
    const loader = loaderWith({ '@tensorflow/tfjs-backend-webgpu': fakeTfjsWebgpu });
    const refused = (await startWebGPU(loader, { gpu: llvmpipe, auto: true }).catch((e: unknown) => e)) as WebGPUUnavailable;
    expect(refused.short).toBe('only a software adapter (llvmpipe-llvm-15 (Mesa 22.3.6))');
    const started = await startWebGPU(loader, { gpu: llvmpipe });
    expect(started.software).toBe(true);
    expect(started.notes[0]).toMatch(/software renderer on the CPU, 20-30x slower than --backend wasm/);
  });

  it('refuses a tfjs-backend-webgpu of another version than tfjs-core', async () => {
    const gpu: Gpu = { requestAdapter: async () => fakeAdapter({ vendor: 'nvidia', device: 'H100' }) };
    const loader = loaderWith({ '@tensorflow/tfjs-backend-webgpu': fakeTfjsWebgpu }, { '@tensorflow/tfjs-backend-webgpu': '4.21.0' });
    await expect(startWebGPU(loader, { gpu })).rejects.toThrow(/4\.21\.0 does not match tfjs-core 4\.22\.0: npm install @tensorflow\/tfjs-backend-webgpu@4\.22\.0/);
  });

  it('fails the next read after the device reports an error, instead of returning wrong numbers', async () => {
    const device: FakeDevice = { features: new Set<string>(), lost: new Promise(() => {}), onuncapturederror: null, destroy() {} };
    const Checked = withDeviceErrorCheck(fakeTfjsWebgpu.WebGPUBackend, device);
    const backend = new Checked(device, {});
    const dataId = backend.write(new Float32Array([1, 2, 3]), [3], 'float32');
    expect(Array.from((await backend.read(dataId)) as Float32Array)).toEqual([1, 2, 3]);
    device.onuncapturederror!({ error: { message: 'Entry-point uses workgroup_size(256, 1, 1) that exceeds the maximum allowed (128, 128, 64).\n - While ...' } });
    await expect(backend.read(dataId)).rejects.toThrow(/^the WebGPU device reported an error, so results are wrong: Entry-point uses workgroup_size\(256, 1, 1\) that exceeds the maximum allowed \(128, 128, 64\)\.$/);
    // Reported once: the next read works again.
    expect(Array.from((await backend.read(dataId)) as Float32Array)).toEqual([1, 2, 3]);
    backend.dispose();
  });

  it('reports a lost device at the next read, but not one destroyed on purpose', async () => {
    let lose: (info: { reason?: string; message?: string }) => void = () => {};
    const device: FakeDevice = { features: new Set<string>(), lost: new Promise((resolve) => (lose = resolve)), onuncapturederror: null, destroy() {} };
    const backend = new (withDeviceErrorCheck(fakeTfjsWebgpu.WebGPUBackend, device))(device, {});
    const dataId = backend.write(new Float32Array([4]), [1], 'float32');
    lose({ reason: 'unknown', message: 'GPU hung' });
    await new Promise((resolve) => setImmediate(resolve));
    await expect(backend.read(dataId)).rejects.toThrow(/device lost: GPU hung/);
    backend.dispose();
  });
});
