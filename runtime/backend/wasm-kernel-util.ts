/**
 * Helpers for writing wasm kernels out of other wasm kernels.
 *
 * A tfjs kernelFunc receives TensorInfos ({dataId, shape, dtype}) and the backend instance and
 * returns TensorInfo(s) that the engine then wraps into Tensors. Our kernels compose the stock
 * wasm kernelFuncs directly (as tfjs' own wasm kernels do: see BatchMatMul calling reshape),
 * never through tf ops: no engine scopes, no tape, and every intermediate is freed with
 * `backend.disposeData(dataId)` before returning. Only the returned TensorInfo survives.
 */
import { tf } from '../tf.js';

export type TensorInfo = tf.TensorInfo;
type KernelConfig = Parameters<typeof tf.registerKernel>[0];
type NamedAttrMap = Record<string, unknown>;

/** The part of tfjs' BackendWasm we touch. */
export interface WasmBackendLike {
  disposeData(dataId: object, force?: boolean): boolean;
}

/** Stock kernel configs, captured before we replaced any of them. */
const stock = new Map<string, KernelConfig | undefined>();
/** Our kernel funcs, to recognise an already installed override. */
const ours = new Map<string, KernelConfig['kernelFunc']>();

/** The stock wasm kernel config for `name` (before our override), or undefined if wasm has none. */
export function stockKernel(name: string): KernelConfig | undefined {
  if (stock.has(name)) return stock.get(name);
  const current = safeGetKernel(name);
  if (current && ours.get(name) === current.kernelFunc) return undefined;
  return current;
}

function safeGetKernel(name: string): KernelConfig | undefined {
  try {
    return tf.getKernel(name, 'wasm') ?? undefined;
  } catch {
    return undefined;
  }
}

/** Calls a stock wasm kernel (never one of our overrides) by name. */
export function callStock(
  name: string,
  inputs: Record<string, TensorInfo>,
  attrs: NamedAttrMap,
  backend: WasmBackendLike,
): TensorInfo {
  const k = stockKernel(name);
  if (!k) throw new Error(`wasm backend has no '${name}' kernel`);
  const out = k.kernelFunc({ inputs, backend, attrs: attrs as never });
  if (Array.isArray(out)) throw new Error(`kernel '${name}' returned several outputs`);
  return out;
}

/** Frees intermediates made inside a kernel (refcounted by the wasm backend). */
export function free(backend: WasmBackendLike, ...infos: (TensorInfo | null | undefined)[]): void {
  for (const t of infos) if (t) backend.disposeData(t.dataId);
}

/**
 * Installs `config` as the wasm kernel for its name, keeping the stock one (if any) reachable
 * through `stockKernel`. Idempotent. The stock setupFunc/disposeFunc are carried over: wasm
 * kernels cwrap their C++ entry point in setupFunc, which the engine runs when the backend is
 * initialised, so a replacement registered before `setBackend('wasm')` must keep it.
 */
export function installKernel(config: KernelConfig): void {
  const name = config.kernelName;
  const current = safeGetKernel(name);
  if (current && current.kernelFunc === config.kernelFunc) return;
  if (!stock.has(name)) stock.set(name, current);
  const orig = stock.get(name);
  if (current) tf.unregisterKernel(name, 'wasm');
  ours.set(name, config.kernelFunc);
  tf.registerKernel({
    kernelName: name,
    backendName: 'wasm',
    kernelFunc: config.kernelFunc,
    setupFunc: config.setupFunc ?? orig?.setupFunc,
    disposeFunc: config.disposeFunc ?? orig?.disposeFunc,
  });
}

/** Puts the stock kernel back (or removes ours where wasm had none). Used by the benchmark. */
export function uninstallKernel(name: string): void {
  const current = safeGetKernel(name);
  if (!current || ours.get(name) !== current.kernelFunc) return;
  tf.unregisterKernel(name, 'wasm');
  const orig = stock.get(name);
  if (orig) tf.registerKernel(orig);
}
