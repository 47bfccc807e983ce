import { beforeAll, describe, expect, it } from 'vitest';
import { tf } from '../tf.js';
import { createRng } from '../util/rng.js';
import { createLoss } from './index.js';
import { createInfoNce, enqueue, infoNce, initialQueue } from './info-nce.js';
import { gradientError, randomFlat, relError, rows, toTensor, type Flat } from './testing.js';

const dot = (u: number[], v: number[]) => u.reduce((s, x, k) => s + x * v[k], 0);
const unit = (u: number[]) => {
  const n = Math.sqrt(dot(u, u));
  return u.map((x) => x / n);
};
/** -log softmax(logits)[label], in float64. */
const crossEntropy = (logits: number[], label: number) => {
  const m = Math.max(...logits);
  return -(logits[label] - m - Math.log(logits.reduce((s, l) => s + Math.exp(l - m), 0)));
};

/** Naive MoCo InfoNCE: in-batch negatives (queue null) or the queue's rows, in float64. */
function infoNceNaive(query: Flat, key: Flat, t: number, queue: number[][] | null): number {
  const q = rows(query).map(unit), k = rows(key).map(unit);
  let total = 0;
  q.forEach((qi, i) => {
    total += queue === null
      ? crossEntropy(k.map((kj) => dot(qi, kj) / t), i)
      : crossEntropy([dot(qi, k[i]) / t, ...queue.map((r) => dot(qi, r) / t)], 0);
  });
  return total / q.length;
}

const valuesOf = (t: tf.Tensor) => rows({ data: Array.from(t.dataSync()), shape: t.shape });

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('infoNce', () => {
  it('matches a naive reference, in-batch (v3) and with a queue (v2)', () => {
    const rng = createRng(1);
    for (const [b, d] of [[2, 3], [4, 8], [8, 16]])
      for (const t of [0.07, 0.2, 1]) {
        const q = randomFlat([b, d], rng), k = randomFlat([b, d], rng);
        const queue = rows(randomFlat([5, d], rng)).map(unit);
        const [tq, tk, tqueue] = [toTensor(q), toTensor(k), tf.tensor2d(queue)];
        const v3 = infoNce(tq, tk, t), v2 = infoNce(tq, tk, t, tqueue);
        expect(relError(v3.dataSync()[0], infoNceNaive(q, k, t, null)), `v3 B=${b} D=${d} t=${t}`).toBeLessThan(1e-4);
        expect(relError(v2.dataSync()[0], infoNceNaive(q, k, t, queue)), `v2 B=${b} D=${d} t=${t}`).toBeLessThan(1e-4);
        tf.dispose([tq, tk, tqueue, v3, v2]);
      }
  });

  it('gives log(1 + n e^{-1/t}) for unit positives with n orthogonal negatives (not scaled by 2t)', () => {
    // q = k = 3 * e_i: the positive logit is 1/t, the B - 1 in-batch negatives (or K queue rows
    // orthogonal to every q) are 0.
    const b = 3, d = 6;
    const basis = Array.from({ length: b }, (_, i) => Array.from({ length: d }, (_, j) => (i === j ? 3 : 0)));
    const queue = [[0, 0, 0, 1, 0, 0], [0, 0, 0, 0, 1, 0], [0, 0, 0, 0, 0, 1], [0, 0, 0, 0, 0, -1]];
    const [x, tqueue] = [tf.tensor2d(basis), tf.tensor2d(queue)];
    for (const t of [1, 0.2, 0.07]) {
      expect(infoNce(x, x, t).dataSync()[0]).toBeCloseTo(Math.log(1 + (b - 1) * Math.exp(-1 / t)), 5);
      expect(infoNce(x, x, t, tqueue).dataSync()[0]).toBeCloseTo(Math.log(1 + queue.length * Math.exp(-1 / t)), 5);
    }
    tf.dispose([x, tqueue]);
  });

  it('has gradients for query and key matching finite differences (queue a constant)', () => {
    const rng = createRng(4);
    const q = randomFlat([3, 4], rng), k = randomFlat([3, 4], rng);
    const queue = rows(randomFlat([5, 4], rng)).map(unit);
    const tqueue = tf.tensor2d(queue);
    expect(gradientError((a, b) => infoNce(a, b, 0.5), (a, b) => infoNceNaive(a, b, 0.5, null), [q, k])).toBeLessThan(1e-2);
    expect(gradientError((a, b) => infoNce(a, b, 0.5, tqueue), (a, b) => infoNceNaive(a, b, 0.5, queue), [q, k])).toBeLessThan(1e-2);
    tqueue.dispose();
  });

  it('rejects bad temperatures and shapes with clear errors', () => {
    const a = tf.zeros([4, 3]), c = tf.zeros([5, 3]), queue = tf.zeros([6, 2]), r3 = tf.zeros([2, 2, 2]);
    expect(() => infoNce(a, a, 0)).toThrow(/info_nce: temperature must be a finite number > 0, got 0/);
    expect(() => infoNce(a, c, 0.2)).toThrow(/info_nce: query and key must have the same shape, got \[4, 3\] and \[5, 3\]/);
    expect(() => infoNce(r3, r3, 0.2)).toThrow(/info_nce: expected query to be \[B, D\], got \[2, 2, 2\]/);
    expect(() => infoNce(a, a, 0.2, queue)).toThrow(/info_nce: the queue must be \[K, 3\].*got \[6, 2\]/);
    tf.dispose([a, c, queue, r3]);
  });
});

describe('enqueue and initialQueue', () => {
  it('writes rows FIFO at the pointer and wraps', () => {
    const queue = tf.tensor2d([[0], [1], [2], [3], [4]]), keys = tf.tensor2d([[10], [11], [12]]);
    const first = enqueue(queue, keys, 3);
    expect(Array.from(first.queue.dataSync())).toEqual([12, 1, 2, 10, 11]);
    expect(first.pointer).toBe(1);
    const big = tf.tensor2d([[20], [21], [22], [23], [24], [25], [26]]);
    const second = enqueue(queue, big, 1); // more keys than rows: the last K win
    expect(Array.from(second.queue.dataSync())).toEqual([24, 25, 26, 22, 23]);
    expect(second.pointer).toBe(3);
    tf.dispose([queue, keys, first.queue, big, second.queue]);
  });

  it('draws deterministic unit rows', () => {
    const a = initialQueue(7, 5, 123), b = initialQueue(7, 5, 123), c = initialQueue(7, 5, 124);
    const ra = valuesOf(a);
    expect(ra.map((r) => Math.sqrt(dot(r, r)))).toEqual(ra.map(() => expect.closeTo(1, 6)));
    expect(Array.from(b.dataSync())).toEqual(Array.from(a.dataSync()));
    expect(Array.from(c.dataSync())).not.toEqual(Array.from(a.dataSync()));
    tf.dispose([a, b, c]);
  });
});

describe('info_nce LossModule', () => {
  it('queue = 0 (v3): stateless, matches the reference', () => {
    const rng = createRng(8);
    const q = randomFlat([4, 5], rng), k = randomFlat([4, 5], rng);
    const [tq, tk] = [toTensor(q), toTensor(k)];
    const m = createLoss('info_nce', 'moco3');
    const out = m.forward({ query: [tq], key: [tk] }, null, { temperature: 0.2, queue: 0 });
    expect(relError(out.loss.dataSync()[0], infoNceNaive(q, k, 0.2, null))).toBeLessThan(1e-4);
    m.afterStep();
    expect(m.state).toEqual([]);
    m.dispose();
    tf.dispose([tq, tk, out.loss]);
  });

  it('queue = K (v2): unit-row queue made lazily, keys enqueued FIFO after each step, pointer wraps', () => {
    const rng = createRng(12);
    const B = 4, D = 3, K = 6, t = 0.2;
    const m = createInfoNce('moco');
    expect(m.state).toEqual([]);
    expect(m.pointer).toBe(-1);

    const batches = [0, 1, 2].map(() => [randomFlat([B, D], rng), randomFlat([B, D], rng)] as const);
    let expectedQueue: number[][] | null = null;
    batches.forEach(([q, k], step) => {
      const [tq, tk] = [toTensor(q), toTensor(k)];
      const out = m.forward({ query: [tq], key: [tk] }, null, { temperature: t, queue: K });
      const [queueVar, pointerVar] = m.state;
      expect(queueVar.shape).toEqual([K, D]);
      expect(queueVar.trainable).toBe(false);
      expect(queueVar.name).toBe('moco/queue');
      expect(pointerVar.dtype).toBe('int32');
      const current = valuesOf(queueVar);
      if (expectedQueue === null) {
        expect(current.map((r) => Math.sqrt(dot(r, r)))).toEqual(current.map(() => expect.closeTo(1, 5)));
        expectedQueue = current;
      }
      // The loss reads the queue as it was before this step's keys.
      expect(relError(out.loss.dataSync()[0], infoNceNaive(q, k, t, expectedQueue))).toBeLessThan(1e-4);
      expect(valuesOf(queueVar)).toEqual(current); // forward never assigns
      m.afterStep();
      const keys = rows(k).map(unit);
      for (let i = 0; i < B; i++) expectedQueue[(step * B + i) % K] = keys[i];
      const after = valuesOf(queueVar);
      after.forEach((r, i) => r.forEach((v, j) => expect(v, `step ${step} row ${i}`).toBeCloseTo(expectedQueue![i][j], 6)));
      expect(m.pointer).toBe(((step + 1) * B) % K); // 4, 2 (wrapped), 0
      tf.dispose([tq, tk, out.loss]);
    });
    m.dispose();
  });

  it('queue init is seeded by the name (or options.seed); options.dim makes it eagerly', () => {
    const a = createLoss('info_nce', 'same', { dim: 4, queue: 8 });
    expect(a.state.map((v) => v.shape)).toEqual([[8, 4], []]);
    const first = Array.from(a.state[0].dataSync());
    a.dispose();
    const b = createLoss('info_nce', 'same', { dim: 4, queue: 8 });
    expect(Array.from(b.state[0].dataSync())).toEqual(first);
    b.dispose();
    const c = createLoss('info_nce', 'other', { dim: 4, queue: 8 });
    const d = createLoss('info_nce', 'seeded', { dim: 4, queue: 8, seed: 99 });
    expect(Array.from(c.state[0].dataSync())).not.toEqual(first);
    expect(Array.from(d.state[0].dataSync())).toEqual(Array.from(initialQueue(8, 4, 99).dataSync()));
    c.dispose();
    d.dispose();
  });

  it('gives gradients to query and key only: the queue is a non-trained variable', () => {
    const rng = createRng(3);
    const m = createLoss('info_nce', 'grads', { dim: 4, queue: 4 });
    const [q0, k0] = [toTensor(randomFlat([2, 4], rng)), toTensor(randomFlat([2, 4], rng))];
    const [q, k] = [tf.variable(q0), tf.variable(k0)];
    tf.dispose([q0, k0]);
    const { value, grads } = tf.variableGrads(() => m.forward({ query: [q], key: [k] }, null, { temperature: 0.1, queue: 4 }).loss);
    expect(Object.keys(grads).sort()).toEqual([k.name, q.name].sort());
    for (const g of Object.values(grads)) expect(Array.from(g.dataSync()).some((x) => x !== 0)).toBe(true);
    tf.dispose([value, ...Object.values(grads), q, k]);
    m.dispose();
  });

  it('leaks nothing across forward + afterStep; dispose releases the state', () => {
    const rng = createRng(6);
    const baseline = tf.memory().numTensors;
    const m = createLoss('info_nce', 'leaks');
    const [tq, tk] = [toTensor(randomFlat([4, 3], rng)), toTensor(randomFlat([4, 3], rng))];
    tf.tidy(() => void m.forward({ query: [tq], key: [tk] }, null, { temperature: 0.2, queue: 8 }));
    m.afterStep();
    const steady = tf.memory().numTensors; // inputs + queue + pointer
    expect(steady).toBe(baseline + 4);
    for (let i = 0; i < 3; i++) {
      tf.tidy(() => void m.forward({ query: [tq], key: [tk] }, null, { temperature: 0.2, queue: 8 }));
      expect(tf.memory().numTensors).toBe(steady + 1); // the stashed keys
      m.afterStep();
      expect(tf.memory().numTensors).toBe(steady);
    }
    tf.tidy(() => void m.forward({ query: [tq], key: [tk] }, null, { temperature: 0.2, queue: 8 }));
    m.dispose(); // also drops a pending stash
    expect(m.state).toEqual([]);
    expect(tf.memory().numTensors).toBe(baseline + 2);
    expect(Object.keys(tf.engine().registeredVariables)).not.toContain('leaks/queue');
    tf.dispose([tq, tk]);
  });

  it('guards params, inputs and a changing queue with errors naming the loss', () => {
    const m = createLoss('info_nce', 'guard');
    const a = tf.zeros([4, 3]), wide = tf.zeros([4, 5]), mask = tf.ones([4, 3]);
    expect(() => m.forward({ query: [a], key: [a] }, null, { queue: 0 })).toThrow(/info_nce 'guard': missing parameter 'temperature'/);
    expect(() => m.forward({ query: [a] }, null, { temperature: 0.2, queue: 0 })).toThrow(/info_nce 'guard': expected exactly one tensor for 'key', got nothing/);
    expect(() => m.forward({ query: [a, a], key: [a] }, null, { temperature: 0.2, queue: 0 })).toThrow(/'query', got 2 tensors/);
    expect(() => m.forward({ query: [a], key: [a] }, mask, { temperature: 0.2, queue: 0 })).toThrow(/no token mask/);
    expect(() => m.forward({ query: [a], key: [a] }, null, { temperature: 0.2, queue: 2.5 })).toThrow(/queue must be an integer >= 0, got 2.5/);
    tf.dispose(m.forward({ query: [a], key: [a] }, null, { temperature: 0.2, queue: 8 }).loss);
    expect(() => m.forward({ query: [a], key: [a] }, null, { temperature: 0.2, queue: 16 })).toThrow(/queue is \[8, 3\] but this step needs \[16, 3\]/);
    expect(() => m.forward({ query: [wide], key: [wide] }, null, { temperature: 0.2, queue: 8 })).toThrow(/queue is \[8, 3\] but this step needs \[8, 5\]/);
    expect(() => m.forward({ query: [a], key: [a] }, null, { temperature: 0.2, queue: 0 })).toThrow(/queue changed from 8 to 0/);
    m.dispose();
    tf.dispose([a, wide, mask]);
  });
});

describe('info_nce loadState (checkpoints)', () => {
  it('creates the queue from saved values before any forward, with the pointer mirrored on the host', () => {
    const before = tf.memory().numTensors;
    const saved = { 'ck/queue': tf.tensor2d([1, 0, 0, 1, 0.6, 0.8], [3, 2]), 'ck/queue_pointer': tf.scalar(2, 'int32') };
    const m = createInfoNce('ck');
    expect(m.pointer).toBe(-1);
    m.loadState!(saved);
    expect(m.pointer).toBe(2);
    expect(Array.from(m.state[0]!.dataSync())).toEqual(Array.from(saved['ck/queue'].dataSync()));
    expect(m.state[1]!.dataSync()[0]).toBe(2);
    // The next enqueue writes at the restored pointer: row 2, then wraps to row 0.
    const q = tf.tensor2d([3, 4, 0, 5], [2, 2]);
    tf.dispose(m.forward({ query: [q], key: [q] }, null, { temperature: 0.5, queue: 3 }).loss);
    m.afterStep();
    expect(m.pointer).toBe(1);
    expect(Array.from(m.state[0]!.dataSync()).map((x) => Math.round(x * 100) / 100)).toEqual([0, 1, 0, 1, 0.6, 0.8]);
    tf.dispose([q, ...Object.values(saved)]);
    m.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('refuses state that cannot be its own, naming the problem', () => {
    const m = createInfoNce('bad', { queue: 3, dim: 2 });
    const q = tf.zeros([3, 2]);
    const cases: [Record<string, tf.Tensor>, RegExp][] = [
      [{ 'bad/queue': q }, /needs both 'bad\/queue' and 'bad\/queue_pointer'/],
      [{ 'bad/queue': q, 'bad/queue_pointer': tf.scalar(3, 'int32') }, /pointer 3 is outside \[0, 3\)/],
      [{ 'bad/queue': tf.zeros([4, 2]), 'bad/queue_pointer': tf.scalar(0, 'int32') }, /saved queue is \[4, 2\] but this loss has \[3, 2\]/],
      [{ 'bad/queue': q, 'bad/queue_pointer': tf.scalar(0, 'int32'), 'bad/other': q }, /unknown entries 'bad\/other'/],
    ];
    for (const [saved, pattern] of cases) expect(() => m.loadState!(saved)).toThrow(pattern);
    m.dispose();
    tf.dispose(cases.flatMap(([s]) => Object.values(s)));
  });
});
