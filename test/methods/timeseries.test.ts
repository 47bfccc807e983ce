/**
 * The time-series examples train on generated Cylinder-Bell-Funnel series (runtime/data/synthetic.ts)
 * the way the trainer does: data2vec with a span-masked transformer over time windows, and SimCLR with
 * TS-TCC's weak/strong views. 20 short steps each: finite, decreasing loss, flat tensor count.
 */
import { describe, expect, it } from 'vitest';
import { compileRecipe, mean, trainRecipe } from '../helpers/methods.js';

function expectFlat(tensors: number[]): void {
  expect(tensors.slice(1).every((n) => n === tensors[1]), `tensor counts ${tensors.join(' ')}`).toBe(true);
}

describe('examples/data2vec-timeseries.ssl', () => {
  it('compiles cleanly: 32 windows of 4 steps, span masks over them, the teacher averages its top 2 blocks', () => {
    const { ir, diagnostics } = compileRecipe('examples/data2vec-timeseries.ssl');
    expect(diagnostics).toEqual([]);
    expect(ir!.data['train']).toMatchObject({ dataset: 'cbf', shape: [128, 1], numClasses: 3 });
    expect(ir!.views['aug']!.ops.map((o) => o.kind)).toEqual(['scaling', 'jitter']);
    expect(ir!.views['aug']!.outputShape).toEqual([128, 1]);
    expect(ir!.graph.nodes.find((n) => n.kind === 'mask')).toMatchObject({ mask: { kind: 'spans', span: 3, ratio: 0.5, grid: [32], patch: [4] } });
    const target = ir!.graph.nodes.find((n) => n.kind === 'apply' && n.network === 'target');
    expect(target).toMatchObject({ layers: { top: 2, norm: 'instance' }, shape: [32, 64] });
    expect(ir!.graph.nodes.find((n) => n.kind === 'apply' && n.network === 'student')).toHaveProperty('mask');
  });

  it('20 steps lower the masked regression loss, tensors flat', async () => {
    const run = await trainRecipe('examples/data2vec-timeseries.ssl', { batch: 32 });
    const loss = run.steps.map((s) => s.loss);
    expect(loss).toHaveLength(20);
    expect(loss.every(Number.isFinite)).toBe(true);
    expect(mean(loss.slice(-5))).toBeLessThan(mean(loss.slice(0, 5)));
    expectFlat(run.tensors);
  });
});

describe('examples/ts-simclr.ssl', () => {
  it('compiles cleanly with the TS-TCC views', () => {
    const { ir, diagnostics } = compileRecipe('examples/ts-simclr.ssl');
    expect(diagnostics).toEqual([]);
    expect(ir!.views['weak']!.ops.map((o) => o.kind)).toEqual(['scaling', 'jitter']);
    expect(ir!.views['strong']!.ops.map((o) => o.kind)).toEqual(['permutation', 'jitter']);
  });

  it('20 steps lower NT-Xent between the weak and strong views, tensors flat', async () => {
    const run = await trainRecipe('examples/ts-simclr.ssl', { batch: 32 });
    const loss = run.steps.map((s) => s.loss);
    expect(loss.every(Number.isFinite)).toBe(true);
    expect(mean(loss.slice(-5))).toBeLessThan(mean(loss.slice(0, 5)));
    expectFlat(run.tensors);
  });
});
