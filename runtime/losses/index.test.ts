import { beforeAll, describe, expect, it } from 'vitest';
import type { LossFn } from '../../compiler/ir.js';
import { tf } from '../tf.js';
import { createRng } from '../util/rng.js';
import { createLoss } from './index.js';
import { ntXent } from './nt-xent.js';
import { randomFlat, toTensor, type Flat } from './testing.js';

type Case = { inputs: Record<string, number[][]>; params: Record<string, number>; mask?: [number, number]; parts?: string[]; state?: number[][] };

const B = 4, D = 6, T = 3;
/** Input shapes and params of one loss node per LossFn. */
const CASES: Record<LossFn, Case> = {
  nt_xent: { inputs: { a: [[B, D]], b: [[B, D]] }, params: { temperature: 0.5 } },
  info_nce: { inputs: { query: [[B, D]], key: [[B, D]] }, params: { temperature: 0.2, queue: 8 }, state: [[8, D], []] },
  cosine_regress: { inputs: { prediction: [[B, D]], target: [[B, D]] }, params: {} },
  neg_cosine: { inputs: { prediction: [[B, D]], target: [[B, D]] }, params: {} },
  barlow_twins: { inputs: { a: [[B, D]], b: [[B, D]] }, params: { lambda: 5e-3 }, parts: ['off_diag', 'on_diag'] },
  vicreg: { inputs: { a: [[B, D]], b: [[B, D]] }, params: { invariance: 25, variance: 25, covariance: 1 }, parts: ['covariance', 'invariance', 'variance'] },
  dino: {
    inputs: { student: [[B, D], [B, D], [B, D]], teacher: [[B, D], [B, D]] },
    params: { student_temperature: 0.1, teacher_temperature: 0.04, center_momentum: 0.9 },
    state: [[1, D]],
  },
  mse: { inputs: { prediction: [[B, T, D]], target: [[B, T, D]] }, params: {}, mask: [B, T] },
  smooth_l1: { inputs: { prediction: [[B, T, D]], target: [[B, T, D]] }, params: { beta: 1 }, mask: [B, T] },
};

/** A variable with the values of `x` (tf.variable keeps its initial tensor alive: dispose it). */
function variableOf(x: Flat): tf.Variable {
  const init = toTensor(x);
  const v = tf.variable(init);
  init.dispose();
  return v;
}

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('createLoss', () => {
  it('nt_xent wraps ntXent', () => {
    const rng = createRng(1);
    const [a, b] = [toTensor(randomFlat([B, D], rng)), toTensor(randomFlat([B, D], rng))];
    const m = createLoss('nt_xent', 'simclr');
    const got = m.forward({ a: [a], b: [b] }, null, { temperature: 0.3 }).loss;
    const want = ntXent(a as tf.Tensor2D, b as tf.Tensor2D, 0.3);
    expect(got.dataSync()[0]).toBeCloseTo(want.dataSync()[0], 6);
    expect(() => m.forward({ a: [a], b: [b] }, null, {})).toThrow(/nt_xent 'simclr': missing parameter 'temperature'/);
    const mask = tf.ones([B, 1]);
    expect(() => m.forward({ a: [a], b: [b] }, mask, { temperature: 0.3 })).toThrow(/nt_xent 'simclr': this loss takes no token mask/);
    m.dispose();
    tf.dispose([a, b, got, want, mask]);
  });

  it('rejects an unknown loss function', () => {
    expect(() => createLoss('hinge' as LossFn, 'x')).toThrow(/unknown loss function 'hinge'/);
  });

  for (const [fn, c] of Object.entries(CASES) as [LossFn, Case][]) {
    it(`${fn}: trains (finite, non-zero gradients for every input that feeds it), parts, state, no leaks, dispose`, () => {
      const rng = createRng(fn.length * 7 + 1);
      const baseline = tf.memory().numTensors;
      const m = createLoss(fn, `${fn}_node`);
      const vars: Record<string, tf.Variable[]> = Object.fromEntries(
        Object.entries(c.inputs).map(([k, shapes]) => [k, shapes.map((s) => variableOf(randomFlat(s, rng)))]),
      );
      const mask = c.mask ? tf.tensor2d(Array.from({ length: B * T }, (_, i) => i % 2), c.mask) : null;
      const held = tf.memory().numTensors;
      let steady = -1;
      for (let step = 0; step < 3; step++) {
        tf.tidy(() => {
          const { value, grads } = tf.variableGrads(() => {
            const out = m.forward(vars, mask, c.params);
            expect(Object.keys(out.parts ?? {}).sort()).toEqual(c.parts ?? []);
            return out.loss;
          });
          expect(Number.isFinite(value.dataSync()[0])).toBe(true);
          const trainable = fn === 'dino' ? vars.student : Object.values(vars).flat(); // the teacher gets none
          for (const v of trainable) {
            const g = grads[v.name].dataSync();
            expect(g.every(Number.isFinite), `${fn} ${v.name}`).toBe(true);
            expect(g.some((x) => x !== 0), `${fn} ${v.name}`).toBe(true);
          }
        });
        m.afterStep();
        // State (if any) is made on the first forward; from then on the count is flat.
        if (step === 0) steady = tf.memory().numTensors;
        else expect(tf.memory().numTensors, `${fn} step ${step}`).toBe(steady);
      }
      expect(m.state.map((v) => v.shape)).toEqual(c.state ?? []);
      expect(steady).toBe(held + (c.state?.length ?? 0));
      m.dispose();
      expect(tf.memory().numTensors).toBe(held);
      tf.dispose([...Object.values(vars).flat(), ...(mask ? [mask] : [])]);
      expect(tf.memory().numTensors).toBe(baseline);
    });
  }
});
