/**
 * A `Network` of the IR as a module: variables for every stage and a forward pass returning the
 * output of every stage (probes may read an intermediate one, FeatureRef.stage).
 */
import type { Network } from '../../compiler/ir.js';
import { tf } from '../tf.js';
import { createConvnet } from './convnet.js';
import type { Rng } from '../util/rng.js';
import { createMlp } from './mlp.js';
import type { StageModule } from './stage.js';

export interface NetworkModule {
  name: string;
  /** Trainable variables, named `${net}/${stageIndex}/{conv,dense}${i}/{kernel,bias}`, `.../bn${i}/{gamma,beta}`. */
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
  apply(x: tf.Tensor, training: boolean): tf.Tensor[];
  /** True for biases and batch-norm gamma/beta (LARS / weight-decay exclusion). */
  isBiasOrNorm(v: tf.Variable): boolean;
  /** Disposes every variable (their names become free again). */
  dispose(): void;
}

/**
 * Builds the module for `net`; weights are He-normal draws from `rng` (host-side, so a seed fixes the
 * initial weights on every backend), biases zero, batch-norm gamma one / beta zero.
 */
export function createNetwork(net: Network, rng: Rng): NetworkModule {
  const stages: StageModule[] = [];
  try {
    net.stages.forEach((stage, i) => {
      const prefix = `${net.name}/${i}`;
      switch (stage.kind) {
        case 'convnet':
          stages.push(createConvnet(stage, prefix, rng));
          break;
        case 'mlp':
          stages.push(createMlp(stage, prefix, rng));
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
  let disposed = false;

  return {
    name: net.name,
    trainable,
    state,
    paramCount: trainable.reduce((n, v) => n + v.size, 0),
    apply(x, training) {
      if (disposed) throw new Error(`network '${net.name}' was disposed`);
      return tf.tidy(() => {
        const outputs: tf.Tensor[] = [];
        let h = x;
        for (const s of stages) {
          h = s.apply(h, training);
          outputs.push(h);
        }
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
