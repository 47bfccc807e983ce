import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { compile, validateIr } from './index.js';
import type { GraphNode, IR } from './ir.js';

const quickstart = readFileSync(new URL('../examples/quickstart.ssl', import.meta.url), 'utf8');

function ok(text: string): IR {
  const r = compile(text, 'test.ssl');
  const errors = r.diagnostics.filter((d) => d.severity === 'error');
  expect(errors, JSON.stringify(errors.map((d) => `${d.span.start.line}: ${d.code}: ${d.message}`))).toEqual([]);
  expect(r.ir).toBeDefined();
  expect(validateIr(r.ir)).toEqual([]);
  return r.ir!;
}

const nodesOf = (ir: IR, kind: GraphNode['kind']) => ir.graph.nodes.filter((n) => n.kind === kind);

const minimal = (body: string) => `recipe t
data train = mnist(split: "train", batch: 100)
data test = mnist(split: "test")
view aug = gaussian_noise(std: 0.1)
network enc = mlp([32, 16])
${body}
optimizer sgd(lr: 0.1)
train epochs: 2
probe knn(on: test)
`;

describe('compile: the quickstart', () => {
  const ir = ok(quickstart);

  it('derives training quantities', () => {
    expect(ir.train).toMatchObject({ epochs: 1, seed: 0, data: 'train', batch: 256, stepsPerEpoch: 234, totalSteps: 234 });
    expect(ir.schedule).toMatchObject({ kind: 'warmup_cosine', warmupSteps: 10, totalSteps: 234, finalLr: 0 });
    expect(ir.optimizer).toMatchObject({ kind: 'adam', lr: 1e-3, beta1: 0.9, beta2: 0.999, epsilon: 1e-8, weightDecay: 0 });
  });

  it('builds the SimCLR graph: one batch, two independent draws, shared networks', () => {
    expect(nodesOf(ir, 'batch')).toHaveLength(1);
    expect(nodesOf(ir, 'view')).toHaveLength(2);
    expect(nodesOf(ir, 'apply').map((n) => (n as { network: string }).network)).toEqual(['encoder', 'projector', 'encoder', 'projector']);
    const loss = ir.graph.nodes[ir.graph.loss]!;
    expect(loss).toMatchObject({ kind: 'loss', fn: 'nt_xent', params: { temperature: 0.5 }, shape: [] });
    ir.graph.nodes.forEach((n, i) => expect(n.id).toBe(i));
    // inputs come before their consumers
    for (const n of ir.graph.nodes) {
      const inputs = 'input' in n ? [n.input] : n.kind === 'loss' ? Object.values(n.inputs).flat() : n.kind === 'sum' ? n.inputs : [];
      for (const i of inputs) expect(i).toBeLessThan(n.id);
    }
  });

  it('infers shapes through views and networks', () => {
    expect(ir.views['aug']!.outputShape).toEqual([28, 28, 1]);
    expect(ir.networks['encoder']).toMatchObject({ inputShape: [28, 28, 1], outputShape: [128] });
    expect(ir.networks['encoder']!.stages[0]).toMatchObject({ kind: 'convnet', channels: [32, 64, 128], kernel: 3, stride: 2, norm: 'none', activation: 'relu' });
    expect(ir.networks['projector']).toMatchObject({ inputShape: [128], outputShape: [64] });
  });

  it('fills probe defaults and finds the backbone', () => {
    expect(ir.probes).toHaveLength(2);
    expect(ir.probes[0]).toMatchObject({ kind: 'linear', l2: 1e-4, epochs: 20, features: { network: 'encoder', stage: 0, dim: 128 } });
    expect(ir.probes[1]).toMatchObject({ kind: 'knn', k: 20, temperature: 0 });
    expect(ir.probes[0]!.fit).toMatchObject({ split: 'train', size: 60000, labelFraction: 1 });
    expect(ir.probes[0]!.on).toMatchObject({ split: 'test', size: 10000, numClasses: 10 });
  });

  it('records origins that point at the recipe', () => {
    const loss = ir.graph.nodes[ir.graph.loss]!;
    expect(loss.origin.start.line).toBe(24);
    expect(ir.optimizer.origin.start.line).toBe(26);
    expect(ir.views['aug']!.ops[2]!.origin.start).toMatchObject({ line: 17, column: 12 });
  });

  it('round-trips through JSON', () => {
    expect(JSON.parse(JSON.stringify(ir))).toEqual(ir);
  });
});

describe('compile: semantics', () => {
  it('a let draw is one node wherever it is used; inline draws are independent', () => {
    const shared = ok(minimal('let x = aug(train)\nloss = nt_xent(enc(x), enc(x))'));
    expect(nodesOf(shared, 'view')).toHaveLength(1);
    const separate = ok(minimal('loss = nt_xent(enc(aug(train)), enc(aug(train)))'));
    expect(nodesOf(separate, 'view')).toHaveLength(2);
    expect(nodesOf(separate, 'batch')).toHaveLength(1);
  });

  it('weighted sums merge repeated terms and fold constants', () => {
    const ir = ok(minimal('let x1 = aug(train)\nlet x2 = aug(train)\nlet l = nt_xent(enc(x1), enc(x2))\nloss = 0.5 * l + 2 * l - nt_xent(enc(x2), enc(x1), temperature: 0.1) / 4'));
    const sum = ir.graph.nodes[ir.graph.loss]!;
    expect(sum.kind).toBe('sum');
    if (sum.kind !== 'sum') return;
    expect(sum.weights).toEqual([2.5, -0.25]);
    expect(sum.inputs.map((i) => ir.graph.nodes[i]!.kind)).toEqual(['loss', 'loss']);
  });

  it('arithmetic over batch, epochs and steps_per_epoch', () => {
    const ir = ok(
      minimal('loss = nt_xent(enc(aug(train)), enc(aug(train)))')
        .replace('sgd(lr: 0.1)', 'lars(lr: 0.3 * batch / 256, weight_decay: 1e-6 * epochs)\nschedule warmup_cosine(warmup: steps_per_epoch / 2 * 1 steps, final_lr: 0)')
        .replace('warmup: steps_per_epoch / 2 * 1 steps', 'warmup: 1 epochs'),
    );
    expect(ir.optimizer).toMatchObject({ kind: 'lars', lr: (0.3 * 100) / 256, weightDecay: 2e-6, eta: 0.001, excludeBiasAndNorm: true, momentum: 0.9 });
    expect(ir.train).toMatchObject({ stepsPerEpoch: 600, totalSteps: 1200 });
    expect(ir.schedule).toMatchObject({ kind: 'warmup_cosine', warmupSteps: 600, totalSteps: 1200 });
  });

  it('durations scale by numbers and convert epochs to steps', () => {
    const ir = ok(minimal('loss = nt_xent(enc(aug(train)), enc(aug(train)))').replace('sgd(lr: 0.1)', 'sgd(lr: 0.1)\nschedule warmup_cosine(warmup: 0.5 * 1 epochs + 2 epochs / 4)'));
    expect(ir.schedule).toMatchObject({ kind: 'warmup_cosine', warmupSteps: 600 });
  });

  it('defaults to a constant schedule without an origin', () => {
    const ir = ok(minimal('loss = nt_xent(enc(aug(train)), enc(aug(train)))'));
    expect(ir.schedule).toEqual({ kind: 'constant', origin: null });
    expect(ir.optimizer).toMatchObject({ kind: 'sgd', lr: 0.1, momentum: 0.9, nesterov: false, weightDecay: 0 });
  });

  it('identifier enums are literals where the parameter is an enum, even `batch`', () => {
    const ir = ok(minimal('loss = nt_xent(enc(aug(train)), enc(aug(train)))').replace('mlp([32, 16])', 'mlp([32, 16], norm: batch)'));
    expect(ir.networks['enc']!.stages[0]).toMatchObject({ norm: 'batch' });
  });

  it('`limit:` uses the first N examples of a split; the default probe fit keeps the limit', () => {
    const ir = ok(minimal('loss = nt_xent(enc(aug(train)), enc(aug(train)))').replace('mnist(split: "train", batch: 100)', 'mnist(split: "train", batch: 100, limit: 1000)'));
    expect(ir.data['train']).toMatchObject({ size: 1000, limit: 1000 });
    expect(ir.data['test']).toMatchObject({ size: 10000, limit: null });
    expect(ir.train).toMatchObject({ stepsPerEpoch: 10, totalSteps: 20 });
    expect(ir.probes[0]!.fit).toMatchObject({ split: 'train', size: 1000, limit: 1000 });
  });

  it('a `limit:` larger than the split is value-out-of-range at the argument', () => {
    const text = minimal('loss = nt_xent(enc(aug(train)), enc(aug(train)))').replace('mnist(split: "test")', 'mnist(split: "test", limit: 20000)');
    const d = compile(text, 'test.ssl').diagnostics.filter((x) => x.severity === 'error');
    expect(d.map((x) => x.code)).toEqual(['value-out-of-range']);
    expect(d[0]!.span.start).toMatchObject({ line: 3, column: 34 }); // the `limit: 20000` argument
    expect(d[0]!.hint).toMatch(/at most limit: 10000/);
  });

  it('percentages, inline datasets and `of:` in probes', () => {
    const ir = ok(
      minimal('network head = mlp([8])\nloss = nt_xent(head(enc(aug(train))), head(enc(aug(train))))').replace(
        'probe knn(on: test)',
        'probe linear(fit: mnist(split: "train", labels: 10%), on: test, of: head, l2: 0)',
      ),
    );
    expect(ir.probes[0]).toMatchObject({ kind: 'linear', l2: 0, features: { network: 'head', stage: 0, dim: 8 } });
    expect(ir.probes[0]!.fit.labelFraction).toBeCloseTo(0.1);
  });

  it('views compose: view names splice their ops, random_apply nests ops', () => {
    const ir = ok(
      minimal('view strong = aug | random_apply(0.8, color_jitter(brightness: 0.4), gaussian_blur()) | random_flip()\nloss = nt_xent(enc(strong(train)), enc(strong(train)))'),
    );
    const ops = ir.views['strong']!.ops;
    expect(ops.map((o) => o.kind)).toEqual(['gaussian_noise', 'random_apply', 'random_flip']);
    expect(ops[1]).toMatchObject({ kind: 'random_apply', p: 0.8, ops: [{ kind: 'color_jitter', brightness: 0.4, contrast: 0 }, { kind: 'gaussian_blur', sigma: [0.1, 2], p: 1 }] });
    expect(ops[2]).toMatchObject({ horizontal: true, vertical: false, p: 0.5 });
    // `aug` itself is not drawn, so it is not in the IR (it is referred to, so no warning either)
    expect(Object.keys(ir.views)).toEqual(['strong']);
  });

  it('a single number where a range is expected means [x, x]', () => {
    const ir = ok(minimal('view v = gaussian_blur(sigma: 1)\nloss = nt_xent(enc(v(train)), enc(v(train)))'));
    expect(ir.views['v']!.ops[0]).toMatchObject({ sigma: [1, 1] });
  });

  it('networks can take raw batches and chain stages', () => {
    const ir = ok(minimal('network both = convnet(channels: [4, 8], stride: 1) -> mlp([16])\nloss = nt_xent(both(train), enc(aug(train)))'));
    expect(ir.networks['both']!.stages.map((s) => [s.inputShape, s.outputShape])).toEqual([
      [[28, 28, 1], [8]],
      [[8], [16]],
    ]);
    expect(ir.graph.nodes.find((n) => n.kind === 'apply' && n.network === 'both')).toMatchObject({ input: 0 });
  });

  it('unused definitions warn and are left out of the IR', () => {
    const r = compile(minimal('let unused = aug(train)\nloss = nt_xent(enc(aug(train)), enc(aug(train)))'), 'x.ssl');
    expect(r.ir).toBeDefined();
    expect(r.diagnostics.map((d) => d.code)).toEqual(['unused-definition']);
    expect(nodesOf(r.ir!, 'view')).toHaveLength(2);
  });
});

describe('compile: never throws', () => {
  it('returns diagnostics for garbage and odd inputs', () => {
    for (const text of ['', '\0\0\0', '(((', 'loss = loss(loss)', 'recipe', '"unterminated', '\r\n\r\nrecipe x\r\n@', '🙂 recipe']) {
      const r = compile(text, 'x.ssl');
      expect(r.ir).toBeUndefined();
      expect(r.diagnostics.length).toBeGreaterThan(0);
    }
    expect(() => compile(undefined as unknown as string, 'x')).not.toThrow();
  });

  it('validateIr reports a broken IR as invalid-ir', () => {
    const ir = ok(quickstart) as unknown as Record<string, unknown>;
    const broken = { ...ir, train: { ...(ir['train'] as object), batch: -1 }, extra: 1 };
    const diags = validateIr(broken);
    expect(diags.length).toBeGreaterThan(0);
    expect(diags.every((d) => d.code === 'invalid-ir')).toBe(true);
  });
});

describe('dependencies', () => {
  it('the compiler and grammar never import TensorFlow.js or the runtime', () => {
    for (const dir of ['../compiler/', '../compiler/validate/', '../grammar/']) {
      const url = new URL(dir, import.meta.url);
      for (const f of readdirSync(url).filter((n) => n.endsWith('.ts') && !n.endsWith('.test.ts'))) {
        const src = readFileSync(new URL(f, url), 'utf8');
        expect(src, f).not.toMatch(/from '@tensorflow|from '\.\.\/runtime|from '\.\.\/\.\.\/runtime/);
      }
    }
  });
});
