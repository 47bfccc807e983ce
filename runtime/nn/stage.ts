/** What every stage builder returns: its variables and a forward function. */
import type { tf } from '../tf.js';
import { createBatchNorm, type BatchNorm } from './batch-norm.js';
import { constantVariable, heNormalVariable, type NormalSource } from './init.js';

export interface StageModule {
  trainable: tf.Variable[];
  /** Non-trained variables (batch-norm running statistics). */
  state: tf.Variable[];
  /** Names of trainable biases and norm parameters (excluded from LARS adaptation / decay). */
  biasOrNorm: Set<string>;
  apply(x: tf.Tensor, training: boolean): tf.Tensor;
}

/** Batch size times the product of `shape`, checking the trailing dims match it. */
export function checkInput(x: tf.Tensor, shape: number[], where: string): void {
  const perExample = shape.reduce((a, b) => a * b, 1);
  const got = x.shape.slice(1).reduce((a, b) => a * b, 1);
  if (x.rank < 2 || got !== perExample) {
    throw new Error(`${where}: expected input [B, ${shape.join(', ')}], got [${x.shape.join(', ')}]`);
  }
}

/** One weight layer: a He-initialised kernel, a zero bias and an optional batch norm after it. */
export interface WeightLayer {
  kernel: tf.Variable;
  bias: tf.Variable;
  bn: BatchNorm | null;
}

/**
 * Creates a weight layer named `${prefix}/${name}/...` and registers its variables with the
 * stage: kernel and bias trainable, norm gamma/beta trainable, running statistics as state.
 */
export function createWeightLayer(
  module: Pick<StageModule, 'trainable' | 'state' | 'biasOrNorm'>,
  prefix: string,
  name: string,
  kernelShape: number[],
  fanIn: number,
  withNorm: boolean,
  rng: NormalSource,
): WeightLayer {
  const outputs = kernelShape[kernelShape.length - 1];
  const kernel = heNormalVariable(`${prefix}/${name}/kernel`, kernelShape, fanIn, rng);
  const bias = constantVariable(`${prefix}/${name}/bias`, [outputs], 0, true);
  module.trainable.push(kernel, bias);
  module.biasOrNorm.add(bias.name);
  const bn = withNorm ? createBatchNorm(`${prefix}/bn${name.replace(/^\D+/, '')}`, outputs) : null;
  if (bn) {
    module.trainable.push(bn.gamma, bn.beta);
    module.state.push(bn.movingMean, bn.movingVariance);
    module.biasOrNorm.add(bn.gamma.name).add(bn.beta.name);
  }
  return { kernel, bias, bn };
}
