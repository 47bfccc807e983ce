/**
 * `resnet` stage: a ResNet of basic blocks (He et al. 2016, arXiv:1512.03385, sec. 3-4, the
 * CIFAR-style variant without the 7x7 stem / max pool, suited to small images):
 *
 *   stem:   conv3x3 (stride 1) -> widths[0], norm, act
 *   for each width w_i, `depth` basic blocks:
 *     y = act( norm(conv3x3(act(norm(conv3x3(x, stride)))) ) + shortcut(x) )
 *     the first block of every width after the first has stride 2 and a projection shortcut
 *     norm(conv1x1(x, stride 2)) (option B of the paper); every other block has the identity.
 *   global average pooling -> [B, widths.last]
 *
 * Convolutions use 'same' padding (H -> ceil(H / s)). When a norm follows a conv the conv has
 * no bias (it would be cancelled by the norm, as in torchvision); with norm 'none' it has one.
 * Size-agnostic like `convnet`: any [B, h, w, C] with the stage's channel count is accepted.
 *
 * Variables: `${prefix}/stem/{kernel,bias}`, `${prefix}/stem_{bn,ln}/...`,
 * `${prefix}/s${i}b${j}/{conv1,conv2,proj}/...`, `${prefix}/s${i}b${j}/{bn,ln}{1,2,_proj}/...`.
 */
import type { Stage } from '../../compiler/ir.js';
import { tf } from '../tf.js';
import { activate, checkActivation } from './activation.js';
import { convLayer, toImage } from './convnet.js';
import type { NormalSource } from './init.js';
import { createWeightLayer, disposeStageVars, emptyStageVars, type StageModule, type WeightLayer } from './stage.js';

type ResnetStage = Extract<Stage, { kind: 'resnet' }>;

interface Block {
  stride: number;
  conv1: WeightLayer;
  conv2: WeightLayer;
  proj: WeightLayer | null;
}

export function createResnet(stage: ResnetStage, prefix: string, rng: NormalSource): StageModule {
  if (stage.inputShape.length !== 3) throw new Error(`${prefix}: resnet needs an [H, W, C] input, got [${stage.inputShape}]`);
  if (stage.widths.length === 0) throw new Error(`${prefix}: resnet needs at least one width`);
  if (!(stage.depth >= 1)) throw new Error(`${prefix}: resnet depth must be >= 1, got ${stage.depth}`);
  checkActivation(stage.activation, prefix);
  const vars = emptyStageVars();
  const ln = stage.norm === 'layer' ? 'ln' : 'bn';
  const opts = (normName: string) => ({ bias: stage.norm === 'none', normName });
  let stem: WeightLayer;
  const blocks: Block[] = [];
  try {
    const c0 = stage.inputShape[2];
    const w0 = stage.widths[0];
    stem = createWeightLayer(vars, prefix, 'stem', [3, 3, c0, w0], 9 * c0, stage.norm, rng, opts(`stem_${ln}`));
    let cin = w0;
    stage.widths.forEach((w, i) => {
      for (let j = 0; j < stage.depth; j++) {
        const name = `s${i}b${j}`;
        const down = i > 0 && j === 0;
        const stride = down ? 2 : 1;
        const conv1 = createWeightLayer(vars, prefix, `${name}/conv1`, [3, 3, cin, w], 9 * cin, stage.norm, rng, opts(`${name}/${ln}1`));
        const conv2 = createWeightLayer(vars, prefix, `${name}/conv2`, [3, 3, w, w], 9 * w, stage.norm, rng, opts(`${name}/${ln}2`));
        // A projection wherever the shape changes: stride 2, or a width change (never at i = 0).
        const proj = down || cin !== w
          ? createWeightLayer(vars, prefix, `${name}/proj`, [1, 1, cin, w], cin, stage.norm, rng, opts(`${name}/${ln}_proj`))
          : null;
        blocks.push({ stride, conv1, conv2, proj });
        cin = w;
      }
    });
  } catch (e) {
    disposeStageVars(vars);
    throw e;
  }

  const act = <T extends tf.Tensor>(t: T): T => activate(t, stage.activation);
  const apply = (x: tf.Tensor, training: boolean): tf.Tensor =>
    tf.tidy(() => {
      let h = act(convLayer(toImage(x, stage.inputShape, prefix), stem, 1, training)); // [B, H, W, w0]
      for (const { stride, conv1, conv2, proj } of blocks) {
        const r = convLayer(act(convLayer(h, conv1, stride, training)), conv2, 1, training);
        const shortcut = proj ? convLayer(h, proj, stride, training) : h;
        h = act(tf.add(r, shortcut));
      }
      return tf.mean(h, [1, 2]); // [B, widths.last]
    });

  return { ...vars, apply };
}
