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
import type { NormalSource } from './init.js';
import { checkInput, createWeightLayer, type StageModule, type WeightLayer } from './stage.js';

type ConvStage = Extract<Stage, { kind: 'convnet' }>;

export function createConvnet(stage: ConvStage, prefix: string, rng: NormalSource): StageModule {
  if (stage.inputShape.length !== 3) throw new Error(`${prefix}: convnet needs an [H, W, C] input, got [${stage.inputShape}]`);
  if (stage.activation !== 'relu') throw new Error(`${prefix}: unsupported activation '${stage.activation as string}'`);
  const k = stage.kernel;
  const layers: WeightLayer[] = [];
  const trainable: tf.Variable[] = [];
  const state: tf.Variable[] = [];
  const biasOrNorm = new Set<string>();
  let cin = stage.inputShape[2];
  stage.channels.forEach((cout, i) => {
    // kernel [k, k, Cin, Cout]
    layers.push(createWeightLayer({ trainable, state, biasOrNorm }, prefix, `conv${i}`, [k, k, cin, cout], k * k * cin, stage.norm === 'batch', rng));
    cin = cout;
  });

  const apply = (x: tf.Tensor, training: boolean): tf.Tensor =>
    tf.tidy(() => {
      const [H, W, C] = stage.inputShape;
      // Global average pooling makes the net size-agnostic: any [B, h, w, C] is accepted (probes
      // feed full-size images to an encoder trained on smaller crops); other inputs must match.
      const anySize = x.rank === 4 && x.shape[3] === C;
      if (!anySize) checkInput(x, stage.inputShape, prefix);
      let h = (anySize ? x : tf.reshape(x, [x.shape[0], H, W, C])) as tf.Tensor4D; // [B, h, w, C]
      for (const { kernel, bias, bn } of layers) {
        h = tf.add(tf.conv2d(h, kernel as tf.Tensor4D, stage.stride, 'same'), bias); // [B, ceil(H/s), ceil(W/s), Cout]
        if (bn) h = bn.apply(h, training) as tf.Tensor4D;
        h = tf.relu(h);
      }
      return tf.mean(h, [1, 2]); // [B, C_L]
    });

  return { trainable, state, biasOrNorm, apply };
}
