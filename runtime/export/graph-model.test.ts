/**
 * Every stage kind, lowered to a TF.js graph model (and a layers model where the format has the
 * layers), loaded back with stock tfjs-converter / tfjs-layers through the public io API, and run
 * on the same input as the runtime's own eval-mode forward pass: the outputs must agree to float
 * rounding. Weights (batch-norm running statistics included) are random, not initial values, so a
 * swapped gamma/beta or mean/variance would show.
 */
import { loadGraphModel } from '@tensorflow/tfjs-converter';
import * as tfl from '@tensorflow/tfjs-layers';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Network, Stage } from '../../compiler/ir.js';
import { tf } from '../tf.js';
import { initBackend } from '../backend/index.js';
import { createNetwork, type NetworkModule } from '../nn/index.js';
import { conv1d, convnet, maxAbsDiff, mlp, network, randomInput, resnet, span, transformer } from '../nn/test-util.js';
import { createRng } from '../util/rng.js';
import { ExportError, featureDim, type EncoderRef } from './encoder.js';
import { GraphDefBuilder } from './graph-def.js';
import { buildEncoderGraph } from './graph-model.js';
import { buildLayersModel, checkLayersSupport, serializeLayersModel } from './layers-model.js';
import { modelJsonHandler } from './load.js';
import type { WeightSource } from './weights.js';

const TOLERANCE = 2e-5;

function normalize(inputShape: number[]): Stage {
  return { kind: 'normalize', inputShape, outputShape: inputShape, origin: span };
}

/** Every variable replaced by random values: gammas near 1, running variances in [0.5, 1.5], kernels He-scaled, the rest N(0, 0.3^2). */
function randomizeWeights(module: NetworkModule, seed: number): void {
  const rng = createRng(seed);
  for (const v of [...module.trainable, ...module.state]) {
    const values = Float32Array.from({ length: v.size }, () => {
      if (v.name.endsWith('/moving_variance')) return 0.5 + rng.next();
      if (v.name.endsWith('/gamma')) return 1 + 0.2 * rng.normal();
      if (v.name.endsWith('/kernel')) return Math.sqrt(2 / Math.max(1, v.shape.slice(0, -1).reduce((a, b) => a * b, 1))) * rng.normal();
      return 0.3 * rng.normal();
    });
    tf.tidy(() => v.assign(tf.tensor(values, v.shape)));
  }
}

function sourceOf(modules: NetworkModule[]): WeightSource {
  const byName = new Map(modules.flatMap((m) => [...m.trainable, ...m.state]).map((v) => [v.name, v]));
  return (name) => {
    const v = byName.get(name);
    if (!v) throw new Error(`no variable '${name}'`);
    return { shape: v.shape, values: Float32Array.from(v.dataSync()) };
  };
}

/** What TrainingGraph.features computes: the chain in eval mode, stage `stage` of the last, tokens averaged. */
function reference(modules: NetworkModule[], x: tf.Tensor, stage: number): Float32Array {
  return tf.tidy(() => {
    let h = x;
    modules.forEach((m, i) => {
      const outputs = m.apply(h, false);
      h = i === modules.length - 1 ? outputs[stage]! : outputs[outputs.length - 1]!;
    });
    const y = h.rank === 3 ? tf.mean(h, 1) : tf.reshape(h, [h.shape[0], -1]);
    return y.dataSync() as Float32Array;
  });
}

interface Case {
  name: string;
  networks: Network[];
  /** Stage of the last network read (default: its last). */
  stage?: number;
  layers: boolean;
}

const img28 = [28, 28, 1];
const cases: Case[] = [
  {
    name: 'convnet (batch norm, relu, stride 2) -> mlp (batch norm)',
    networks: [network('encoder', [convnet([8, 16], img28, { stride: 2, norm: 'batch' }), mlp([32, 12], [16], { norm: 'batch' })])],
    layers: true,
  },
  {
    name: 'convnet (layer norm, gelu, kernel 5) on RGB',
    networks: [network('encoder', [convnet([6, 10], [12, 12, 3], { kernel: 5, norm: 'layer', activation: 'gelu' })])],
    layers: false,
  },
  {
    name: 'convnet (layer norm, relu, kernel 5) on RGB',
    networks: [network('encoder', [convnet([6, 10], [12, 12, 3], { kernel: 5, norm: 'layer' })])],
    layers: true,
  },
  {
    name: 'convnet without norm, two networks in a chain (encoder -> projector)',
    networks: [network('encoder', [convnet([8], img28, { stride: 2 })]), network('projector', [mlp([16, 8], [8], { norm: 'batch' })])],
    layers: true,
  },
  {
    name: 'resnet (batch norm, projection shortcuts)',
    networks: [network('encoder', [resnet([8, 16], 2, [16, 16, 3], { norm: 'batch' })])],
    layers: true,
  },
  {
    name: 'resnet (no norm: convs with bias; gelu) -> mlp',
    networks: [network('encoder', [resnet([6, 6, 12], 1, img28, { norm: 'none', activation: 'gelu' }), mlp([5], [12])])],
    layers: false,
  },
  {
    name: 'resnet (no norm: convs with bias) -> mlp',
    networks: [network('encoder', [resnet([6, 6, 12], 1, img28, { norm: 'none' }), mlp([5], [12])])],
    layers: true,
  },
  {
    name: 'resnet (layer norm)',
    networks: [network('encoder', [resnet([4, 8], 1, [8, 8, 2], { norm: 'layer' })])],
    layers: true,
  },
  {
    name: 'transformer over image patches (pool none) -> token-wise mlp with batch norm',
    networks: [network('encoder', [transformer(img28, { patch: 7, dim: 16, depth: 2, heads: 4, mlpRatio: 2, pool: 'none' }), mlp([24, 16], [16, 16], { norm: 'batch' })])],
    layers: false,
  },
  {
    name: 'transformer over time windows (pool mean)',
    networks: [network('encoder', [transformer([32, 2], { patch: 4, dim: 12, depth: 1, heads: 3, pool: 'mean' })])],
    layers: false,
  },
  {
    name: 'conv1d (batch norm, stride 2, pool none) -> token-wise mlp',
    networks: [network('encoder', [conv1d([6, 8], [40, 3], { stride: 2, norm: 'batch', pool: 'none' }), mlp([5], [10, 8])])],
    layers: true,
  },
  {
    name: 'conv1d (layer norm, gelu, pool mean)',
    networks: [network('encoder', [conv1d([4, 4], [24, 2], { kernel: 5, norm: 'layer', activation: 'gelu' })])],
    layers: false,
  },
  {
    name: 'conv1d (layer norm, pool mean)',
    networks: [network('encoder', [conv1d([4, 4], [24, 2], { kernel: 5, norm: 'layer' })])],
    layers: true,
  },
  {
    name: 'mlp on flattened images (layer norm, gelu)',
    networks: [network('encoder', [mlp([32, 32, 16], [8, 8, 1], { norm: 'layer', activation: 'gelu' })])],
    layers: false,
  },
  {
    name: 'mlp on flattened images (layer norm) -> a linear mlp with gelu (never applied)',
    networks: [network('encoder', [mlp([32, 32, 16], [8, 8, 1], { norm: 'layer' }), mlp([6], [16], { activation: 'gelu' })])],
    layers: true,
  },
  {
    name: "DINO's head: convnet -> mlp (gelu) -> normalize -> mlp",
    networks: [network('student', [convnet([8, 16], img28, { stride: 2, norm: 'batch' }), mlp([32, 8], [16], { activation: 'gelu' }), normalize([8]), mlp([40], [8])])],
    layers: false,
  },
  {
    name: "DINO's backbone read at stage 0 (what its probes read)",
    networks: [network('student', [convnet([8, 16], img28, { stride: 2, norm: 'batch' }), mlp([32, 8], [16], { activation: 'gelu' }), normalize([8]), mlp([40], [8])])],
    stage: 0,
    layers: true,
  },
];

/** Builds the case's networks with random weights, runs `body`, and disposes them whatever happens. */
async function withNetworks(c: Case, seed: number, body: (modules: NetworkModule[]) => Promise<void>): Promise<void> {
  const modules: NetworkModule[] = [];
  try {
    c.networks.forEach((net, i) => modules.push(createNetwork(net, createRng(seed + i))));
    modules.forEach((m, i) => randomizeWeights(m, 3 * seed + i));
    await body(modules);
  } finally {
    for (const m of modules) m.dispose();
  }
}

function refOf(c: Case): EncoderRef {
  const last = c.networks[c.networks.length - 1]!;
  const stage = c.stage ?? last.stages.length - 1;
  return { network: last.name, stage, dim: featureDim(last, stage), chain: c.networks.map((n) => n.name), inputShape: c.networks[0]!.inputShape, origin: 'test' };
}

beforeAll(async () => {
  await initBackend('wasm');
});

describe('graph model export', () => {
  for (const [index, c] of cases.entries()) {
    it(`${c.name}: tf.loadGraphModel gives the runtime's features`, async () => {
      await withNetworks(c, 100 + index, async (modules) => {
        const ref = refOf(c);
        const x = randomInput([5, ...ref.inputShape], index);
        const before = tf.memory().numTensors;

        const g = new GraphDefBuilder();
        const output = buildEncoderGraph(g, ref, c.networks, sourceOf(modules));
        const built = g.build(output, 'weights.bin', { generatedBy: 'test' });
        const json = JSON.parse(JSON.stringify(built.json)); // what a reader of model.json gets
        expect(tf.memory().numTensors).toBe(before); // building reads weights on the host only

        const model = await loadGraphModel(modelJsonHandler(json, () => built.weights));
        const y = model.predict(x) as tf.Tensor;
        expect(y.shape).toEqual([5, ref.dim]);
        expect(maxAbsDiff(y.dataSync(), reference(modules, x, ref.stage))).toBeLessThan(TOLERANCE);
        tf.dispose([y, x]);
        model.dispose();
        expect(tf.memory().numTensors).toBe(before - 1);
      });
    });
  }

  it('writes a consistent model.json: one weight per Const node, a shard of exactly their bytes, known ops only', async () => {
    const c = cases.find((k) => k.name.startsWith('transformer over image'))!; // transformer + mlp: the widest op set
    await withNetworks(c, 0, async (modules) => {
      const g = new GraphDefBuilder();
      const { json, weights } = g.build(buildEncoderGraph(g, refOf(c), c.networks, sourceOf(modules)), 'weights.bin', { generatedBy: 'test' });
      const consts = json.modelTopology.node.filter((n) => n.op === 'Const').map((n) => n.name);
      const specs = json.weightsManifest[0]!.weights;
      expect(specs.map((s) => s.name)).toEqual(consts);
      expect(weights.byteLength).toBe(specs.reduce((n, s) => n + 4 * s.shape.reduce((a, b) => a * b, 1), 0));
      const names = new Set(json.modelTopology.node.map((n) => n.name));
      expect(names.size).toBe(json.modelTopology.node.length);
      for (const n of json.modelTopology.node) for (const input of n.input ?? []) expect(names.has(input)).toBe(true);
      const ops = new Set(json.modelTopology.node.map((n) => n.op));
      expect([...ops].sort()).toEqual(
        ['AddV2', 'BatchMatMulV2', 'BiasAdd', 'Const', 'Identity', 'MatMul', 'Mean', 'Mul', 'Placeholder', 'Relu', 'Reshape', 'Rsqrt', 'Sigmoid', 'Softmax', 'Square', 'Sub', 'Transpose'].sort(),
      );
      // Trained weights go in under their runtime names; the transformer's mask token (training only) does not.
      expect(consts).toContain('encoder/0/block1/attn/q/kernel');
      expect(consts).toContain('encoder/1/bn0/moving_variance');
      expect(modules[0]!.trainable.some((v) => v.name.includes('mask_token'))).toBe(true);
      expect(consts.some((n) => n.includes('mask_token'))).toBe(false);
    });
  });
});

describe('layers model export', () => {
  for (const [index, c] of cases.entries()) {
    if (!c.layers) continue;
    it(`${c.name}: tf.loadLayersModel gives the runtime's features`, async () => {
      await withNetworks(c, 200 + index, async (modules) => {
        const ref = refOf(c);
        const x = randomInput([4, ...ref.inputShape], 50 + index);
        const before = tf.memory().numTensors;

        const built = buildLayersModel(ref, c.networks, sourceOf(modules));
        const { json, weights } = await serializeLayersModel(built, 'weights.bin', { test: true });
        built.dispose();
        expect(tf.memory().numTensors).toBe(before);

        const model = await tfl.loadLayersModel(modelJsonHandler(JSON.parse(JSON.stringify(json)), () => weights));
        const y = model.predict(x) as tf.Tensor;
        expect(y.shape).toEqual([4, ref.dim]);
        // Batch norm goes through tf.batchNorm here (the runtime: Sub/Mul/Add): equal up to rounding.
        expect(maxAbsDiff(y.dataSync(), reference(modules, x, ref.stage))).toBeLessThan(TOLERANCE);
        expect(model.getUserDefinedMetadata()).toEqual({ test: true });
        tf.dispose([y, x]);
        model.dispose();
        expect(tf.memory().numTensors).toBe(before - 1);
      });
    });
  }

  it('refuses transformers and normalize stages, naming the network, stage and recipe line', () => {
    const t = cases.find((c) => c.name.startsWith('transformer over image'))!;
    expect(() => checkLayersSupport(refOf(t), t.networks)).toThrow(ExportError);
    expect(() => checkLayersSupport(refOf(t), t.networks)).toThrow(
      "network 'encoder' stage 0 (transformer, test:1:1) cannot be written as a layers model: tfjs-layers has no multi-head attention layer; use --format graph",
    );
    const dino = cases.find((c) => c.name.startsWith("DINO's head"))!;
    expect(() => checkLayersSupport(refOf(dino), dino.networks)).toThrow(/network 'student' stage 1 \(mlp, test:1:1\).*uses GELU/);
    const normalizeOnly = [network('head', [normalize([8]), mlp([4], [8])])];
    expect(() => checkLayersSupport({ ...refOf({ name: '', networks: normalizeOnly, layers: false }) }, normalizeOnly)).toThrow(
      /network 'head' stage 0 \(normalize, test:1:1\).*no l2-normalisation layer/,
    );
    for (const c of cases.filter((c) => !c.layers)) expect(() => checkLayersSupport(refOf(c), c.networks), c.name).toThrow(ExportError);
  });
});
