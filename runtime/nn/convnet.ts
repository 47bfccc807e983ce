/**
 * `convnet` stage: per layer conv2d (kernel k, stride s, 'same' padding) + bias, optional norm
 * (batch, or layer norm over the channels of each pixel), activation (ReLU / GELU); then global
 * average pooling over H, W.
 *
 *   x: [B, H, W, C0] -> ... -> [B, H_L, W_L, C_L] -> mean over (H, W) -> [B, C_L]
 *
 * With stride s and 'same' padding each layer maps H to ceil(H / s).
 */
import type { Stage } from '../../compiler/ir.js';
import { tf } from '../tf.js';
import { activate, checkActivation } from './activation.js';
import type { NormalSource } from './init.js';
import { checkInput, createWeightLayer, disposeStageVars, emptyStageVars, type StageModule, type WeightLayer } from './stage.js';

type ConvStage = Extract<Stage, { kind: 'convnet' }>;

/**
 * Brings x to [B, h, w, C]: any 4-D input with the stage's channel count is accepted as is
 * (global average pooling makes the net size-agnostic: probes may feed full-size images to an
 * encoder trained on smaller crops); anything else must hold exactly `inputShape` per example.
 */
export function toImage(x: tf.Tensor, inputShape: number[], where: string): tf.Tensor4D {
  const [H, W, C] = inputShape;
  if (x.rank === 4 && x.shape[3] === C) return x as tf.Tensor4D;
  checkInput(x, inputShape, where);
  return tf.reshape(x, [x.shape[0], H, W, C]);
}

/** conv2d ('same') + optional bias + optional norm, no activation. */
export function convLayer(
  h: tf.Tensor4D,
  { kernel, bias, norm }: Pick<WeightLayer, 'bias' | 'norm'> & { kernel: tf.Tensor },
  stride: number | [number, number],
  training: boolean,
): tf.Tensor4D {
  let y: tf.Tensor4D = tf.conv2d(h, kernel as tf.Tensor4D, stride, 'same');
  if (bias) y = tf.add(y, bias);
  if (norm) y = norm.apply(y, training) as tf.Tensor4D;
  return y;
}

export function createConvnet(stage: ConvStage, prefix: string, rng: NormalSource): StageModule {
  if (stage.inputShape.length !== 3) throw new Error(`${prefix}: convnet needs an [H, W, C] input, got [${stage.inputShape}]`);
  checkActivation(stage.activation, prefix);
  const k = stage.kernel;
  const layers: WeightLayer[] = [];
  const vars = emptyStageVars();
  try {
    let cin = stage.inputShape[2];
    stage.channels.forEach((cout, i) => {
      // kernel [k, k, Cin, Cout]
      layers.push(createWeightLayer(vars, prefix, `conv${i}`, [k, k, cin, cout], k * k * cin, stage.norm, rng));
      cin = cout;
    });
  } catch (e) {
    disposeStageVars(vars);
    throw e;
  }

  const apply = (x: tf.Tensor, training: boolean): tf.Tensor =>
    tf.tidy(() => {
      let h = toImage(x, stage.inputShape, prefix); // [B, h, w, C]
      for (const layer of layers) h = activate(convLayer(h, layer, stage.stride, training), stage.activation); // [B, ceil(h/s), ceil(w/s), Cout]
      return tf.mean(h, [1, 2]); // [B, C_L]
    });

  return { ...vars, apply };
}
