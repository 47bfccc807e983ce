/** What every stage builder returns: its variables and a forward function; shared layer helpers. */
import type { Norm } from '../../compiler/ir.js';
import { tf } from '../tf.js';
import { createBatchNorm } from './batch-norm.js';
import { constantVariable, heNormalVariable, type NormalSource } from './init.js';
import { createLayerNorm } from './layer-norm.js';

export interface StageApplyOptions {
  /**
   * [B, tokens] of 0/1, 1 = hidden: only a transformer stage reads it (hidden tokens become its
   * learned mask token); the network hides raw input elements for every other first stage.
   */
  mask?: tf.Tensor;
}

export interface StageModule {
  trainable: tf.Variable[];
  /** Non-trained variables (batch-norm running statistics). */
  state: tf.Variable[];
  /** Names of trainable biases and norm parameters (excluded from LARS adaptation / decay). */
  biasOrNorm: Set<string>;
  apply(x: tf.Tensor, training: boolean, options?: StageApplyOptions): tf.Tensor;
}

/** The registry a stage builder fills while creating its variables. */
export type StageVars = Pick<StageModule, 'trainable' | 'state' | 'biasOrNorm'>;

export function emptyStageVars(): StageVars {
  return { trainable: [], state: [], biasOrNorm: new Set() };
}

/** Disposes what a stage created so far (a builder that throws half-way must not leak names). */
export function disposeStageVars(vars: StageVars): void {
  for (const v of [...vars.trainable, ...vars.state]) v.dispose();
}

/** Batch size times the product of `shape`, checking the trailing dims match it. */
export function checkInput(x: tf.Tensor, shape: number[], where: string): void {
  const perExample = shape.reduce((a, b) => a * b, 1);
  const got = x.shape.slice(1).reduce((a, b) => a * b, 1);
  if (x.rank < 2 || got !== perExample) {
    throw new Error(`${where}: expected input [B, ${shape.join(', ')}], got [${x.shape.join(', ')}]`);
  }
}

/** A normalisation layer over the last (channel) axis. */
export interface NormLayer {
  kind: 'batch' | 'layer';
  apply(x: tf.Tensor, training: boolean): tf.Tensor;
}

/**
 * A norm layer named `name` ('batch': `${name}/{gamma,beta,moving_mean,moving_variance}`, 'layer':
 * `${name}/{gamma,beta}`), registered with the stage; null for 'none'.
 */
export function createNorm(module: StageVars, name: string, norm: Norm, channels: number): NormLayer | null {
  switch (norm) {
    case 'none':
      return null;
    case 'batch': {
      const bn = createBatchNorm(name, channels);
      module.trainable.push(bn.gamma, bn.beta);
      module.state.push(bn.movingMean, bn.movingVariance);
      module.biasOrNorm.add(bn.gamma.name).add(bn.beta.name);
      return { kind: 'batch', apply: bn.apply };
    }
    case 'layer': {
      const ln = createLayerNorm(name, channels);
      module.trainable.push(ln.gamma, ln.beta);
      module.biasOrNorm.add(ln.gamma.name).add(ln.beta.name);
      return { kind: 'layer', apply: (x) => ln.apply(x) };
    }
    default:
      throw new Error(`${name}: unsupported norm '${norm as string}'`);
  }
}

/** One weight layer: a He-initialised kernel, an optional zero bias and an optional norm after it. */
export interface WeightLayer {
  kernel: tf.Variable;
  bias: tf.Variable | null;
  norm: NormLayer | null;
}

/**
 * Creates a weight layer `${prefix}/${name}/{kernel,bias}` and registers its variables with the
 * stage: kernel and bias trainable; norm gamma/beta trainable, running statistics as state. The
 * norm is named `${prefix}/${normName}`, by default bn<i> / ln<i> with i the digits of `name`
 * (conv3 -> bn3).
 */
export function createWeightLayer(
  module: StageVars,
  prefix: string,
  name: string,
  kernelShape: number[],
  fanIn: number,
  norm: Norm,
  rng: NormalSource,
  options: { bias?: boolean; normName?: string } = {},
): WeightLayer {
  const outputs = kernelShape[kernelShape.length - 1];
  const kernel = heNormalVariable(`${prefix}/${name}/kernel`, kernelShape, fanIn, rng);
  module.trainable.push(kernel);
  let bias: tf.Variable | null = null;
  if (options.bias ?? true) {
    bias = constantVariable(`${prefix}/${name}/bias`, [outputs], 0, true);
    module.trainable.push(bias);
    module.biasOrNorm.add(bias.name);
  }
  const normName = options.normName ?? `${norm === 'layer' ? 'ln' : 'bn'}${name.replace(/^\D+/, '')}`;
  return { kernel, bias, norm: createNorm(module, `${prefix}/${normName}`, norm, outputs) };
}

/** x @ kernel + bias for x [N, Din] (any leading shape is flattened and restored). */
export function dense(x: tf.Tensor, kernel: tf.Tensor, bias: tf.Tensor | null): tf.Tensor {
  return tf.tidy(() => {
    const din = x.shape[x.rank - 1];
    const dout = kernel.shape[kernel.rank - 1];
    const lead = x.shape.slice(0, -1);
    const x2 = x.rank === 2 ? x : tf.reshape(x, [-1, din]);
    let y: tf.Tensor = tf.matMul(x2 as tf.Tensor2D, kernel as tf.Tensor2D);
    if (bias) y = tf.add(y, bias);
    return x.rank === 2 ? y : tf.reshape(y, [...lead, dout]);
  });
}
