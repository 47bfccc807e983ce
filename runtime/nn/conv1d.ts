/**
 * `conv1d` stage for sequences [T, C]: per layer a 1-D convolution (kernel k, stride s, 'same'
 * padding: T -> ceil(T / s)) + bias, optional norm (batch over B * T, or layer norm over the
 * channels of each step), activation; then pool 'mean' over time -> [B, C_last], or 'none' ->
 * [B, T', C_last].
 *
 * Computed as conv2d over [B, 1, T, C] with a [1, k, Cin, Cout] kernel, so training on wasm goes
 * through the project's conv2d gradient kernels (runtime/backend/wasm-conv-grads.ts); the stock
 * wasm backend has no Conv2DBackpropFilter. The kernel variable is stored as [k, Cin, Cout]
 * (tf.conv1d's layout).
 *
 * Inputs of any length with the stage's channel count are accepted ([B, t, C]), like convnet.
 */
import type { Stage } from '../../compiler/ir.js';
import { tf } from '../tf.js';
import { activate, checkActivation } from './activation.js';
import type { NormalSource } from './init.js';
import { checkInput, createWeightLayer, disposeStageVars, emptyStageVars, type StageModule, type WeightLayer } from './stage.js';
import { convLayer } from './convnet.js';

type Conv1dStage = Extract<Stage, { kind: 'conv1d' }>;

export function createConv1d(stage: Conv1dStage, prefix: string, rng: NormalSource): StageModule {
  if (stage.inputShape.length !== 2) throw new Error(`${prefix}: conv1d needs a [T, C] input, got [${stage.inputShape}]`);
  if (stage.channels.length === 0) throw new Error(`${prefix}: conv1d needs at least one layer`);
  checkActivation(stage.activation, prefix);
  const k = stage.kernel;
  const layers: WeightLayer[] = [];
  const vars = emptyStageVars();
  try {
    let cin = stage.inputShape[1];
    stage.channels.forEach((cout, i) => {
      layers.push(createWeightLayer(vars, prefix, `conv${i}`, [k, cin, cout], k * cin, stage.norm, rng));
      cin = cout;
    });
  } catch (e) {
    disposeStageVars(vars);
    throw e;
  }

  const apply = (x: tf.Tensor, training: boolean): tf.Tensor =>
    tf.tidy(() => {
      const [T, C] = stage.inputShape;
      const anyLength = x.rank === 3 && x.shape[2] === C;
      if (!anyLength) checkInput(x, stage.inputShape, prefix);
      const B = x.shape[0];
      const t0: number = anyLength ? x.shape[1]! : T;
      let h = tf.reshape(x, [B, 1, t0, C]) as tf.Tensor4D; // [B, 1, T, C]
      for (const layer of layers) {
        // The stored [k, Cin, Cout] kernel seen as a 1 x k conv2d kernel: convnet's layer does the rest.
        const [k0, cin, cout] = layer.kernel.shape as [number, number, number];
        const kernel = tf.reshape(layer.kernel, [1, k0, cin, cout]);
        h = activate(convLayer(h, { ...layer, kernel }, [1, stage.stride], training), stage.activation); // [B, 1, ceil(T/s), Cout]
      }
      const [, , t, c] = h.shape;
      return stage.pool === 'mean' ? tf.mean(h, [1, 2]) : tf.reshape(h, [B, t, c]);
    });

  return { ...vars, apply };
}
