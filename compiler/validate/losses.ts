/**
 * Shape rules for each loss's tensor inputs, as data the validator applies before a loss node is
 * built. Shapes are per example: an embedding is [D], per-token outputs are [T, D].
 */
import type { LossFn } from '../ir.js';
import { formatShape, sameShape } from './values.js';

export interface LossShapeProblem {
  message: string;
  /** The parameter to point at, when one argument is at fault. */
  param?: string;
  hint?: string;
}

const PAIRWISE: Partial<Record<LossFn, [string, string]>> = {
  nt_xent: ['a', 'b'],
  info_nce: ['query', 'key'],
  cosine_regress: ['prediction', 'target'],
  neg_cosine: ['prediction', 'target'],
  barlow_twins: ['a', 'b'],
  vicreg: ['a', 'b'],
};

/**
 * Why the inputs do not fit `fn`, or null. `inputs` maps each tensor parameter to its tensors'
 * shapes; `maskTokens` is the token count of the loss's mask, if it has one.
 */
export function lossInputRule(fn: LossFn, inputs: Record<string, number[][]>, maskTokens: number | null): LossShapeProblem | null {
  const pair = PAIRWISE[fn];
  if (pair) {
    const [pa, pb] = pair;
    const a = inputs[pa]?.[0];
    const b = inputs[pb]?.[0];
    if (!a || !b) return null;
    if (a.length !== 1) return { message: `${fn} needs an embedding [D] per example for '${pa}', got ${formatShape(a)}`, param: pa, hint: hintRank(a) };
    if (b.length !== 1) return { message: `${fn} needs an embedding [D] per example for '${pb}', got ${formatShape(b)}`, param: pb, hint: hintRank(b) };
    if (a[0] !== b[0]) {
      return {
        message: `${fn} needs two embeddings of the same width, got ${formatShape(a)} and ${formatShape(b)}`,
        hint: 'make the last widths of the networks feeding it equal',
      };
    }
    return null;
  }
  if (fn === 'dino') {
    const student = inputs['student'] ?? [];
    const teacher = inputs['teacher'] ?? [];
    const all = [...student, ...teacher];
    const bad = all.find((s) => s.length !== 1);
    if (bad) return { message: `dino needs embeddings [K] per example, got ${formatShape(bad)}`, hint: hintRank(bad) };
    const k = all[0]?.[0];
    const other = all.find((s) => s[0] !== k);
    if (other) return { message: `dino needs every student and teacher output to have the same width, got [${k}] and ${formatShape(other)}`, hint: 'student and teacher share the head, so their widths match when the teacher is ema(student)' };
    if (teacher.length > student.length) {
      return { message: `dino has ${teacher.length} teacher views but only ${student.length} student views`, param: 'teacher', hint: 'the teacher sees the global views, the student sees them all (globals first): dino(student(globals + locals), teacher(globals))' };
    }
    if (student.length < 2) return { message: 'dino needs at least two student views (it compares different views)', param: 'student' };
    return null;
  }
  if (fn === 'mse' || fn === 'smooth_l1') {
    const p = inputs['prediction']?.[0];
    const t = inputs['target']?.[0];
    if (!p || !t) return null;
    if (!sameShape(p, t)) return { message: `${fn} needs prediction and target of the same shape, got ${formatShape(p)} and ${formatShape(t)}`, hint: p.length === 2 && t.length === 2 ? 'make the head width equal the target width' : undefined };
    if (maskTokens !== null) {
      if (p.length !== 2) return { message: `a masked ${fn} needs one vector per token [T, D], got ${formatShape(p)}`, param: 'prediction', hint: 'use pool: none on the network so it keeps its tokens' };
      if (p[0] !== maskTokens) return { message: `the mask covers ${maskTokens} tokens but the prediction has ${p[0]}`, param: 'mask', hint: 'give the mask the same patch as the network' };
    }
    return null;
  }
  return null;
}

function hintRank(shape: number[]): string | undefined {
  if (shape.length === 3) return 'apply a network to the view first, e.g. projector(encoder(x1))';
  if (shape.length === 2) return 'the network keeps one vector per token; use pool: mean to get one per example';
  return undefined;
}
