/**
 * Conv2D gradients for the wasm backend, written as forward Conv2D calls so they run through
 * XNNPACK.
 *
 * tfjs-backend-wasm 4.22 has no Conv2DBackpropFilter at all (training a conv net fails with
 * "Kernel 'Conv2DBackpropFilter' not registered for backend 'wasm'"), and its
 * Conv2DBackpropInput is a plain C++ loop. Layout is NHWC throughout; dilation must be 1 (tfjs'
 * conv2d gradient refuses dilation > 1 anyway). Strides and 'same' / 'valid' / explicit padding
 * are all handled by computing the padding of the equivalent forward conv; a negative padding
 * (rows the forward conv never read) becomes a slice.
 *
 * Filter gradient, with x [N,H,W,Ci], dy [N,Ho,Wo,Co], stride s, top padding p:
 *   dW[i,j,c,o] = sum_{n,u,v} x[n, u*s + i - p, v*s + j - p, c] * dy[n,u,v,o]
 * which is a stride-1 conv with dilation s of  x' = transpose(x,[3,1,2,0]) [Ci,H,W,N]
 * by the "filter"  dy' = transpose(dy,[1,2,0,3]) [Ho,Wo,N,Co], giving [Ci,fh,fw,Co], then
 * transposed to [fh,fw,Ci,Co].
 *
 * Input gradient: for stride 1, a conv of dy with the filter rotated 180 degrees and its in/out
 * channels swapped, padded by fh-1-p. For stride s, the s*s "sub-pixel" phases of dx are each
 * such a conv with a sub-filter (taps i = r, r+s, ...), interleaved: no arithmetic on the zeros
 * that the textbook form (a conv of dy zero-dilated by s) would spend 3/4 of its time on at s=2.
 *
 * Faster where measured (quickstart step, 2 threads, batch 256; see the mode setters below):
 * the strided input gradient as one GEMM (dy @ W^T) + a JS col2im on the wasm heap (20-25 ms per
 * call against 34-58 for the sub-pixel convs: four small convs plus interleaving cost more than
 * one large GEMM), and for inputs with < 4 channels the filter gradient as JS im2col + one GEMM.
 */
import { tf } from '../tf.js';
import { callStock, free, installKernel, stockKernel, uninstallKernel, type TensorInfo, type WasmBackendLike } from './wasm-kernel-util.js';

type Pads = [top: number, bottom: number, left: number, right: number];

/**
 * Conv2D with stride `strides`, dilation `dilations` and explicit, possibly negative, padding.
 * Negative padding crops the input instead.
 */
function convExplicit(
  backend: WasmBackendLike,
  x: TensorInfo,
  filter: TensorInfo,
  strides: [number, number],
  dilations: [number, number],
  pads: Pads,
): TensorInfo {
  const [t, b, l, r] = pads;
  let input = x;
  let cropped: TensorInfo | null = null;
  if (t < 0 || b < 0 || l < 0 || r < 0) {
    const [n, h, w, c] = x.shape;
    const top = Math.max(0, -t), left = Math.max(0, -l);
    const size = [n, h - top - Math.max(0, -b), w - left - Math.max(0, -r), c];
    cropped = callStock('Slice', { x }, { begin: [0, top, left, 0], size }, backend);
    input = cropped;
  }
  const pad = [[0, 0], [Math.max(0, t), Math.max(0, b)], [Math.max(0, l), Math.max(0, r)], [0, 0]];
  const out = callStock('Conv2D', { x: input, filter }, {
    strides, pad, dataFormat: 'NHWC', dilations, dimRoundingMode: undefined,
  }, backend);
  free(backend, cropped);
  return out;
}

function convInfoOf(inShape: number[], filterShape: number[], attrs: Record<string, unknown>) {
  const dataFormat = (attrs.dataFormat as string | undefined) ?? 'NHWC';
  if (dataFormat !== 'NHWC') {
    throw new Error(`wasm conv gradients support dataFormat 'NHWC' only, got '${dataFormat}'`);
  }
  return tf.backend_util.computeConv2DInfo(
    inShape as [number, number, number, number],
    filterShape as [number, number, number, number],
    attrs.strides as number | [number, number],
    1,
    attrs.pad as 'same' | 'valid' | number,
    attrs.dimRoundingMode as 'floor' | 'round' | 'ceil' | undefined,
    false,
    'channelsLast',
  );
}

function conv2DBackpropFilter(args: {
  inputs: Record<string, TensorInfo>;
  backend: unknown;
  attrs?: Record<string, unknown>;
}): TensorInfo {
  const backend = args.backend as WasmBackendLike;
  const { x, dy } = args.inputs;
  const attrs = args.attrs ?? {};
  const filterShape = attrs.filterShape as number[];
  const ci = convInfoOf(x.shape, filterShape, attrs);
  const { strideHeight: sh, strideWidth: sw, filterHeight: fh, filterWidth: fw } = ci;
  const { outHeight: ho, outWidth: wo, inHeight: h, inWidth: w } = ci;
  const { top, left } = ci.padInfo;
  // Rows of x the forward conv read: -top .. (ho-1)*sh + fh-1 - top.
  const bottom = (ho - 1) * sh + fh - 1 - top - (h - 1);
  const right = (wo - 1) * sw + fw - 1 - left - (w - 1);

  const useIm2col = FILTER_GRAD_MODE === 'im2col' || (FILTER_GRAD_MODE === 'auto' && ci.inChannels < 4);
  if (useIm2col && x.dtype === 'float32' && dy.dtype === 'float32' && hasHeap(backend)) {
    return im2colFilterGrad(backend, x, dy, ci);
  }
  const xT = callStock('Transpose', { x }, { perm: [3, 1, 2, 0] }, backend); // [Ci,H,W,N]
  const dyT = callStock('Transpose', { x: dy }, { perm: [1, 2, 0, 3] }, backend); // [Ho,Wo,N,Co]
  const g = convExplicit(backend, xT, dyT, [1, 1], [sh, sw], [top, bottom, left, right]); // [Ci,fh,fw,Co]
  free(backend, xT, dyT);
  const out = callStock('Transpose', { x: g }, { perm: [1, 2, 0, 3] }, backend); // [fh,fw,Ci,Co]
  free(backend, g);
  return out;
}

/**
 * Which filter-gradient formulation to use: 'auto' (default) picks im2col for inputs with fewer
 * than 4 channels and the dilated conv otherwise. Measured in one quickstart step (2 threads,
 * batch 256): x 28x28x1 -> 14x14x32: im2col 13.5-14 ms vs dilated 18-19 ms; x 14x14x32 -> 7x7x64:
 * im2col 70-88 vs 40-41; x 7x7x64 -> 4x4x128: im2col 55 vs 45 (the [Co, N*Ho*Wo] x [N*Ho*Wo, K]
 * GEMM with a long inner dimension is not XNNPACK's strong case, and the JS copy adds to it).
 */
export type FilterGradMode = 'auto' | 'im2col' | 'dilated';
let FILTER_GRAD_MODE: FilterGradMode = 'auto';
export function setFilterGradMode(mode: FilterGradMode): void {
  FILTER_GRAD_MODE = mode;
}

interface HeapBackend extends WasmBackendLike {
  makeOutput(shape: number[], dtype: 'float32'): TensorInfo;
  typedArrayFromHeap(t: TensorInfo): Float32Array;
}
function hasHeap(b: WasmBackendLike): b is HeapBackend {
  const o = b as Partial<HeapBackend>;
  return typeof o.makeOutput === 'function' && typeof o.typedArrayFromHeap === 'function';
}

/**
 * Filter gradient as im2col + one GEMM: cols [N*Ho*Wo, fh*fw*Ci] is written by JS straight into
 * the wasm heap (rows of Ci contiguous floats, zeros for padding), then
 *   dW^T [Co, K] = dy^T [Co, M] @ cols [M, K]
 * runs as one XNNPACK GEMM, and the small [Co, K] result is transposed to [fh,fw,Ci,Co].
 */
function im2colFilterGrad(backend: HeapBackend, x: TensorInfo, dy: TensorInfo, ci: ConvInfo): TensorInfo {
  const { strideHeight: sh, strideWidth: sw, filterHeight: fh, filterWidth: fw } = ci;
  const { outHeight: ho, outWidth: wo, inHeight: h, inWidth: w, inChannels: c, outChannels: co } = ci;
  const { top, left } = ci.padInfo;
  const n = x.shape[0];
  const m = n * ho * wo;
  const k = fh * fw * c;
  const cols = backend.makeOutput([1, m, k], 'float32');
  // Views after the allocation (the heap may have grown and detached older views).
  const out = backend.typedArrayFromHeap(cols);
  const xs = backend.typedArrayFromHeap(x);
  let r = 0;
  for (let b = 0; b < n; b++) {
    const xb = b * h * w * c;
    for (let u = 0; u < ho; u++) {
      for (let v = 0; v < wo; v++) {
        for (let i = 0; i < fh; i++) {
          const y = u * sh + i - top;
          if (y < 0 || y >= h) {
            out.fill(0, r, r + fw * c);
            r += fw * c;
            continue;
          }
          const xrow = xb + y * w * c;
          for (let j = 0; j < fw; j++) {
            const xx = v * sw + j - left;
            if (xx < 0 || xx >= w) {
              out.fill(0, r, r + c);
            } else if (c === 1) {
              out[r] = xs[xrow + xx];
            } else {
              const src = xrow + xx * c;
              out.set(xs.subarray(src, src + c), r);
            }
            r += c;
          }
        }
      }
    }
  }
  const dy3 = callStock('Reshape', { x: dy }, { shape: [1, m, co] }, backend);
  const dyT = callStock('Transpose', { x: dy3 }, { perm: [0, 2, 1] }, backend); // [1,Co,M]
  free(backend, dy3);
  const g = callStock('BatchMatMul', { a: dyT, b: cols }, { transposeA: false, transposeB: false }, backend); // [1,Co,K]
  free(backend, dyT, cols);
  const gT = callStock('Transpose', { x: g }, { perm: [0, 2, 1] }, backend); // [1,K,Co]
  free(backend, g);
  const res = callStock('Reshape', { x: gT }, { shape: [fh, fw, c, co] }, backend);
  free(backend, gT);
  return res;
}

function conv2DBackpropInput(args: {
  inputs: Record<string, TensorInfo>;
  backend: unknown;
  attrs?: Record<string, unknown>;
}): TensorInfo {
  const backend = args.backend as WasmBackendLike;
  const { dy, filter } = args.inputs;
  const attrs = args.attrs ?? {};
  const inputShape = attrs.inputShape as number[];
  const ci = convInfoOf(inputShape, filter.shape, attrs);
  const { strideHeight: sh, strideWidth: sw, filterHeight: fh, filterWidth: fw } = ci;
  const { outHeight: ho, outWidth: wo, inHeight: h, inWidth: w } = ci;
  const { top, left } = ci.padInfo;

  if (sh === 1 && sw === 1) {
    // dx[h] = sum_i dy[h + top - i] * W[i]: a conv of dy padded by fh-1-top with the rotated filter.
    const rot = rotate(backend, filter);
    const out = convExplicit(backend, dy, rot, [1, 1], [1, 1],
      [fh - 1 - top, h - 1 + top - (ho - 1), fw - 1 - left, w - 1 + left - (wo - 1)]);
    free(backend, rot);
    return out;
  }
  // With very few input channels the GEMMs below are one or two columns wide and the stock C++
  // loop is as fast (measured 15.7 vs 20.1 ms for dx of a 1-channel 28x28 input, batch 256).
  if (ci.inChannels < 4 && stockKernel('Conv2DBackpropInput')) {
    return callStock('Conv2DBackpropInput', args.inputs, attrs, backend);
  }
  if (INPUT_GRAD_MODE === 'col2im' && dy.dtype === 'float32' && filter.dtype === 'float32' && hasHeap(backend)) {
    return col2imInputGrad(backend, dy, filter, ci);
  }
  if (fh >= sh && fw >= sw) return subPixelInputGrad(backend, dy, filter, ci);
  return dilatedInputGrad(backend, dy, filter, ci);
}

type ConvInfo = ReturnType<typeof convInfoOf>;

/** Strided input gradient: 'col2im' (default, see col2imInputGrad) or 'subpixel'. For benchmarks and tests. */
export type InputGradMode = 'col2im' | 'subpixel';
let INPUT_GRAD_MODE: InputGradMode = 'col2im';
export function setInputGradMode(mode: InputGradMode): void {
  INPUT_GRAD_MODE = mode;
}

/**
 * Strided input gradient as one GEMM + col2im:
 *   cols [N*Ho*Wo, fh*fw*Ci] = dy [N*Ho*Wo, Co] @ W^T [Co, fh*fw*Ci]
 * (one XNNPACK GEMM), then JS scatter-adds each row's fh*fw taps into dx on the wasm heap:
 *   dx[n, u*s + i - top, v*s + j - left, :] += cols[n,u,v, i,j, :].
 */
function col2imInputGrad(backend: HeapBackend, dy: TensorInfo, filter: TensorInfo, ci: ConvInfo): TensorInfo {
  const { strideHeight: sh, strideWidth: sw, filterHeight: fh, filterWidth: fw } = ci;
  const { outHeight: ho, outWidth: wo, inHeight: h, inWidth: w, inChannels: c, outChannels: co } = ci;
  const { top, left } = ci.padInfo;
  const n = dy.shape[0];
  const m = n * ho * wo;
  const k = fh * fw * c;
  const w3 = callStock('Reshape', { x: filter }, { shape: [1, k, co] }, backend);
  const wT = callStock('Transpose', { x: w3 }, { perm: [0, 2, 1] }, backend); // [1,Co,K]
  free(backend, w3);
  const dy3 = callStock('Reshape', { x: dy }, { shape: [1, m, co] }, backend);
  const cols = callStock('BatchMatMul', { a: dy3, b: wT }, { transposeA: false, transposeB: false }, backend); // [1,M,K]
  free(backend, dy3, wT);
  const dx = backend.makeOutput([n, h, w, c], 'float32');
  const out = backend.typedArrayFromHeap(dx);
  const src = backend.typedArrayFromHeap(cols);
  out.fill(0);
  let r = 0;
  for (let b = 0; b < n; b++) {
    const ob = b * h * w * c;
    for (let u = 0; u < ho; u++) {
      for (let v = 0; v < wo; v++) {
        for (let i = 0; i < fh; i++) {
          const y = u * sh + i - top;
          if (y < 0 || y >= h) {
            r += fw * c;
            continue;
          }
          const orow = ob + y * w * c;
          for (let j = 0; j < fw; j++) {
            const xx = v * sw + j - left;
            if (xx >= 0 && xx < w) {
              const d = orow + xx * c;
              for (let q = 0; q < c; q++) out[d + q] += src[r + q];
            }
            r += c;
          }
        }
      }
    }
  }
  free(backend, cols);
  return dx;
}

/** [fh,fw,Ci,Co] -> rotated 180 degrees, in/out swapped: [fh,fw,Co,Ci]. */
function rotate(backend: WasmBackendLike, filter: TensorInfo): TensorInfo {
  const rev = callStock('Reverse', { x: filter }, { dims: [0, 1] }, backend);
  const rot = callStock('Transpose', { x: rev }, { perm: [0, 1, 3, 2] }, backend);
  free(backend, rev);
  return rot;
}

/**
 * Strided input gradient without the zeros: split the filter taps by residue modulo the stride.
 * With e = h + top written as e = s*m + r, only taps i = r + s*k reach dx[h], and
 *   dx[h] = sum_k dy[m - k] * W[r + s*k]
 * is a stride-1 conv of dy with the rotated sub-filter W[r::s] (padded by K_r - 1 on top).
 * The sh*sw phase images P_r[m] are interleaved (reshape + concat) into E[s*m + r] and dx is
 * E[top : top + H]. Same arithmetic as the forward conv, none spent on inserted zeros.
 * Needs every residue to have a tap (fh >= sh, fw >= sw).
 */
function subPixelInputGrad(backend: WasmBackendLike, dy: TensorInfo, filter: TensorInfo, ci: ConvInfo): TensorInfo {
  const { strideHeight: sh, strideWidth: sw, filterHeight: fh, filterWidth: fw } = ci;
  const { outHeight: ho, outWidth: wo, inHeight: h, inWidth: w, inChannels: cIn } = ci;
  const n = dy.shape[0];
  const { top, left } = ci.padInfo;
  const mh = Math.ceil((top + h) / sh);
  const mw = Math.ceil((left + w) / sw);
  const [, , fci, fco] = filter.shape;
  const rows: TensorInfo[] = [];
  for (let rh = 0; rh < sh; rh++) {
    const cols: TensorInfo[] = [];
    for (let rw = 0; rw < sw; rw++) {
      const kh = Math.ceil((fh - rh) / sh), kw = Math.ceil((fw - rw) / sw);
      const sub = callStock('StridedSlice', { x: filter }, {
        begin: [rh, rw, 0, 0], end: [fh, fw, fci, fco], strides: [sh, sw, 1, 1],
        beginMask: 0, endMask: 0, ellipsisMask: 0, newAxisMask: 0, shrinkAxisMask: 0,
      }, backend); // [kh,kw,Ci,Co]
      const rot = rotate(backend, sub);
      free(backend, sub);
      const p = convExplicit(backend, dy, rot, [1, 1], [1, 1], [kh - 1, mh - ho, kw - 1, mw - wo]); // [N,mh,mw,Ci]
      free(backend, rot);
      cols.push(callStock('Reshape', { x: p }, { shape: [n, mh, 1, mw, 1, cIn] }, backend));
      free(backend, p);
    }
    const row = cols.length === 1 ? cols[0] : callStock('Concat', cols as never, { axis: 4 }, backend);
    if (cols.length > 1) free(backend, ...cols);
    rows.push(row); // [N,mh,1,mw,sw,Ci]
  }
  const all = rows.length === 1 ? rows[0] : callStock('Concat', rows as never, { axis: 2 }, backend);
  if (rows.length > 1) free(backend, ...rows);
  const e = callStock('Reshape', { x: all }, { shape: [n, mh * sh, mw * sw, cIn] }, backend);
  free(backend, all);
  if (top === 0 && left === 0 && mh * sh === h && mw * sw === w) return e;
  const out = callStock('Slice', { x: e }, { begin: [0, top, left, 0], size: [n, h, w, cIn] }, backend);
  free(backend, e);
  return out;
}

/**
 * Strided input gradient by zero-dilation (for filters smaller than the stride): dy with s-1
 * zeros between samples, convolved with the rotated filter. Spends (s^2 - 1)/s^2 of its
 * arithmetic on zeros.
 */
function dilatedInputGrad(backend: WasmBackendLike, dy: TensorInfo, filter: TensorInfo, ci: ConvInfo): TensorInfo {
  const { strideHeight: sh, strideWidth: sw, filterHeight: fh, filterWidth: fw } = ci;
  const { outHeight: ho, outWidth: wo, inHeight: h, inWidth: w } = ci;
  const [n, , , co] = dy.shape;
  const { top, left } = ci.padInfo;
  // [N,Ho,Wo,Co] -> [N,Ho,1,Wo,1,Co] -> pad to [N,Ho,sh,Wo,sw,Co] -> [N,Ho*sh,Wo*sw,Co]; the last
  // sh-1 rows (sw-1 cols) are surplus zeros, cropped by the padding below.
  const r6 = callStock('Reshape', { x: dy }, { shape: [n, ho, 1, wo, 1, co] }, backend);
  const p6 = callStock('PadV2', { x: r6 }, {
    paddings: [[0, 0], [0, 0], [0, sh - 1], [0, 0], [0, sw - 1], [0, 0]], constantValue: 0,
  }, backend);
  free(backend, r6);
  const dyD = callStock('Reshape', { x: p6 }, { shape: [n, ho * sh, wo * sw, co] }, backend);
  free(backend, p6);
  // dx[h] = sum_i dyD[h + top - i] * W[i]  ==  conv over dyD padded by fh-1-top on top.
  const rot = rotate(backend, filter);
  const out = convExplicit(backend, dyD, rot, [1, 1], [1, 1], [
    fh - 1 - top, h - 1 + top - (dyD.shape[1] - 1), fw - 1 - left, w - 1 + left - (dyD.shape[2] - 1),
  ]);
  free(backend, dyD, rot);
  return out;
}

export const CONV_GRAD_KERNELS = ['Conv2DBackpropFilter', 'Conv2DBackpropInput'] as const;

/** Registers our Conv2DBackpropFilter / Conv2DBackpropInput for 'wasm'. Idempotent. */
export function installConvGrads(): string[] {
  installKernel({ kernelName: 'Conv2DBackpropFilter', backendName: 'wasm', kernelFunc: conv2DBackpropFilter as never });
  installKernel({ kernelName: 'Conv2DBackpropInput', backendName: 'wasm', kernelFunc: conv2DBackpropInput as never });
  return [...CONV_GRAD_KERNELS];
}

/** Restores the stock kernels (none for Conv2DBackpropFilter). For benchmarks and tests. */
export function uninstallConvGrads(): void {
  for (const k of CONV_GRAD_KERNELS) uninstallKernel(k);
}
