/**
 * The DINO self-distillation loss (Caron et al. 2021, "Emerging Properties in Self-Supervised
 * Vision Transformers", https://arxiv.org/abs/2104.14294, eq. 1-4 and Algorithm 1), following the
 * official code (facebookresearch/dino, main_dino.py, DINOLoss).
 *
 * Inputs: S student outputs s_j and T <= S teacher outputs t_i, each [B, K] (K prototypes); view i
 * of the teacher is view i of the student for i < T (the global crops come first).
 *
 *   P_t^i = softmax((t_i - center) / tt)      (no gradient: the teacher is a target)   [B, K]
 *   log P_s^j = logSoftmax(s_j / ts)                                                 [B, K]
 *   L = (1 / #pairs) sum_{i < T} sum_{j < S, j != i} (1 / B) sum_b -sum_k P_t^i[b, k] log P_s^j[b, k]
 *
 * The centre c [1, K] (a non-trained variable, initially 0) is an EMA of the teacher's batch mean,
 *
 *   c <- m c + (1 - m) * (1 / (T B)) sum_i sum_b t_i[b]
 *
 * computed from this step's teacher outputs in `forward` and applied by `afterStep` (the code's
 * update_center). Centring stops one dimension dominating, sharpening (tt < ts) stops the uniform
 * collapse. Paper defaults: ts 0.1, tt 0.04 -> 0.07 over the first 30 epochs, m 0.9.
 */
import { tf } from '../tf.js';
import { checkMatrix, checkPositive, noMask, param, shapeOf, stopGradient } from './common.js';
import type { LossModule } from './types.js';

function checkViews(student: tf.Tensor[], teacher: tf.Tensor[]): void {
  if (teacher.length < 1) throw new Error('dino: needs at least one teacher view');
  if (teacher.length > student.length) {
    throw new Error(`dino: needs at most as many teacher views as student views, got ${teacher.length} teacher and ${student.length} student`);
  }
  if (student.length < 2) throw new Error(`dino: needs at least two student views (a pair i != j), got ${student.length}`);
  const ref = teacher[0];
  checkMatrix('dino', 'teacher[0]', ref);
  [...teacher.map((t, i) => [`teacher[${i}]`, t] as const), ...student.map((s, j) => [`student[${j}]`, s] as const)].forEach(([what, t]) => {
    if (t.rank !== 2 || t.shape[0] !== ref.shape[0] || t.shape[1] !== ref.shape[1]) {
      throw new Error(`dino: every view must be [B, K] = ${shapeOf(ref)} (as teacher[0]), got ${what} ${shapeOf(t)}`);
    }
  });
}

/**
 * @param student S tensors [B, K]
 * @param teacher T <= S tensors [B, K]; teacher[i] is the same view as student[i]
 * @param center [1, K] (or [K]) subtracted from the teacher's logits
 * @param studentTemperature ts > 0
 * @param teacherTemperature tt > 0
 * @returns the scalar mean cross-entropy over the T (S - 1) pairs (i, j), i != j. The teacher side
 *   carries no gradient.
 */
export function dino(
  student: tf.Tensor[],
  teacher: tf.Tensor[],
  center: tf.Tensor,
  studentTemperature: number,
  teacherTemperature: number,
): tf.Scalar {
  checkPositive('dino', 'student_temperature', studentTemperature);
  checkPositive('dino', 'teacher_temperature', teacherTemperature);
  checkViews(student, teacher);
  const k = teacher[0].shape[1];
  if (center.size !== k || center.shape[center.rank - 1] !== k) {
    throw new Error(`dino: the center must be [1, ${k}] to match the views ${shapeOf(teacher[0])}, got ${shapeOf(center)}`);
  }
  return tf.tidy(() => {
    const c = tf.reshape(center, [1, k]);
    const targets = teacher.map((t) => stopGradient(tf.softmax(tf.div(tf.sub(t, c), teacherTemperature)))); // [B, K] each
    const logProbs = student.map((s) => tf.logSoftmax(tf.div(s, studentTemperature))); // [B, K] each
    const terms: tf.Tensor[] = [];
    targets.forEach((p, i) =>
      logProbs.forEach((logQ, j) => {
        if (i !== j) terms.push(tf.mean(tf.neg(tf.sum(tf.mul(p, logQ), 1))));
      }),
    );
    return tf.div(tf.addN(terms), terms.length) as tf.Scalar;
  });
}

/** The teacher's batch centre [1, K]: the mean over the batch and the T views (DINO's batch_center). */
export function dinoBatchCenter(teacher: tf.Tensor[]): tf.Tensor2D {
  if (teacher.length < 1) throw new Error('dino: needs at least one teacher view');
  return tf.tidy(() => tf.mean(tf.concat(teacher.map((t) => stopGradient(t)), 0), 0, true) as tf.Tensor2D);
}

export interface DinoOptions {
  /** K: with it the centre is created at once instead of on the first forward. */
  dim?: number;
}

export interface DinoModule extends LossModule {
  /** The centre variable [1, K], or null before the first forward (without `dim`). */
  readonly center: tf.Variable | null;
}

/** LossModule for `dino` { student, teacher }, params { student_temperature, teacher_temperature, center_momentum }. */
export function createDino(name: string, options: DinoOptions = {}): DinoModule {
  const label = `dino '${name}'`;
  let center: tf.Variable | null = null;
  let stash: { batchCenter: tf.Tensor2D; momentum: number } | null = null;
  const state: tf.Variable[] = [];

  const create = (k: number): tf.Variable => {
    const zeros = tf.zeros([1, k]);
    const v = tf.variable(zeros, false, `${name}/center`);
    zeros.dispose(); // the variable holds its own reference to the data
    state.push(v);
    center = v;
    return v;
  };
  const dropStash = (): void => {
    stash?.batchCenter.dispose();
    stash = null;
  };
  if (options.dim !== undefined) create(options.dim);

  return {
    get center() {
      return center;
    },
    state,
    forward(inputs, mask, params) {
      noMask(label, mask);
      const student = inputs.student ?? [];
      const teacher = inputs.teacher ?? [];
      const ts = param(label, params, 'student_temperature');
      const tt = param(label, params, 'teacher_temperature');
      const momentum = param(label, params, 'center_momentum');
      if (!Number.isFinite(momentum) || momentum < 0 || momentum > 1) {
        throw new Error(`${label}: center_momentum must be in [0, 1], got ${momentum}`);
      }
      checkViews(student, teacher);
      const c = center ?? create(teacher[0].shape[1] as number);
      const loss = dino(student, teacher, c, ts, tt);
      dropStash(); // a forward without a step (evaluation) is superseded by this one
      stash = { batchCenter: tf.keep(dinoBatchCenter(teacher)), momentum };
      return { loss };
    },
    loadState(saved) {
      const key = `${name}/center`;
      const unknown = Object.keys(saved).filter((k) => k !== key);
      if (unknown.length > 0) throw new Error(`${label}: saved state has unknown entries ${unknown.map((k) => `'${k}'`).join(', ')}`);
      const value = saved[key];
      if (!value) throw new Error(`${label}: saved state needs '${key}'`);
      if (value.rank !== 2 || value.shape[0] !== 1) throw new Error(`${label}: the saved center must be [1, K], got ${shapeOf(value)}`);
      if (center !== null && center.shape[1] !== value.shape[1]) {
        throw new Error(`${label}: the saved center is ${shapeOf(value)} but this loss has ${shapeOf(center)}`);
      }
      const c = center ?? create(value.shape[1]!);
      dropStash();
      tf.tidy(() => c.assign(tf.cast(value, 'float32')));
    },
    afterStep() {
      if (stash === null || center === null) return;
      const c: tf.Variable = center;
      const { batchCenter, momentum } = stash;
      tf.tidy(() => c.assign(tf.add(tf.mul(c, momentum), tf.mul(batchCenter, 1 - momentum))));
      dropStash();
    },
    dispose() {
      dropStash();
      for (const v of state) v.dispose();
      state.length = 0;
      center = null;
    },
  };
}
