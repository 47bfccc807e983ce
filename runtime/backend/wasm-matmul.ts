/**
 * BatchMatMul / _FusedMatMul for wasm with the transposes made explicit.
 *
 * tfjs-backend-wasm 4.22 hands transposeA / transposeB to a slow path: for [512,784]x[784,512]
 * (shared/notes/backends.md) 409 ms (transposeA) and 215 ms (transposeB) against 17 ms untransposed,
 * and every matmul gradient is a transposed matmul. Transposing the operand first (a cheap
 * memory pass) and calling the stock kernel untransposed is an order of magnitude faster.
 *
 * Also: the stock _FusedMatMul adds the bias at wrong offsets when there is more than one batch
 * matrix (rank-3 a/b with batch > 1; found by wasm-kernels.test.ts: a [2,2,3] x b [2,3,2] + bias
 * gave 10-100 where 10+10 was due). That case is computed as BatchMatMul + Add + activation.
 */
import { callStock, free, installKernel, uninstallKernel, type TensorInfo, type WasmBackendLike } from './wasm-kernel-util.js';

function swapLast2(backend: WasmBackendLike, x: TensorInfo): TensorInfo {
  const r = x.shape.length;
  const perm = [...Array(r).keys()];
  perm[r - 2] = r - 1;
  perm[r - 1] = r - 2;
  return callStock('Transpose', { x }, { perm }, backend);
}

function untransposed(kernelName: string) {
  return (args: { inputs: Record<string, TensorInfo>; backend: unknown; attrs?: Record<string, unknown> }): TensorInfo => {
    const backend = args.backend as WasmBackendLike;
    const attrs = args.attrs ?? {};
    const { a, b } = args.inputs;
    const ta = Boolean(attrs.transposeA), tb = Boolean(attrs.transposeB);
    if (kernelName === '_FusedMatMul' && args.inputs.bias && Math.max(batchOf(a), batchOf(b)) > 1) {
      // The stock kernel's bias bug (above); BatchMatMul below is ours-or-stock via callStock,
      // so give it untransposed operands here too.
      const a2 = ta ? swapLast2(backend, a) : null;
      const b2 = tb ? swapLast2(backend, b) : null;
      const out = fusedUnfused(backend, { ...args.inputs, a: a2 ?? a, b: b2 ?? b }, { ...attrs, transposeA: false, transposeB: false });
      free(backend, a2, b2);
      return out;
    }
    if ((!ta && !tb) || a.dtype !== 'float32' || b.dtype !== 'float32') {
      return callStock(kernelName, args.inputs, attrs, backend);
    }
    const a2 = ta ? swapLast2(backend, a) : null;
    const b2 = tb ? swapLast2(backend, b) : null;
    const out = callStock(kernelName, { ...args.inputs, a: a2 ?? a, b: b2 ?? b }, {
      ...attrs, transposeA: false, transposeB: false,
    }, backend);
    free(backend, a2, b2);
    return out;
  };
}

const ACTIVATION_KERNELS: Record<string, string> = {
  relu: 'Relu', relu6: 'Relu6', elu: 'Elu', sigmoid: 'Sigmoid', leakyrelu: 'LeakyRelu', prelu: 'Prelu',
};

/** _FusedMatMul for batch > 1 with a bias: matmul, add, activate, each a stock kernel. */
function fusedUnfused(
  backend: WasmBackendLike,
  inputs: Record<string, TensorInfo>,
  attrs: Record<string, unknown>,
): TensorInfo {
  const { a, b, bias, preluActivationWeights } = inputs;
  const mm = callStock('BatchMatMul', { a, b }, { transposeA: attrs.transposeA, transposeB: attrs.transposeB }, backend);
  const added = callStock('Add', { a: mm, b: bias }, {}, backend);
  free(backend, mm);
  const activation = (attrs.activation as string | undefined) ?? 'linear';
  if (activation === 'linear') return added;
  const kernel = ACTIVATION_KERNELS[activation];
  if (!kernel) {
    free(backend, added);
    throw new Error(`_FusedMatMul: unsupported activation '${activation}'`);
  }
  const out = activation === 'prelu'
    ? callStock(kernel, { x: added, alpha: preluActivationWeights }, {}, backend)
    : callStock(kernel, { x: added }, activation === 'leakyrelu' ? { alpha: attrs.leakyreluAlpha ?? 0.2 } : {}, backend);
  free(backend, added);
  return out;
}

const batchOf = (t: TensorInfo) => t.shape.slice(0, -2).reduce((p, d) => p * d, 1);

export const MATMUL_KERNELS = ['BatchMatMul', '_FusedMatMul'] as const;
const kernelFuncs = new Map(MATMUL_KERNELS.map((k) => [k, untransposed(k)]));

/** Registers the explicit-transpose BatchMatMul and _FusedMatMul for 'wasm'. Idempotent. */
export function installMatMul(): string[] {
  for (const k of MATMUL_KERNELS) {
    installKernel({ kernelName: k, backendName: 'wasm', kernelFunc: kernelFuncs.get(k) as never });
  }
  return [...MATMUL_KERNELS];
}

/** Restores the stock kernels. For benchmarks and tests. */
export function uninstallMatMul(): void {
  for (const k of MATMUL_KERNELS) uninstallKernel(k);
}
