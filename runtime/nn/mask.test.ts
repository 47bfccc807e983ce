/** Masked applications, data2vec layer targets and teacher weights (copy, EMA). cpu backend. */
import { beforeAll, describe, expect, it } from 'vitest';
import { tf } from '../tf.js';
import { createRng } from '../util/rng.js';
import { instanceNorm } from './layer-target.js';
import { expandMask, maskGeometry } from './mask-input.js';
import { createNetwork } from './network.js';
import { copyWeights, emaUpdate } from './teacher.js';
import { conv1d, convnet, maxAbsDiff, mlp, network, randomInput, resnet, transformer } from './test-util.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('mask expansion', () => {
  it('images: token r * gw + c hides rows r*ph.., columns c*pw..', () => {
    // grid [2, 3] of patches [2, 1] over a [4, 3] image
    const mask = tf.tensor2d([[1, 0, 0, 0, 1, 0], [0, 0, 1, 1, 0, 0]]);
    const m = expandMask(mask, [4, 3, 2], { grid: [2, 3], patch: [2, 1] });
    expect(m.shape).toEqual([2, 4, 3, 1]);
    const pixels = (m.arraySync() as number[][][][]).map((img) => img.map((row) => row.map((c) => c[0])));
    expect(pixels).toEqual([
      [[1, 0, 0], [1, 0, 0], [0, 1, 0], [0, 1, 0]],
      [[0, 0, 1], [0, 0, 1], [1, 0, 0], [1, 0, 0]],
    ]);
    tf.dispose([mask, m]);
  });

  it('sequences: token i hides steps i*p .. i*p+p-1; geometry is inferred or checked', () => {
    const mask = tf.tensor2d([[0, 1, 0]]);
    const m = expandMask(mask, [6, 4]);
    expect((m.arraySync() as number[][][])[0].map((r) => r[0])).toEqual([0, 0, 1, 1, 0, 0]);
    expect(maskGeometry([28, 28, 1], 49)).toEqual({ grid: [7, 7], patch: [4, 4] });
    expect(() => maskGeometry([28, 28, 1], 50)).toThrow(/cannot infer/);
    expect(() => maskGeometry([28, 28, 1], 49, { grid: [7, 7], patch: [4, 3] })).toThrow(/does not tile/);
    expect(() => maskGeometry([10], 5)).toThrow(/only image/);
    tf.dispose([mask, m]);
  });

  it('a masked convnet / resnet / conv1d / mlp sees zeros where tokens are hidden', () => {
    const mask = tf.tensor2d([[1, 0, 0, 1], [0, 1, 0, 0]]);
    const cases = [
      { stages: [convnet([3], [4, 4, 1])], shape: [4, 4, 1], spec: { grid: [2, 2], patch: [2, 2] } },
      { stages: [resnet([3], 1, [4, 4, 1])], shape: [4, 4, 1], spec: undefined },
      { stages: [conv1d([3], [8, 2])], shape: [8, 2], spec: { grid: [4], patch: [2] } },
      { stages: [mlp([5, 2], [4, 4, 1])], shape: [4, 4, 1], spec: { grid: [2, 2], patch: [2, 2] } },
    ];
    for (const { stages, shape, spec } of cases) {
      const net = createNetwork(network('mk', stages), createRng(1));
      const x = tf.add(randomInput([2, ...shape], 2), 3); // no zeros of its own
      const [masked] = net.apply(x, false, { mask, maskSpec: spec });
      const zeroed = tf.mul(x, tf.sub(1, expandMask(mask, shape, spec)));
      const [byHand] = net.apply(zeroed, false);
      const [plain] = net.apply(x, false);
      expect(maxAbsDiff(masked.dataSync(), byHand.dataSync())).toBeLessThan(1e-6);
      expect(maxAbsDiff(masked.dataSync(), plain.dataSync())).toBeGreaterThan(1e-3);
      // hidden elements are zero, the others untouched
      const z = zeroed.dataSync(), xs = x.dataSync();
      const hidden = expandMask(mask, shape, spec);
      const hs = tf.mul(tf.ones(x.shape), hidden).dataSync();
      for (let i = 0; i < z.length; i++) expect(z[i]).toBe(hs[i] ? 0 : xs[i]);
      tf.dispose([x, masked, zeroed, byHand, plain, hidden]);
      net.dispose();
    }
    mask.dispose();
  });

  it('a masked transformer replaces hidden tokens by its mask token: their content no longer matters', () => {
    const net = createNetwork(network('mt', [transformer([8, 8, 1], { patch: 4, dim: 8, depth: 2, heads: 2, pool: 'none' })]), createRng(3));
    const x1 = randomInput([2, 8, 8, 1], 4);
    // x2 differs from x1 only inside token 1 (rows 0-3, columns 4-7)
    const region = tf.tensor4d(Array.from({ length: 64 }, (_, i) => (Math.floor(i / 8) < 4 && i % 8 >= 4 ? 1 : 0)), [1, 8, 8, 1]);
    const x2 = tf.add(x1, tf.mul(region, randomInput([2, 8, 8, 1], 5)));
    const hideToken1 = tf.tensor2d([[0, 1, 0, 0], [0, 1, 0, 0]]);
    const [a] = net.apply(x1, false, { mask: hideToken1 });
    const [b] = net.apply(x2, false, { mask: hideToken1 });
    const [c] = net.apply(x1, false);
    const [d] = net.apply(x2, false);
    expect(maxAbsDiff(a.dataSync(), b.dataSync())).toBeLessThan(1e-5); // hidden content is invisible
    expect(maxAbsDiff(c.dataSync(), d.dataSync())).toBeGreaterThan(1e-3); // ... but not without the mask
    expect(maxAbsDiff(a.dataSync(), c.dataSync())).toBeGreaterThan(1e-3); // masking changes the output
    // Every token hidden: both examples become mask token + position embeddings, identical.
    const all = tf.ones([2, 4]);
    const [e] = net.apply(x1, false, { mask: all });
    const [e0, e1] = tf.split(e, 2);
    expect(maxAbsDiff(e0.dataSync(), e1.dataSync())).toBeLessThan(1e-6);
    expect(() => net.apply(x1, false, { mask: tf.ones([2, 5]) })).toThrow(/mask must be \[B, 4\]/);
    tf.dispose([x1, x2, region, hideToken1, a, b, c, d, all, e, e0, e1]);
    net.dispose();
  });
});

describe('layer targets', () => {
  const stage = transformer([8, 8, 1], { patch: 4, dim: 8, depth: 3, heads: 2, pool: 'mean' });

  it('top 1, no norm = the last block output (pre final LN): LN of it is the pool-none output', () => {
    const net = createNetwork(network('lt', [transformer([8, 8, 1], { patch: 4, dim: 8, depth: 3, heads: 2, pool: 'none' })]), createRng(5));
    const x = randomInput([2, 8, 8, 1], 6);
    const outs = net.apply(x, false, { layers: { top: 1, norm: 'none' } });
    const [full] = net.apply(x, false);
    expect(outs[0].shape).toEqual([2, 4, 8]);
    const { mean, variance } = tf.moments(outs[0], 2, true);
    const ln = tf.div(tf.sub(outs[0], mean), tf.sqrt(tf.add(variance, 1e-5))); // final LN gamma 1, beta 0 at init
    expect(maxAbsDiff(ln.dataSync(), full.dataSync())).toBeLessThan(1e-5);
    tf.dispose([x, ...outs, full, mean, variance, ln]);
    net.dispose();
  });

  it('top k averages the last k blocks; instance norm gives zero mean, unit variance per channel over tokens; pool ignored', () => {
    const net = createNetwork(network('lt', [stage]), createRng(7));
    const x = randomInput([2, 8, 8, 1], 8);
    const b1 = net.apply(x, true, { layers: { top: 1, norm: 'none' } })[0];
    // Recover each block's output from the means: block2 = 2 mean(top 2) - block3, etc.
    const m2 = net.apply(x, true, { layers: { top: 2, norm: 'none' } })[0];
    const m3 = net.apply(x, true, { layers: { top: 3, norm: 'none' } })[0];
    expect(m2.shape).toEqual([2, 4, 8]); // pool 'mean' is ignored
    const block2 = tf.sub(tf.mul(m2, 2), b1);
    const block1 = tf.sub(tf.mul(m3, 3), tf.mul(m2, 2));
    const inst = net.apply(x, true, { layers: { top: 3, norm: 'instance' } })[0];
    const byHand = tf.div(tf.addN([instanceNorm(block1), instanceNorm(block2), instanceNorm(b1)]), 3);
    expect(maxAbsDiff(inst.dataSync(), byHand.dataSync())).toBeLessThan(1e-4);
    const one = net.apply(x, true, { layers: { top: 1, norm: 'instance' } })[0];
    const { mean, variance } = tf.moments(one, 1);
    expect(Math.max(...Array.from(mean.dataSync(), Math.abs))).toBeLessThan(1e-5);
    expect(maxAbsDiff(variance.dataSync(), new Array(16).fill(1))).toBeLessThan(1e-3);
    expect(() => net.apply(x, true, { layers: { top: 4, norm: 'none' } })).toThrow(/top must be an integer in \[1, 3\]/);
    tf.dispose([x, b1, m2, m3, block2, block1, inst, byHand, one, mean, variance]);
    net.dispose();
  });

  it('needs a transformer as the last stage; works after a masked transformer and leaks nothing in variableGrads', () => {
    const conv = createNetwork(network('lc', [convnet([3], [8, 8, 1])]), createRng(1));
    const x = randomInput([2, 8, 8, 1], 9);
    expect(() => conv.apply(x, false, { layers: { top: 1, norm: 'none' } })).toThrow(/layer targets need a transformer as the last stage, got 'convnet'/);
    conv.dispose();
    const net = createNetwork(network('lg', [stage]), createRng(2));
    const mask = tf.tensor2d([[1, 0, 0, 1], [0, 0, 1, 0]]);
    const before = tf.memory().numTensors;
    for (let i = 0; i < 3; i++) {
      const [target] = net.apply(x, false, { layers: { top: 2, norm: 'instance' } }); // outside the tape
      const { value, grads } = tf.variableGrads(() => {
        const pooled = net.apply(x, true, { mask, layers: { top: 1, norm: 'none' } })[0];
        return tf.mean(tf.square(tf.sub(pooled, target))) as tf.Scalar;
      }, net.trainable);
      expect(Object.keys(grads)).toContain('lg/0/mask_token');
      expect(Object.keys(grads)).not.toContain('lg/0/ln/gamma'); // the final LN is not on the target path
      tf.dispose([value, target, ...Object.values(grads)]);
      expect(tf.memory().numTensors).toBe(before);
    }
    tf.dispose([x, mask]);
    net.dispose();
  });
});

describe('teacher weights', () => {
  it('copyWeights, then emaUpdate: t <- m t + (1 - m) s, without leaks; batch-norm state stays the teacher\'s own', () => {
    const spec = network('student', [resnet([3, 4], 1, [6, 6, 1]), mlp([5], [4])]);
    const student = createNetwork(spec, createRng(1));
    const teacher = createNetwork({ ...spec, name: 'teacher' }, createRng(2));
    expect(maxAbsDiff(student.trainable[0].dataSync(), teacher.trainable[0].dataSync())).toBeGreaterThan(0);
    copyWeights(student, teacher);
    for (let i = 0; i < student.trainable.length; i++) {
      expect(Array.from(teacher.trainable[i].dataSync())).toEqual(Array.from(student.trainable[i].dataSync()));
    }
    // move the student, then average
    const rng = createRng(3);
    for (const v of student.trainable) v.assign(tf.tensor(Float32Array.from({ length: v.size }, () => rng.normal()), v.shape));
    const t0 = teacher.trainable.map((v) => Float32Array.from(v.dataSync()));
    const x = randomInput([2, 6, 6, 1], 4);
    tf.dispose(student.apply(x, true)); // student's running stats move; the teacher's must not
    const teacherState = teacher.state.map((v) => Array.from(v.dataSync()));
    const before = tf.memory().numTensors;
    emaUpdate(teacher, student, 0.9);
    expect(tf.memory().numTensors).toBe(before);
    teacher.trainable.forEach((v, i) => {
      const s = student.trainable[i].dataSync();
      const expected = Array.from(t0[i], (t, j) => 0.9 * t + 0.1 * s[j]);
      expect(maxAbsDiff(v.dataSync(), expected)).toBeLessThan(1e-6);
    });
    expect(teacher.state.map((v) => Array.from(v.dataSync()))).toEqual(teacherState);
    emaUpdate(teacher, student, 0); // m = 0: a copy
    expect(maxAbsDiff(teacher.trainable[0].dataSync(), student.trainable[0].dataSync())).toBe(0);
    expect(() => emaUpdate(teacher, student, 1.5)).toThrow(/momentum/);
    const other = createNetwork(network('other', [mlp([5], [4])]), createRng(1));
    expect(() => copyWeights(student, other)).toThrow(/trainable variables/);
    tf.dispose(x);
    [student, teacher, other].forEach((n) => n.dispose());
  });
});
