import { beforeAll, describe, expect, it } from 'vitest';
import { tf } from '../tf.js';
import { createRng, type Rng } from '../util/rng.js';
import { createDino, dino, dinoBatchCenter } from './dino.js';
import { createLoss } from './index.js';
import { gradientError, randomFlat, relError, rows, toTensor, type Flat } from './testing.js';

const softmax = (z: number[]) => {
  const m = Math.max(...z);
  const e = z.map((v) => Math.exp(v - m));
  const s = e.reduce((a, b) => a + b, 0);
  return e.map((v) => v / s);
};

/** Naive DINO loss in float64: explicit loops over teacher views i, student views j != i, batch, K. */
function dinoNaive(student: Flat[], teacher: Flat[], center: number[], ts: number, tt: number): number {
  let total = 0, pairs = 0;
  teacher.forEach((t, i) => {
    const pt = rows(t).map((r) => softmax(r.map((v, k) => (v - center[k]) / tt)));
    student.forEach((s, j) => {
      if (i === j) return;
      const ps = rows(s).map((r) => softmax(r.map((v) => v / ts)));
      let ce = 0;
      pt.forEach((p, b) => p.forEach((pk, k) => (ce -= (pk * Math.log(ps[b][k])) / pt.length)));
      total += ce;
      pairs++;
    });
  });
  return total / pairs;
}

/** Mean over batch and teacher views, float64. */
function batchCenterNaive(teacher: Flat[]): number[] {
  const all = teacher.flatMap(rows);
  return all[0].map((_, k) => all.reduce((s, r) => s + r[k], 0) / all.length);
}

const views = (n: number, shape: number[], rng: Rng, scale = 1) => Array.from({ length: n }, () => randomFlat(shape, rng, scale));

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('dino', () => {
  it('matches a naive reference over views (S, T), B, K, temperatures and a centre', () => {
    const rng = createRng(14);
    for (const [S, T] of [[2, 2], [3, 1], [4, 2], [6, 2]])
      for (const [b, k] of [[2, 5], [4, 16]])
        for (const [ts, tt] of [[0.1, 0.04], [1, 0.5]]) {
          const s = views(S, [b, k], rng, 3), t = views(T, [b, k], rng, 3);
          const center = randomFlat([1, k], rng);
          const tensors = [...s, ...t, center].map(toTensor);
          const loss = dino(tensors.slice(0, S), tensors.slice(S, S + T), tensors[S + T], ts, tt);
          const want = dinoNaive(s, t, center.data, ts, tt);
          expect(relError(loss.dataSync()[0], want), `S=${S} T=${T} B=${b} K=${k} ts=${ts} tt=${tt}`).toBeLessThan(1e-4);
          tf.dispose([...tensors, loss]);
        }
  });

  it('is log K for uniform outputs and ignores a centre that is constant over K', () => {
    const k = 7;
    const zeros = tf.zeros([3, k]), center = tf.zeros([1, k]), constant = tf.fill([1, k], 4.2);
    expect(dino([zeros, zeros, zeros], [zeros, zeros], center, 0.1, 0.04).dataSync()[0]).toBeCloseTo(Math.log(k), 5);
    const rng = createRng(1);
    const s = views(3, [3, k], rng).map(toTensor), t = views(2, [3, k], rng).map(toTensor);
    expect(dino(s, t, constant, 0.1, 0.04).dataSync()[0]).toBeCloseTo(dino(s, t, center, 0.1, 0.04).dataSync()[0], 4);
    tf.dispose([zeros, center, constant, ...s, ...t]);
  });

  it('sends gradients to the student only, matching finite differences', () => {
    const rng = createRng(6);
    const s = views(3, [2, 4], rng), t = views(2, [2, 4], rng), center = [0.1, -0.2, 0.3, 0];
    const c = tf.tensor2d([center]);
    const err = gradientError(
      (...xs) => dino(xs, t.map(toTensor), c, 0.5, 0.2),
      (...xs) => dinoNaive(xs, t, center, 0.5, 0.2),
      s,
    );
    expect(err).toBeLessThan(1e-2);
    const ts = s.map(toTensor), tt = t.map(toTensor);
    const grads = tf.grads((...xs: tf.Tensor[]) => dino(ts, xs, c, 0.5, 0.2))(tt);
    for (const g of grads) expect(Array.from(g.dataSync()).every((v) => v === 0)).toBe(true);
    tf.dispose([c, ...ts, ...tt, ...grads]);
  });

  it('dinoBatchCenter is the mean over batch and teacher views', () => {
    const rng = createRng(2);
    const t = views(2, [3, 4], rng);
    const got = dinoBatchCenter(t.map(toTensor));
    expect(got.shape).toEqual([1, 4]);
    Array.from(got.dataSync()).forEach((v, k) => expect(v).toBeCloseTo(batchCenterNaive(t)[k], 6));
    got.dispose();
  });

  it('rejects bad view lists, shapes and temperatures with clear errors', () => {
    const a = tf.zeros([2, 5]), wide = tf.zeros([2, 6]), c = tf.zeros([1, 5]), c6 = tf.zeros([1, 6]);
    expect(() => dino([a, a], [a, a, a], c, 0.1, 0.04)).toThrow(/dino: needs at most as many teacher views as student views, got 3 teacher and 2 student/);
    expect(() => dino([a], [a], c, 0.1, 0.04)).toThrow(/dino: needs at least two student views/);
    expect(() => dino([a, wide], [a], c, 0.1, 0.04)).toThrow(/dino: every view must be \[B, K\] = \[2, 5\].*student\[1\] \[2, 6\]/);
    expect(() => dino([a, a], [a], c6, 0.1, 0.04)).toThrow(/dino: the center must be \[1, 5\].*got \[1, 6\]/);
    expect(() => dino([a, a], [a], c, 0, 0.04)).toThrow(/dino: student_temperature must be a finite number > 0, got 0/);
    expect(() => dino([a, a], [], c, 0.1, 0.04)).toThrow(/dino: needs at least one teacher view/);
    tf.dispose([a, wide, c, c6]);
  });
});

describe('dino LossModule', () => {
  it('creates a zero centre [1, K] lazily and updates it by EMA of the teacher batch mean after each step', () => {
    const rng = createRng(40);
    const K = 5, m = 0.9, params = { student_temperature: 0.1, teacher_temperature: 0.04, center_momentum: m };
    const mod = createDino('dino');
    expect(mod.center).toBeNull();
    let center = new Array(K).fill(0);
    for (let step = 0; step < 3; step++) {
      const s = views(4, [3, K], rng), t = views(2, [3, K], rng);
      const [ts, tt] = [s.map(toTensor), t.map(toTensor)];
      const out = mod.forward({ student: ts, teacher: tt }, null, params);
      const variable = mod.center!;
      expect(mod.state).toEqual([variable]);
      expect(variable.name).toBe('dino/center');
      expect(variable.trainable).toBe(false);
      expect(variable.shape).toEqual([1, K]);
      Array.from(variable.dataSync()).forEach((v, k) => expect(v, `step ${step} before`).toBeCloseTo(center[k], 6)); // forward never assigns
      expect(relError(out.loss.dataSync()[0], dinoNaive(s, t, center, 0.1, 0.04))).toBeLessThan(1e-4);
      mod.afterStep();
      const batch = batchCenterNaive(t);
      center = center.map((c, k) => m * c + (1 - m) * batch[k]);
      Array.from(variable.dataSync()).forEach((v, k) => expect(v, `step ${step} after`).toBeCloseTo(center[k], 6));
      tf.dispose([...ts, ...tt, out.loss]);
    }
    mod.dispose();
  });

  it('leaks nothing across forward + afterStep; dispose releases the centre; options.dim makes it eagerly', () => {
    const rng = createRng(41);
    const params = { student_temperature: 0.1, teacher_temperature: 0.04, center_momentum: 0.9 };
    const baseline = tf.memory().numTensors;
    const mod = createLoss('dino', 'leaky', { dim: 6 });
    expect(mod.state.map((v) => v.shape)).toEqual([[1, 6]]);
    expect(Array.from(mod.state[0].dataSync())).toEqual([0, 0, 0, 0, 0, 0]);
    const inputs = { student: views(3, [2, 6], rng).map(toTensor), teacher: views(2, [2, 6], rng).map(toTensor) };
    const steady = tf.memory().numTensors;
    expect(steady).toBe(baseline + 1 + 5);
    for (let i = 0; i < 3; i++) {
      tf.tidy(() => void mod.forward(inputs, null, params));
      expect(tf.memory().numTensors).toBe(steady + 1); // the stashed batch centre
      mod.afterStep();
      expect(tf.memory().numTensors).toBe(steady);
    }
    tf.tidy(() => void mod.forward(inputs, null, params));
    mod.dispose();
    expect(mod.state).toEqual([]);
    expect(tf.memory().numTensors).toBe(baseline + 5);
    expect(Object.keys(tf.engine().registeredVariables)).not.toContain('leaky/center');
    tf.dispose([...inputs.student, ...inputs.teacher]);
  });

  it('guards params, mask and a changed K with errors naming the loss', () => {
    const mod = createLoss('dino', 'guard');
    const a = tf.zeros([2, 4]), b = tf.zeros([2, 3]), mask = tf.ones([2, 4]);
    const params = { student_temperature: 0.1, teacher_temperature: 0.04, center_momentum: 0.9 };
    expect(() => mod.forward({ student: [a, a], teacher: [a] }, null, { ...params, center_momentum: 1.5 })).toThrow(/dino 'guard': center_momentum must be in \[0, 1\], got 1.5/);
    expect(() => mod.forward({ student: [a, a], teacher: [a] }, null, { student_temperature: 0.1, center_momentum: 0.9 })).toThrow(/dino 'guard': missing parameter 'teacher_temperature'/);
    expect(() => mod.forward({ student: [a, a], teacher: [a] }, mask, params)).toThrow(/dino 'guard': this loss takes no token mask/);
    tf.dispose(mod.forward({ student: [a, a], teacher: [a] }, null, params).loss);
    expect(() => mod.forward({ student: [b, b], teacher: [b] }, null, params)).toThrow(/dino: the center must be \[1, 3\].*got \[1, 4\]/);
    mod.dispose();
    tf.dispose([a, b, mask]);
  });
});

describe('dino loadState (checkpoints)', () => {
  it('restores the centre (created on load if no forward ran yet) and refuses misfits', () => {
    const before = tf.memory().numTensors;
    const saved = tf.tensor2d([[0.5, -1, 2]]);
    const m = createDino('dck');
    expect(m.center).toBeNull();
    m.loadState!({ 'dck/center': saved });
    expect(Array.from(m.center!.dataSync())).toEqual([0.5, -1, 2]);
    const wide = tf.zeros([1, 4]), flat = tf.zeros([3]);
    expect(() => m.loadState!({ 'dck/center': wide })).toThrow(/saved center is \[1, 4\] but this loss has \[1, 3\]/);
    expect(() => m.loadState!({ 'dck/center': flat })).toThrow(/must be \[1, K\], got \[3\]/);
    expect(() => m.loadState!({ 'dck/centre': saved })).toThrow(/unknown entries 'dck\/centre'/);
    m.dispose();
    tf.dispose([saved, wide, flat]);
    expect(tf.memory().numTensors).toBe(before);
  });
});
