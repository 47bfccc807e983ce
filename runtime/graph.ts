/**
 * Lowers the IR's training graph onto TF.js: networks and teachers become modules with variables,
 * views become batched augmentation functions, masks become samplers, loss nodes become loss
 * modules, and the DAG becomes one function the trainer differentiates.
 *
 * The graph is evaluated in two halves so the gradient tape holds only what needs gradients:
 * `sampleInputs` draws every data-only node (training batches, augmented views, masks, patch
 * targets) outside the tape, and `forward` evaluates network applications and loss terms inside it.
 * Teacher applications and `stopgrad` run with the tape paused (runtime/autograd.ts), so no
 * gradient and no saved activation exists for them.
 */
import type { GraphNode, IR } from '../compiler/ir.js';
import { tf } from './tf.js';
import { createRngFromState, type Rng, type RngState } from './util/rng.js';
import { compileView } from './augment/index.js';
import { copyWeights, createNetwork, emaUpdate, type NetworkModule } from './nn/index.js';
import { createLoss } from './losses/index.js';
import type { LossModule } from './losses/types.js';
import { createMaskSampler } from './masks/masks.js';
import { patchify } from './masks/patchify.js';
import { resolveParams, scalarAt } from './optim/scalar.js';
import { stopGradient, withoutTape } from './autograd.js';

/** Data-only node values for one step: the batches, views, masks and patch targets, keyed by node id. */
export type SampledInputs = Map<number, tf.Tensor>;

/** One evaluation of the loss: the total, each term (by name) and sub-term, and the health signal. */
export interface ForwardResult {
  total: tf.Scalar;
  /** Every loss term's unweighted value, and `term/part` for terms with parts (VICReg...). */
  terms: Map<string, tf.Scalar>;
  /** Mean over dimensions of the per-dimension std of the l2-normalised health embedding. */
  embeddingStd: tf.Scalar | null;
}

/**
 * What a checkpoint holds of a graph: every variable of every network and teacher (trainable and
 * batch-norm statistics) by variable name, the losses' state variables (queues and their pointer,
 * centres) by variable name, and the state of each random stream a step draws from (views, masks).
 */
export interface GraphState<T> {
  variables: Record<string, T>;
  losses: Record<string, T>;
  rng: Record<string, RngState>;
}

const DATA_ONLY = new Set<GraphNode['kind']>(['batch', 'view', 'mask', 'patchify']);

export class TrainingGraph {
  readonly networks: Map<string, NetworkModule>;
  /** EMA teachers by name (not trained by gradients). */
  readonly teachers: Map<string, NetworkModule>;
  private readonly views: Map<string, (x: tf.Tensor4D) => tf.Tensor4D>;
  private readonly masks: Map<number, (batch: number) => tf.Tensor2D>;
  private readonly losses: Map<number, LossModule>;
  private readonly nodes: GraphNode[];
  private readonly byId: Map<number, GraphNode>;
  /** The random streams steps draw from, by `view/<name>` and `mask/<node id>` (checkpointed). */
  private readonly streams = new Map<string, Rng>();

  constructor(private readonly ir: IR, rng: Rng) {
    this.nodes = [...ir.graph.nodes].sort((a, b) => a.id - b.id);
    this.byId = new Map(this.nodes.map((n) => [n.id, n]));
    this.networks = new Map();
    this.teachers = new Map();
    this.views = new Map();
    this.masks = new Map();
    this.losses = new Map();
    try {
      for (const [name, net] of Object.entries(ir.networks)) this.networks.set(name, createNetwork(net, rng.fork()));
      for (const [name, t] of Object.entries(ir.teachers ?? {})) {
        const student = this.networks.get(t.of);
        if (!student) throw new Error(`teacher '${name}' follows network '${t.of}', which the IR does not define`);
        const teacher = createNetwork({ ...ir.networks[t.of]!, name }, rng.fork());
        copyWeights(student, teacher);
        this.teachers.set(name, teacher);
      }
      for (const [name, view] of Object.entries(ir.views)) this.views.set(name, compileView(view, this.stream(`view/${name}`, rng.fork())));
      for (const n of this.nodes) {
        if (n.kind === 'mask') this.masks.set(n.id, createMaskSampler(n.mask, this.stream(`mask/${n.id}`, rng.fork())));
        if (n.kind === 'loss') this.losses.set(n.id, createLoss(n.fn, n.name));
      }
    } catch (e) {
      this.dispose();
      throw e;
    }
  }

  private stream(name: string, rng: Rng): Rng {
    this.streams.set(name, rng);
    return rng;
  }

  /**
   * The graph's resumable state (the variables themselves, not copies: read them, do not dispose
   * them). Taken between steps, when no loss holds a stashed update.
   */
  saveState(): GraphState<tf.Variable> {
    const variables: Record<string, tf.Variable> = {};
    for (const m of [...this.networks.values(), ...this.teachers.values()]) for (const v of [...m.trainable, ...m.state]) variables[v.name] = v;
    const losses: Record<string, tf.Variable> = {};
    for (const l of this.losses.values()) for (const v of l.state) losses[v.name] = v;
    const rng = Object.fromEntries([...this.streams].map(([name, r]) => [name, r.state()]));
    return { variables, losses, rng };
  }

  /**
   * Continues from `saved` (values copied; the caller keeps its tensors). It must fit this graph
   * exactly: every variable and random stream present with the same shape, nothing extra. Names,
   * shapes and stream states are checked before anything changes; a loss refusing its state (a
   * queue pointer out of range) throws after the variables were written: discard the graph then.
   */
  loadState(saved: GraphState<tf.Tensor>): void {
    const own = this.saveState();
    const misfits = (what: string, mine: string[], theirs: string[]) => {
      const missing = mine.filter((k) => !theirs.includes(k));
      const extra = theirs.filter((k) => !mine.includes(k));
      if (missing.length > 0) throw new Error(`the checkpoint has no ${what} '${missing[0]}'${missing.length > 1 ? ` (and ${missing.length - 1} more)` : ''}`);
      if (extra.length > 0) throw new Error(`the checkpoint has ${what} '${extra[0]}', which this recipe does not build${extra.length > 1 ? ` (and ${extra.length - 1} more)` : ''}`);
    };
    misfits('variable', Object.keys(own.variables), Object.keys(saved.variables));
    misfits('random stream', Object.keys(own.rng), Object.keys(saved.rng));
    for (const [name, v] of Object.entries(own.variables)) {
      const value = saved.variables[name]!;
      if (value.shape.join(',') !== v.shape.join(',')) throw new Error(`the checkpoint's '${name}' has shape [${value.shape}] but the recipe builds [${v.shape}]`);
    }
    for (const state of Object.values(saved.rng)) createRngFromState(state); // throws on a malformed state
    const lost = Object.keys(own.losses).find((k) => !(k in saved.losses));
    if (lost) throw new Error(`the checkpoint has no loss state '${lost}'`);
    // Loss state is matched to its loss by the loss's name prefix (`moco/queue` belongs to `moco`).
    const perLoss = new Map<LossModule, Record<string, tf.Tensor>>();
    for (const [name, value] of Object.entries(saved.losses)) {
      const entry = [...this.losses].find(([id]) => name.startsWith(`${(this.byId.get(id) as { name: string }).name}/`));
      if (!entry) throw new Error(`the checkpoint has loss state '${name}', which no loss of this recipe owns`);
      if (!entry[1].loadState) throw new Error(`the checkpoint has loss state '${name}', but that loss keeps no state`);
      perLoss.set(entry[1], { ...perLoss.get(entry[1]), [name]: value });
    }
    for (const [name, v] of Object.entries(own.variables)) tf.tidy(() => v.assign(tf.cast(saved.variables[name]!, v.dtype)));
    for (const [loss, values] of perLoss) loss.loadState!(values);
    for (const [name, r] of this.streams) r.restore(saved.rng[name]!);
  }

  get trainableVariables(): tf.Variable[] {
    return [...this.networks.values()].flatMap((m) => m.trainable);
  }

  /** Every trainable variable with whether it is a bias or norm parameter (LARS skips those). */
  optimizerParams(): { variable: tf.Variable; isBiasOrNorm: boolean }[] {
    return [...this.networks.values()].flatMap((m) => m.trainable.map((variable) => ({ variable, isBiasOrNorm: m.isBiasOrNorm(variable) })));
  }

  /** Parameters per network (teachers listed too: they hold weights but are not trained). */
  parameterCounts(): Record<string, number> {
    return Object.fromEntries([...this.networks.entries(), ...this.teachers.entries()].map(([name, m]) => [name, m.paramCount]));
  }

  /**
   * Draws every node that does not depend on weights: `batch` nodes take the given batch of their
   * data source, `view` nodes draw fresh augmentations, `mask` nodes fresh masks, `patchify` cuts
   * its input. Returned tensors belong to the caller.
   */
  sampleInputs(batches: Record<string, tf.Tensor>): SampledInputs {
    const values: SampledInputs = new Map();
    for (const node of this.nodes) {
      if (!DATA_ONLY.has(node.kind)) continue;
      if (node.kind === 'batch') {
        const batch = batches[node.data];
        if (!batch) throw new Error(`no batch was given for data source '${node.data}'`);
        values.set(node.id, batch);
        continue;
      }
      if (!values.has((node as { input: number }).input)) continue; // depends on a network: not data-only
      values.set(node.id, this.evaluate(node, values, true, 0, new Map()));
    }
    return values;
  }

  /** The scalar loss; call inside `tf.variableGrads` and a tidy (the terms are left to the tidy). */
  loss(inputs: SampledInputs, training = true, step = 0): tf.Scalar {
    return this.forward(inputs, training, step).total;
  }

  /**
   * Evaluates the loss and its logged companions at training step `step` (ramps are resolved
   * there). Call inside `tf.variableGrads` (network applications are taped there).
   */
  forward(inputs: SampledInputs, training = true, step = 0): ForwardResult {
    const values = new Map(inputs);
    const terms = new Map<string, tf.Scalar>();
    for (const node of this.nodes) {
      if (values.has(node.id)) continue;
      values.set(node.id, this.evaluate(node, values, training, step, terms));
    }
    const total = values.get(this.ir.graph.loss) as tf.Scalar;
    let embeddingStd: tf.Scalar | null = null;
    const health = this.ir.graph.health;
    if (health) {
      const z = values.get(health.embedding);
      if (z && z.rank === 2) embeddingStd = withoutTape(() => normalisedStd(z as tf.Tensor2D));
    }
    return { total, terms, embeddingStd };
  }

  private evaluate(node: GraphNode, values: Map<number, tf.Tensor>, training: boolean, step: number, terms: Map<string, tf.Scalar>): tf.Tensor {
    const input = (id: number): tf.Tensor => {
      const value = values.get(id);
      if (!value) throw new Error(`graph node ${node.id} reads node ${id}, which has no value`);
      return value;
    };
    switch (node.kind) {
      case 'batch':
        throw new Error(`data source '${node.data}' was not sampled`);
      case 'view':
        return this.views.get(node.view)!(input(node.input) as tf.Tensor4D);
      case 'mask':
        return this.masks.get(node.id)!(input(node.input).shape[0]);
      case 'patchify':
        return patchify(input(node.input), node.patch, node.normalize);
      case 'stopgrad':
        return stopGradient(input(node.input));
      case 'apply': {
        const maskNode = node.mask === undefined ? undefined : this.byId.get(node.mask);
        const options = {
          ...(node.mask !== undefined ? { mask: input(node.mask) } : {}),
          ...(maskNode?.kind === 'mask' ? { maskSpec: { grid: maskNode.mask.grid, patch: maskNode.mask.patch } } : {}),
          ...(node.layers ? { layers: node.layers } : {}),
        };
        const teacher = this.teachers.get(node.network);
        if (teacher) {
          // Teachers run in training mode (batch statistics, as BYOL's target network does) but
          // off the tape: no gradient reaches them and their activations are not kept.
          return withoutTape(() => {
            const outputs = teacher.apply(input(node.input), training, options);
            tf.dispose(outputs.slice(0, -1));
            return outputs[outputs.length - 1]!;
          });
        }
        const outputs = this.networks.get(node.network)!.apply(input(node.input), training, options);
        return outputs[outputs.length - 1]!;
      }
      case 'loss': {
        const tensors: Record<string, tf.Tensor[]> = {};
        for (const [param, ids] of Object.entries(node.inputs)) tensors[param] = ids.map(input);
        const out = this.losses.get(node.id)!.forward(tensors, node.mask === undefined ? null : input(node.mask), resolveParams(node.params, step));
        terms.set(node.name, out.loss);
        for (const [part, value] of Object.entries(out.parts ?? {})) terms.set(`${node.name}/${part}`, value);
        return out.loss;
      }
      case 'sum':
        return tf.addN(node.inputs.map((id, i) => tf.mul(input(id), node.weights[i]!))) as tf.Scalar;
    }
  }

  /**
   * After the optimizer step `step`: teachers move towards their students (EMA with the
   * momentum of that step) and stateful losses commit their queue / centre updates.
   */
  afterStep(step: number): void {
    for (const [name, teacher] of this.teachers) {
      const spec = this.ir.teachers[name]!;
      emaUpdate(teacher, this.networks.get(spec.of)!, scalarAt(spec.momentum, step));
    }
    for (const loss of this.losses.values()) loss.afterStep();
  }

  /** The current value of every teacher's momentum (for logging). */
  momenta(step: number): Record<string, number> {
    return Object.fromEntries(Object.values(this.ir.teachers ?? {}).map((t) => [t.name, scalarAt(t.momentum, step)]));
  }

  /** Features of raw data x through `chain`, taking stage `stage` of the last network. Eval mode. */
  features(x: tf.Tensor, chain: string[], stage: number): tf.Tensor2D {
    return tf.tidy(() => {
      let h = x;
      chain.forEach((name, i) => {
        const outputs = this.networks.get(name)!.apply(h, false);
        h = i === chain.length - 1 ? outputs[stage]! : outputs[outputs.length - 1]!;
      });
      // Per-token outputs [B, T, D] are averaged over tokens; anything else is flattened.
      if (h.rank === 3) return tf.mean(h, 1) as tf.Tensor2D;
      return tf.reshape(h, [h.shape[0], -1]) as tf.Tensor2D;
    });
  }

  dispose(): void {
    for (const m of this.networks.values()) m.dispose();
    for (const m of this.teachers.values()) m.dispose();
    for (const l of this.losses.values()) l.dispose();
  }
}

/**
 * SimSiam's collapse signal (Chen & He 2021, sec. 4.1): the std over the batch of each dimension
 * of the l2-normalised embedding, averaged over dimensions. Collapse gives 0; a healthy output of
 * width d gives about 1 / sqrt(d). z: [B, D] -> scalar.
 */
export function normalisedStd(z: tf.Tensor2D): tf.Scalar {
  return tf.tidy(() => {
    const unit = tf.div(z, tf.maximum(tf.norm(z, 'euclidean', 1, true), 1e-12));
    const { variance } = tf.moments(unit, 0);
    return tf.mean(tf.sqrt(variance)) as tf.Scalar;
  });
}
