/**
 * Every stage kind: output shapes, parameter counts against hand formulas, forward passes against
 * plain-JS or op-by-op references, finite gradients for every variable, and no leaked tensors.
 * cpu backend (the wasm backend: wasm.test.ts).
 */
import { beforeAll, describe, expect, it } from 'vitest';
import type { Stage } from '../../compiler/ir.js';
import { tf } from '../tf.js';
import { createRng } from '../util/rng.js';
import { gelu } from './activation.js';
import { createNetwork, type NetworkModule } from './network.js';
import { patchify } from './transformer.js';
import { conv1d, convnet, maxAbsDiff, mlp, network, randomInput, resnet, transformer } from './test-util.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

function values(net: NetworkModule): Map<string, Float32Array> {
  return new Map(net.trainable.map((v) => [v.name, v.dataSync() as Float32Array]));
}

/** Assigns small random values to every trainable variable (non-trivial biases / norm params). */
function perturb(net: NetworkModule, seed: number, scale = 0.1): void {
  const rng = createRng(seed);
  for (const v of net.trainable) {
    const noise = tf.tensor(Float32Array.from({ length: v.size }, () => scale * rng.normal()), v.shape);
    v.assign(tf.add(v, noise));
    tf.dispose(noise);
  }
}

describe('output shapes', () => {
  const cases: [string, Stage[], number[], number[][]][] = [
    ['convnet', [convnet([4, 6], [8, 8, 1], { stride: 2 })], [2, 8, 8, 1], [[2, 6]]],
    ['resnet', [resnet([4, 8], 2, [8, 8, 2])], [3, 8, 8, 2], [[3, 8]]],
    ['transformer mean', [transformer([8, 8, 1], { patch: 4, dim: 8, depth: 1, heads: 2, pool: 'mean' })], [2, 8, 8, 1], [[2, 8]]],
    ['transformer none', [transformer([8, 8, 1], { patch: 2, dim: 8, depth: 1, heads: 2, pool: 'none' })], [2, 8, 8, 1], [[2, 16, 8]]],
    ['transformer sequence', [transformer([12, 3], { patch: 4, dim: 8, depth: 1, heads: 1, pool: 'none' })], [2, 12, 3], [[2, 3, 8]]],
    ['conv1d mean', [conv1d([4, 5], [10, 3], { stride: 2, pool: 'mean' })], [2, 10, 3], [[2, 5]]],
    ['conv1d none', [conv1d([4, 5], [10, 3], { stride: 2, pool: 'none' })], [2, 10, 3], [[2, 3, 5]]],
    ['mlp flat', [mlp([7, 3], [4, 4, 1])], [2, 4, 4, 1], [[2, 3]]],
    ['mlp rank 1', [mlp([3], [6])], [2, 6], [[2, 3]]],
    ['mlp token-wise', [mlp([7, 3], [5, 4], { norm: 'batch' })], [2, 5, 4], [[2, 5, 3]]],
    [
      'transformer -> token mlp',
      [transformer([8, 8, 1], { patch: 4, dim: 8, depth: 1, heads: 2, pool: 'none' }), mlp([6, 4], [4, 8], { norm: 'layer', activation: 'gelu' })],
      [2, 8, 8, 1],
      [[2, 4, 8], [2, 4, 4]],
    ],
    ['resnet -> mlp', [resnet([4], 1, [6, 6, 1], { norm: 'layer', activation: 'gelu' }), mlp([5, 2], [4], { norm: 'batch' })], [2, 6, 6, 1], [[2, 4], [2, 2]]],
  ];
  for (const [name, stages, input, shapes] of cases) {
    it(name, () => {
      const net = createNetwork(network('s', stages), createRng(1));
      const x = tf.zeros(input);
      for (const training of [true, false]) {
        const outs = net.apply(x, training);
        expect(outs.map((o) => o.shape)).toEqual(shapes);
        expect(stages.map((s) => [input[0], ...s.outputShape])).toEqual(shapes);
        tf.dispose(outs);
      }
      x.dispose();
      net.dispose();
    });
  }

  it('resnet and conv1d are size-agnostic; the transformer is not', () => {
    const r = createNetwork(network('r', [resnet([4, 8], 1, [8, 8, 1])]), createRng(1));
    const c = createNetwork(network('c', [conv1d([4], [10, 2], { stride: 2, pool: 'none' })]), createRng(1));
    const t = createNetwork(network('t', [transformer([8, 8, 1], { patch: 4, dim: 8, depth: 1, heads: 2 })]), createRng(1));
    const [big, seq, flat] = [tf.zeros([2, 13, 11, 1]), tf.zeros([2, 17, 2]), tf.zeros([2, 64])];
    const [ro] = r.apply(big, false);
    const [co] = c.apply(seq, false);
    const [to] = t.apply(flat, false); // a flattened input of the right size is reshaped
    expect([ro.shape, co.shape, to.shape]).toEqual([[2, 8], [2, 9, 4], [2, 8]]);
    expect(() => t.apply(big, false)).toThrow(/expected input \[B, 8, 8, 1\]/);
    tf.dispose([big, seq, flat, ro, co, to]);
    [r, c, t].forEach((n) => n.dispose());
  });

  it('rejects bad configurations and frees the names it took', () => {
    expect(() => createNetwork(network('bad', [transformer([8, 8, 1], { patch: 4, dim: 10, depth: 1, heads: 3 })]), createRng(1))).toThrow(/heads \(3\) must divide dim \(10\)/);
    expect(() => createNetwork(network('bad', [transformer([9, 9, 1], { patch: 4, dim: 8, depth: 1, heads: 2 })]), createRng(1))).toThrow(/does not divide/);
    const before = tf.memory().numTensors;
    expect(() => createNetwork(network('bad', [mlp([4], [4]), { ...mlp([3], [4]), activation: 'tanh' } as unknown as Stage]), createRng(1))).toThrow(/unsupported activation/);
    expect(tf.memory().numTensors).toBe(before);
    const ok = createNetwork(network('bad', [mlp([4], [4])]), createRng(1)); // names are free again
    ok.dispose();
  });
});

describe('parameter counts', () => {
  it('resnet [8, 16] depth 1 on [12, 12, 1], batch norm (no conv bias before a norm)', () => {
    const net = createNetwork(network('r', [resnet([8, 16], 1, [12, 12, 1])]), createRng(1));
    const conv = (k: number, cin: number, cout: number) => k * k * cin * cout;
    const bn = (c: number) => 2 * c;
    const stem = conv(3, 1, 8) + bn(8);
    const block0 = conv(3, 8, 8) + bn(8) + conv(3, 8, 8) + bn(8);
    const block1 = conv(3, 8, 16) + bn(16) + conv(3, 16, 16) + bn(16) + conv(1, 8, 16) + bn(16);
    expect(net.paramCount).toBe(stem + block0 + block1);
    expect(net.state.length).toBe(2 * 6); // six batch norms, mean + variance each
    expect(net.trainable.filter((v) => net.isBiasOrNorm(v)).length).toBe(2 * 6);
    expect(net.trainable.map((v) => v.name)).toContain('r/0/s1b0/proj/kernel');
    expect(net.trainable.map((v) => v.name)).toContain('r/0/s1b0/bn_proj/gamma');
    net.dispose();

    const plain = createNetwork(network('r', [resnet([8, 16], 1, [12, 12, 1], { norm: 'none' })]), createRng(1));
    const bias = 8 + 8 + 8 + 16 + 16 + 16;
    expect(plain.paramCount).toBe(stem - bn(8) + block0 - 2 * bn(8) + block1 - 3 * bn(16) + bias);
    expect(plain.state).toHaveLength(0);
    plain.dispose();
  });

  it('transformer patch 4, dim 16, depth 2, heads 2, mlpRatio 4 on [28, 28, 1]', () => {
    const net = createNetwork(network('t', [transformer([28, 28, 1], { patch: 4, dim: 16, depth: 2, heads: 2 })]), createRng(1));
    const D = 16, N = 49, P = 16, Hd = 64;
    const lin = (i: number, o: number) => i * o + o;
    const ln = 2 * D;
    const block = ln + 4 * lin(D, D) + ln + lin(D, Hd) + lin(Hd, D);
    const maskToken = D;
    expect(net.paramCount).toBe(lin(P, D) + N * D + maskToken + 2 * block + ln);
    expect(net.paramCount).toBe(7664);
    expect(net.state).toHaveLength(0);
    // biases, LayerNorm gamma/beta, position embeddings and the mask token are exempt from decay
    // (timm / MAE no_weight_decay); kernels are not
    const flagged = net.trainable.filter((v) => net.isBiasOrNorm(v)).map((v) => v.name);
    expect(flagged.every((n) => /\/(bias|gamma|beta|pos_embed|mask_token)$/.test(n))).toBe(true);
    expect(flagged).toHaveLength(1 + 2 * (2 + 6 + 2) + 1 + 1 + 2); // embed bias, per block 2 LN (2 each) + 6 biases, final LN, pos_embed, mask_token
    const names = net.trainable.map((v) => v.name);
    expect(new Set(names).size).toBe(names.length);
    expect(names).toContain('t/0/pos_embed');
    expect(names).toContain('t/0/mask_token');
    expect(names).toContain('t/0/block1/attn/q/kernel');
    net.dispose();
    // No mask token when asked, nor on a later stage.
    const noMask = createNetwork(network('t', [transformer([28, 28, 1], { patch: 4, dim: 16, depth: 2, heads: 2 })]), createRng(1), { maskToken: false });
    expect(noMask.paramCount).toBe(7664 - 16);
    noMask.dispose();
  });

  it('conv1d and mlp with layer norm', () => {
    const c = createNetwork(network('c', [conv1d([4, 6], [10, 3], { kernel: 5, norm: 'layer' })]), createRng(1));
    expect(c.paramCount).toBe((5 * 3 * 4 + 4 + 8) + (5 * 4 * 6 + 6 + 12));
    expect(c.trainable.map((v) => v.name)).toEqual([
      'c/0/conv0/kernel', 'c/0/conv0/bias', 'c/0/ln0/gamma', 'c/0/ln0/beta', 'c/0/conv1/kernel', 'c/0/conv1/bias', 'c/0/ln1/gamma', 'c/0/ln1/beta',
    ]);
    expect(c.state).toHaveLength(0);
    c.dispose();
    const m = createNetwork(network('m', [mlp([8, 3], [5, 4], { norm: 'layer' })]), createRng(1));
    expect(m.paramCount).toBe(4 * 8 + 8 + 16 + 8 * 3 + 3); // token-wise: kernels act on D = 4
    m.dispose();
  });
});

// --- references --------------------------------------------------------------------------------

const geluRef = (v: number) => 0.5 * v * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (v + 0.044715 * v ** 3)));

type Mat = number[][];
function linearRef(x: Mat, w: Float32Array, b: Float32Array): Mat {
  const dout = b.length, din = x[0].length;
  return x.map((row) => Array.from({ length: dout }, (_, o) => {
    let acc = b[o];
    for (let i = 0; i < din; i++) acc += row[i] * w[i * dout + o];
    return acc;
  }));
}
function layerNormRef(x: Mat, g: Float32Array, b: Float32Array): Mat {
  return x.map((row) => {
    const m = row.reduce((s, v) => s + v, 0) / row.length;
    const v = row.reduce((s, u) => s + (u - m) ** 2, 0) / row.length;
    return row.map((u, i) => ((u - m) / Math.sqrt(v + 1e-5)) * g[i] + b[i]);
  });
}
const addRef = (a: Mat, b: Mat): Mat => a.map((r, i) => r.map((v, j) => v + b[i][j]));

/**
 * A pre-norm ViT on one image [H, W, C] (patch grid row-major, each patch (row, col, channel)),
 * written loop by loop. Returns the residual stream after each block and the final LN output.
 */
function vitRef(img: Float32Array, [H, W, C]: number[], p: number, heads: number, depth: number, w: Map<string, Float32Array>, pre: string, mask?: number[]) {
  const gw = W / p, N = (H / p) * gw;
  const patches: Mat = Array.from({ length: N }, (_, t) => {
    const gy = Math.floor(t / gw), gx = t % gw;
    const out: number[] = [];
    for (let py = 0; py < p; py++) for (let px = 0; px < p; px++) for (let c = 0; c < C; c++) out.push(img[((gy * p + py) * W + gx * p + px) * C + c]);
    return out;
  });
  let h = linearRef(patches, w.get(`${pre}/embed/kernel`)!, w.get(`${pre}/embed/bias`)!);
  const D = h[0].length, dh = D / heads;
  if (mask) h = h.map((row, t) => (mask[t] ? Array.from(w.get(`${pre}/mask_token`)!) : row));
  const pos = w.get(`${pre}/pos_embed`)!;
  h = h.map((row, t) => row.map((v, j) => v + pos[t * D + j]));
  const blocks: Mat[] = [];
  for (let l = 0; l < depth; l++) {
    const b = `${pre}/block${l}`;
    const lin = (x: Mat, n: string) => linearRef(x, w.get(`${b}/${n}/kernel`)!, w.get(`${b}/${n}/bias`)!);
    const a = layerNormRef(h, w.get(`${b}/ln1/gamma`)!, w.get(`${b}/ln1/beta`)!);
    const q = lin(a, 'attn/q'), k = lin(a, 'attn/k'), v = lin(a, 'attn/v');
    const o: Mat = Array.from({ length: N }, () => new Array(D).fill(0));
    for (let hd = 0; hd < heads; hd++) {
      for (let t = 0; t < N; t++) {
        const s = Array.from({ length: N }, (_, u) => {
          let acc = 0;
          for (let j = 0; j < dh; j++) acc += q[t][hd * dh + j] * k[u][hd * dh + j];
          return acc / Math.sqrt(dh);
        });
        const mx = Math.max(...s);
        const e = s.map((z) => Math.exp(z - mx));
        const z = e.reduce((x, y) => x + y, 0);
        for (let u = 0; u < N; u++) for (let j = 0; j < dh; j++) o[t][hd * dh + j] += (e[u] / z) * v[u][hd * dh + j];
      }
    }
    h = addRef(h, lin(o, 'attn/proj'));
    const a2 = layerNormRef(h, w.get(`${b}/ln2/gamma`)!, w.get(`${b}/ln2/beta`)!);
    h = addRef(h, lin(lin(a2, 'mlp/fc1').map((r) => r.map(geluRef)), 'mlp/fc2'));
    blocks.push(h);
  }
  return { blocks, out: layerNormRef(h, w.get(`${pre}/ln/gamma`)!, w.get(`${pre}/ln/beta`)!) };
}

describe('forward references', () => {
  it('gelu is the tanh approximation and has a gradient', () => {
    const x = tf.tensor1d([-3, -1, -0.2, 0, 0.5, 1, 2.5]);
    const y = gelu(x);
    expect(maxAbsDiff(y.dataSync(), Array.from(x.dataSync(), geluRef))).toBeLessThan(1e-6);
    const g = tf.grad((t: tf.Tensor) => tf.sum(gelu(t)))(x);
    const numeric = Array.from(x.dataSync(), (v) => (geluRef(v + 1e-3) - geluRef(v - 1e-3)) / 2e-3);
    expect(maxAbsDiff(g.dataSync(), numeric)).toBeLessThan(1e-3);
    tf.dispose([x, y, g]);
  });

  it('patchify cuts row-major patches in (row, col, channel) order; sequences in windows', () => {
    const x = tf.reshape(tf.range(0, 2 * 4 * 4 * 2), [2, 4, 4, 2]);
    const p = patchify(x, [4, 4, 2], 2);
    expect(p.shape).toEqual([2, 4, 8]);
    const xs = x.dataSync(), ps = p.dataSync();
    for (let b = 0; b < 2; b++) for (let t = 0; t < 4; t++) for (let py = 0; py < 2; py++) for (let px = 0; px < 2; px++) for (let c = 0; c < 2; c++) {
      const gy = Math.floor(t / 2), gx = t % 2;
      expect(ps[(b * 4 + t) * 8 + (py * 2 + px) * 2 + c]).toBe(xs[((b * 4 + gy * 2 + py) * 4 + gx * 2 + px) * 2 + c]);
    }
    const s = tf.reshape(tf.range(0, 12), [1, 6, 2]);
    const sp = patchify(s, [6, 2], 3);
    expect(sp.arraySync()).toEqual([[[0, 1, 2, 3, 4, 5], [6, 7, 8, 9, 10, 11]]]);
    tf.dispose([x, p, s, sp]);
  });

  it('transformer (1 block, 2 heads) matches a naive loop implementation, with and without a mask', () => {
    const shape = [4, 6, 2];
    const net = createNetwork(network('v', [transformer(shape, { patch: 2, dim: 8, depth: 1, heads: 2, mlpRatio: 2, pool: 'none' })]), createRng(4));
    perturb(net, 5, 0.3); // non-trivial LN params, biases
    const w = values(net);
    const x = randomInput([2, ...shape], 6);
    const xs = x.dataSync() as Float32Array;
    const per = shape.reduce((a, b) => a * b, 1);
    const masks = [[0, 1, 0, 0, 1, 0], [1, 1, 0, 0, 0, 1]];
    const mask = tf.tensor2d(masks);
    for (const masked of [false, true]) {
      const [out] = net.apply(x, true, masked ? { mask } : undefined);
      expect(out.shape).toEqual([2, 6, 8]);
      const ref = [0, 1].flatMap((b) => vitRef(xs.subarray(b * per, (b + 1) * per), shape, 2, 2, 1, w, 'v/0', masked ? masks[b] : undefined).out.flat());
      expect(maxAbsDiff(out.dataSync(), ref)).toBeLessThan(1e-4);
      out.dispose();
    }
    tf.dispose([x, mask]);
    net.dispose();
  });

  it('resnet is wired as stem -> basic blocks (projection on the downsampling block) -> pool', () => {
    const net = createNetwork(network('r', [resnet([3, 5], 2, [6, 6, 2], { norm: 'none', activation: 'gelu' })]), createRng(8));
    perturb(net, 9);
    const x = randomInput([2, 6, 6, 2], 10);
    const [out] = net.apply(x, true);
    const v = (n: string) => net.trainable.find((t) => t.name === `r/0/${n}`)!;
    const conv = (h: tf.Tensor4D, n: string, s: number) => tf.add(tf.conv2d(h, v(`${n}/kernel`) as tf.Tensor4D, s, 'same'), v(`${n}/bias`)) as tf.Tensor4D;
    const ref = tf.tidy(() => {
      let h = gelu(conv(x as tf.Tensor4D, 'stem', 1));
      for (const [blk, s, proj] of [['s0b0', 1, false], ['s0b1', 1, false], ['s1b0', 2, true], ['s1b1', 1, false]] as const) {
        const r = conv(gelu(conv(h, `${blk}/conv1`, s)), `${blk}/conv2`, 1);
        h = gelu(tf.add(r, proj ? conv(h, `${blk}/proj`, s) : h));
      }
      expect(h.shape).toEqual([2, 3, 3, 5]);
      return tf.mean(h, [1, 2]);
    });
    expect(maxAbsDiff(out.dataSync(), ref.dataSync())).toBeLessThan(1e-5);
    tf.dispose([x, out, ref]);
    net.dispose();
  });

  it('conv1d equals tf.conv1d (same padding, stride) + bias + layer norm + relu', () => {
    const net = createNetwork(network('c', [conv1d([3, 4], [9, 2], { kernel: 4, stride: 2, norm: 'layer', pool: 'none' })]), createRng(11));
    perturb(net, 12);
    const x = randomInput([2, 9, 2], 13);
    const [out] = net.apply(x, true);
    const v = (n: string) => net.trainable.find((t) => t.name === `c/0/${n}`)!;
    const ref = tf.tidy(() => {
      let h = x as tf.Tensor3D;
      for (const i of [0, 1]) {
        h = tf.add(tf.conv1d(h, v(`conv${i}/kernel`) as tf.Tensor3D, 2, 'same'), v(`conv${i}/bias`)) as tf.Tensor3D;
        const { mean, variance } = tf.moments(h, 2, true);
        h = tf.relu(tf.add(tf.mul(tf.div(tf.sub(h, mean), tf.sqrt(tf.add(variance, 1e-5))), v(`ln${i}/gamma`)), v(`ln${i}/beta`))) as tf.Tensor3D;
      }
      return h;
    });
    expect(out.shape).toEqual([2, 3, 4]);
    expect(maxAbsDiff(out.dataSync(), ref.dataSync())).toBeLessThan(1e-5);
    tf.dispose([x, out, ref]);
    net.dispose();
  });

  it('token-wise mlp equals the same mlp applied to each token; batch norm over B * T', () => {
    const net = createNetwork(network('m', [mlp([6, 3], [5, 4], { norm: 'batch' })]), createRng(14));
    const x = randomInput([3, 5, 4], 15);
    const [out] = net.apply(x, true);
    const v = net.trainable;
    const ref = tf.tidy(() => {
      let h = tf.add(tf.matMul(tf.reshape(x, [15, 4]), v[0] as tf.Tensor2D), v[1]);
      const { mean, variance } = tf.moments(h, 0);
      h = tf.relu(tf.div(tf.sub(h, mean), tf.sqrt(tf.add(variance, 1e-5))));
      return tf.reshape(tf.add(tf.matMul(h as tf.Tensor2D, v[4] as tf.Tensor2D), v[5]), [3, 5, 3]);
    });
    expect(maxAbsDiff(out.dataSync(), ref.dataSync())).toBeLessThan(1e-5);
    tf.dispose([x, out, ref]);
    net.dispose();
  });
});

describe('gradients', () => {
  const cases: [string, Stage[], number[]][] = [
    ['convnet (layer norm, gelu)', [convnet([3, 4], [6, 6, 1], { stride: 2, norm: 'layer', activation: 'gelu' })], [3, 6, 6, 1]],
    ['resnet (batch norm)', [resnet([3, 4], 1, [6, 6, 1])], [3, 6, 6, 1]],
    ['resnet (layer norm, gelu)', [resnet([3, 4], 1, [6, 6, 1], { norm: 'layer', activation: 'gelu' })], [3, 6, 6, 1]],
    ['transformer image', [transformer([8, 8, 1], { patch: 4, dim: 8, depth: 2, heads: 2 })], [3, 8, 8, 1]],
    ['transformer sequence', [transformer([8, 2], { patch: 2, dim: 8, depth: 1, heads: 2, pool: 'none' })], [3, 8, 2]],
    ['conv1d (batch norm)', [conv1d([3, 4], [8, 2], { stride: 2, norm: 'batch', pool: 'none' })], [3, 8, 2]],
    ['mlp token-wise (layer norm, gelu)', [mlp([5, 3], [4, 3], { norm: 'layer', activation: 'gelu' })], [3, 4, 3]],
  ];
  for (const [name, stages, input] of cases) {
    it(`${name}: every variable gets a finite, non-zero gradient; no leaks`, () => {
      const net = createNetwork(network('g', stages), createRng(3));
      perturb(net, 4, 0.05);
      const x = randomInput(input, 5);
      const first = stages[0];
      // A mask reaches the transformer's mask token (one hidden token per example).
      const mask = first.kind === 'transformer' ? tf.oneHot(tf.tensor1d([0, 1, 2], 'int32'), first.tokens) : undefined;
      const outShape = [input[0], ...stages[stages.length - 1].outputShape];
      const proj = randomInput(outShape, 6); // a random projection: plain sums cancel under norms
      const loss = () => tf.sum(tf.mul(net.apply(x, true, { mask })[stages.length - 1], proj)) as tf.Scalar;
      const before = tf.memory().numTensors;
      for (let step = 0; step < 2; step++) {
        const { value, grads } = tf.variableGrads(loss, net.trainable);
        expect(Object.keys(grads).sort()).toEqual(net.trainable.map((v) => v.name).sort());
        const host = Object.entries(grads).map(([n, g]) => [n, g.dataSync()] as const);
        const scale = Math.max(...host.map(([, d]) => Math.max(...Array.from(d, Math.abs))));
        // Gradients that vanish analytically: the key bias of attention (it shifts every score of a
        // query equally, softmax cancels it) and a conv bias right before batch norm.
        const vanishes = (n: string) => n.endsWith('attn/k/bias') || (stages[0].kind === 'conv1d' && stages[0].norm === 'batch' && /conv\d+\/bias$/.test(n));
        for (const [n, d] of host) {
          const largest = Math.max(...Array.from(d, Math.abs));
          expect(d.every(Number.isFinite), n).toBe(true);
          if (vanishes(n)) expect(largest, n).toBeLessThan(1e-5 * scale);
          else expect(largest, n).toBeGreaterThan(1e-5 * scale);
        }
        tf.dispose([value, ...Object.values(grads)]);
        expect(tf.memory().numTensors).toBe(before);
      }
      tf.dispose([x, proj, ...(mask ? [mask] : [])]);
      net.dispose();
    });
  }
});
