/**
 * Random resized crop — the "Inception-style" crop of Szegedy et al. 2015, "Going deeper with
 * convolutions" (CVPR, section 6: patches of 8%–100% of the image area with aspect ratio in
 * [3/4, 4/3]), used as SimCLR's first augmentation (Chen et al. 2020, arXiv:2002.05709,
 * appendix A: "random crop with resize … crop of random size (uniform from 0.08 to 1.0 in area)
 * of the original size and a random aspect ratio (default: of 3/4 to 4/3)").
 *
 * Box sampling follows torchvision `RandomResizedCrop.get_params` exactly: up to 10 tries of
 * area ~ U(scale) * H * W and log-uniform aspect ratio, rounded to whole pixels, accepted when the
 * box fits; otherwise a center crop of the whole image clamped to the ratio range.
 *
 * Resampling is torchvision's `resized_crop` (crop, then bilinear resize with half-pixel centres
 * and `antialias=True`): output pixel o of a crop [start, start + len) samples around
 * c = start + (o + 1/2) · len / size with the triangle filter of radius max(1, len / size) input
 * pixels (plain bilinear when enlarging, a proper low-pass when shrinking), weights renormalised
 * over the pixels inside the crop. The filter is separable, so per example it is two matrices,
 * R_h [size, H] and R_w [size, W], and the whole batch is two batched matmuls:
 *   X [B·C, H, W];  Y = R_h [B·C, size, H] @ X -> [B·C, size, W];
 *   Z = Y @ R_w^T [B·C, W, size] -> [B·C, size, size]
 * (R_w^T built transposed on the host: transposed BatchMatMul is slow on wasm).
 * A box of the whole image at the input size is the identity, exactly.
 *
 * Why not `tf.image.cropAndResize`: in tfjs-backend-wasm 4.22 its `memcpy` fast path fires
 * whenever the box is as many pixels wide as the output, copies rows starting at column 0
 * whatever x1 is, and tests y-integrality with H instead of H - 1, so e.g. rows 1..27 of a
 * 28x28 image resized to 28x28 come back as input rows floor(y) copied without interpolation
 * (found by comparing with the cpu kernel). It also samples corner-aligned, unlike torchvision, and never antialiases.
 *
 * Shapes: x [B, H, W, C] -> [B, size, size, C].
 */
import type { AugOp } from '../../compiler/ir.js';
import { tf } from '../tf.js';
import type { Rng } from '../util/rng.js';

export type RandomResizedCropParams = Pick<Extract<AugOp, { kind: 'random_resized_crop' }>, 'size' | 'scale' | 'ratio'>;

/** A crop in whole pixels: rows top..top+height-1, columns left..left+width-1. */
export interface CropBox {
  top: number;
  left: number;
  height: number;
  width: number;
}

export function validateRandomResizedCrop(p: RandomResizedCropParams): void {
  if (!Number.isInteger(p.size) || p.size < 1) throw new RangeError(`random_resized_crop: size must be a positive integer, got ${p.size}`);
  const [s0, s1] = p.scale;
  if (!(s0 > 0 && s0 <= s1 && s1 <= 1)) throw new RangeError(`random_resized_crop: scale must satisfy 0 < lo <= hi <= 1, got [${s0}, ${s1}]`);
  const [r0, r1] = p.ratio;
  if (!(r0 > 0 && r0 <= r1 && Number.isFinite(r1))) throw new RangeError(`random_resized_crop: ratio must satisfy 0 < lo <= hi, got [${r0}, ${r1}]`);
}

/** torchvision's `RandomResizedCrop.get_params` for an h x w image. */
export function sampleCropBox(h: number, w: number, scale: [number, number], ratio: [number, number], rng: Rng): CropBox {
  const area = h * w;
  const logLo = Math.log(ratio[0]);
  const logHi = Math.log(ratio[1]);
  for (let attempt = 0; attempt < 10; attempt++) {
    const targetArea = area * (scale[0] + (scale[1] - scale[0]) * rng.next());
    const aspect = Math.exp(logLo + (logHi - logLo) * rng.next());
    const cw = Math.round(Math.sqrt(targetArea * aspect));
    const ch = Math.round(Math.sqrt(targetArea / aspect));
    if (cw > 0 && cw <= w && ch > 0 && ch <= h) {
      return { top: rng.int(h - ch + 1), left: rng.int(w - cw + 1), height: ch, width: cw };
    }
  }
  // Fallback: the largest centred crop whose ratio is inside the range.
  const inRatio = w / h;
  let cw: number;
  let ch: number;
  if (inRatio < ratio[0]) {
    cw = w;
    ch = Math.round(cw / ratio[0]);
  } else if (inRatio > ratio[1]) {
    ch = h;
    cw = Math.round(ch * ratio[1]);
  } else {
    cw = w;
    ch = h;
  }
  return { top: Math.floor((h - ch) / 2), left: Math.floor((w - cw) / 2), height: ch, width: cw };
}

/**
 * The resampling of input pixels [start, start + len) of an axis of n pixels to `size` outputs,
 * as a [size, n] row-major matrix written into `out` at `offset` (`transposed`: as [n, size]).
 * Rows sum to 1; see the file comment for the filter.
 */
export function resizeMatrix(
  n: number,
  start: number,
  len: number,
  size: number,
  out = new Float32Array(size * n),
  offset = 0,
  transposed = false,
): Float32Array {
  const scale = len / size; // input pixels per output pixel
  const support = Math.max(1, scale); // triangle radius in input pixels
  const end = start + len;
  const w = new Float64Array(Math.ceil(2 * support) + 2);
  for (let o = 0; o < size; o++) {
    const centre = start + (o + 0.5) * scale; // continuous coordinate; pixel j spans [j, j + 1)
    const lo = Math.max(start, Math.floor(centre - support));
    const hi = Math.min(end, Math.ceil(centre + support));
    let sum = 0;
    for (let j = lo; j < hi; j++) sum += w[j - lo] = Math.max(0, 1 - Math.abs(j + 0.5 - centre) / support);
    for (let j = lo; j < hi; j++) {
      if (w[j - lo] === 0) continue;
      out[offset + (transposed ? j * size + o : o * n + j)] = w[j - lo] / sum;
    }
  }
  return out;
}

/**
 * Crop box b of example b and resize it to size x size.
 * x [B, H, W, C], boxes.length = B -> [B, size, size, C].
 */
export function cropBoxes(x: tf.Tensor4D, boxes: readonly CropBox[], size: number): tf.Tensor4D {
  const [b, h, w, c] = x.shape;
  if (boxes.length !== b) throw new RangeError(`cropBoxes: ${boxes.length} boxes for a batch of ${b}`);
  const bc = b * c;
  const rh = new Float32Array(bc * size * h); // [B·C, size, H]
  const rwT = new Float32Array(bc * w * size); // [B·C, W, size]
  for (let i = 0; i < b; i++) {
    const bx = boxes[i];
    if (!(bx.top >= 0 && bx.left >= 0 && bx.height >= 1 && bx.width >= 1 && bx.top + bx.height <= h && bx.left + bx.width <= w)) {
      throw new RangeError(`cropBoxes: box ${JSON.stringify(bx)} of example ${i} is outside the ${h}x${w} image`);
    }
    for (let ch = 0; ch < c; ch++) {
      const e = i * c + ch;
      resizeMatrix(h, bx.top, bx.height, size, rh, e * size * h);
      resizeMatrix(w, bx.left, bx.width, size, rwT, e * w * size, true);
    }
  }
  return tf.tidy(() => {
    // [B, H, W, C] -> [B·C, H, W]
    const x3 = c === 1 ? tf.reshape(x, [b, h, w]) : tf.reshape(tf.transpose(x, [0, 3, 1, 2]), [bc, h, w]);
    const y = tf.matMul(tf.tensor3d(rh, [bc, size, h]), x3); // [B·C, size, W]
    const z = tf.matMul(y, tf.tensor3d(rwT, [bc, w, size])); // [B·C, size, size]
    return c === 1
      ? tf.reshape(z, [b, size, size, 1])
      : tf.transpose(tf.reshape(z, [b, c, size, size]), [0, 2, 3, 1]);
  });
}

/** x [B, H, W, C] in [0, 1] -> [B, size, size, C], one random box per example. */
export function randomResizedCrop(x: tf.Tensor4D, params: RandomResizedCropParams, rng: Rng): tf.Tensor4D {
  validateRandomResizedCrop(params);
  const [b, h, w] = x.shape;
  const boxes: CropBox[] = [];
  for (let i = 0; i < b; i++) boxes.push(sampleCropBox(h, w, params.scale, params.ratio, rng));
  return cropBoxes(x, boxes, params.size);
}
