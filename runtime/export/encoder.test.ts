/** Which encoder `ssl export` / `ssl embed` take from a recipe, on the shipped recipes' IR. */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { compile } from '../../compiler/index.js';
import type { IR } from '../../compiler/ir.js';
import { closest, ExportError, resolveEncoder } from './encoder.js';

function recipe(path: string): IR {
  const { ir, diagnostics } = compile(readFileSync(path, 'utf8'), path);
  expect(diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
  return ir!;
}

const pick = ({ chain, network, stage, dim, inputShape }: ReturnType<typeof resolveEncoder>) => ({ chain, network, stage, dim, inputShape });

describe('resolveEncoder', () => {
  it("defaults to what the probes read: SimCLR's encoder, before the projector", () => {
    const ref = resolveEncoder(recipe('recipes/simclr.ssl'));
    expect(pick(ref)).toEqual({ chain: ['encoder'], network: 'encoder', stage: 0, dim: 128, inputShape: [28, 28, 1] });
    expect(ref.origin).toMatch(/^the features the recipe's probes read/);
  });

  it("DINO's probes read stage 0 of the student (the conv net), not its head", () => {
    const ir = recipe('recipes/dino.ssl');
    expect(pick(resolveEncoder(ir))).toEqual({ chain: ['student'], network: 'student', stage: 0, dim: 128, inputShape: [28, 28, 1] });
    // --network student: the whole network, head and normalisation included.
    expect(pick(resolveEncoder(ir, 'student'))).toMatchObject({ chain: ['student'], stage: 3, dim: ir.networks.student!.outputShape[0] });
  });

  it('a per-token transformer (MAE) gives its token width: tokens are averaged', () => {
    expect(pick(resolveEncoder(recipe('recipes/mae.ssl')))).toEqual({ chain: ['encoder'], network: 'encoder', stage: 0, dim: 64, inputShape: [28, 28, 1] });
  });

  it('--network NAME brings the networks that feed NAME in the training graph', () => {
    expect(pick(resolveEncoder(recipe('recipes/simclr.ssl'), 'projector'))).toEqual({
      chain: ['encoder', 'projector'],
      network: 'projector',
      stage: 0,
      dim: 128,
      inputShape: [28, 28, 1],
    });
    expect(resolveEncoder(recipe('recipes/byol.ssl'), 'predictor').chain).toEqual(['online', 'predictor']);
    // MAE's decoder reads the encoder's tokens.
    expect(resolveEncoder(recipe('recipes/mae.ssl'), 'decoder')).toMatchObject({ chain: ['encoder', 'decoder'], stage: 1, dim: 16 });
  });

  it('refuses a teacher (its weights are not in the run folder) and names its student', () => {
    expect(() => resolveEncoder(recipe('recipes/byol.ssl'), 'target')).toThrow(ExportError);
    expect(() => resolveEncoder(recipe('recipes/byol.ssl'), 'target')).toThrow("'target' is a teacher (an EMA copy of 'online'); the run folder keeps the weights of the trained networks only, choose --network online");
  });

  it('refuses an unknown network with the closest name', () => {
    expect(() => resolveEncoder(recipe('recipes/simclr.ssl'), 'encodr')).toThrow("recipe 'simclr' has no network 'encodr' (did you mean 'encoder'?); its networks are 'encoder', 'projector'");
    expect(() => resolveEncoder(recipe('recipes/simclr.ssl'), 'zzz')).toThrow(/^recipe 'simclr' has no network 'zzz'; its networks/);
  });

  it('without probes, takes the network applied to the training views', () => {
    const ir = { ...recipe('recipes/simclr.ssl'), probes: [] };
    const ref = resolveEncoder(ir);
    expect(pick(ref)).toEqual({ chain: ['encoder'], network: 'encoder', stage: 0, dim: 128, inputShape: [28, 28, 1] });
    expect(ref.origin).toBe("the network applied to the training data ('encoder')");
  });
});

describe('closest', () => {
  it('suggests within a small edit distance only', () => {
    expect(closest('projecter', ['encoder', 'projector'])).toBe('projector');
    expect(closest('x', ['encoder', 'projector'])).toBeUndefined();
  });
});
