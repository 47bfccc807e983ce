import { describe, expect, it } from 'vitest';
import { compile, formatDiagnostic, type CompileResult, type Diagnostic } from './index.js';
import type { IR } from './ir.js';

const SIMCLR = `recipe simclr

data train = mnist(split: "train", batch: 64, limit: 512)
data test  = mnist(split: "test", limit: 100)

view aug = random_resized_crop(28, scale: 0.4..1.0)
         | random_apply(0.8, color_jitter(brightness: 0.4, contrast: 0.4))
         | gaussian_noise(std: 0.1)

network encoder   = convnet(channels: [8, 16], kernel: 3, stride: 2)
network projector = mlp([16, 8])

let x1 = aug(train)
let x2 = aug(train)
let l  = nt_xent(projector(encoder(x1)), projector(encoder(x2)), temperature: 0.5)
loss = l

optimizer adam(lr: 1e-3)
schedule  warmup_cosine(warmup: 2 steps)
train     epochs: 1, seed: 7

probe linear(on: test, epochs: 2)
probe knn(k: 5, on: test)
`;

const BYOL = `recipe byol

data train = mnist(split: "train", batch: 64, limit: 512)
data test  = mnist(split: "test", limit: 100)

view v1 = random_resized_crop(28, scale: 0.2..1.0) | gaussian_blur(sigma: 0.1..1.0, p: 1.0)
view v2 = random_resized_crop(28, scale: 0.2..1.0) | gaussian_blur(sigma: 0.1..1.0, p: 0.1) | gaussian_blur(p: 0.5)

network online    = convnet(channels: [8, 16], norm: batch) -> mlp([32, 16], norm: batch)
network predictor = mlp([32, 16], norm: batch)
teacher target    = ema(online, momentum: 0.99)

let x1 = v1(train)
let x2 = v2(train)
loss = cosine_regress(predictor(online(x1)), stopgrad(target(x2)))
     + cosine_regress(predictor(online(x2)), stopgrad(target(x1)))

optimizer lars(lr: 0.2, weight_decay: 1.5e-6)
train     epochs: 1

probe knn(k: 5, on: test)
`;

function run(text: string, ...overrides: string[]): CompileResult {
  return compile(text, 'r.ssl', { overrides });
}

function ok(text: string, ...overrides: string[]): IR {
  const r = run(text, ...overrides);
  const errors = r.diagnostics.filter((d) => d.severity === 'error');
  expect(errors, errors.map((d) => formatDiagnostic(d, r.sources[d.span.uri] ?? '')).join('\n')).toEqual([]);
  return r.ir!;
}

/** The only error of compiling `text` with `overrides`. */
function error(text: string, ...overrides: string[]): Diagnostic {
  const r = run(text, ...overrides);
  const errors = r.diagnostics.filter((d) => d.severity === 'error');
  expect(errors, errors.map((d) => formatDiagnostic(d, r.sources[d.span.uri] ?? '')).join('\n')).toHaveLength(1);
  expect(r.ir).toBeUndefined();
  return errors[0]!;
}

/** [uri, first column, last column + 1] of a span on line 1. */
const at = (d: Diagnostic) => [d.span.uri, d.span.start.column, d.span.end.column];

const lossNodes = (ir: IR) => ir.graph.nodes.filter((n) => n.kind === 'loss');

describe('--set: every path kind', () => {
  it('recipe=NAME', () => {
    expect(ok(SIMCLR, 'recipe=short').recipe).toBe('short');
  });

  it('train.ARG replaces an argument or adds one', () => {
    expect(ok(SIMCLR, 'train.epochs=3').train).toMatchObject({ epochs: 3, seed: 7 });
    expect(ok(BYOL, 'train.seed=5').train).toMatchObject({ epochs: 1, seed: 5 });
  });

  it('optimizer.ARG and optimizer=CALL', () => {
    expect(ok(SIMCLR, 'optimizer.lr=0.5 * batch / 256').optimizer).toMatchObject({ kind: 'adam', lr: 0.125 });
    expect(ok(SIMCLR, 'optimizer.weight_decay=1e-4').optimizer).toMatchObject({ kind: 'adam', lr: 1e-3, weightDecay: 1e-4 });
    expect(ok(SIMCLR, 'optimizer=sgd(lr: 0.1, momentum: 0.8)').optimizer).toMatchObject({ kind: 'sgd', lr: 0.1, momentum: 0.8 });
  });

  it('schedule.ARG, and schedule=CALL also when the recipe has none', () => {
    expect(ok(SIMCLR, 'schedule.warmup=4 steps').schedule).toMatchObject({ kind: 'warmup_cosine', warmupSteps: 4 });
    expect(ok(SIMCLR, 'schedule=constant()').schedule).toMatchObject({ kind: 'constant' });
    expect(ok(BYOL).schedule).toMatchObject({ kind: 'constant' });
    expect(ok(BYOL, 'schedule=warmup_cosine(warmup: 3 steps)').schedule).toMatchObject({ kind: 'warmup_cosine', warmupSteps: 3 });
  });

  it('loss.ARG reaches losses through let names; loss=EXPR replaces the loss', () => {
    expect(lossNodes(ok(SIMCLR, 'loss.temperature=0.2'))[0]).toMatchObject({ fn: 'nt_xent', params: { temperature: 0.2 } });
    const ir = ok(SIMCLR, 'loss=barlow_twins(projector(encoder(x1)), projector(encoder(x2)))');
    expect(lossNodes(ir).map((n) => n.fn)).toEqual(['barlow_twins']);
  });

  it('loss.ARG sets every loss call that takes ARG', () => {
    const text = BYOL.replace(/cosine_regress/g, 'smooth_l1');
    const ir = ok(text, 'loss.beta=0.5');
    expect(lossNodes(ir).map((n) => [n.fn, n.params['beta']])).toEqual([
      ['smooth_l1', 0.5],
      ['smooth_l1', 0.5],
    ]);
  });

  it('probe.INDEX.ARG and probe.INDEX=CALL', () => {
    const ir = ok(SIMCLR, 'probe.1.k=3', 'probe.0=knn(k: 7, on: test)');
    expect(ir.probes.map((p) => [p.kind, (p as { k?: number }).k])).toEqual([
      ['knn', 7],
      ['knn', 3],
    ]);
  });

  it('data.NAME.ARG and data.NAME=EXPR', () => {
    expect(ok(SIMCLR, 'data.train.limit=256').data['train']).toMatchObject({ limit: 256 });
    expect(ok(SIMCLR, 'data.train.batch=32').train).toMatchObject({ batch: 32, stepsPerEpoch: 16 });
    expect(ok(SIMCLR, 'data.test=mnist(split: "test", limit: 50)').data['test']).toMatchObject({ limit: 50 });
  });

  it('teacher.NAME.ARG (a ramp, too) and teacher.NAME=EXPR', () => {
    expect(ok(BYOL, 'teacher.target.momentum=0.9').teachers['target']).toMatchObject({ momentum: 0.9 });
    const ramp = ok(BYOL, 'teacher.target.momentum=0.99 -> 1.0 cosine').teachers['target']!.momentum;
    expect(ramp).toMatchObject({ kind: 'ramp', from: 0.99, to: 1 });
    expect(ok(BYOL, 'teacher.target=ema(online)').teachers['target']).toMatchObject({ momentum: 0.996 });
  });

  it('network.NAME.ARG finds the stage that takes ARG (positional arguments too)', () => {
    const ir = ok(SIMCLR, 'network.encoder.kernel=5', 'network.projector.widths=[32, 4]', 'network.projector.norm=layer');
    expect(ir.networks['encoder']!.stages[0]).toMatchObject({ kind: 'convnet', kernel: 5, channels: [8, 16] });
    expect(ir.networks['projector']!.stages[0]).toMatchObject({ kind: 'mlp', widths: [32, 4], norm: 'layer' });
    expect(ok(BYOL, 'network.online.kernel=5').networks['online']!.stages[0]).toMatchObject({ kind: 'convnet', kernel: 5 });
    expect(ok(BYOL, 'network.online.widths=[64, 16]').networks['online']!.stages[1]).toMatchObject({ kind: 'mlp', widths: [64, 16] });
  });

  it('network.NAME.STAGE.ARG picks a stage when several take ARG', () => {
    const ir = ok(BYOL, 'network.online.1.norm=layer');
    expect(ir.networks['online']!.stages.map((s) => (s as { norm: string }).norm)).toEqual(['batch', 'layer']);
    const d = error(BYOL, 'network.online.norm=none');
    expect(d.code).toBe('invalid-override');
    expect(d.message).toBe("several stages of network 'online' take 'norm' (0: convnet, 1: mlp): say which, e.g. network.online.0.norm");
    expect(at(d)).toEqual(['--set[1]', 16, 20]);
  });

  it('network.NAME=EXPR', () => {
    expect(ok(SIMCLR, 'network.projector=mlp([8])').networks['projector']!.outputShape).toEqual([8]);
  });

  it('view.NAME.OP.ARG, also inside random_apply; view.NAME.OP.INDEX.ARG when the op repeats', () => {
    const ops = ok(SIMCLR, 'view.aug.gaussian_noise.std=0.2', 'view.aug.color_jitter.brightness=0.1', 'view.aug.random_apply.p=0.5').views['aug']!.ops;
    expect(ops[1]).toMatchObject({ kind: 'random_apply', p: 0.5, ops: [{ kind: 'color_jitter', brightness: 0.1, contrast: 0.4 }] });
    expect(ops[2]).toMatchObject({ kind: 'gaussian_noise', std: 0.2 });
    const v2 = ok(BYOL, 'view.v2.gaussian_blur.1.p=0.25').views['v2']!.ops;
    expect(v2.map((o) => (o as { p?: number }).p)).toEqual([undefined, 0.1, 0.25]);
    const d = error(BYOL, 'view.v2.gaussian_blur.p=0.2');
    expect(d.message).toBe("view 'v2' has 2 'gaussian_blur' ops: say which, e.g. view.v2.gaussian_blur.0.p");
  });

  it('view.NAME=EXPR and let.NAME=EXPR', () => {
    expect(ok(SIMCLR, 'view.aug=gaussian_noise(std: 0.3)').views['aug']!.ops).toMatchObject([{ kind: 'gaussian_noise', std: 0.3 }]);
    const ir = ok(SIMCLR, 'let.x2=train', 'view.aug=gaussian_noise(std: 0.3)');
    expect(ir.graph.nodes.filter((n) => n.kind === 'view')).toHaveLength(1);
  });

  it('overrides apply in order: the later one on the same path wins', () => {
    expect(ok(SIMCLR, 'train.epochs=3', 'train.epochs=2').train.epochs).toBe(2);
  });

  it('a bare word for a quoted-string parameter is read as the string (shells eat quotes)', () => {
    expect(ok(SIMCLR, 'data.train.split=test').data['train']).toMatchObject({ split: 'test' });
    expect(ok(SIMCLR, 'data.train.split="test"').data['train']).toMatchObject({ split: 'test' });
  });
});

describe('--set: diagnostics point into the override text', () => {
  it('the override is its own source, --set[N], with its text in sources', () => {
    const r = run(SIMCLR, 'train.seed=1', 'train.epochs=0');
    expect(r.sources['--set[1]']).toBe('train.seed=1');
    expect(r.sources['--set[2]']).toBe('train.epochs=0');
    const d = r.diagnostics.find((x) => x.severity === 'error')!;
    expect(d.code).toBe('value-out-of-range');
    expect(at(d)).toEqual(['--set[2]', 14, 15]);
    expect(formatDiagnostic(d, r.sources[d.span.uri]!)).toBe(
      ["--set[2]:1:14: error[value-out-of-range]: 'epochs' of train must be >= 1 and <= 1000000, got 0", ' 1 | train.epochs=0', '   |              ^'].join('\n'),
    );
  });

  it('train.epochs=-1 is value-out-of-range at the -1', () => {
    const d = error(SIMCLR, 'train.epochs=-1');
    expect(d.code).toBe('value-out-of-range');
    expect(at(d)).toEqual(['--set[1]', 14, 16]);
  });

  it('optimizer.lrr=1 is unknown-parameter at lrr, did you mean lr', () => {
    const d = error(SIMCLR, 'optimizer.lrr=1');
    expect(d.code).toBe('unknown-parameter');
    expect(d.message).toBe("adam has no parameter 'lrr'");
    expect(at(d)).toEqual(['--set[1]', 11, 14]);
    expect(d.hint).toMatch(/^did you mean 'lr'\?/);
  });

  it('type errors go through normal validation', () => {
    const d = error(SIMCLR, 'data.train.batch="big"');
    expect(d.code).toBe('type-mismatch');
    expect(at(d)).toEqual(['--set[1]', 18, 23]);
    expect(error(SIMCLR, 'view.aug.random_apply.p=1.5').code).toBe('value-out-of-range');
    expect(at(error(SIMCLR, 'network.projector.activation=tanh'))).toEqual(['--set[1]', 30, 34]);
  });

  it('spans stay right with spaces around the value', () => {
    const d = error(SIMCLR, 'optimizer.lr=  -2');
    expect(d.code).toBe('value-out-of-range');
    expect(at(d)).toEqual(['--set[1]', 16, 18]);
  });

  it('syntax errors in the value are at their column in the override', () => {
    const r = run(SIMCLR, 'train.epochs=1 +');
    const d = r.diagnostics.find((x) => x.severity === 'error')!;
    expect(d.code).toBe('syntax-error');
    expect(d.span.uri).toBe('--set[1]');
    expect(d.span.start.column).toBe(17);
    const extra = run(SIMCLR, 'train.epochs=1 2').diagnostics.find((x) => x.severity === 'error')!;
    expect(extra.code).toBe('syntax-error');
    expect(at(extra)).toEqual(['--set[1]', 16, 17]);
  });
});

describe('--set: paths that name nothing are invalid-override, with suggestions', () => {
  const cases: [string, string, string, number, number, RegExp | undefined][] = [
    ['trian.epochs=1', SIMCLR, "unknown override path 'trian'", 1, 6, /^did you mean 'train'\?/],
    ['data.trian.limit=1', SIMCLR, "the recipe has no data 'trian'", 6, 11, /^did you mean 'train'\?\ndata names: 'train', 'test'$/],
    ['network.train.kernel=3', SIMCLR, "'train' is a data, not a network", 9, 14, /did you mean 'data.train'\?/],
    ['view.aug.colour_jitter.brightness=0.1', SIMCLR, "view 'aug' has no op 'colour_jitter'", 10, 23, /^did you mean 'color_jitter'\?/],
    ['view.aug.color_jitter=1', SIMCLR, "which argument of 'color_jitter'? write view.aug.color_jitter.ARG", 1, 22, undefined],
    ['probe.2.k=1', SIMCLR, 'there is no probe 2: they are numbered 0 to 1', 7, 8, /probes: 0: linear, 1: knn/],
    ['probe.first.k=1', SIMCLR, "expected a probe number (from 0), got 'first'", 7, 12, undefined],
    ['loss.tempreature=0.1', SIMCLR, "no loss in the loss expression takes 'tempreature' ('nt_xent')", 6, 17, /^did you mean 'temperature'\?/],
    ['network.online.2.norm=none', BYOL, "there is no stage of network 'online' 2: they are numbered 0 to 1", 16, 17, /stages of 'online': 0: convnet, 1: mlp/],
    ['network.online.depth=2', BYOL, "no stage of network 'online' takes 'depth'", 16, 21, undefined],
    ['train.epochs.x=1', SIMCLR, "unexpected 'x' after 'train.epochs'", 14, 15, /expected train.ARG/],
    ['train=1', SIMCLR, "'train' is set one argument at a time", 1, 6, /use train.epochs or train.seed/],
    ['let.x1.foo=1', SIMCLR, "unexpected 'foo' after 'let.x1'", 8, 11, undefined],
    ['train.epochs', SIMCLR, "override 'train.epochs' has no '='", 1, 13, /--set PATH=VALUE/],
    ['train.epochs=', SIMCLR, "override 'train.epochs' has no value after '='", 13, 14, undefined],
    ['train..epochs=1', SIMCLR, "override path 'train..epochs' has an empty segment", 7, 8, undefined],
    ['schedule.warmup=1 steps', BYOL, "the recipe has no 'schedule' section to override", 1, 9, /--set schedule=/],
  ];
  it.each(cases)('%s', (override, text, message, from, to, hint) => {
    const d = error(text, override);
    expect(d.code).toBe('invalid-override');
    expect(d.message).toBe(message);
    expect(at(d)).toEqual(['--set[1]', from, to]);
    if (hint) expect(d.hint).toMatch(hint);
  });

  it('an invalid override does not stop the others, nor the checks of the recipe', () => {
    const r = run(SIMCLR, 'trian.epochs=1', 'optimizer.lr=-1');
    expect(r.diagnostics.filter((d) => d.severity === 'error').map((d) => [d.code, d.span.uri])).toEqual([
      ['invalid-override', '--set[1]'],
      ['value-out-of-range', '--set[2]'],
    ]);
  });

  it('both a bad path and a bad value are reported', () => {
    const r = run(SIMCLR, 'trian.epochs=(');
    expect(r.diagnostics.map((d) => d.code).sort()).toEqual(['invalid-override', 'syntax-error']);
  });
});
