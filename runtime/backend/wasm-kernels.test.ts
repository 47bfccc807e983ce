/**
 * Our wasm kernels against the cpu backend's: conv2d gradients (filter and input) over strides
 * 1-3 and same / valid / explicit padding, matmul with every transpose combination, and no
 * leaks (tensors or backend buffers) across repeated calls.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { tf } from '../tf.js';
import { initBackend } from './index.js';
import { setFilterGradMode, setInputGradMode, type FilterGradMode, type InputGradMode } from './wasm-conv-grads.js';

/** Deterministic values in [-1, 1). */
function values(n: number, seed: number): Float32Array {
  let s = seed >>> 0 || 1;
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    s ^= s << 13; s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5; s >>>= 0;
    out[i] = (s / 4294967296) * 2 - 1;
  }
  return out;
}

const size = (shape: number[]) => shape.reduce((a, b) => a * b, 1);

function relErr(got: Float32Array, want: Float32Array): number {
  expect(got.length).toBe(want.length);
  let maxDiff = 0, maxAbs = 0;
  for (let i = 0; i < want.length; i++) {
    maxDiff = Math.max(maxDiff, Math.abs(got[i] - want[i]));
    maxAbs = Math.max(maxAbs, Math.abs(want[i]));
  }
  return maxDiff / Math.max(1, maxAbs);
}

type Pad = 'same' | 'valid' | [[number, number], [number, number], [number, number], [number, number]];
interface ConvCase {
  x: [number, number, number, number];
  w: [number, number, number, number];
  strides: number | [number, number];
  pad: Pad;
}

// Input channels >= 4 where strided: below that, Conv2DBackpropInput defers to the stock kernel.
const CONV_CASES: ConvCase[] = [
  { x: [2, 28, 28, 1], w: [3, 3, 1, 4], strides: 2, pad: 'same' }, // the encoder's first layer
  { x: [3, 7, 7, 3], w: [3, 3, 3, 5], strides: 1, pad: 'valid' },
  { x: [2, 7, 7, 4], w: [3, 3, 4, 3], strides: 3, pad: 'same' },
  { x: [2, 28, 28, 4], w: [5, 5, 4, 4], strides: 3, pad: 'valid' },
  { x: [4, 14, 14, 8], w: [3, 3, 8, 16], strides: 2, pad: 'valid' },
  { x: [2, 6, 6, 4], w: [4, 4, 4, 2], strides: 2, pad: 'same' }, // even filter, asymmetric pad
  { x: [2, 8, 8, 1], w: [1, 1, 1, 2], strides: 2, pad: 'same' },
  { x: [1, 9, 8, 5], w: [2, 3, 5, 2], strides: [2, 1], pad: [[0, 0], [1, 2], [0, 1], [0, 0]] },
  { x: [2, 7, 7, 3], w: [3, 3, 3, 2], strides: 1, pad: 'same' },
  { x: [2, 9, 9, 4], w: [3, 1, 4, 2], strides: 2, pad: 'same' }, // filter narrower than stride
  { x: [1, 10, 10, 4], w: [3, 3, 4, 3], strides: 2, pad: [[0, 0], [2, 0], [0, 2], [0, 0]] },
  { x: [2, 7, 7, 8], w: [3, 3, 8, 16], strides: 2, pad: 'same' }, // the encoder's third layer, odd size
];

/** d/dx and d/dw of sum(conv2d(x, w) * R), on the active backend. */
function convGrads(c: ConvCase, seed: number): Float32Array[] {
  return tf.tidy(() => {
    const x = tf.tensor4d(values(size(c.x), seed), c.x);
    const w = tf.tensor4d(values(size(c.w), seed + 1), c.w);
    const yShape = tf.conv2d(x, w, c.strides, c.pad).shape;
    const r = tf.tensor(values(size(yShape), seed + 2), yShape);
    const f = (a: tf.Tensor, b: tf.Tensor) =>
      tf.sum(tf.mul(tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, c.strides, c.pad), r));
    return tf.grads(f)([x, w]).map((g) => g.dataSync() as Float32Array);
  });
}

beforeAll(async () => {
  await initBackend('wasm');
});

const GRAD_MODES: [FilterGradMode, InputGradMode][] = [['auto', 'col2im'], ['im2col', 'subpixel'], ['dilated', 'col2im'], ['dilated', 'subpixel']];
describe.each(GRAD_MODES)('wasm Conv2D gradients match the cpu backend (filter grad: %s, input grad: %s)', (mode, inputMode) => {
  for (const [i, c] of CONV_CASES.entries()) {
    const pad = typeof c.pad === 'string' ? c.pad : 'explicit';
    it(`x ${c.x.join('x')}, w ${c.w.join('x')}, stride ${c.strides}, ${pad}`, async () => {
      await tf.setBackend('cpu');
      const [dxWant, dwWant] = convGrads(c, 100 + i);
      await tf.setBackend('wasm');
      setFilterGradMode(mode);
      setInputGradMode(inputMode);
      try {
        const [dxGot, dwGot] = convGrads(c, 100 + i);
        expect(relErr(dwGot, dwWant)).toBeLessThan(1e-4);
        expect(relErr(dxGot, dxWant)).toBeLessThan(1e-4);
      } finally {
        setFilterGradMode('auto');
        setInputGradMode('col2im');
      }
    });
  }
});

describe('wasm matmul with transposes matches the cpu backend', () => {
  const combos: [boolean, boolean][] = [[false, false], [true, false], [false, true], [true, true]];
  function run(ta: boolean, tb: boolean, batch: number[], fused: boolean): Float32Array {
    return tf.tidy(() => {
      const [m, k, n] = [5, 7, 3];
      const aShape = [...batch, ...(ta ? [k, m] : [m, k])];
      const bShape = [...batch, ...(tb ? [n, k] : [k, n])];
      const aT: tf.Tensor = tf.tensor(values(size(aShape), 7), aShape);
      const a = aT as tf.Tensor3D;
      const bT: tf.Tensor = tf.tensor(values(size(bShape), 8), bShape);
      const b = bT as tf.Tensor3D;
      const out = fused
        ? tf.fused.matMul({ a, b, transposeA: ta, transposeB: tb, bias: tf.tensor1d(values(n, 9)), activation: 'relu' })
        : tf.matMul(a, b, ta, tb);
      return out.dataSync() as Float32Array;
    });
  }
  for (const fused of [false, true]) {
    for (const batch of [[], [2]]) {
      for (const [ta, tb] of combos) {
        it(`${fused ? '_FusedMatMul' : 'BatchMatMul'} batch [${batch}] transposeA=${ta} transposeB=${tb}`, async () => {
          await tf.setBackend('cpu');
          const want = run(ta, tb, batch, fused);
          await tf.setBackend('wasm');
          expect(relErr(run(ta, tb, batch, fused), want)).toBeLessThan(1e-5);
        });
      }
    }
  }
});

describe('no leaks', () => {
  it('keeps tensors and wasm buffers flat across repeated gradient and matmul calls', async () => {
    await tf.setBackend('wasm');
    const step = () => {
      convGrads(CONV_CASES[0], 1);
      convGrads(CONV_CASES[7], 2);
      tf.tidy(() => {
        const a = tf.ones([6, 4]), b = tf.ones([5, 4]);
        tf.matMul(a, b, false, true).dataSync();
        tf.matMul(a, a, true, false).dataSync();
      });
    };
    step();
    const before = tf.memory();
    for (let i = 0; i < 3; i++) step();
    const after = tf.memory();
    expect(after.numTensors).toBe(before.numTensors);
    expect(after.numDataBuffers).toBe(before.numDataBuffers);
    expect(after.numBytes).toBe(before.numBytes);
  });
});
