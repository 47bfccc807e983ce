/**
 * `mlp` stage: flatten, then dense layers; every layer but the last is followed by optional
 * batch norm and ReLU, the last is linear (a projector head, as in SimCLR's g(.)).
 *
 *   x: [B, ...inputShape] -> [B, D0] -> [B, w_0] -> ... -> [B, w_last]
 */
import type { Stage } from '../../compiler/ir.js';
import { tf } from '../tf.js';
import type { NormalSource } from './init.js';
import { checkInput, createWeightLayer, type StageModule, type WeightLayer } from './stage.js';

type MlpStage = Extract<Stage, { kind: 'mlp' }>;

export function createMlp(stage: MlpStage, prefix: string, rng: NormalSource): StageModule {
  if (stage.activation !== 'relu') throw new Error(`${prefix}: unsupported activation '${stage.activation as string}'`);
  if (stage.widths.length === 0) throw new Error(`${prefix}: mlp needs at least one width`);
  const inputDim = stage.inputShape.reduce((a, b) => a * b, 1);
  const layers: WeightLayer[] = [];
  const trainable: tf.Variable[] = [];
  const state: tf.Variable[] = [];
  const biasOrNorm = new Set<string>();
  let din = inputDim;
  stage.widths.forEach((dout, i) => {
    const last = i === stage.widths.length - 1;
    // kernel [Din, Dout]
    layers.push(createWeightLayer({ trainable, state, biasOrNorm }, prefix, `dense${i}`, [din, dout], din, !last && stage.norm === 'batch', rng));
    din = dout;
  });

  const apply = (x: tf.Tensor, training: boolean): tf.Tensor =>
    tf.tidy(() => {
      checkInput(x, stage.inputShape, prefix);
      let h = tf.reshape(x, [x.shape[0], inputDim]) as tf.Tensor2D; // [B, D0]
      layers.forEach(({ kernel, bias, bn }, i) => {
        h = tf.add(tf.matMul(h, kernel as tf.Tensor2D), bias); // [B, w_i]
        if (i < layers.length - 1) {
          if (bn) h = bn.apply(h, training) as tf.Tensor2D;
          h = tf.relu(h);
        }
      });
      return h;
    });

  return { trainable, state, biasOrNorm, apply };
}
