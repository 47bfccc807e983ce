/**
 * `convnet` stage: per layer conv2d (kernel k, stride s, 'same' padding) + bias, optional batch
 * norm, ReLU; then global average pooling over H, W.
 *
 *   x: [B, H, W, C0] -> ... -> [B, H_L, W_L, C_L] -> mean over (H, W) -> [B, C_L]
 *
 * With stride s and 'same' padding each layer maps H to ceil(H / s).
 */
import type { Stage } from '../../compiler/ir.js';
import { tf } from '../tf.js';
import { createBatchNorm, type BatchNorm } from './batch-norm.js';
import { constantVariable, heNormalVariable, type NormalSource } from './init.js';
import { checkInput, type StageModule } from './stage.js';

type ConvStage = Extract<Stage, { kind: 'convnet' }>;

export function createConvnet(stage: ConvStage, prefix: string, rng: NormalSource): StageModule {
  if (stage.inputShape.length !== 3) throw new Error(`${prefix}: convnet needs an [H, W, C] input, got [${stage.inputShape}]`);
  if (stage.activation !== 'relu') throw new Error(`${prefix}: unsupported activation '${stage.activation as string}'`);
  const k = stage.kernel;
  const layers: { kernel: tf.Variable; bias: tf.Variable; bn: BatchNorm | null }[] = [];
  const trainable: tf.Variable[] = [];
  const state: tf.Variable[] = [];
  const biasOrNorm = new Set<string>();
  let cin = stage.inputShape[2];
  stage.channels.forEach((cout, i) => {
    const kernel = heNormalVariable(`${prefix}/conv${i}/kernel`, [k, k, cin, cout], k * k * cin, rng); // [k, k, Cin, Cout]
    const bias = constantVariable(`${prefix}/conv${i}/bias`, [cout], 0, true);
    const bn = stage.norm === 'batch' ? createBatchNorm(`${prefix}/bn${i}`, cout) : null;
    trainable.push(kernel, bias);
    biasOrNorm.add(bias.name);
    if (bn) {
      trainable.push(bn.gamma, bn.beta);
      state.push(bn.movingMean, bn.movingVariance);
      biasOrNorm.add(bn.gamma.name).add(bn.beta.name);
    }
    layers.push({ kernel, bias, bn });
    cin = cout;
  });

  const apply = (x: tf.Tensor, training: boolean): tf.Tensor =>
    tf.tidy(() => {
      checkInput(x, stage.inputShape, prefix);
      const [H, W, C] = stage.inputShape;
      let h = tf.reshape(x, [x.shape[0], H, W, C]) as tf.Tensor4D; // [B, H, W, C]
      for (const { kernel, bias, bn } of layers) {
        h = tf.add(tf.conv2d(h, kernel as tf.Tensor4D, stage.stride, 'same'), bias); // [B, ceil(H/s), ceil(W/s), Cout]
        if (bn) h = bn.apply(h, training) as tf.Tensor4D;
        h = tf.relu(h);
      }
      return tf.mean(h, [1, 2]); // [B, C_L]
    });

  return { trainable, state, biasOrNorm, apply };
}
