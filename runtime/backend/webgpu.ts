/**
 * The 'webgpu' backend: TensorFlow.js's WebGPU backend (@tensorflow/tfjs-backend-webgpu) on
 * Dawn, Chrome's WebGPU implementation, through the `webgpu` npm package (a prebuilt dawn.node).
 * Both are optionalDependencies, imported here only when 'webgpu' is asked for or `auto` probes.
 *
 * On Linux Dawn reaches the GPU through Vulkan: it needs the loader libvulkan.so.1 and a driver's
 * ICD; NVIDIA's loads through the GL vendor libraries (libglvnd0, libglx0, libegl1). Without them
 * the adapter is null, and this module says which piece is missing (vulkan.ts) instead of letting
 * tfjs fail on `null.features`. The adapter request has a time limit: a broken driver is an
 * error, never a hang.
 *
 * Software adapters (Mesa llvmpipe / lavapipe, SwiftShader) compute on the CPU 20-30x slower than
 * our wasm backend: `auto` never picks one; an explicit `--backend webgpu` may, with a note.
 * `SSL_WEBGPU_OPENGL=1` asks Dawn for its OpenGL backend in compatibility mode instead of Vulkan,
 * which on a machine without a GPU gives Mesa's llvmpipe through EGL (surfaceless): the way to
 * run the webgpu code path on a CPU-only machine, for tests.
 *
 * Reads must be asynchronous on this backend (`await t.data()`): tfjs-webgpu's `dataSync` draws
 * through an OffscreenCanvas, which Node does not have. Dawn reports validation errors (e.g. a
 * shader over the device's workgroup limits) out of band and the kernel's output is left as
 * zeros; the backend below turns any such error into an exception at the next read, so a wrong
 * result never passes silently.
 */
import { tf } from '../tf.js';
import type { ModuleLoader } from './optional.js';
import { explainNoVulkanAdapter, findVulkanLoader, vulkanFacts, VULKAN_LOADER, type VulkanFacts } from './vulkan.js';

/** The parts of the WebGPU API (and of the two packages) used here; typed locally so that ssl compiles without them. */
interface AdapterInfo {
  vendor?: string;
  architecture?: string;
  device?: string;
  description?: string;
  isFallbackAdapter?: boolean;
}
export interface GpuDevice {
  features: { has(name: string): boolean };
  lost: Promise<{ reason?: string; message?: string }>;
  onuncapturederror: ((event: { error?: { message?: string } }) => void) | null;
  destroy(): void;
}
export interface GpuAdapter {
  info?: AdapterInfo;
  isFallbackAdapter?: boolean;
  features: { has(name: string): boolean };
  limits: Record<string, number>;
  requestDevice(descriptor?: { requiredFeatures?: string[]; requiredLimits?: Record<string, number> }): Promise<GpuDevice>;
}
export interface Gpu {
  requestAdapter(options?: { powerPreference?: string; featureLevel?: string }): Promise<GpuAdapter | null>;
}
interface WebgpuPackage {
  create(options: string[]): Gpu;
  globals: Record<string, unknown>;
}
interface TfjsWebgpuPackage {
  WebGPUBackend: new (device: GpuDevice, adapterInfo?: AdapterInfo) => tf.KernelBackend & { read(dataId: object): Promise<tf.backend_util.BackendValues> };
}

export const WEBGPU_PACKAGES = ['webgpu', '@tensorflow/tfjs-backend-webgpu'] as const;
export const WEBGPU_INSTALL = 'npm install webgpu@^0.6.2 @tensorflow/tfjs-backend-webgpu@4.22.0';
/** How long Dawn may take to answer requestAdapter before we call it an error. */
export const ADAPTER_TIMEOUT_MS = 5000;

export interface WebGPUOptions {
  /** Under 'auto': refuse software adapters, and skip Dawn when no Vulkan loader is installed. */
  auto?: boolean;
  /** Dawn's OpenGL backend in compatibility mode (default: SSL_WEBGPU_OPENGL=1). */
  opengl?: boolean;
  adapterTimeoutMs?: number;
  /** Stands in for Dawn (tests). */
  gpu?: Gpu;
}

/** Why the webgpu backend could not start; `short` is the phrase for `auto`'s reason. */
export class WebGPUUnavailable extends Error {
  constructor(
    readonly short: string,
    detail: string,
  ) {
    super(detail);
  }
}

export interface WebGPUStarted {
  adapter: AdapterInfo;
  software: boolean;
  route: 'vulkan' | 'opengl' | 'native';
  versions: Record<string, string>;
  notes: string[];
}

/** A software rasteriser pretending to be a GPU: llvmpipe, lavapipe, SwiftShader, or Dawn's fallback flag. */
export function isSoftwareAdapter(adapter: Pick<GpuAdapter, 'info' | 'isFallbackAdapter'>): boolean {
  const info = adapter.info ?? {};
  if (adapter.isFallbackAdapter || info.isFallbackAdapter) return true;
  const text = [info.vendor, info.architecture, info.device, info.description].join(' ');
  return /llvmpipe|lavapipe|softpipe|swiftshader|software/i.test(text);
}

export function describeAdapter(info: AdapterInfo): string {
  const parts = [info.vendor, info.architecture, info.device].filter((s) => s);
  const name = parts.join(' ') || 'unnamed adapter';
  return info.description && !name.includes(info.description) ? `${name} (${info.description})` : name;
}

function withTimeout<T>(p: Promise<T>, ms: number, onTimeout: () => Error): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const limit = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(onTimeout()), ms);
    timer.unref();
  });
  return Promise.race([p, limit]).finally(() => clearTimeout(timer));
}

/** Makes the package's `navigator.gpu` and WebGPU constants (GPUBufferUsage...) global, as tfjs expects. */
function installGlobals(gpu: Gpu, globals: Record<string, unknown>): void {
  const g = globalThis as Record<string, unknown>;
  for (const [name, value] of Object.entries(globals)) if (!(name in g)) g[name] = value;
  const existing = g.navigator as Record<string, unknown> | undefined;
  if (existing && typeof existing === 'object') {
    Object.defineProperty(existing, 'gpu', { value: gpu, configurable: true, writable: true });
  } else {
    Object.defineProperty(globalThis, 'navigator', { value: { gpu }, configurable: true, writable: true });
  }
}

/** The limits tfjs-webgpu requests for itself, plus the workgroup sizes its shaders use (256 > the default 128 on some adapters). */
const REQUESTED_LIMITS = [
  'maxComputeWorkgroupStorageSize',
  'maxComputeWorkgroupsPerDimension',
  'maxStorageBufferBindingSize',
  'maxBufferSize',
  'maxComputeWorkgroupSizeX',
  'maxComputeWorkgroupSizeY',
  'maxComputeWorkgroupSizeZ',
  'maxComputeInvocationsPerWorkgroup',
  'maxStorageBuffersPerShaderStage',
];

async function requestAdapter(gpu: Gpu, opengl: boolean, timeoutMs: number, facts: () => VulkanFacts): Promise<GpuAdapter> {
  const adapter = await withTimeout(
    gpu.requestAdapter({ powerPreference: 'high-performance', ...(opengl ? { featureLevel: 'compatibility' } : {}) }),
    timeoutMs,
    () => new WebGPUUnavailable(`no GPU adapter within ${timeoutMs / 1000} s`, `Dawn did not answer requestAdapter within ${timeoutMs / 1000} s (a GPU driver that hangs?)`),
  );
  if (adapter) return adapter;
  if (opengl) {
    throw new WebGPUUnavailable(
      'no OpenGL adapter',
      "no GPU adapter through Dawn's OpenGL backend: it needs EGL and an OpenGL 4.x driver (on a machine without a GPU, " +
        'Mesa llvmpipe: apt-get install libegl1 libgl1-mesa-dri; EGL_PLATFORM=surfaceless)',
    );
  }
  if (process.platform !== 'linux') throw new WebGPUUnavailable('no GPU adapter', `no GPU adapter: Dawn found no usable GPU on ${process.platform}`);
  const why = explainNoVulkanAdapter(facts());
  throw new WebGPUUnavailable(`no GPU adapter (${why.short})`, `no GPU adapter: ${why.detail}`);
}

/**
 * Starts Dawn and registers tfjs's 'webgpu' backend on its adapter (does not switch to it).
 * Throws WebGPUUnavailable, with what is missing, when it cannot.
 */
export async function startWebGPU(loader: ModuleLoader, options: WebGPUOptions = {}): Promise<WebGPUStarted> {
  const opengl = options.opengl ?? process.env.SSL_WEBGPU_OPENGL === '1';
  const timeoutMs = options.adapterTimeoutMs ?? ADAPTER_TIMEOUT_MS;
  const missing = options.gpu ? [] : WEBGPU_PACKAGES.filter((p) => !loader.isInstalled(p));
  if (missing.length) {
    throw new WebGPUUnavailable(
      'not installed',
      `the optional packages ${missing.join(' and ')} are not installed (npm skips optional dependencies under --omit=optional ` +
        `or when they fail to install); in the ssl folder run: ${WEBGPU_INSTALL}`,
    );
  }
  // A machine without the Vulkan loader has no Vulkan GPU: under auto, do not even load Dawn.
  if (options.auto && !opengl && !options.gpu && process.platform === 'linux' && !findVulkanLoader()) {
    throw new WebGPUUnavailable(`no Vulkan loader (${VULKAN_LOADER})`, `no GPU adapter: ${explainNoVulkanAdapter(vulkanFacts()).detail}`);
  }

  let gpu = options.gpu;
  if (!gpu) {
    let pkg: WebgpuPackage;
    try {
      pkg = await loader.load<WebgpuPackage>('webgpu');
    } catch (e) {
      throw new WebGPUUnavailable('Dawn failed to load', `the webgpu package's dawn.node failed to load on ${process.platform}-${process.arch}: ${(e as Error).message}`);
    }
    // Mesa's EGL needs no display server with the surfaceless platform; read when Dawn opens EGL.
    if (opengl) process.env.EGL_PLATFORM ??= 'surfaceless';
    gpu = pkg.create(opengl ? ['backend=opengl'] : []);
    installGlobals(gpu, pkg.globals);
  }
  const adapter = await requestAdapter(gpu, opengl, timeoutMs, () => vulkanFacts());
  const info: AdapterInfo = { ...pickInfo(adapter.info), isFallbackAdapter: Boolean(adapter.isFallbackAdapter ?? adapter.info?.isFallbackAdapter) };
  const software = isSoftwareAdapter(adapter);
  if (software && options.auto) {
    throw new WebGPUUnavailable(`only a software adapter (${describeAdapter(info)})`, `the only WebGPU adapter is a software renderer (${describeAdapter(info)}), slower than wasm`);
  }

  const tfjsWebgpu = await loader.load<TfjsWebgpuPackage>('@tensorflow/tfjs-backend-webgpu');
  const tfjsWebgpuVersion = loader.version('@tensorflow/tfjs-backend-webgpu') ?? 'unknown';
  if (tfjsWebgpuVersion !== tf.version_core) {
    throw new WebGPUUnavailable(
      'version mismatch',
      `@tensorflow/tfjs-backend-webgpu ${tfjsWebgpuVersion} does not match tfjs-core ${tf.version_core}: npm install @tensorflow/tfjs-backend-webgpu@${tf.version_core}`,
    );
  }
  const device = await withTimeout(
    adapter.requestDevice({
      requiredFeatures: adapter.features.has('timestamp-query') ? ['timestamp-query'] : [],
      requiredLimits: Object.fromEntries(REQUESTED_LIMITS.filter((n) => typeof adapter.limits[n] === 'number').map((n) => [n, adapter.limits[n]!])),
    }),
    timeoutMs,
    () => new WebGPUUnavailable(`no GPU device within ${timeoutMs / 1000} s`, `the GPU adapter (${describeAdapter(info)}) did not give a device within ${timeoutMs / 1000} s`),
  );
  registerCheckedBackend(tfjsWebgpu.WebGPUBackend, device, info);

  const notes: string[] = [];
  if (software) notes.push(`webgpu: ${describeAdapter(info)} is a software renderer on the CPU, 20-30x slower than --backend wasm`);
  return {
    adapter: info,
    software,
    route: options.gpu ? 'native' : opengl ? 'opengl' : process.platform === 'linux' ? 'vulkan' : 'native',
    versions: { 'tfjs-backend-webgpu': tfjsWebgpuVersion, webgpu: loader.version('webgpu') ?? 'unknown' },
    notes,
  };
}

function pickInfo(info: AdapterInfo | undefined): AdapterInfo {
  // Dawn's GPUAdapterInfo keeps its fields as getters on the prototype: copy them out.
  return { vendor: info?.vendor ?? '', architecture: info?.architecture ?? '', device: info?.device ?? '', description: info?.description ?? '' };
}

/** GPU errors Dawn reported since the last read, and whether the device is gone. */
class DeviceErrors {
  private pending: string[] = [];
  add(message: string): void {
    if (this.pending.length < 5) this.pending.push(message.split('\n')[0]!);
  }
  throwIfAny(): void {
    if (this.pending.length === 0) return;
    const messages = this.pending;
    this.pending = [];
    throw new Error(`the WebGPU device reported an error, so results are wrong: ${messages.join('; ')}`);
  }
}

/**
 * Replaces the 'webgpu' factory that tfjs-webgpu registers on import (it would request its own
 * adapter, without compatibility mode or our limits) with one on our device.
 */
function registerCheckedBackend(Base: TfjsWebgpuPackage['WebGPUBackend'], device: GpuDevice, info: AdapterInfo): void {
  const Checked = withDeviceErrorCheck(Base, device);
  if (tf.findBackendFactory('webgpu')) tf.removeBackend('webgpu');
  tf.registerBackend('webgpu', () => new Checked(device, info));
}

/** `Base` whose reads fail once `device` has reported an error (validation, out of memory, device lost) since the last read. */
// A mixin base: TypeScript requires its constructor to take any[].
type ReadableBackendClass = new (...args: any[]) => tf.KernelBackend & { read(dataId: object): Promise<tf.backend_util.BackendValues> };
export function withDeviceErrorCheck<B extends ReadableBackendClass>(Base: B, device: GpuDevice): B {
  const errors = new DeviceErrors();
  device.onuncapturederror = (event) => errors.add(event.error?.message ?? 'unknown error');
  void device.lost.then((lost) => {
    if (lost.reason !== 'destroyed') errors.add(`device lost: ${lost.message ?? lost.reason ?? ''}`);
  });
  return class CheckedWebGPUBackend extends Base {
    override async read(dataId: object): Promise<tf.backend_util.BackendValues> {
      const values = await super.read(dataId);
      errors.throwIfAny();
      return values;
    }
  };
}
