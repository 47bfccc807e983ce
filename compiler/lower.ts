/**
 * Lower: the checked recipe -> the IR (`ir.ts`). Only called when validation reported no errors, so
 * every value here is present and in range. Fills in derived quantities (steps per epoch, total
 * steps, warmup in steps) so the runtime never re-derives a hyperparameter. Definitions nothing uses
 * were warned about and are left out.
 */
import type { Checked } from './validate/index.js';
import type { DataSource, GraphNode, IR, Network, Optimizer, Probe, Ramp, Scalar, Schedule, Teacher, Train, View } from './ir.js';
import { IR_VERSION } from './ir.js';
import { reachable } from './graph-walk.js';
import type { Resolved } from './resolve.js';
import type { Value } from './validate/values.js';
import { ONLINE_EVERY_STEPS } from './validate/probes.js';

function n(v: Value | undefined): number {
  if (v?.t !== 'number') throw new Error(`lowering expected a number, got ${v?.t ?? 'nothing'}`);
  return v.v;
}
function b(v: Value | undefined): boolean {
  if (v?.t !== 'bool') throw new Error(`lowering expected a boolean, got ${v?.t ?? 'nothing'}`);
  return v.v;
}

/** A number or ramp value as an IR scalar: ramp durations become steps (the whole run by default). */
function scalar(v: Value | undefined, stepsPerEpoch: number, totalSteps: number): Scalar {
  if (v?.t === 'ramp') {
    const end = v.over === null ? totalSteps : v.over.unit === 'epochs' ? Math.round(v.over.v * stepsPerEpoch) : v.over.v;
    const ramp: Ramp = { kind: 'ramp', from: v.from, to: v.to, shape: v.shape, startStep: 0, endStep: Math.max(0, end) };
    return ramp;
  }
  return n(v);
}

export function lower(checked: Checked, resolved: Resolved, uri: string): IR {
  const { trainingData, batch, stepsPerEpoch, epochs, lossNode } = checked;
  if (trainingData === undefined || batch === undefined || stepsPerEpoch === undefined || epochs === undefined || lossNode === undefined) {
    throw new Error('lowering a recipe whose training data, epochs or loss is unknown');
  }
  const totalSteps = epochs * stepsPerEpoch;

  const data: Record<string, DataSource> = {};
  for (const [name, source] of checked.data) {
    if ((resolved.references.get(name) ?? 0) > 0) data[name] = source;
  }

  const usedViews = new Set<string>();
  const usedNetworks = new Set<string>();
  for (const node of checked.nodes) {
    if (node.kind === 'view') usedViews.add(node.view);
    if (node.kind === 'apply') usedNetworks.add(checked.teachers.get(node.network)?.of ?? node.network);
  }
  for (const p of checked.probes) for (const net of p.features.chain) usedNetworks.add(net);

  const views: Record<string, View> = {};
  for (const [name, v] of checked.views) {
    if (usedViews.has(name)) views[name] = { name, ops: v.ops, outputShape: v.outputShape, origin: v.origin };
  }
  const networks: Record<string, Network> = {};
  for (const [name, net] of checked.networks) {
    if (usedNetworks.has(name)) networks[name] = { name, stages: net.stages, inputShape: net.inputShape, outputShape: net.outputShape, origin: net.origin };
  }

  const teachers: Record<string, Teacher> = {};
  for (const [name, t] of checked.teachers) {
    if (checked.nodes.some((x) => x.kind === 'apply' && x.network === name)) {
      teachers[name] = { name, of: t.of, momentum: scalar(t.momentum, stepsPerEpoch, totalSteps), origin: t.origin };
    }
  }

  // Ramp-valued loss parameters, now that steps are known.
  const nodes: GraphNode[] = checked.nodes.map((x) => (x.kind === 'loss' ? { ...x, params: { ...x.params } } : x));
  for (const r of checked.ramps) {
    const node = nodes[r.node];
    if (node?.kind === 'loss') node.params[r.param] = scalar(r.ramp, stepsPerEpoch, totalSteps);
  }
  const liveLoss = reachable(nodes, lossNode);
  const lossNodes = nodes.filter((x): x is Extract<GraphNode, { kind: 'loss' }> => x.kind === 'loss' && liveLoss.has(x.id));
  const terms = lossNodes.map((x) => ({ name: x.name, node: x.id }));
  const firstEmbedding = lossNodes[0] ? Object.values(lossNodes[0].inputs)[0]?.[0] : undefined;
  const health = firstEmbedding !== undefined && nodes[firstEmbedding]?.shape.length === 1 ? { embedding: firstEmbedding } : null;

  const opt = checked.optimizer;
  if (!opt) throw new Error('lowering without an optimizer');
  const a = opt.args;
  const origin = opt.span;
  let optimizer: Optimizer;
  switch (opt.fn) {
    case 'sgd':
      optimizer = { kind: 'sgd', lr: n(a['lr']), momentum: n(a['momentum']), nesterov: b(a['nesterov']), weightDecay: scalar(a['weight_decay'], stepsPerEpoch, totalSteps), origin };
      break;
    case 'adam':
      optimizer = { kind: 'adam', lr: n(a['lr']), beta1: n(a['beta1']), beta2: n(a['beta2']), epsilon: n(a['epsilon']), weightDecay: scalar(a['weight_decay'], stepsPerEpoch, totalSteps), origin };
      break;
    case 'adamw':
      optimizer = {
        kind: 'adamw',
        lr: n(a['lr']),
        beta1: n(a['beta1']),
        beta2: n(a['beta2']),
        epsilon: n(a['epsilon']),
        weightDecay: scalar(a['weight_decay'], stepsPerEpoch, totalSteps),
        origin,
      };
      break;
    case 'lars':
      optimizer = {
        kind: 'lars',
        lr: n(a['lr']),
        momentum: n(a['momentum']),
        weightDecay: scalar(a['weight_decay'], stepsPerEpoch, totalSteps),
        eta: n(a['eta']),
        excludeBiasAndNorm: b(a['exclude_bias_and_norm']),
        origin,
      };
      break;
    default:
      throw new Error(`no lowering for optimizer ${opt.fn}`);
  }

  let schedule: Schedule = { kind: 'constant', origin: null };
  const s = checked.schedule;
  if (s?.fn === 'constant') schedule = { kind: 'constant', origin: s.span };
  else if (s?.fn === 'warmup_cosine') {
    const w = s.args['warmup'];
    if (w?.t !== 'duration') throw new Error('warmup is not a duration');
    const warmupSteps = w.unit === 'epochs' ? Math.round(w.v * stepsPerEpoch) : w.v;
    schedule = { kind: 'warmup_cosine', warmupSteps, totalSteps, finalLr: n(s.args['final_lr']), origin: s.span };
  }

  const probes: Probe[] = checked.probes.map((p) =>
    p.kind === 'linear'
      ? {
          kind: 'linear',
          fit: p.fit,
          on: p.on,
          features: p.features,
          l2: p.params['l2']!,
          epochs: p.params['epochs']!,
          ...(p.params[ONLINE_EVERY_STEPS] !== undefined ? { online: { everySteps: p.params[ONLINE_EVERY_STEPS] } } : {}),
          origin: p.origin,
        }
      : { kind: 'knn', fit: p.fit, on: p.on, features: p.features, k: p.params['k']!, temperature: p.params['temperature']!, origin: p.origin },
  );

  return {
    irVersion: IR_VERSION,
    recipe: checked.recipe,
    source: { uri },
    data,
    views,
    networks,
    teachers,
    graph: { nodes, loss: lossNode, terms, health },
    optimizer,
    schedule,
    train: { epochs, seed: checked.seed, data: trainingData, batch, stepsPerEpoch, totalSteps, checkpoint: checkpointPlan(checked, stepsPerEpoch), origin: checked.trainOrigin },
    probes,
  };
}

/** `checkpoint_every` in steps (a positive number of epochs is at least one step) and how many to keep. */
function checkpointPlan(checked: Checked, stepsPerEpoch: number): Train['checkpoint'] {
  const { v, unit } = checked.checkpointEvery;
  const everySteps = unit === 'steps' ? v : v > 0 ? Math.max(1, Math.round(v * stepsPerEpoch)) : 0;
  return { everySteps, keep: checked.keepCheckpoints };
}
