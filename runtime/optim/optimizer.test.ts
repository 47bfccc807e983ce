import { beforeAll, describe, expect, it } from 'vitest';
import type { Optimizer, Span } from '../../compiler/ir.js';
import { tf } from '../tf.js';
import { createOptimizer } from './optimizer.js';
import type { OptimizerSnapshot } from './types.js';

const origin: Span = { uri: 'test', start: { offset: 0, line: 1, column: 1 }, end: { offset: 0, line: 1, column: 1 } };

/**
 * The problem: f(w, b) = 1/2 sum_i a_i (w_i - c_i)^2 + 1/2 sum_j (b_j - 1)^2, so grad_w = a (w - c)
 * and grad_b = b - 1; `b` plays the bias (isBiasOrNorm). Learning rates change every step, as
 * under a schedule.
 */
const A = [1, 3, 0.5, 2];
const C = [0.5, -1, 2, 0];
const W0 = [1.5, 0.2, -0.7, 1.1];
const B0 = [0.3, -0.4];
const LRS = [0.1, 0.05, 0.08, 0.02, 0.04];

type Vec = number[];
const gradW = (w: Vec) => w.map((x, i) => A[i] * (x - C[i]));
const gradB = (b: Vec) => b.map((x) => x - 1);
const norm = (v: Vec) => Math.sqrt(v.reduce((s, x) => s + x * x, 0));

/** Plain-JS references, one per optimizer: (param, grad, state, lr, isBias) -> new param. */
type Ref = (w: Vec, g: Vec, s: Record<string, Vec | number>, lr: number, isBias: boolean) => Vec;

function sgdRef(momentum: number, wd: number, nesterov: boolean): Ref {
  return (w, g0, s, lr) => {
    const g = g0.map((x, i) => x + wd * w[i]);
    const buf = ((s.buf as Vec) ?? w.map(() => 0)).map((x, i) => momentum * x + g[i]);
    s.buf = buf;
    const d = nesterov ? g.map((x, i) => x + momentum * buf[i]) : buf;
    return w.map((x, i) => x - lr * d[i]);
  };
}

function adamRef(b1: number, b2: number, eps: number, wd: number): Ref {
  return (w, g0, s, lr) => {
    const g = g0.map((x, i) => x + wd * w[i]);
    const t = ((s.t as number) ?? 0) + 1;
    const m = ((s.m as Vec) ?? w.map(() => 0)).map((x, i) => b1 * x + (1 - b1) * g[i]);
    const v = ((s.v as Vec) ?? w.map(() => 0)).map((x, i) => b2 * x + (1 - b2) * g[i] * g[i]);
    Object.assign(s, { t, m, v });
    return w.map((x, i) => x - (lr * (m[i] / (1 - b1 ** t))) / (Math.sqrt(v[i] / (1 - b2 ** t)) + eps));
  };
}

/** AdamW with decoupled decay on weights only; `wds[t-1]` is the decay of step t (a ramp). */
function adamwRef(b1: number, b2: number, eps: number, wds: number[]): Ref {
  return (w, g, s, lr, isBias) => {
    const t = ((s.t as number) ?? 0) + 1;
    const wd = isBias ? 0 : wds[t - 1]!;
    const m = ((s.m as Vec) ?? w.map(() => 0)).map((x, i) => b1 * x + (1 - b1) * g[i]);
    const v = ((s.v as Vec) ?? w.map(() => 0)).map((x, i) => b2 * x + (1 - b2) * g[i] * g[i]);
    Object.assign(s, { t, m, v });
    return w.map((x, i) => x * (1 - lr * wd) - (lr * (m[i] / (1 - b1 ** t))) / (Math.sqrt(v[i] / (1 - b2 ** t)) + eps));
  };
}

function larsRef(momentum: number, wd: number, eta: number, exclude: boolean): Ref {
  return (w, g0, s, lr, isBias) => {
    const adapt = !(exclude && isBias);
    const g = adapt ? g0.map((x, i) => x + wd * w[i]) : g0;
    const trust = adapt && norm(w) > 0 && norm(g) > 0 ? (eta * norm(w)) / norm(g) : 1;
    const v = ((s.v as Vec) ?? w.map(() => 0)).map((x, i) => momentum * x + lr * trust * g[i]);
    s.v = v;
    return w.map((x, i) => x - v[i]);
  };
}

function runReference(ref: Ref): { w: Vec; b: Vec }[] {
  let w = [...W0], b = [...B0];
  const sw = {}, sb = {};
  const out: { w: Vec; b: Vec }[] = [];
  for (const lr of LRS) {
    const [gw, gb] = [gradW(w), gradB(b)];
    w = ref(w, gw, sw, lr, false);
    b = ref(b, gb, sb, lr, true);
    out.push({ w, b });
  }
  return out;
}

function runTf(opt: Optimizer, expectedSlotsPerParam: number): { w: Vec; b: Vec }[] {
  // w as [2, 2] to check that norms and updates see the whole variable.
  const w = tf.variable(tf.tensor2d(W0, [2, 2]), true, `q/w/${Math.random()}`);
  const b = tf.variable(tf.tensor1d(B0), true, `q/b/${Math.random()}`);
  const optimizer = createOptimizer(opt, [
    { variable: w, isBiasOrNorm: false },
    { variable: b, isBiasOrNorm: true },
  ]);
  const a = tf.tensor2d(A, [2, 2]), c = tf.tensor2d(C, [2, 2]);
  const out: { w: Vec; b: Vec }[] = [];
  let after: number | null = null;
  LRS.forEach((lr, step) => {
    const { value, grads } = tf.variableGrads(
      () => tf.add(tf.mul(0.5, tf.sum(tf.mul(a, tf.square(tf.sub(w, c))))), tf.mul(0.5, tf.sum(tf.square(tf.sub(b, 1))))) as tf.Scalar,
      [w, b],
    );
    optimizer.apply(grads, lr);
    tf.dispose([value, ...Object.values(grads)]);
    if (step === 0) after = tf.memory().numTensors;
    else expect(tf.memory().numTensors).toBe(after); // flat after the first step
    out.push({ w: Array.from(w.dataSync()), b: Array.from(b.dataSync()) });
  });
  expect(optimizer.slotCount()).toBe(2 * expectedSlotsPerParam);
  const beforeDispose = tf.memory().numTensors;
  optimizer.dispose();
  expect(tf.memory().numTensors).toBe(beforeDispose - 2 * expectedSlotsPerParam);
  tf.dispose([w, b, a, c]);
  return out;
}

function expectTrajectory(got: { w: Vec; b: Vec }[], want: { w: Vec; b: Vec }[]) {
  got.forEach((step, k) => {
    for (const key of ['w', 'b'] as const)
      step[key].forEach((x, i) => {
        const e = want[k][key][i];
        if (Math.abs(x - e) > 1e-5 * Math.max(1, Math.abs(e))) throw new Error(`step ${k} ${key}[${i}]: ${x} vs ${e}`);
      });
  });
  // The trajectory moves (guards against a no-op optimizer matching a no-op reference).
  expect(got[got.length - 1].w).not.toEqual(W0);
}

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('createOptimizer', () => {
  it('sgd: plain, momentum, nesterov, weight decay match the PyTorch-convention reference', () => {
    for (const [momentum, nesterov, wd] of [[0, false, 0], [0.9, false, 0], [0.9, true, 0.01], [0.5, false, 0.1]] as const) {
      const opt: Optimizer = { kind: 'sgd', lr: 0.1, momentum, nesterov, weightDecay: wd, origin };
      expectTrajectory(runTf(opt, momentum > 0 ? 1 : 0), runReference(sgdRef(momentum, wd, nesterov)));
    }
  });

  it('adamw: decoupled weight decay (a linear ramp), biases exempt, match the reference', () => {
    const ramp = { kind: 'ramp' as const, from: 0.1, to: 0.5, shape: 'linear' as const, startStep: 0, endStep: 4 };
    const opt: Optimizer = { kind: 'adamw', lr: 1e-2, beta1: 0.9, beta2: 0.999, epsilon: 1e-8, weightDecay: ramp, origin };
    expectTrajectory(runTf(opt, 2), runReference(adamwRef(0.9, 0.999, 1e-8, [0.1, 0.2, 0.3, 0.4, 0.5])));
  });

  it('sgd: a weight-decay ramp is evaluated at each step', () => {
    const wds = [0.1, 0.075, 0.05, 0.025, 0];
    const ramp = { kind: 'ramp' as const, from: 0.1, to: 0, shape: 'linear' as const, startStep: 0, endStep: 4 };
    const opt: Optimizer = { kind: 'sgd', lr: 0.1, momentum: 0, nesterov: false, weightDecay: ramp, origin };
    const ref: Ref = (w, g0, s, lr) => {
      const t = ((s.t as number) ?? 0) + 1;
      s.t = t;
      return w.map((x, i) => x - lr * (g0[i]! + wds[t - 1]! * x));
    };
    expectTrajectory(runTf(opt, 0), runReference(ref));
  });

  it('adam: bias-corrected moments and L2 weight decay match the reference', () => {
    for (const wd of [0, 0.05]) {
      const opt: Optimizer = { kind: 'adam', lr: 1e-3, beta1: 0.9, beta2: 0.999, epsilon: 1e-8, weightDecay: wd, origin };
      expectTrajectory(runTf(opt, 2), runReference(adamRef(0.9, 0.999, 1e-8, wd)));
    }
  });

  it('lars: trust ratio eta ||w|| / ||g + wd w||, bias excluded from decay and adaptation', () => {
    for (const exclude of [true, false]) {
      const opt: Optimizer = { kind: 'lars', lr: 0.5, momentum: 0.9, weightDecay: 1e-2, eta: 0.02, excludeBiasAndNorm: exclude, origin };
      expectTrajectory(runTf(opt, 1), runReference(larsRef(0.9, 1e-2, 0.02, exclude)));
    }
  });

  it('lars: a zero weight gets trust ratio 1 (no NaN)', () => {
    const w = tf.variable(tf.zeros([3]), true, 'zero/w');
    const opt = createOptimizer({ kind: 'lars', lr: 1, momentum: 0.9, weightDecay: 0, eta: 0.001, excludeBiasAndNorm: true, origin }, [{ variable: w, isBiasOrNorm: false }]);
    const g = tf.tensor1d([1, 2, 3]);
    opt.apply({ 'zero/w': g }, 0.1);
    expect(Array.from(w.dataSync())).toEqual([-0.1, -0.2, -0.3].map(Math.fround));
    opt.dispose();
    tf.dispose([w, g]);
  });

  it('ignores unknown gradients, skips parameters without one, and rejects bad input', () => {
    const w = tf.variable(tf.ones([2]), true, 'keep/w');
    const opt = createOptimizer({ kind: 'sgd', lr: 0.1, momentum: 0.9, nesterov: false, weightDecay: 0, origin }, [{ variable: w, isBiasOrNorm: false }]);
    const g = tf.ones([2]);
    opt.apply({ other: g }, 0.1);
    expect(Array.from(w.dataSync())).toEqual([1, 1]);
    expect(opt.slotCount()).toBe(0);
    expect(() => opt.apply({ 'keep/w': g }, Number.NaN)).toThrow(/learning rate/);
    const bad = tf.ones([3]);
    expect(() => opt.apply({ 'keep/w': bad }, 0.1)).toThrow(/shape \[3\].*\[2\]/);
    expect(() => createOptimizer({ kind: 'adam', lr: 1, beta1: 1, beta2: 0.999, epsilon: 1e-8, weightDecay: 0, origin }, [])).toThrow(/beta1/);
    expect(() => createOptimizer({ kind: 'sgd', lr: 1, momentum: 0, nesterov: true, weightDecay: 0, origin }, [])).toThrow(/nesterov/);
    opt.dispose();
    tf.dispose([w, g, bad]);
  });
});

describe('saveState / loadState (checkpoints)', () => {
  const configs: Optimizer[] = [
    { kind: 'sgd', lr: 0.1, momentum: 0.9, nesterov: true, weightDecay: 0.01, origin },
    { kind: 'adam', lr: 1e-2, beta1: 0.9, beta2: 0.999, epsilon: 1e-8, weightDecay: 0.05, origin },
    { kind: 'adamw', lr: 1e-2, beta1: 0.9, beta2: 0.999, epsilon: 1e-8, weightDecay: { kind: 'ramp', from: 0.1, to: 0.5, shape: 'linear', startStep: 0, endStep: 4 }, origin },
    { kind: 'lars', lr: 0.5, momentum: 0.9, weightDecay: 1e-2, eta: 0.02, excludeBiasAndNorm: true, origin },
  ];

  /** Parameters named per test (TF.js variable names are global); `only` gives b no gradient (Adam's t then lags). */
  function problem(prefix: string, w0 = W0, b0 = B0) {
    const w = tf.tidy(() => tf.variable(tf.tensor2d(w0, [2, 2]), true, `${prefix}/w`));
    const b = tf.tidy(() => tf.variable(tf.tensor1d(b0), true, `${prefix}/b`));
    const a = tf.tensor2d(A, [2, 2]), c = tf.tensor2d(C, [2, 2]);
    const params = [
      { variable: w, isBiasOrNorm: false },
      { variable: b, isBiasOrNorm: true },
    ];
    const step = (opt: ReturnType<typeof createOptimizer>, lr: number, withB = true) => {
      const { value, grads } = tf.variableGrads(
        () => tf.add(tf.mul(0.5, tf.sum(tf.mul(a, tf.square(tf.sub(w, c))))), tf.mul(0.5, tf.sum(tf.square(tf.sub(b, 1))))) as tf.Scalar,
        withB ? [w, b] : [w],
      );
      opt.apply(grads, lr);
      tf.dispose([value, ...Object.values(grads)]);
      return [...w.dataSync(), ...b.dataSync()];
    };
    return { w, b, params, step, dispose: () => tf.dispose([w, b, a, c]) };
  }

  for (const config of configs) {
    it(`${config.kind}: a restored optimizer continues the trajectory exactly`, () => {
      const prefix = `resume-${config.kind}`;
      const baseline = tf.memory().numTensors;
      const first = problem(prefix);
      const opt = createOptimizer(config, first.params);
      first.step(opt, LRS[0]!, false); // b gets no gradient on the first step
      first.step(opt, LRS[1]!);
      const saved = opt.saveState();
      const copy = { ...saved, counters: JSON.parse(JSON.stringify(saved.counters)), slots: Object.fromEntries(Object.entries(saved.slots).map(([k, v]) => [k, tf.clone(v)])) };
      const at = [Array.from(first.w.dataSync()), Array.from(first.b.dataSync())] as const;
      const expected = LRS.slice(2).map((lr) => first.step(opt, lr));
      opt.dispose();
      first.dispose();

      const second = problem(prefix, at[0], at[1]);
      const resumed = createOptimizer(config, second.params);
      resumed.loadState(copy);
      expect(Object.keys(copy.slots)).toEqual(config.kind.startsWith('adam') ? [`${prefix}/w:m`, `${prefix}/w:v`, `${prefix}/b:m`, `${prefix}/b:v`] : [`${prefix}/w:momentum`, `${prefix}/b:momentum`]);
      expect(resumed.slotCount()).toBe(Object.keys(copy.slots).length);
      expect(LRS.slice(2).map((lr) => second.step(resumed, lr))).toEqual(expected);
      if (config.kind === 'adam' || config.kind === 'adamw') expect(copy.counters).toEqual({ step: 2, [`t/${prefix}/w`]: 2, [`t/${prefix}/b`]: 1 });
      else expect(copy.counters).toEqual({ step: 2 });
      resumed.dispose();
      second.dispose();
      tf.dispose(Object.values(copy.slots));
      expect(tf.memory().numTensors).toBe(baseline);
    });
  }

  it('state that does not fit is refused, naming what, and leaves the optimizer as it was', () => {
    const p = problem('misfit');
    const adam = createOptimizer(configs[1]!, p.params);
    p.step(adam, 0.1);
    const good = adam.saveState();
    const wrongShape = tf.zeros([3]);
    const cases: [Partial<OptimizerSnapshot>, RegExp][] = [
      [{ kind: 'sgd' }, /adam: cannot continue from the state of a 'sgd' optimizer/],
      [{ counters: { step: -1 } }, /saved counter 'step' must be a whole number >= 0, got -1/],
      [{ counters: { step: 1.5 } }, /saved counter 'step' must be a whole number >= 0, got 1.5/],
      [{ counters: {} }, /has no step counter/],
      [{ counters: { step: 1, 't/other/w': 1 } }, /saved counter 't\/other\/w' belongs to no parameter/],
      [{ slots: { 'other/w:m': wrongShape } }, /saved slot 'other\/w:m' belongs to no parameter/],
      [{ slots: { 'misfit/b:m': wrongShape } }, /saved slot 'misfit\/b:m' has shape \[3\], the parameter \[2\]/],
    ];
    const before = Array.from(good.slots['misfit/w:m']!.dataSync());
    for (const [change, pattern] of cases) {
      expect(() => adam.loadState({ ...good, ...change } as OptimizerSnapshot)).toThrow(pattern);
      expect(adam.slotCount()).toBe(4);
    }
    expect(Array.from(adam.saveState().slots['misfit/w:m']!.dataSync())).toEqual(before);
    adam.dispose();
    p.dispose();
    wrongShape.dispose();
  });
});
