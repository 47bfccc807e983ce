/**
 * The lowered training graph: gradients of the whole SimCLR loss (conv encoder, projector,
 * NT-Xent) on wasm — with ssl's own conv-gradient and matmul kernels — against the cpu backend,
 * and the graph's weighted sums against the loss computed by hand.
 */
import { readFileSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { compile } from '../compiler/index.js';
import type { IR } from '../compiler/ir.js';
import { tf } from './tf.js';
import { initBackend } from './backend/index.js';
import { TrainingGraph, type SampledInputs } from './graph.js';
import { createRng } from './util/rng.js';
import { batchTensor, loadDataSource } from './data/dataset.js';
import { ntXent } from './losses/nt-xent.js';

const fixture = readFileSync(new URL('../test/fixtures/tiny.ssl', import.meta.url), 'utf8');

function compileText(text: string): IR {
  const { ir, diagnostics } = compile(text, 'tiny.ssl');
  if (!ir) throw new Error(diagnostics.map((d) => d.message).join('\n'));
  return ir;
}

/** Host copies of one step's sampled inputs, so both backends see exactly the same views. */
async function sampleOnce(ir: IR): Promise<Map<number, { shape: number[]; values: Float32Array }>> {
  await initBackend('cpu');
  const graph = new TrainingGraph(ir, createRng(1));
  const data = loadDataSource(ir.data[ir.train.data]);
  const batch = batchTensor(data, Array.from({ length: ir.train.batch }, (_, i) => i));
  const inputs = graph.sampleInputs({ [ir.train.data]: batch });
  const host = new Map<number, { shape: number[]; values: Float32Array }>();
  for (const [id, t] of inputs) host.set(id, { shape: t.shape, values: (await t.data()) as Float32Array });
  tf.dispose([...inputs.values(), batch]);
  graph.dispose();
  return host;
}

async function gradientsOn(backend: 'cpu' | 'wasm', ir: IR, host: Map<number, { shape: number[]; values: Float32Array }>) {
  await initBackend(backend);
  const graph = new TrainingGraph(ir, createRng(1)); // same seed: same initial weights
  const inputs: SampledInputs = new Map([...host].map(([id, h]) => [id, tf.tensor(h.values, h.shape)]));
  const { value, grads } = tf.variableGrads(() => graph.loss(inputs), graph.trainableVariables);
  const loss = (await value.data())[0];
  const out: Record<string, Float32Array> = {};
  for (const [name, g] of Object.entries(grads)) out[name] = (await g.data()) as Float32Array;
  tf.dispose([value, ...Object.values(grads), ...inputs.values()]);
  graph.dispose();
  return { loss, grads: out };
}

afterAll(async () => {
  await initBackend('wasm');
});

describe('TrainingGraph', () => {
  it('whole-loss gradients on wasm match the cpu backend (conv encoder, projector, NT-Xent)', async () => {
    const ir = compileText(fixture);
    const host = await sampleOnce(ir);
    const cpu = await gradientsOn('cpu', ir, host);
    const wasm = await gradientsOn('wasm', ir, host);
    expect(wasm.loss).toBeCloseTo(cpu.loss, 4);
    expect(Object.keys(wasm.grads).sort()).toEqual(Object.keys(cpu.grads).sort());
    expect(Object.keys(cpu.grads)).toHaveLength(10); // 3 conv + 2 dense layers, kernel and bias each
    for (const [name, expected] of Object.entries(cpu.grads)) {
      const actual = wasm.grads[name]!;
      const scale = Math.max(...expected.map(Math.abs));
      expect(scale, name).toBeGreaterThan(0);
      let worst = 0;
      for (let i = 0; i < expected.length; i++) worst = Math.max(worst, Math.abs(actual[i]! - expected[i]!));
      expect(worst / scale, name).toBeLessThan(1e-3);
    }
  });

  it('weighted sums of loss terms evaluate as written', async () => {
    await initBackend('cpu');
    const text = fixture.replace(
      /loss = nt_xent\(.*\)/,
      'let za = projector(encoder(x1))\nlet zb = projector(encoder(x2))\nloss = 0.25 * nt_xent(za, zb, temperature: 0.5) + 0.75 * nt_xent(zb, za, temperature: 0.2)',
    );
    const ir = compileText(text);
    const graph = new TrainingGraph(ir, createRng(2));
    const data = loadDataSource(ir.data[ir.train.data]);
    const batch = batchTensor(data, Array.from({ length: ir.train.batch }, (_, i) => i));
    const inputs = graph.sampleInputs({ [ir.train.data]: batch });
    const total = graph.loss(inputs, false);
    // By hand: the two views are the two `view` nodes, in id order.
    const views = ir.graph.nodes.filter((n) => n.kind === 'view').map((n) => inputs.get(n.id)!);
    const embed = (x: tf.Tensor) => graph.features(x, ['encoder', 'projector'], 0);
    const [za, zb] = views.map(embed);
    const expected = 0.25 * ntXent(za!, zb!, 0.5).dataSync()[0]! + 0.75 * ntXent(zb!, za!, 0.2).dataSync()[0]!;
    expect(total.dataSync()[0]).toBeCloseTo(expected, 5);
    graph.dispose();
  });
});
