/**
 * Forward + backward of every stage kind on the wasm backend (the one training runs on, with the
 * project's conv-gradient and matmul kernels) against the cpu backend: same seed, same inputs,
 * losses and every variable's gradient compared.
 */
import { afterAll, describe, expect, it } from 'vitest';
import type { Stage } from '../../compiler/ir.js';
import { initBackend } from '../backend/index.js';
import { tf } from '../tf.js';
import { createRng } from '../util/rng.js';
import { createNetwork, type ApplyOptions } from './network.js';
import { conv1d, convnet, mlp, network, resnet, transformer } from './test-util.js';

interface Case {
  name: string;
  stages: Stage[];
  input: number[];
  /** Options built on the active backend. */
  options?: () => ApplyOptions;
}

const cases: Case[] = [
  { name: 'convnet (layer norm, gelu, stride 2)', stages: [convnet([3, 4], [7, 7, 2], { stride: 2, norm: 'layer', activation: 'gelu' })], input: [4, 7, 7, 2] },
  { name: 'resnet (batch norm)', stages: [resnet([4, 6], 1, [8, 8, 1])], input: [4, 8, 8, 1] },
  { name: 'resnet (layer norm, gelu), masked input', stages: [resnet([3, 5], 1, [8, 8, 1], { norm: 'layer', activation: 'gelu' })], input: [4, 8, 8, 1],
    options: () => ({ mask: tf.tensor2d([[1, 0, 0, 0], [0, 1, 0, 1], [0, 0, 0, 0], [1, 1, 0, 0]]), maskSpec: { grid: [2, 2], patch: [4, 4] } }) },
  { name: 'transformer image, masked', stages: [transformer([8, 8, 1], { patch: 2, dim: 8, depth: 2, heads: 2 })], input: [4, 8, 8, 1],
    options: () => ({ mask: tf.oneHot(tf.tensor1d([0, 5, 9, 15], 'int32'), 16) }) },
  { name: 'transformer sequence, layer targets', stages: [transformer([12, 2], { patch: 3, dim: 8, depth: 2, heads: 2, pool: 'none' })], input: [4, 12, 2],
    options: () => ({ layers: { top: 2, norm: 'instance' } }) },
  { name: 'conv1d (batch norm, stride 2)', stages: [conv1d([3, 4], [9, 2], { kernel: 3, stride: 2, norm: 'batch', pool: 'none' })], input: [4, 9, 2] },
  { name: 'conv1d (layer norm, mean)', stages: [conv1d([4], [10, 3], { kernel: 5, norm: 'layer', pool: 'mean' })], input: [4, 10, 3] },
  { name: 'transformer -> token-wise mlp (batch norm)', stages: [
    transformer([8, 8, 1], { patch: 4, dim: 8, depth: 1, heads: 2, pool: 'none' }), mlp([6, 3], [4, 8], { norm: 'batch', activation: 'gelu' }),
  ], input: [4, 8, 8, 1] },
];

function hostNormal(n: number, seed: number, scale = 1): Float32Array {
  const rng = createRng(seed);
  return Float32Array.from({ length: n }, () => scale * rng.normal());
}

async function run(backend: 'cpu' | 'wasm', c: Case) {
  await initBackend(backend);
  const net = createNetwork(network('w', c.stages), createRng(1));
  net.trainable.forEach((v, i) => v.assign(tf.add(v, tf.tensor(hostNormal(v.size, 100 + i, 0.05), v.shape))));
  const x = tf.tensor(hostNormal(c.input.reduce((a, b) => a * b, 1), 2), c.input);
  const options = c.options?.();
  const probe = tf.tidy(() => net.apply(x, true, options)); // output shape for the random projection
  const out = probe[probe.length - 1];
  const proj = tf.tensor(hostNormal(out.size, 3), out.shape);
  tf.dispose(probe);
  const before = tf.memory().numTensors;
  const { value, grads } = tf.variableGrads(() => {
    const outs = net.apply(x, true, options);
    return tf.sum(tf.mul(outs[outs.length - 1], proj)) as tf.Scalar;
  }, net.trainable);
  const loss = (await value.data())[0];
  const g: Record<string, Float32Array> = {};
  for (const [k, t] of Object.entries(grads)) g[k] = (await t.data()) as Float32Array;
  tf.dispose([value, ...Object.values(grads)]);
  const leaked = tf.memory().numTensors - before;
  tf.dispose([x, proj, ...Object.values(options ?? {}).filter((t): t is tf.Tensor => t instanceof tf.Tensor)]);
  net.dispose();
  return { loss, grads: g, leaked, names: net.trainable.map((v) => v.name) };
}

afterAll(async () => {
  await initBackend('wasm');
});

describe('wasm backend: forward + backward of every stage kind match cpu', () => {
  for (const c of cases) {
    it(c.name, async () => {
      const cpu = await run('cpu', c);
      const wasm = await run('wasm', c);
      expect(tf.getBackend()).toBe('wasm');
      expect(wasm.leaked).toBe(0);
      expect(Math.abs(wasm.loss - cpu.loss)).toBeLessThan(1e-4 * Math.max(1, Math.abs(cpu.loss)));
      // Variables off the loss path (the mask token without a mask, the final LN under layer
      // targets) get no gradient on either backend.
      expect(Object.keys(wasm.grads).sort()).toEqual(Object.keys(cpu.grads).sort());
      const all = Object.values(cpu.grads).flatMap((g) => Array.from(g, Math.abs));
      const globalScale = Math.max(...all);
      for (const [name, expected] of Object.entries(cpu.grads)) {
        const actual = wasm.grads[name];
        // Gradients that vanish analytically (a bias right before batch norm; the key bias of
        // attention, which shifts every score of a query equally) are compared on the global scale.
        const scale = Math.max(...Array.from(expected, Math.abs), 1e-3 * globalScale);
        let worst = 0;
        for (let i = 0; i < expected.length; i++) worst = Math.max(worst, Math.abs(actual[i] - expected[i]));
        expect(actual.every(Number.isFinite), name).toBe(true);
        expect(worst / scale, name).toBeLessThan(1e-3);
      }
    });
  }
});
