/**
 * Method sanity: facts about the training graph that make a recipe wrong or suspicious even though
 * every shape fits. Pure functions over the graph, reported as diagnostics with codes.
 *
 *  - collapse-risk (warning): a non-contrastive loss (BYOL / SimSiam regression, DINO, masked
 *    regression) whose inputs all carry gradients, with no stop-gradient and no teacher: both sides
 *    can move to the same constant and the loss reaches its minimum with a collapsed representation
 *    (Chen & He 2021, sec. 4.1; Grill et al. 2020, sec. 3).
 *  - teacher-not-trained (error): a teacher that follows a network the loss never trains; its EMA
 *    would just copy random weights.
 *  - mask-not-applied (error): a mask the loss restricts itself to that no network input hides; the
 *    student sees exactly what it must predict.
 */
import { Codes } from '../codes.js';
import type { Diagnostic } from '../diagnostics.js';
import { inputsOf, reachable } from '../graph-walk.js';
import type { GraphNode, LossFn } from '../ir.js';

/** Losses with no term that pushes embeddings apart: something must break the symmetry. */
const NEEDS_ASYMMETRY: ReadonlySet<LossFn> = new Set(['cosine_regress', 'neg_cosine', 'dino', 'mse', 'smooth_l1']);

interface TeacherLike {
  name: string;
  of: string;
  origin: GraphNode['origin'];
}

/** Nodes whose value carries gradient to some network weights (network applications not under stopgrad or a teacher). */
function gradientCarrying(nodes: readonly GraphNode[], teachers: ReadonlyMap<string, TeacherLike>): Set<number> {
  const carries = new Set<number>();
  for (const n of [...nodes].sort((a, b) => a.id - b.id)) {
    if (n.kind === 'stopgrad' || n.kind === 'batch' || n.kind === 'mask' || n.kind === 'view' || n.kind === 'patchify') continue;
    if (n.kind === 'apply' && teachers.has(n.network)) continue;
    if (n.kind === 'apply' || inputsOf(n).some((i) => carries.has(i))) carries.add(n.id);
  }
  return carries;
}

export function methodSanity(nodes: readonly GraphNode[], lossNode: number, teachers: ReadonlyMap<string, TeacherLike>): Diagnostic[] {
  const out: Diagnostic[] = [];
  const live = reachable(nodes, lossNode);
  const liveNodes = nodes.filter((n) => live.has(n.id));
  const carries = gradientCarrying(liveNodes, teachers);

  for (const n of liveNodes) {
    if (n.kind !== 'loss' || !NEEDS_ASYMMETRY.has(n.fn)) continue;
    const ids = Object.values(n.inputs).flat();
    if (ids.length >= 2 && ids.every((i) => carries.has(i))) {
      out.push({
        severity: 'warning',
        code: Codes.collapseRisk,
        message: `${n.fn} compares two outputs that both get gradients, with no stop-gradient and no teacher: the representation can collapse to a constant`,
        span: n.origin,
        hint: 'wrap the target side in stopgrad(...) (SimSiam), or take it from a teacher = ema(...) (BYOL)',
      });
    }
  }

  const trained = new Set(liveNodes.filter((n) => n.kind === 'apply' && carries.has(n.id)).map((n) => (n as { network: string }).network));
  for (const t of teachers.values()) {
    if (!trained.has(t.of)) {
      out.push({
        severity: 'error',
        code: Codes.teacherNotTrained,
        message: `teacher '${t.name}' follows network '${t.of}', which the loss never trains: its moving average would stay at the random initial weights`,
        span: t.origin,
        hint: `apply '${t.of}' in the loss without stopgrad, or make the teacher follow the network that is trained`,
      });
    }
  }

  const maskedInputs = new Set(liveNodes.filter((n) => n.kind === 'apply' && n.mask !== undefined).map((n) => (n as { mask: number }).mask));
  for (const n of liveNodes) {
    if (n.kind === 'loss' && n.mask !== undefined && !maskedInputs.has(n.mask)) {
      out.push({
        severity: 'error',
        code: Codes.maskNotApplied,
        message: `the loss counts only the masked tokens, but no network input is masked: the student sees what it must predict`,
        span: n.origin,
        hint: 'give the same mask to the student: encoder(x, mask: m)',
      });
    }
  }
  return out;
}
