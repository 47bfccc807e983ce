import '@tensorflow/tfjs-backend-wasm';
import { beforeAll, describe, expect, it } from 'vitest';
import { tf } from '../tf.js';
import { createRng } from '../util/rng.js';
import { cropBoxes, randomResizedCrop, resizeMatrix, sampleCropBox, type CropBox } from './random_resized_crop.js';

/**
 * Naive reference for enlarging crops: torchvision's bilinear resize (align_corners=False) of
 * the cropped image, pixel by pixel. x [H, W] row-major -> [size, size].
 */
function naiveCropResize(x: ArrayLike<number>, w: number, box: CropBox, size: number): Float64Array {
  const axis = (o: number, len: number): [number, number, number] => {
    const src = Math.max(0, (o + 0.5) * (len / size) - 0.5);
    const i0 = Math.min(Math.floor(src), len - 1);
    const i1 = Math.min(i0 + 1, len - 1);
    return [i0, i1, src - i0];
  };
  const out = new Float64Array(size * size);
  for (let oy = 0; oy < size; oy++)
    for (let ox = 0; ox < size; ox++) {
      const [y0, y1, ly] = axis(oy, box.height);
      const [x0, x1, lx] = axis(ox, box.width);
      const px = (yy: number, xx: number) => x[(box.top + yy) * w + box.left + xx];
      const top = px(y0, x0) * (1 - lx) + px(y0, x1) * lx;
      const bottom = px(y1, x0) * (1 - lx) + px(y1, x1) * lx;
      out[oy * size + ox] = top * (1 - ly) + bottom * ly;
    }
  return out;
}

describe('resizeMatrix (host only)', () => {
  it('is the identity at scale 1, bilinear when enlarging, a normalised triangle filter when shrinking', () => {
    const id = resizeMatrix(4, 0, 4, 4);
    expect(Array.from(id)).toEqual([1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1]);
    // 8 -> 4: radius 2; interior rows are [1, 3, 3, 1] / 8, the edges renormalised [3, 3, 1] / 7.
    const down = resizeMatrix(8, 0, 8, 4);
    const row = (r: number) => Array.from(down.slice(r * 8, r * 8 + 8)).map((v) => Number(v.toFixed(6)));
    expect(row(0)).toEqual([3 / 7, 3 / 7, 1 / 7, 0, 0, 0, 0, 0].map((v) => Number(v.toFixed(6))));
    expect(row(1)).toEqual([0, 1 / 8, 3 / 8, 3 / 8, 1 / 8, 0, 0, 0].map((v) => Number(v.toFixed(6))));
    for (let r = 0; r < 4; r++) expect(row(r).reduce((a, v) => a + v, 0)).toBeCloseTo(1, 5);
    // Crop [2, 5) of 6 pixels to 6 outputs touches only columns 2..4.
    const up = resizeMatrix(6, 2, 3, 6);
    for (let o = 0; o < 6; o++) for (const j of [0, 1, 5]) expect(up[o * 6 + j]).toBe(0);
    const t = resizeMatrix(6, 2, 3, 6, undefined, 0, true);
    for (let o = 0; o < 6; o++) for (let j = 0; j < 6; j++) expect(t[j * 6 + o]).toBe(up[o * 6 + j]);
  });
});

function maxAbsDiff(a: tf.Tensor, b: tf.Tensor): number {
  const x = a.dataSync();
  const y = b.dataSync();
  expect(x.length).toBe(y.length);
  let m = 0;
  for (let i = 0; i < x.length; i++) m = Math.max(m, Math.abs(x[i] - y[i]));
  return m;
}

describe('sampleCropBox (host only)', () => {
  it('area fraction ~ U(scale) when every box fits (square ratio)', () => {
    const rng = createRng(1);
    const n = 20000;
    const fr: number[] = [];
    let outside = 0;
    for (let i = 0; i < n; i++) {
      const b = sampleCropBox(28, 28, [0.4, 1], [1, 1], rng);
      if (!(b.top >= 0 && b.left >= 0 && b.top + b.height <= 28 && b.left + b.width <= 28)) outside++;
      fr.push((b.height * b.width) / 784);
    }
    expect(outside).toBe(0);
    // Exact law: side s = round(sqrt(784 u)), u ~ U(0.4, 1), so P(s) is the length of
    // [(s - 1/2)^2, (s + 1/2)^2) inside [0.4 * 784, 784], over 0.6 * 784.
    const hist = new Map<number, number>();
    for (const f of fr) hist.set(Math.round(f * 784), (hist.get(Math.round(f * 784)) ?? 0) + 1);
    let expectedMean = 0;
    for (let s = 1; s <= 28; s++) {
      const p = Math.max(0, Math.min((s + 0.5) ** 2, 784) - Math.max((s - 0.5) ** 2, 0.4 * 784)) / (0.6 * 784);
      expectedMean += (p * s * s) / 784;
      expect(Math.abs((hist.get(s * s) ?? 0) / n - p)).toBeLessThan(0.01);
    }
    const mean = fr.reduce((a, b) => a + b, 0) / n;
    expect(Math.abs(mean - expectedMean)).toBeLessThan(0.005);
    expect(Math.abs(mean - 0.7)).toBeLessThan(0.01); // the mean of U(0.4, 1)
  });

  it('Inception settings: areas within scale, ratios within range, positions uniform', () => {
    const rng = createRng(2);
    let tops = 0;
    let slack = 0;
    let [aMin, aMax, rMin, rMax] = [1, 0, 10, 0];
    for (let i = 0; i < 10000; i++) {
      const b = sampleCropBox(28, 28, [0.08, 1], [3 / 4, 4 / 3], rng);
      const a = (b.height * b.width) / 784;
      const r = b.width / b.height;
      [aMin, aMax, rMin, rMax] = [Math.min(aMin, a), Math.max(aMax, a), Math.min(rMin, r), Math.max(rMax, r)];
      tops += b.top;
      slack += (28 - b.height) / 2;
    }
    expect(aMin).toBeGreaterThan(0.05);
    expect(aMin).toBeLessThan(0.1);
    expect(aMax).toBeLessThanOrEqual(1);
    // Whole-pixel rounding moves the ratio a little outside [3/4, 4/3] on small boxes.
    expect(rMin).toBeGreaterThan(0.6);
    expect(rMax).toBeLessThan(1.7);
    expect(Math.abs(tops / slack - 1)).toBeLessThan(0.05); // top ~ U{0..H-h}: mean (H-h)/2
  });

  it('falls back to the ratio-clamped center crop after 10 failures (torchvision)', () => {
    // ratio 2 at full area needs a 40-pixel-wide crop: never fits.
    expect(sampleCropBox(28, 28, [1, 1], [2, 2], createRng(3))).toEqual({ top: 7, left: 0, height: 14, width: 28 });
    expect(sampleCropBox(28, 28, [1, 1], [0.5, 0.5], createRng(3))).toEqual({ top: 0, left: 7, height: 28, width: 14 });
  });
});

describe.each(['cpu', 'wasm'])('random_resized_crop on %s', (backend) => {
  beforeAll(async () => {
    expect(await tf.setBackend(backend)).toBe(true);
  });

  it('identity box at the input size returns the image', () => {
    expect(tf.getBackend()).toBe(backend);
    const x = tf.randomUniform([3, 9, 7, 2], 0, 1, 'float32', 1) as tf.Tensor4D;
    const full: CropBox = { top: 0, left: 0, height: 9, width: 7 };
    const y = cropBoxes(x, [full, full, full], 9);
    // size 9 square output from a 9x7 image: compare only when W = H, so use a square image too.
    expect(y.shape).toEqual([3, 9, 9, 2]);
    const sq = tf.randomUniform([2, 8, 8, 1], 0, 1, 'float32', 2) as tf.Tensor4D;
    const id: CropBox = { top: 0, left: 0, height: 8, width: 8 };
    const z = cropBoxes(sq, [id, id], 8);
    expect(maxAbsDiff(z, sq)).toBeLessThan(1e-6);
    tf.dispose([x, y, sq, z]);
  });

  it('a box at its own size equals the slice; per-example boxes', () => {
    const x = tf.randomUniform([2, 12, 12, 1], 0, 1, 'float32', 3) as tf.Tensor4D;
    const y = cropBoxes(x, [{ top: 2, left: 3, height: 5, width: 5 }, { top: 7, left: 0, height: 5, width: 5 }], 5);
    const ref = tf.tidy(() => tf.concat([tf.slice(x, [0, 2, 3, 0], [1, 5, 5, 1]), tf.slice(x, [1, 7, 0, 0], [1, 5, 5, 1])]));
    expect(maxAbsDiff(y, ref)).toBeLessThan(1e-6);
    // Upsampling a 2x2 box to 3x3 puts the bilinear midpoint in the middle.
    const small = tf.tensor4d([0, 1, 2, 3], [1, 2, 2, 1]);
    const up = cropBoxes(small, [{ top: 0, left: 0, height: 2, width: 2 }], 3);
    expect(Array.from(up.dataSync())).toEqual([0, 0.5, 1, 1, 1.5, 2, 2, 2.5, 3]);
    expect(() => cropBoxes(small, [{ top: 1, left: 0, height: 2, width: 2 }], 3)).toThrow(/outside the 2x2 image/);
    tf.dispose([x, y, ref, small, up]);
  });

  it('matches a naive per-pixel bilinear reference, incl. full-width boxes (the wasm CropAndResize bug)', () => {
    const [b, h, w] = [6, 28, 28];
    const x = tf.randomUniform([b, h, w, 1], 0, 1, 'float32', 5) as tf.Tensor4D;
    const boxes: CropBox[] = [
      { top: 1, left: 0, height: 27, width: 28 }, // wasm's CropAndResize returns unresampled rows here
      { top: 6, left: 0, height: 22, width: 28 },
      { top: 0, left: 3, height: 28, width: 25 },
      { top: 4, left: 9, height: 13, width: 17 },
      { top: 0, left: 0, height: 28, width: 28 },
      { top: 20, left: 20, height: 8, width: 8 },
    ];
    const y = cropBoxes(x, boxes, 28);
    const xv = x.dataSync();
    const yv = y.dataSync();
    let err = 0;
    for (let i = 0; i < b; i++) {
      const ref = naiveCropResize(xv.subarray(i * h * w, (i + 1) * h * w), w, boxes[i], 28);
      for (let k = 0; k < 784; k++) err = Math.max(err, Math.abs(yv[i * 784 + k] - ref[k]));
    }
    expect(err).toBeLessThan(1e-5);
    // Multi-channel: each channel resampled alike.
    const x3 = tf.randomUniform([2, 9, 7, 3], 0, 1, 'float32', 6) as tf.Tensor4D;
    const bx: CropBox[] = [{ top: 2, left: 1, height: 5, width: 6 }, { top: 0, left: 0, height: 9, width: 7 }];
    const y3 = cropBoxes(x3, bx, 11);
    expect(y3.shape).toEqual([2, 11, 11, 3]);
    const per = tf.tidy(() =>
      tf.concat(
        tf.split(x3, 3, 3).map((ch) => cropBoxes(ch as tf.Tensor4D, bx, 11)),
        3,
      ),
    );
    expect(maxAbsDiff(y3, per)).toBeLessThan(1e-6);
    tf.dispose([x, y, x3, y3, per]);
  });

  it('random crops: shape, range, determinism, distinct per example, no leaks', () => {
    const x = tf.randomUniform([16, 28, 28, 1], 0, 1, 'float32', 4) as tf.Tensor4D;
    const params = { size: 20, scale: [0.4, 1] as [number, number], ratio: [3 / 4, 4 / 3] as [number, number] };
    const before = tf.memory().numTensors;
    const a = randomResizedCrop(x, params, createRng(7));
    const b = randomResizedCrop(x, params, createRng(7));
    expect(tf.memory().numTensors).toBe(before + 2);
    expect(a.shape).toEqual([16, 20, 20, 1]);
    expect(maxAbsDiff(a, b)).toBe(0);
    const v = a.dataSync();
    expect(Math.min(...v)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...v)).toBeLessThanOrEqual(1);
    // Same image in every slot -> different crops per example.
    const same = tf.tidy(() => tf.tile(tf.slice(x, [0, 0, 0, 0], [1, 28, 28, 1]), [4, 1, 1, 1])) as tf.Tensor4D;
    const c = randomResizedCrop(same, params, createRng(8));
    const e = 400;
    const cv = c.dataSync();
    expect(cv.slice(0, e)).not.toEqual(cv.slice(e, 2 * e));
    tf.dispose([a, b, c, same]);
    expect(tf.memory().numTensors).toBe(before);
    expect(x.isDisposed).toBe(false);
    x.dispose();
  });

  it('rejects bad parameters', () => {
    const x = tf.zeros([1, 4, 4, 1]) as tf.Tensor4D;
    expect(() => randomResizedCrop(x, { size: 4, scale: [0, 1], ratio: [1, 1] }, createRng(1))).toThrow(/scale/);
    expect(() => randomResizedCrop(x, { size: 4, scale: [0.5, 1], ratio: [2, 1] }, createRng(1))).toThrow(/ratio/);
    expect(() => randomResizedCrop(x, { size: 0, scale: [0.5, 1], ratio: [1, 1] }, createRng(1))).toThrow(/size/);
    x.dispose();
  });
});
