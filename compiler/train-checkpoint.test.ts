/** The train statement's checkpoint settings: `checkpoint_every` (a duration) and `keep_checkpoints`, lowered into ir.train.checkpoint. */
import { describe, expect, it } from 'vitest';
import { compile } from './index.js';

const recipe = (train: string) => `recipe t
data train = mnist(split: "train", batch: 100, limit: 1000)
view aug = random_resized_crop(28)
network enc = mlp([16])
loss = nt_xent(enc(aug(train)), enc(aug(train)))
optimizer adam(lr: 1e-3)
train ${train}
`;

const checkpointOf = (train: string) => {
  const { ir, diagnostics } = compile(recipe(train), 't.ssl');
  expect(diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
  return ir!.train.checkpoint;
};
const codesOf = (train: string) => compile(recipe(train), 't.ssl').diagnostics.map((d) => [d.code, d.span.start.line, d.span.start.column]);

describe('train checkpoint_every / keep_checkpoints', () => {
  it('defaults to a checkpoint every epoch, keeping 2', () => {
    expect(checkpointOf('epochs: 3')).toEqual({ everySteps: 10, keep: 2 }); // 1000 / 100 steps an epoch
  });

  it('takes steps or epochs (a fraction of an epoch is at least one step); 0 means only at the end', () => {
    expect(checkpointOf('epochs: 3, checkpoint_every: 25 steps, keep_checkpoints: 5')).toEqual({ everySteps: 25, keep: 5 });
    expect(checkpointOf('epochs: 3, checkpoint_every: 2 epochs')).toEqual({ everySteps: 20, keep: 2 });
    expect(checkpointOf('epochs: 3, checkpoint_every: 0.25 epochs')).toEqual({ everySteps: 3, keep: 2 }); // round(2.5)
    expect(checkpointOf('epochs: 3, checkpoint_every: 0.01 epochs')).toEqual({ everySteps: 1, keep: 2 });
    expect(checkpointOf('epochs: 3, checkpoint_every: 0')).toEqual({ everySteps: 0, keep: 2 });
  });

  it('rejects a fractional number of steps, a number without a unit, a negative interval and keeping none', () => {
    expect(codesOf('epochs: 3, checkpoint_every: 2.5 steps')).toEqual([['type-mismatch', 7, 18]]);
    expect(codesOf('epochs: 3, checkpoint_every: 500')[0]?.[0]).toBe('type-mismatch');
    expect(codesOf('epochs: 3, checkpoint_every: -1 steps')[0]?.[0]).toBe('type-mismatch'); // cannot negate a duration
    expect(codesOf('epochs: 3, keep_checkpoints: 0')[0]?.[0]).toBe('value-out-of-range');
  });

  it('suggests the parameter for a misspelling', () => {
    const { diagnostics } = compile(recipe('epochs: 3, checkpoint_evry: 5 steps'), 't.ssl');
    expect(diagnostics[0]).toMatchObject({ code: 'unknown-parameter' });
    expect(diagnostics[0]!.hint).toMatch(/checkpoint_every/);
  });
});
