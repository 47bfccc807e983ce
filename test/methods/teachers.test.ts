/**
 * Methods without negatives (BYOL, SimSiam, DINO) train 20 steps on real MNIST digits with a finite,
 * decreasing main term and a flat tensor count; the teacher follows its student by EMA; and SimSiam
 * without its stop-gradient is flagged before running and collapses when run anyway.
 */
import { describe, expect, it } from 'vitest';
import { compileRecipe, mean, trainRecipe } from '../helpers/methods.js';

function expectFlat(tensors: number[]): void {
  expect(tensors.slice(1).every((n) => n === tensors[1]), `tensor counts ${tensors.join(' ')}`).toBe(true);
}

describe('recipes/byol.ssl', () => {
  it('compiles cleanly; 20 steps lower the regression; the momentum follows its cosine ramp', async () => {
    const { ir, diagnostics } = compileRecipe('recipes/byol.ssl');
    expect(diagnostics).toEqual([]);
    const total = ir!.train.totalSteps;
    expect(ir!.teachers['target']).toMatchObject({ of: 'online', momentum: { kind: 'ramp', from: 0.996, to: 1, shape: 'cosine', startStep: 0, endStep: total } });
    const run = await trainRecipe('recipes/byol.ssl');
    const loss = run.steps.map((s) => s.loss);
    expect(loss.every(Number.isFinite)).toBe(true);
    expect(mean(loss.slice(-5))).toBeLessThan(mean(loss.slice(0, 5)));
    // Two symmetric terms, logged separately, summing to the loss.
    const last = run.steps[run.steps.length - 1]!;
    expect(last.terms['cosine_regress']! + last.terms['cosine_regress#2']!).toBeCloseTo(last.loss, 4);
    expectFlat(run.tensors);
  });
});

describe('recipes/simsiam.ssl', () => {
  const withoutStopgrad = (text: string) => text.replace(/stopgrad\((z[12])\)/g, '$1');

  it('compiles cleanly; 20 steps lower the negative cosine', async () => {
    expect(compileRecipe('recipes/simsiam.ssl').diagnostics).toEqual([]);
    const run = await trainRecipe('recipes/simsiam.ssl');
    const loss = run.steps.map((s) => s.loss);
    expect(loss.every(Number.isFinite)).toBe(true);
    expect(mean(loss.slice(-5))).toBeLessThan(mean(loss.slice(0, 5)));
    expectFlat(run.tensors);
  });

  it('without stopgrad: a collapse-risk warning on each term, before anything runs', () => {
    const { diagnostics, text, ir } = compileRecipe('recipes/simsiam.ssl', withoutStopgrad);
    expect(ir).toBeDefined(); // a warning, not an error: it may still be run
    const warnings = diagnostics.filter((d) => d.code === 'collapse-risk');
    expect(warnings.map((d) => d.severity)).toEqual(['warning', 'warning']);
    const lines = text.split('\n');
    for (const w of warnings) expect(lines[w.span.start.line - 1]).toContain('neg_cosine(predictor(z');
    expect(warnings[0]!.hint).toContain('stopgrad');
  });

  it('without stopgrad: the logged embedding std collapses; with it, it holds', async () => {
    // 4x the recipe's lr so the collapse shows within a test's budget of steps.
    const steps = 30;
    const faster = (x: { optimizer: { lr: number } }) => void (x.optimizer.lr *= 4);
    const collapsed = await trainRecipe('recipes/simsiam.ssl', { edit: withoutStopgrad, steps, batch: 32, patch: faster });
    const healthy = await trainRecipe('recipes/simsiam.ssl', { steps, batch: 32, patch: faster });
    const std = (r: typeof collapsed) => r.steps.map((s) => s.embeddingStd!);
    const [c, h] = [std(collapsed), std(healthy)];
    expect(c[0]).toBeCloseTo(h[0]!, 5); // same seed, same start
    // Without the stop-gradient both branches chase each other to a constant: the loss heads for
    // its minimum of -1 and the std of the l2-normalised output falls; with it, both fall slowly.
    console.log(`simsiam std over ${steps} steps: without stopgrad ${c[0]!.toFixed(4)} -> ${c[c.length - 1]!.toFixed(4)}, with ${h[0]!.toFixed(4)} -> ${h[h.length - 1]!.toFixed(4)}`);
    expect(mean(collapsed.steps.slice(-5).map((s) => s.loss))).toBeLessThan(mean(healthy.steps.slice(-5).map((s) => s.loss)) - 0.3);
    expect(c[c.length - 1]!).toBeLessThan(0.5 * c[0]!);
    expect(c[c.length - 1]!).toBeLessThan(0.6 * h[h.length - 1]!);
  });
});

describe('recipes/dino.ssl', () => {
  it('compiles cleanly; multi-crop lists reach the loss; 20 steps lower the cross-entropy', async () => {
    const { ir, diagnostics } = compileRecipe('recipes/dino.ssl');
    expect(diagnostics).toEqual([]);
    const loss = ir!.graph.nodes.find((n) => n.kind === 'loss' && n.fn === 'dino')!;
    if (loss.kind !== 'loss') throw new Error('no dino loss');
    expect(loss.inputs['student']).toHaveLength(6);
    expect(loss.inputs['teacher']).toHaveLength(2);
    const shapes = loss.inputs['student']!.map((id) => ir!.graph.nodes[ir!.graph.nodes[id]!.kind === 'apply' ? (ir!.graph.nodes[id] as { input: number }).input : id]!.shape);
    expect(shapes.map((s) => s[0])).toEqual([28, 28, 12, 12, 12, 12]);
    expect(loss.params['teacher_temperature']).toMatchObject({ kind: 'ramp', from: 0.04, to: 0.07, shape: 'linear', endStep: 30 * ir!.train.stepsPerEpoch });
    // The centre starts at 0 (as in DINO's code) and takes ~20 steps (momentum 0.9) to reach the
    // teacher's mean output; while it does, the teacher's distributions flatten and the
    // cross-entropy rises towards log K. After that, training lowers it.
    const run = await trainRecipe('recipes/dino.ssl', {
      steps: 40,
      batch: 32,
      patch: (x) => {
        x.optimizer.lr = 2e-3;
      },
    });
    const values = run.steps.map((s) => s.loss);
    expect(values.every(Number.isFinite)).toBe(true);
    const peak = Math.max(...values);
    expect(values.indexOf(peak)).toBeGreaterThan(5);
    expect(mean(values.slice(-5))).toBeLessThan(peak - 0.05);
    expectFlat(run.tensors);
  });
});
