import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { explain, formatScalar, renderExplanation, stageMacs, stageParameters, type Explanation, type TreeNode } from './explain.js';
import { compile } from './index.js';
import type { GraphNode, IR, Network, Ramp, Span, Stage, Teacher } from './ir.js';

// ---------------------------------------------------------------------------------------------
// Hand-built IR (the compiler is being widened to the v2 syntax concurrently)

const span: Span = { uri: 'test.ssl', start: { offset: 0, line: 1, column: 1 }, end: { offset: 0, line: 1, column: 1 } };
const IMG = [28, 28, 1];

const convnet = (channels: number[], inputShape = IMG, norm: 'none' | 'batch' = 'none'): Stage => ({
  kind: 'convnet', channels, kernel: 3, stride: 2, norm, activation: 'relu', inputShape, outputShape: [channels[channels.length - 1]], origin: span,
});
const mlp = (widths: number[], inputShape: number[], norm: 'none' | 'batch' | 'layer' = 'none'): Stage => ({
  kind: 'mlp', widths, norm, activation: 'relu', inputShape,
  outputShape: inputShape.length === 2 ? [inputShape[0], widths[widths.length - 1]] : [widths[widths.length - 1]], origin: span,
});
const transformer = (o: { patch: number; dim: number; depth: number; heads: number; mlpRatio: number; pool: 'mean' | 'none'; inputShape: number[] }): Stage => {
  const tokens = o.inputShape.length === 3 ? (o.inputShape[0] / o.patch) * (o.inputShape[1] / o.patch) : o.inputShape[0] / o.patch;
  return { kind: 'transformer', ...o, tokens, outputShape: o.pool === 'mean' ? [o.dim] : [tokens, o.dim], origin: span };
};
const network = (name: string, stages: Stage[]): Network => ({
  name, stages, inputShape: stages[0].inputShape, outputShape: stages[stages.length - 1].outputShape, origin: span,
});
const ramp = (from: number, to: number, shape: Ramp['shape'], startStep: number, endStep: number): Ramp => ({ kind: 'ramp', from, to, shape, startStep, endStep });

function makeIr(o: { networks: Network[]; teachers?: Teacher[]; nodes: GraphNode[]; loss: number; views?: Record<string, number>; batch?: number }): IR {
  const batch = o.batch ?? 128;
  const data = { kind: 'dataset' as const, dataset: 'mnist' as const, split: 'train' as const, batch, labelFraction: 1, size: 60000, limit: null, shape: IMG, numClasses: 10, origin: span };
  const views = Object.fromEntries(
    Object.entries(o.views ?? { aug: 28 }).map(([name, size]) => [
      name,
      { name, ops: [{ kind: 'random_resized_crop' as const, size, scale: [0.2, 1] as [number, number], ratio: [0.75, 4 / 3] as [number, number], origin: span }], outputShape: [size, size, 1], origin: span },
    ]),
  );
  const losses = o.nodes.filter((n): n is Extract<GraphNode, { kind: 'loss' }> => n.kind === 'loss');
  return {
    irVersion: 3,
    recipe: 'hand',
    source: { uri: 'test.ssl' },
    data: { train: data },
    views,
    networks: Object.fromEntries(o.networks.map((n) => [n.name, n])),
    teachers: Object.fromEntries((o.teachers ?? []).map((t) => [t.name, t])),
    graph: { nodes: o.nodes, loss: o.loss, terms: losses.map((l) => ({ name: l.name, node: l.id })), health: null },
    optimizer: { kind: 'adamw', lr: 5e-4, beta1: 0.9, beta2: 0.999, epsilon: 1e-8, weightDecay: ramp(0.04, 0.4, 'cosine', 0, 2340), origin: span },
    schedule: { kind: 'warmup_cosine', warmupSteps: 468, totalSteps: 2340, finalLr: 1e-6, origin: span },
    train: { epochs: 5, seed: 0, data: 'train', batch, stepsPerEpoch: Math.floor(60000 / batch), totalSteps: 5 * Math.floor(60000 / batch), checkpoint: { everySteps: Math.floor(60000 / batch), keep: 2 }, origin: span },
    probes: [],
  };
}

// Node constructors.
const batchNode = (id: number): GraphNode => ({ id, kind: 'batch', data: 'train', shape: IMG, origin: span });
const viewNode = (id: number, view: string, input: number, size = 28): GraphNode => ({ id, kind: 'view', view, input, shape: [size, size, 1], origin: span });
const applyNode = (id: number, net: string, input: number, shape: number[], extra: { mask?: number; layers?: { top: number; norm: 'instance' | 'none' } } = {}): GraphNode => ({
  id, kind: 'apply', network: net, input, shape, ...extra, origin: span,
});
const stopgrad = (id: number, input: number, shape: number[]): GraphNode => ({ id, kind: 'stopgrad', input, shape, origin: span });
const lossNode = (id: number, fn: Extract<GraphNode, { kind: 'loss' }>['fn'], name: string, inputs: Record<string, number[]>, params: Record<string, number | Ramp> = {}, mask?: number): GraphNode => ({
  id, kind: 'loss', fn, name, inputs, params, shape: [], ...(mask !== undefined ? { mask } : {}), origin: span,
});

/** BYOL (Grill et al. 2020): online encoder + projector, a predictor, an EMA target, a symmetrised loss. */
function byolIr(): IR {
  const momentum = ramp(0.996, 1, 'cosine', 0, 1170);
  return makeIr({
    networks: [network('online', [convnet([32, 64]), mlp([128, 32], [64], 'batch')]), network('predictor', [mlp([64, 32], [32], 'batch')])],
    teachers: [{ name: 'target', of: 'online', momentum, origin: span }],
    nodes: [
      batchNode(0),
      viewNode(1, 'aug', 0),
      viewNode(2, 'aug', 0),
      applyNode(3, 'online', 1, [32]),
      applyNode(4, 'predictor', 3, [32]),
      applyNode(5, 'target', 2, [32]),
      stopgrad(6, 5, [32]),
      lossNode(7, 'cosine_regress', 'byol_12', { prediction: [4], target: [6] }),
      applyNode(8, 'online', 2, [32]),
      applyNode(9, 'predictor', 8, [32]),
      applyNode(10, 'target', 1, [32]),
      stopgrad(11, 10, [32]),
      lossNode(12, 'cosine_regress', 'byol_21', { prediction: [9], target: [11] }),
      { id: 13, kind: 'sum', inputs: [7, 12], weights: [1, 0.5], shape: [], origin: span },
    ],
    loss: 13,
  });
}

/** DINO-style multi-crop: 2 global views (28) and 4 local views (12); the teacher sees the globals only. */
function dinoIr(): IR {
  const student = network('student', [convnet([16, 32], IMG), mlp([64, 10], [32])]);
  const nodes: GraphNode[] = [batchNode(0)];
  const students: number[] = [];
  const teachers: number[] = [];
  let id = 1;
  const draws: [string, number][] = [['global', 28], ['global', 28], ['local', 12], ['local', 12], ['local', 12], ['local', 12]];
  for (const [view, size] of draws) {
    const v = id++;
    nodes.push(viewNode(v, view, 0, size));
    const s = id++;
    nodes.push(applyNode(s, 'student', v, [10]));
    students.push(s);
    if (view === 'global') {
      const t = id++;
      nodes.push(applyNode(t, 'teacher', v, [10]));
      teachers.push(t);
    }
  }
  const loss = id;
  nodes.push(
    lossNode(loss, 'dino', 'dino', { student: students, teacher: teachers }, {
      student_temperature: 0.1,
      teacher_temperature: ramp(0.04, 0.07, 'linear', 0, 468),
      center_momentum: 0.9,
    }),
  );
  return makeIr({
    networks: [student],
    teachers: [{ name: 'teacher', of: 'student', momentum: ramp(0.996, 1, 'cosine', 0, 2340), origin: span }],
    nodes,
    loss,
    views: { global: 28, local: 12 },
    batch: 64,
  });
}

const VIT = { patch: 7, dim: 64, depth: 2, heads: 4, mlpRatio: 2, inputShape: IMG };

/** data2vec-style: a masked transformer student regresses the EMA teacher's averaged top layers. */
function data2vecIr(): IR {
  const grid = { kind: 'patches' as const, ratio: 0.5, grid: [4, 4], patch: [7, 7] };
  return makeIr({
    networks: [network('student', [transformer({ ...VIT, pool: 'none' })]), network('head', [mlp([64], [16, 64])])],
    teachers: [{ name: 'teacher', of: 'student', momentum: 0.999, origin: span }],
    nodes: [
      batchNode(0),
      { id: 1, kind: 'mask', input: 0, mask: grid, shape: [16], origin: span },
      applyNode(2, 'student', 0, [16, 64], { mask: 1 }),
      applyNode(3, 'head', 2, [16, 64]),
      applyNode(4, 'teacher', 0, [16, 64], { layers: { top: 2, norm: 'instance' } }),
      lossNode(5, 'smooth_l1', 'regress', { prediction: [3], target: [4] }, { beta: 1 }, 1),
    ],
    loss: 5,
  });
}

/** MAE-style: the target is the patchified raw batch. */
function maeIr(): IR {
  return makeIr({
    networks: [network('encoder', [transformer({ ...VIT, pool: 'none' })]), network('decoder', [mlp([128, 49], [16, 64])])],
    nodes: [
      batchNode(0),
      { id: 1, kind: 'mask', input: 0, mask: { kind: 'patches', ratio: 0.75, grid: [4, 4], patch: [7, 7] }, shape: [16], origin: span },
      applyNode(2, 'encoder', 0, [16, 64], { mask: 1 }),
      applyNode(3, 'decoder', 2, [16, 49]),
      { id: 4, kind: 'patchify', input: 0, patch: 7, normalize: true, shape: [16, 49], origin: span },
      lossNode(5, 'mse', 'pixels', { prediction: [3], target: [4] }, {}, 1),
    ],
    loss: 5,
  });
}

/** Wide by default so that assertions can match whole lines; the width test sets its own. */
const render = (e: Explanation, width = 200) => renderExplanation(e, { color: false, width });

function findAll(t: TreeNode, pred: (n: TreeNode) => boolean, acc: TreeNode[] = []): TreeNode[] {
  if (pred(t)) acc.push(t);
  for (const c of t.inputs) findAll(c, pred, acc);
  return acc;
}

// ---------------------------------------------------------------------------------------------

describe('explain: the quickstart, compiled', () => {
  const text = readFileSync('examples/quickstart.ssl', 'utf8');
  const { ir, diagnostics } = compile(text, 'examples/quickstart.ssl');

  it('compiles', () => {
    expect(diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
    expect(ir).toBeDefined();
  });

  const e = () => explain(ir!);

  it('counts parameters as runtime/nn builds them (conv kernel + bias per layer; dense kernel + bias)', () => {
    const p = e().parameters;
    const encoder = 9 * 1 * 32 + 32 + (9 * 32 * 64 + 64) + (9 * 64 * 128 + 128);
    const projector = 128 * 128 + 128 + (128 * 64 + 64);
    expect(encoder).toBe(92_672);
    expect(projector).toBe(24_768);
    expect(p.networks.map((n) => [n.name, n.parameters])).toEqual([['encoder', encoder], ['projector', projector]]);
    expect(p.networks[0].stages[0].parameters).toBe(encoder);
    expect(p.trainable).toBe(encoder + projector);
    expect(p.teachers).toEqual([]);
  });

  it('counts forward multiply-adds from the shapes (stride 2, same padding: 28 -> 14 -> 7 -> 4)', () => {
    const c = e().compute;
    const encoder = 14 * 14 * 9 * 1 * 32 + 7 * 7 * 9 * 32 * 64 + 4 * 4 * 9 * 64 * 128;
    const projector = 128 * 128 + 128 * 64;
    expect(encoder).toBe(2_139_264);
    expect(c.applications.map((a) => [a.network, a.macsPerExample, a.grad])).toEqual([
      ['encoder', encoder, true],
      ['projector', projector, true],
      ['encoder', encoder, true],
      ['projector', projector, true],
    ]);
    expect(c.batch).toBe(256);
    const forward = 2 * 256 * 2 * (encoder + projector); // 2 views, 2 FLOPs per multiply-add
    expect(c.forwardGflops).toBeCloseTo(forward / 1e9, 9);
    expect(c.trainingGflops).toBeCloseTo((3 * forward) / 1e9, 9);
    // Stored per view: conv + relu outputs per layer, the pooled vector, dense0 + relu, dense1.
    const stored = 2 * (14 * 14 * 32 + 7 * 7 * 64 + 4 * 4 * 128) + 128 + (2 * 128 + 64);
    expect(c.applications[0].storedPerExample + c.applications[1].storedPerExample).toBe(stored);
    expect(c.activationMB).toBeCloseTo((2 * stored * 256 * 4) / 1e6, 9);
  });

  it('maps the loss term to the view draws it reads', () => {
    expect(e().terms).toEqual([
      {
        term: expect.any(String),
        node: 7,
        fn: 'nt_xent',
        views: [{ view: 'aug', node: 1 }, { view: 'aug', node: 4 }],
        byInput: [
          { input: 'a', views: [{ view: 'aug', node: 1 }], raw: [] },
          { input: 'b', views: [{ view: 'aug', node: 4 }], raw: [] },
        ],
        data: ['train'],
        raw: [],
      },
    ]);
    expect(render(e())).toMatch(/^ {2}nt_xent <- aug#1, aug#4; data: train$/m);
  });

  it('renders the tree rooted at the loss, the shared batch printed once', () => {
    const out = render(e());
    expect(out).toContain('#7 loss nt_xent  scalar  · temperature 0.5');
    expect(out).toContain('├─ a: #3 apply projector  [64]');
    expect(out).toContain('└─ b: #6 apply projector  [64]');
    expect(out).toMatch(/#1 view aug {2}\[28, 28, 1\][\s\S]*random_resized_crop\(28, scale 0.4..1/);
    expect(out).toContain('#4 view aug  [28, 28, 1]  · a fresh draw, ops as #1');
    expect(out.match(/#0 batch train/g)).toHaveLength(1);
    expect(out).toContain('-> see #0 (batch train)');
  });

  it('prints the header: data, batch, steps, optimizer, schedule, probes', () => {
    const out = render(e());
    expect(out).toMatch(/^recipe quickstart/);
    expect(out).toContain('train: mnist train, 60,000 examples, [28, 28, 1], 10 classes <- training');
    expect(out).toContain('batch 256, 234 steps/epoch x 1 epoch = 234 steps, seed 0');
    expect(out).toContain('adam lr 0.001');
    expect(out).toContain('warmup_cosine: linear warmup 0 -> 0.001 over 10 steps, then cosine to 0 at step 234');
    expect(out).toMatch(/linear on encoder stage 0 \(128-d\)/);
    expect(out).toMatch(/knn k 20 on encoder/);
    expect(out).toContain('92,672');
    expect(out).toContain('24,768');
    expect(out).toContain('forward      2.216 GFLOPs');
    expect(out).toContain('training     6.647 GFLOPs');
    expect(out).toContain('activations  47.84 MB');
  });
});

describe('explain: also reads IR v1 (the golden files)', () => {
  it('names list-style loss inputs by the loss function', () => {
    const ir = JSON.parse(readFileSync('test/golden/simclr.ir.json', 'utf8')) as IR;
    const e = explain(ir);
    expect(e.terms[0].byInput.map((b) => b.input)).toEqual(['a', 'b']);
    // Batch norm adds gamma and beta per channel (running statistics are not parameters).
    const encoder = 9 * 32 + 32 + 64 + (9 * 32 * 64 + 64 + 128) + (9 * 64 * 128 + 128 + 256);
    const projector = 128 * 512 + 512 + 1024 + (512 * 128 + 128);
    expect(e.parameters.networks.map((n) => n.parameters)).toEqual([encoder, projector]);
  });
});

describe('stageParameters / stageMacs for the new stages (ir.ts architectures)', () => {
  it('transformer: patch embedding, positions, blocks, final norm and mask token', () => {
    const s = transformer({ ...VIT, pool: 'mean' });
    const [dim, h, t, patchDim] = [64, 128, 16, 49];
    const block = 2 * dim + (dim * 3 * dim + 3 * dim) + (dim * dim + dim) + 2 * dim + (dim * h + h + h * dim + dim);
    expect(stageParameters(s)).toBe(patchDim * dim + dim + t * dim + 2 * block + 2 * dim + dim);
    expect(stageParameters(s)).toBe(71_360);
    expect(stageMacs(s)).toBe(t * patchDim * dim + 2 * (4 * t * dim * dim + 2 * t * t * dim + 2 * t * dim * h));
    // A sequence [T, C]: windows of `patch` steps, patch * C per token.
    const seq = transformer({ patch: 4, dim: 32, depth: 1, heads: 2, mlpRatio: 4, pool: 'none', inputShape: [64, 3] });
    expect(stageParameters(seq)).toBe(12 * 32 + 32 + 16 * 32 + (64 + 32 * 96 + 96 + 32 * 32 + 32 + 64 + 32 * 128 + 128 + 128 * 32 + 32) + 64 + 32);
  });

  it('resnet: stem, basic blocks, 1x1 projection on the first block of each later width', () => {
    const s: Stage = { kind: 'resnet', widths: [16, 32], depth: 2, norm: 'batch', activation: 'relu', inputShape: IMG, outputShape: [32], origin: span };
    const conv = (k: number, cin: number, cout: number) => k * k * cin * cout + cout + 2 * cout;
    const expected = conv(3, 1, 16) + 2 * (2 * conv(3, 16, 16)) + (conv(3, 16, 32) + conv(3, 32, 32) + conv(1, 16, 32)) + 2 * conv(3, 32, 32);
    expect(stageParameters(s)).toBe(expected);
    expect(stageParameters(s)).toBe(42_848);
    // Stem and width 16 at 28x28, width 32 at 14x14.
    const macs = 28 * 28 * 9 * 16 + 2 * 2 * (28 * 28 * 9 * 16 * 16) + 14 * 14 * (9 * 16 * 32 + 9 * 32 * 32 + 16 * 32) + 2 * 14 * 14 * 9 * 32 * 32;
    expect(stageMacs(s)).toBe(macs);
    expect(stageParameters({ ...s, norm: 'none' })).toBe(expected - 2 * (16 + 4 * 16 + 3 * 32 + 2 * 32));
  });

  it('conv1d: k * Cin * Cout + bias (+ 2 per channel for a norm), T -> ceil(T / s)', () => {
    const s: Stage = { kind: 'conv1d', channels: [16, 32], kernel: 5, stride: 2, norm: 'layer', activation: 'gelu', pool: 'mean', inputShape: [100, 3], outputShape: [32], origin: span };
    expect(stageParameters(s)).toBe(5 * 3 * 16 + 16 + 32 + (5 * 16 * 32 + 32 + 64));
    expect(stageMacs(s)).toBe(50 * 5 * 3 * 16 + 25 * 5 * 16 * 32);
  });

  it('mlp: norm on hidden layers only; token-wise on [T, D]', () => {
    expect(stageParameters(mlp([512, 128], [128], 'batch'))).toBe(128 * 512 + 512 + 1024 + 512 * 128 + 128);
    expect(stageParameters(mlp([64, 10], [16, 64], 'layer'))).toBe(64 * 64 + 64 + 128 + 64 * 10 + 10);
    expect(stageMacs(mlp([64, 10], [16, 64]))).toBe(16 * (64 * 64 + 64 * 10));
    expect(stageMacs(mlp([10], [7, 7, 2]))).toBe(98 * 10); // flattened
  });
});

describe('explain: BYOL (teacher, stopgrad, weighted sum, shared views)', () => {
  const e = explain(byolIr());
  const out = render(e);

  it('marks the teacher applications with their EMA source and momentum ramp, without gradients', () => {
    const t = findAll(e.tree, (n) => n.kind === 'apply' && n.label === 'apply target' && !n.seeAbove);
    expect(t).toHaveLength(2);
    for (const n of t) {
      expect(n.grad).toBe(false);
      expect(n.notes).toContain('teacher: EMA of online, momentum 0.996 -> 1 cosine over steps 0..1170');
      expect(n.notes).toContain('no grad');
    }
    expect(out).toContain('#5 apply target  [32]  · teacher: EMA of online, momentum 0.996 -> 1 cosine over steps 0..1170; no grad');
    expect(out).toMatch(/target: #6 stopgrad {2}\[32\] {2}· no gradient flows back/);
  });

  it('shows sum weights and references the views drawn for the first term', () => {
    expect(out).toMatch(/^#13 sum {2}scalar {2}· 1 x #7 \+ 0.5 x #12$/m);
    expect(out).toContain('├─ x 1: #7 loss cosine_regress "byol_12"');
    expect(out).toContain('└─ x 0.5: #12 loss cosine_regress "byol_21"');
    // #12's online(x2) reads view #2, first printed under #7's target; #10 reads view #1.
    expect(out).toContain('-> see #2 (view aug)');
    expect(out).toContain('-> see #1 (view aug)');
    expect(out.match(/#1 view aug {2}\[/g)).toHaveLength(1);
  });

  it('lists teachers separately: same count as their network, not in the trainable total', () => {
    const online = e.parameters.networks.find((n) => n.name === 'online')!;
    expect(online.parameters).toBe(9 * 32 + 32 + (9 * 32 * 64 + 64) + (64 * 128 + 128 + 256) + (128 * 32 + 32));
    expect(e.parameters.teachers).toEqual([{ name: 'target', of: 'online', momentum: '0.996 -> 1 cosine over steps 0..1170', parameters: online.parameters }]);
    const predictor = e.parameters.networks.find((n) => n.name === 'predictor')!;
    expect(e.parameters.trainable).toBe(online.parameters + predictor.parameters);
    expect(e.parameters.teacher).toBe(online.parameters);
    expect(out).toMatch(/Teachers[\s\S]*target\s+[\d,]+\s+EMA of online, momentum 0.996 -> 1 cosine over steps 0..1170/);
  });

  it('counts teacher forwards once and online ones three times; only online activations are stored', () => {
    const c = e.compute;
    const byNode = Object.fromEntries(c.applications.map((a) => [a.node, a]));
    expect([3, 4, 8, 9].map((n) => byNode[n].grad)).toEqual([true, true, true, true]);
    expect([5, 10].map((n) => [byNode[n].grad, byNode[n].teacher, byNode[n].storedPerExample])).toEqual([[false, true, 0], [false, true, 0]]);
    const online = byNode[3].macsPerExample;
    const predictor = byNode[4].macsPerExample;
    expect(byNode[5].macsPerExample).toBe(online);
    expect(c.forwardGflops).toBeCloseTo((2 * 128 * (4 * online + 2 * predictor)) / 1e9, 9);
    expect(c.trainingGflops).toBeCloseTo((2 * 128 * (3 * (2 * online + 2 * predictor) + 2 * online)) / 1e9, 9);
    expect(out).toMatch(/#5 {4}target\s+[\d.]+\s+x1 teacher\s+-/);
  });

  it('maps each term to its views', () => {
    expect(e.terms.map((t) => [t.term, t.views.map((v) => `${v.view}#${v.node}`), t.byInput.map((b) => `${b.input}:${b.views.map((v) => v.node)}`)])).toEqual([
      ['byol_12', ['aug#1', 'aug#2'], ['prediction:1', 'target:2']],
      ['byol_21', ['aug#1', 'aug#2'], ['prediction:2', 'target:1']],
    ]);
    expect(out).toContain('byol_12 <- aug#1, aug#2; data: train');
  });

  it('shows ramps in the optimizer too (AdamW weight decay)', () => {
    expect(out).toContain('weight decay 0.04 -> 0.4 cosine over steps 0..2340 (decoupled)');
  });
});

describe('explain: DINO multi-crop (list inputs, local views)', () => {
  const e = explain(dinoIr());
  const out = render(e);

  it('walks list parameters back to every view draw', () => {
    const [t] = e.terms;
    expect(t.views.map((v) => `${v.view}#${v.node}`)).toEqual(['global#1', 'global#4', 'local#7', 'local#9', 'local#11', 'local#13']);
    expect(t.byInput).toEqual([
      { input: 'student', views: t.views, raw: [] },
      { input: 'teacher', views: [{ view: 'global', node: 1 }, { view: 'global', node: 4 }], raw: [] },
    ]);
    expect(out).toContain('dino <- global#1, global#4, local#7, local#9, local#11, local#13; data: train');
    expect(out).toContain('teacher: global#1, global#4');
  });

  it('labels list elements and renders ramped loss parameters', () => {
    expect(out).toContain('student[5]: #14 apply student');
    expect(out).toContain('teacher[1]: #6 apply teacher');
    expect(out).toContain('teacher_temperature 0.04 -> 0.07 linear over steps 0..468');
    expect(formatScalar(0.1)).toBe('0.1');
  });

  it('costs local crops at their own size (the convnet pools globally)', () => {
    const c = e.compute;
    const global = 14 * 14 * 9 * 1 * 16 + 7 * 7 * 9 * 16 * 32 + (32 * 64 + 64 * 10);
    const local = 6 * 6 * 9 * 1 * 16 + 3 * 3 * 9 * 16 * 32 + (32 * 64 + 64 * 10);
    expect(c.applications.filter((a) => !a.teacher).map((a) => a.macsPerExample)).toEqual([global, global, local, local, local, local]);
    expect(c.applications.filter((a) => a.teacher).map((a) => a.macsPerExample)).toEqual([global, global]);
    expect(c.trainingGflops).toBeCloseTo((2 * 64 * (3 * (2 * global + 4 * local) + 2 * global)) / 1e9, 9);
  });
});

describe('explain: masked prediction (data2vec, MAE)', () => {
  it('data2vec: masked student, teacher layers, masked loss', () => {
    const e = explain(data2vecIr());
    const out = render(e);
    expect(out).toContain('#2 apply student  [16, 64]  · transformer; tokens hidden by mask #1');
    expect(out).toContain('mask: #1 mask patches  [16]  · patches: 50% of 4x4 = 16 tokens hidden uniformly (token 7x7)');
    expect(out).toContain('returns the mean of the top 2 blocks of the last stage (each instance-normalised)');
    expect(out).toMatch(/mask: -> see #1 \(mask patches\)/);
    expect(e.terms[0]).toMatchObject({ term: 'regress', views: [], data: ['train'], raw: ['train'] });
    expect(out).toContain('regress <- train (raw batch, no view); data: train');
    const vit = 71_360;
    expect(e.parameters.networks[0].parameters).toBe(vit);
    expect(e.parameters.teachers[0]).toMatchObject({ name: 'teacher', of: 'student', momentum: '0.999', parameters: vit });
  });

  it('MAE: patchified raw target, per-token decoder', () => {
    const e = explain(maeIr());
    const out = render(e);
    expect(out).toContain('target: #4 patchify 7  [16, 49]  · tokens of 7 -> 16 tokens of 49, each normalised by its mean and variance');
    expect(e.compute.applications.find((a) => a.network === 'decoder')!.macsPerExample).toBe(16 * (64 * 128 + 128 * 49));
  });

  it('a student forward reached only through stopgrad is counted once and stores nothing', () => {
    const ir = makeIr({
      networks: [network('enc', [convnet([8])]), network('pred', [mlp([8], [8])])],
      nodes: [
        batchNode(0), viewNode(1, 'aug', 0), viewNode(2, 'aug', 0),
        applyNode(3, 'enc', 1, [8]), applyNode(4, 'pred', 3, [8]),
        applyNode(5, 'enc', 2, [8]), stopgrad(6, 5, [8]),
        lossNode(7, 'neg_cosine', 'simsiam', { prediction: [4], target: [6] }),
      ],
      loss: 7,
    });
    const e = explain(ir);
    const a = e.compute.applications.find((x) => x.node === 5)!;
    expect(a).toMatchObject({ grad: false, teacher: false, storedPerExample: 0 });
    expect(render(e)).toContain('#5 apply enc  [8]  · no grad (only reaches the loss through stopgrad); convnet');
    expect(render(e)).toMatch(/#5 {4}enc\s+[\d.]+\s+x1 no grad\s+-/);
  });
});

describe('renderExplanation', () => {
  const e = explain(byolIr());

  it('uses ANSI colour only when asked', () => {
    expect(renderExplanation(e, { color: false })).not.toMatch(/\x1b\[/);
    const coloured = renderExplanation(e, { color: true });
    expect(coloured).toMatch(/\x1b\[\d+m/);
    expect(coloured.replace(/\x1b\[[0-9;]*m/g, '')).toBe(renderExplanation(e, { color: false }));
  });

  it('keeps lines within the width (notes wrap under the node)', () => {
    for (const ir of [byolIr(), dinoIr(), data2vecIr()]) {
      const out = render(explain(ir), 72);
      for (const line of out.split('\n')) expect(line.length, line).toBeLessThanOrEqual(72);
    }
  });

  it('the explanation is plain JSON', () => {
    for (const ir of [byolIr(), dinoIr(), data2vecIr(), maeIr()]) {
      const x = explain(ir);
      expect(JSON.parse(JSON.stringify(x))).toEqual(x);
    }
  });

  it('states the FLOP and memory rules', () => {
    const out = render(e);
    expect(out).toMatch(/Training = forward x3 \(forward \+ backward\) for applications that get gradients, x1 for teacher/);
    expect(out).toMatch(/Activation memory: float32/);
  });
});
