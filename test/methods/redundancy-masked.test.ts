/**
 * Redundancy-reduction (Barlow Twins, VICReg) and masked-prediction (data2vec, MAE) recipes train
 * 20 steps on real MNIST digits: finite, decreasing main term, sub-terms logged, flat tensor count.
 */
import { describe, expect, it } from 'vitest';
import { compileRecipe, mean, trainRecipe } from '../helpers/methods.js';

function expectFlat(tensors: number[]): void {
  expect(tensors.slice(1).every((n) => n === tensors[1]), `tensor counts ${tensors.join(' ')}`).toBe(true);
}

describe('recipes/barlow_twins.ssl', () => {
  it('compiles cleanly; 20 steps lower the loss; on- and off-diagonal parts are logged', async () => {
    expect(compileRecipe('recipes/barlow_twins.ssl').diagnostics).toEqual([]);
    const run = await trainRecipe('recipes/barlow_twins.ssl');
    const loss = run.steps.map((s) => s.loss);
    expect(loss.every(Number.isFinite)).toBe(true);
    expect(mean(loss.slice(-5))).toBeLessThan(mean(loss.slice(0, 5)));
    const t = run.steps[5]!.terms;
    expect(t['barlow_twins/on_diag']! + t['barlow_twins/off_diag']!).toBeCloseTo(t['barlow_twins']!, 2);
    expectFlat(run.tensors);
  });
});

describe('recipes/vicreg.ssl', () => {
  it('compiles cleanly; 20 steps lower the loss; the three weighted terms add up to it', async () => {
    expect(compileRecipe('recipes/vicreg.ssl').diagnostics).toEqual([]);
    const run = await trainRecipe('recipes/vicreg.ssl');
    const loss = run.steps.map((s) => s.loss);
    expect(loss.every(Number.isFinite)).toBe(true);
    expect(mean(loss.slice(-5))).toBeLessThan(mean(loss.slice(0, 5)));
    const t = run.steps[5]!.terms;
    expect(t['vicreg/invariance']! + t['vicreg/variance']! + t['vicreg/covariance']!).toBeCloseTo(t['vicreg']!, 2);
    expectFlat(run.tensors);
  });
});

describe('recipes/data2vec.ssl', () => {
  it('compiles cleanly; the masked student regresses the averaged top layers; 20 steps lower it', async () => {
    const { ir, diagnostics } = compileRecipe('recipes/data2vec.ssl');
    expect(diagnostics).toEqual([]);
    const apply = ir!.graph.nodes.filter((n) => n.kind === 'apply');
    expect(apply.find((n) => n.kind === 'apply' && n.network === 'target')).toMatchObject({ layers: { top: 2, norm: 'instance' }, shape: [49, 64] });
    expect(apply.find((n) => n.kind === 'apply' && n.network === 'student')).toHaveProperty('mask');
    const run = await trainRecipe('recipes/data2vec.ssl', { batch: 32 });
    const loss = run.steps.map((s) => s.loss);
    expect(loss.every(Number.isFinite)).toBe(true);
    expect(mean(loss.slice(-5))).toBeLessThan(mean(loss.slice(0, 5)));
    expectFlat(run.tensors);
  });

  it('a mask the loss uses but the student does not see is an error', () => {
    const { diagnostics, ir } = compileRecipe('recipes/data2vec.ssl', (t) => t.replace('student(x, mask: m)', 'student(x)'));
    expect(ir).toBeUndefined();
    expect(diagnostics.map((d) => d.code)).toContain('mask-not-applied');
  });
});

describe('recipes/mae.ssl', () => {
  it('compiles cleanly; 20 steps lower the masked reconstruction error', async () => {
    const { ir, diagnostics } = compileRecipe('recipes/mae.ssl');
    expect(diagnostics).toEqual([]);
    expect(ir!.graph.nodes.find((n) => n.kind === 'patchify')).toMatchObject({ patch: 4, normalize: true, shape: [49, 16] });
    const run = await trainRecipe('recipes/mae.ssl', { batch: 32 });
    const loss = run.steps.map((s) => s.loss);
    expect(loss.every(Number.isFinite)).toBe(true);
    expect(mean(loss.slice(-5))).toBeLessThan(mean(loss.slice(0, 5)));
    expectFlat(run.tensors);
  });
});
