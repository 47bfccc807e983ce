/**
 * A `Network` of the IR as a module: variables for every stage and a forward pass returning the
 * output of every stage (probes may read an intermediate one, FeatureRef.stage).
 */
import type { LayerTarget, Network } from '../../compiler/ir.js';
import { tf } from '../tf.js';
import type { Rng } from '../util/rng.js';
import { createConv1d } from './conv1d.js';
import { createConvnet } from './convnet.js';
import { layerTarget } from './layer-target.js';
import { maskInput, type MaskGeometry } from './mask-input.js';
import { createMlp } from './mlp.js';
import { createNormalize } from './normalize.js';
import { createResnet } from './resnet.js';
import type { StageModule } from './stage.js';
import { createTransformer, type TransformerModule } from './transformer.js';

export interface ApplyOptions {
  /**
   * [B, tokens] of 0/1, 1 = hidden. A network whose first stage is a transformer replaces the
   * hidden tokens' patch embeddings by its learned mask token (BEiT / data2vec), before adding
   * the position embeddings. Any other network sees zeros at the input elements of hidden tokens
   * (expanded with `maskSpec`, or square patches / equal windows inferred from the shapes).
   */
  mask?: tf.Tensor;
  /**
   * data2vec layer targets: the last stage must be a transformer; the last returned output is
   * replaced by the mean of its last `top` blocks' outputs (residual stream after each block,
   * before the final layer norm), each instance-normalised over tokens first when norm =
   * 'instance'. Shape [B, tokens, dim]: the stage's `pool` is ignored.
   */
  layers?: LayerTarget;
  /** Token grid and patch size of the mask (MaskSpec's grid / patch), for non-transformer networks. */
  maskSpec?: MaskGeometry;
}

export interface NetworkModule {
  name: string;
  /**
   * Trainable variables, named `${net}/${stageIndex}/...`: conv / dense layers
   * `{conv,dense}${i}/{kernel,bias}` with norms `{bn,ln}${i}/{gamma,beta}`; resnet and transformer
   * layouts in resnet.ts / transformer.ts.
   */
  trainable: tf.Variable[];
  /** Non-trained variables: batch-norm running mean / variance (`.../bn${i}/moving_{mean,variance}`). */
  state: tf.Variable[];
  /** Number of trainable scalars. */
  paramCount: number;
  /**
   * Outputs of every stage, last = network output. training=true uses batch statistics and
   * updates the running statistics (by assignment, so it may run inside tf.variableGrads).
   * The returned tensors belong to the caller.
   */
  apply(x: tf.Tensor, training: boolean, options?: ApplyOptions): tf.Tensor[];
  /** True for biases and norm (batch / layer) gamma/beta (LARS / weight-decay exclusion). */
  isBiasOrNorm(v: tf.Variable): boolean;
  /** Disposes every variable (their names become free again). */
  dispose(): void;
}

export interface CreateNetworkOptions {
  /**
   * Whether a first-stage transformer gets a learned mask token (`${net}/0/mask_token`, [dim]).
   * Default true. Without masked applications it never receives a gradient (the optimizers skip
   * variables without one) but it is counted in paramCount.
   */
  maskToken?: boolean;
}

/**
 * Builds the module for `net`; weights are drawn from `rng` (host-side, so a seed fixes the
 * initial weights on every backend): conv / dense kernels He-normal, transformer linear layers
 * Xavier-normal, biases zero, norm gamma one / beta zero.
 */
export function createNetwork(net: Network, rng: Rng, options: CreateNetworkOptions = {}): NetworkModule {
  const stages: StageModule[] = [];
  try {
    net.stages.forEach((stage, i) => {
      const prefix = `${net.name}/${i}`;
      switch (stage.kind) {
        case 'convnet':
          stages.push(createConvnet(stage, prefix, rng));
          break;
        case 'resnet':
          stages.push(createResnet(stage, prefix, rng));
          break;
        case 'transformer':
          stages.push(createTransformer(stage, prefix, rng, { maskToken: i === 0 && (options.maskToken ?? true) }));
          break;
        case 'conv1d':
          stages.push(createConv1d(stage, prefix, rng));
          break;
        case 'mlp':
          stages.push(createMlp(stage, prefix, rng));
          break;
        case 'normalize':
          stages.push(createNormalize(stage, prefix));
          break;
        default:
          throw new Error(`${prefix}: unknown stage kind '${(stage as { kind: string }).kind}'`);
      }
    });
  } catch (e) {
    for (const s of stages) for (const v of [...s.trainable, ...s.state]) v.dispose();
    throw e;
  }
  const trainable = stages.flatMap((s) => s.trainable);
  const state = stages.flatMap((s) => s.state);
  const biasOrNorm = new Set(stages.flatMap((s) => [...s.biasOrNorm]));
  const firstIsTransformer = net.stages[0]?.kind === 'transformer';
  let disposed = false;

  return {
    name: net.name,
    trainable,
    state,
    paramCount: trainable.reduce((n, v) => n + v.size, 0),
    apply(x, training, options = {}) {
      if (disposed) throw new Error(`network '${net.name}' was disposed`);
      const { mask, layers, maskSpec } = options;
      const last = net.stages.length - 1;
      if (layers && net.stages[last].kind !== 'transformer') {
        throw new Error(`network '${net.name}': layer targets need a transformer as the last stage, got '${net.stages[last].kind}'`);
      }
      return tf.tidy(() => {
        const outputs: tf.Tensor[] = [];
        let h = x;
        if (mask && !firstIsTransformer) h = maskInput(h, mask, net.stages[0].inputShape, maskSpec);
        stages.forEach((s, i) => {
          const stageOptions = i === 0 && firstIsTransformer && mask ? { mask } : undefined;
          if (i === last && layers) {
            const blocks = (s as TransformerModule).blocks(h, training, stageOptions);
            h = layerTarget(blocks, layers.top, layers.norm);
          } else {
            h = s.apply(h, training, stageOptions);
          }
          outputs.push(h);
        });
        return outputs;
      });
    },
    isBiasOrNorm: (v) => biasOrNorm.has(v.name),
    dispose() {
      if (disposed) return;
      disposed = true;
      for (const v of [...trainable, ...state]) v.dispose();
    },
  };
}
