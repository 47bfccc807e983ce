/**
 * `mlp` stage: dense layers; every layer but the last is followed by optional norm (batch, or
 * layer norm with learned gamma/beta) and an activation (ReLU / GELU); the last is linear (a
 * projector head, as in SimCLR's g(.)).
 *
 * Per-example input of rank 2 [T, D] (tokens, e.g. a transformer with pool 'none') is transformed
 * token by token; batch norm then normalises over all B * T tokens:
 *   x: [B, T, D] -> [B * T, D] -> ... -> [B * T, w_last] -> [B, T, w_last]
 * Any other input is flattened first:
 *   x: [B, ...inputShape] -> [B, D0] -> [B, w_0] -> ... -> [B, w_last]
 */
import type { Stage } from '../../compiler/ir.js';
import { tf } from '../tf.js';
import { activate, checkActivation } from './activation.js';
import type { NormalSource } from './init.js';
import { checkInput, createWeightLayer, dense, disposeStageVars, emptyStageVars, type StageModule, type WeightLayer } from './stage.js';

type MlpStage = Extract<Stage, { kind: 'mlp' }>;

export function createMlp(stage: MlpStage, prefix: string, rng: NormalSource): StageModule {
  checkActivation(stage.activation, prefix);
  if (stage.widths.length === 0) throw new Error(`${prefix}: mlp needs at least one width`);
  const tokenwise = stage.inputShape.length === 2;
  const inputDim = tokenwise ? stage.inputShape[1] : stage.inputShape.reduce((a, b) => a * b, 1);
  const layers: WeightLayer[] = [];
  const vars = emptyStageVars();
  try {
    let din = inputDim;
    stage.widths.forEach((dout, i) => {
      const last = i === stage.widths.length - 1;
      // kernel [Din, Dout]
      layers.push(createWeightLayer(vars, prefix, `dense${i}`, [din, dout], din, last ? 'none' : stage.norm, rng));
      din = dout;
    });
  } catch (e) {
    disposeStageVars(vars);
    throw e;
  }

  const apply = (x: tf.Tensor, training: boolean): tf.Tensor =>
    tf.tidy(() => {
      checkInput(x, stage.inputShape, prefix);
      const B = x.shape[0];
      let h = tf.reshape(x, [-1, inputDim]) as tf.Tensor2D; // [B, D0] or [B * T, D]
      layers.forEach(({ kernel, bias, norm }, i) => {
        h = dense(h, kernel, bias) as tf.Tensor2D; // [N, w_i]
        if (i < layers.length - 1) {
          if (norm) h = norm.apply(h, training) as tf.Tensor2D;
          h = activate(h, stage.activation);
        }
      });
      return tokenwise ? tf.reshape(h, [B, stage.inputShape[0], h.shape[1]]) : h;
    });

  return { ...vars, apply };
}
