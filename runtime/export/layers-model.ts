/**
 * An encoder as a TensorFlow.js Layers model (Keras-style model.json, `tf.loadLayersModel`), built
 * from stock tfjs-layers layers and serialised by tfjs-layers itself (`model.save` with a save
 * handler), so whatever tfjs-layers writes it can read back:
 *
 *   convnet  Conv2D (same) -> BatchNormalization | LayerNormalization -> Activation, GlobalAveragePooling2D
 *   resnet   the same layers plus Add for the shortcuts (a functional model)
 *   conv1d   Conv1D (same) -> norm -> Activation, GlobalAveragePooling1D (pool 'mean')
 *   mlp      Flatten (non-token inputs), Dense -> norm -> Activation, last Dense linear
 *
 * Not expressible, so refused by `checkLayersSupport` (naming the stage and pointing to the graph
 * format, which expresses every stage): transformers (tfjs-layers has no multi-head attention
 * layer), `normalize` (no l2-normalisation layer) and GELU. The runtime's GELU is the tanh form;
 * tfjs-layers 4.22 has it as the activation 'gelu_new', but a saved model using it does not load
 * back (the name is read as 'geluNew': "Unknown activation"), and its 'gelu' is the erf form, up
 * to 1e-3 away: exporting it would silently change the function.
 */
import * as tfl from '@tensorflow/tfjs-layers';
import type { Stage } from '../../compiler/ir.js';
import { tf } from '../tf.js';
import { ExportError, type EncoderRef } from './encoder.js';
import type { ExportNetwork, WeightSource } from './weights.js';

const BN_EPSILON = 1e-5; // runtime/nn/batch-norm.ts
const LN_EPSILON = 1e-5; // runtime/nn/layer-norm.ts

const UNSUPPORTED: Partial<Record<Stage['kind'], string>> = {
  transformer: 'tfjs-layers has no multi-head attention layer',
  normalize: 'tfjs-layers has no l2-normalisation layer',
};

const GELU_UNSUPPORTED = "it uses GELU, and tfjs-layers 4.22 cannot load its tanh-form 'gelu_new' activation back ('gelu' is the erf form, a different function)";

/** Whether the stage applies its activation and that activation is GELU (an mlp's only layer is linear). */
function usesGelu(stage: Stage): boolean {
  if (!('activation' in stage) || stage.activation !== 'gelu') return false;
  return stage.kind !== 'mlp' || stage.widths.length > 1;
}

/** The stages the encoder runs, with their network and index. */
function stagesOf(ref: EncoderRef, networks: ExportNetwork[]): { net: ExportNetwork; index: number; stage: Stage }[] {
  return networks.flatMap((net, n) => {
    const last = n === networks.length - 1 ? ref.stage : net.stages.length - 1;
    return net.stages.slice(0, last + 1).map((stage, index) => ({ net, index, stage }));
  });
}

/** Throws an ExportError naming the first stage the layers format cannot express (and where the recipe defines it). */
export function checkLayersSupport(ref: EncoderRef, networks: ExportNetwork[]): void {
  for (const { net, index, stage } of stagesOf(ref, networks)) {
    const why = UNSUPPORTED[stage.kind] ?? (usesGelu(stage) ? GELU_UNSUPPORTED : undefined);
    if (why) {
      const at = `${stage.origin.uri}:${stage.origin.start.line}:${stage.origin.start.column}`;
      throw new ExportError(
        `network '${net.name}' stage ${index} (${stage.kind}, ${at}) cannot be written as a layers model: ${why}; use --format graph, which expresses every stage`,
      );
    }
  }
}

/**
 * Builds the layers model with the trained weights set. The caller disposes it (`model.dispose()`).
 * Output: [B, dim], the same features as `TrainingGraph.features`.
 */
export function buildLayersModel(ref: EncoderRef, networks: ExportNetwork[], weights: WeightSource): tfl.LayersModel {
  checkLayersSupport(ref, networks);
  const pending: { layer: tfl.layers.Layer; values: string[] }[] = [];
  const layer = <L extends tfl.layers.Layer>(l: L, values: string[] = []): L => {
    pending.push({ layer: l, values });
    return l;
  };
  const input = tfl.input({ shape: ref.inputShape, name: 'input' });
  let h = input as tfl.SymbolicTensor;
  for (const { net, index, stage } of stagesOf(ref, networks)) {
    const prefix = `${net.name}/${index}`;
    h = lowerStage(stage, prefix, h, layer);
  }
  // TrainingGraph.features: per-token outputs [B, T, D] are averaged over tokens.
  if (h.shape.length === 3) h = layer(tfl.layers.globalAveragePooling1d({ name: 'features_mean_tokens' })).apply(h) as tfl.SymbolicTensor;
  else if (h.shape.length !== 2) h = layer(tfl.layers.flatten({ name: 'features_flatten' })).apply(h) as tfl.SymbolicTensor;
  const model = tfl.model({ inputs: input, outputs: h, name: 'encoder' });
  try {
    for (const { layer: l, values } of pending) {
      if (values.length === 0) continue;
      const tensors = values.map((name) => {
        const { shape, values: v } = weights(name);
        return tf.tensor(v, shape, 'float32');
      });
      l.setWeights(tensors);
      tf.dispose(tensors);
    }
  } catch (error) {
    model.dispose();
    throw error;
  }
  return model;
}

type Place = <L extends tfl.layers.Layer>(l: L, values?: string[]) => L;

/** A layer name tfjs-layers accepts ([A-Za-z0-9][-A-Za-z0-9._/]*), from a runtime variable prefix. */
function layerName(prefix: string): string {
  const name = prefix.replace(/\//g, '_').replace(/[^-A-Za-z0-9._]/g, '_');
  return /^[A-Za-z0-9]/.test(name) ? name : `n${name}`;
}

function lowerStage(stage: Stage, prefix: string, x: tfl.SymbolicTensor, place: Place): tfl.SymbolicTensor {
  const apply = (l: tfl.layers.Layer, t: tfl.SymbolicTensor | tfl.SymbolicTensor[]) => l.apply(t) as tfl.SymbolicTensor;
  const reshapeTo = (t: tfl.SymbolicTensor, shape: number[], name: string) =>
    t.shape.slice(1).join(',') === shape.join(',') ? t : apply(place(tfl.layers.reshape({ targetShape: shape, name: layerName(name) })), t);
  const activation = (t: tfl.SymbolicTensor, act: 'relu' | 'gelu', name: string) => {
    if (act !== 'relu') throw new ExportError(`${prefix}: ${GELU_UNSUPPORTED}`); // checkLayersSupport refuses it first
    return apply(place(tfl.layers.activation({ activation: 'relu', name: layerName(name) })), t);
  };
  const norm = (t: tfl.SymbolicTensor, kind: 'none' | 'batch' | 'layer', name: string) => {
    if (kind === 'none') return t;
    if (kind === 'batch') {
      const bn = tfl.layers.batchNormalization({ axis: -1, epsilon: BN_EPSILON, momentum: 0.9, name: layerName(name) });
      return apply(place(bn, ['gamma', 'beta', 'moving_mean', 'moving_variance'].map((w) => `${name}/${w}`)), t);
    }
    const ln = tfl.layers.layerNormalization({ axis: -1, epsilon: LN_EPSILON, name: layerName(name) });
    return apply(place(ln, [`${name}/gamma`, `${name}/beta`]), t);
  };
  const conv2d = (t: tfl.SymbolicTensor, filters: number, kernel: number, stride: number, name: string, bias: boolean) =>
    apply(
      place(tfl.layers.conv2d({ filters, kernelSize: kernel, strides: stride, padding: 'same', useBias: bias, name: layerName(name) }), bias ? [`${name}/kernel`, `${name}/bias`] : [`${name}/kernel`]),
      t,
    );
  const normName = (norm: 'none' | 'batch' | 'layer', i: number | string) => `${norm === 'layer' ? 'ln' : 'bn'}${i}`;

  switch (stage.kind) {
    case 'convnet': {
      let h = reshapeTo(x, stage.inputShape, `${prefix}/input`);
      stage.channels.forEach((c, i) => {
        h = conv2d(h, c, stage.kernel, stage.stride, `${prefix}/conv${i}`, true);
        h = norm(h, stage.norm, `${prefix}/${normName(stage.norm, i)}`);
        h = activation(h, stage.activation, `${prefix}/act${i}`);
      });
      return apply(place(tfl.layers.globalAveragePooling2d({ name: layerName(`${prefix}/pool`) })), h);
    }
    case 'resnet': {
      const bias = stage.norm === 'none';
      const ln = stage.norm === 'layer' ? 'ln' : 'bn';
      const conv = (t: tfl.SymbolicTensor, filters: number, k: number, name: string, nName: string, stride: number) =>
        norm(conv2d(t, filters, k, stride, `${prefix}/${name}`, bias), stage.norm, `${prefix}/${nName}`);
      let h = reshapeTo(x, stage.inputShape, `${prefix}/input`);
      h = activation(conv(h, stage.widths[0]!, 3, 'stem', `stem_${ln}`, 1), stage.activation, `${prefix}/stem/act`);
      let cin = stage.widths[0]!;
      stage.widths.forEach((width, i) => {
        for (let j = 0; j < stage.depth; j++) {
          const name = `s${i}b${j}`;
          const down = i > 0 && j === 0;
          const stride = down ? 2 : 1;
          const r1 = activation(conv(h, width, 3, `${name}/conv1`, `${name}/${ln}1`, stride), stage.activation, `${prefix}/${name}/act1`);
          const r = conv(r1, width, 3, `${name}/conv2`, `${name}/${ln}2`, 1);
          const shortcut = down || cin !== width ? conv(h, width, 1, `${name}/proj`, `${name}/${ln}_proj`, stride) : h;
          const sum = apply(place(tfl.layers.add({ name: layerName(`${prefix}/${name}/add`) })), [r, shortcut]);
          h = activation(sum, stage.activation, `${prefix}/${name}/act2`);
          cin = width;
        }
      });
      return apply(place(tfl.layers.globalAveragePooling2d({ name: layerName(`${prefix}/pool`) })), h);
    }
    case 'conv1d': {
      let h = reshapeTo(x, stage.inputShape, `${prefix}/input`);
      stage.channels.forEach((c, i) => {
        const name = `${prefix}/conv${i}`;
        const conv = tfl.layers.conv1d({ filters: c, kernelSize: stage.kernel, strides: stage.stride, padding: 'same', name: layerName(name) });
        h = apply(place(conv, [`${name}/kernel`, `${name}/bias`]), h);
        h = norm(h, stage.norm, `${prefix}/${normName(stage.norm, i)}`);
        h = activation(h, stage.activation, `${prefix}/act${i}`);
      });
      return stage.pool === 'mean' ? apply(place(tfl.layers.globalAveragePooling1d({ name: layerName(`${prefix}/pool`) })), h) : h;
    }
    case 'mlp': {
      const tokenwise = stage.inputShape.length === 2;
      let h = tokenwise ? reshapeTo(x, stage.inputShape, `${prefix}/input`) : x;
      if (!tokenwise && h.shape.length > 2) h = apply(place(tfl.layers.flatten({ name: layerName(`${prefix}/flatten`) })), h);
      stage.widths.forEach((width, i) => {
        const name = `${prefix}/dense${i}`;
        h = apply(place(tfl.layers.dense({ units: width, name: layerName(name) }), [`${name}/kernel`, `${name}/bias`]), h);
        if (i < stage.widths.length - 1) {
          h = norm(h, stage.norm, `${prefix}/${normName(stage.norm, i)}`);
          h = activation(h, stage.activation, `${prefix}/act${i}`);
        }
      });
      return h;
    }
    default:
      // checkLayersSupport has refused everything else.
      throw new ExportError(`${prefix}: the layers format cannot express stage kind '${stage.kind}'`);
  }
}

/** The layers model.json (tfjs `ModelJSON`, format 'layers-model') and its one weights shard. */
export async function serializeLayersModel(model: tfl.LayersModel, weightsPath: string, userDefinedMetadata: Record<string, unknown>) {
  model.setUserDefinedMetadata(userDefinedMetadata);
  let saved: tf.io.ModelArtifacts | undefined;
  await model.save(
    tf.io.withSaveHandler(async (artifacts) => {
      saved = artifacts;
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
    }),
  );
  if (!saved?.weightSpecs || saved.weightData === undefined) throw new Error('tfjs-layers saved no weights');
  const json = {
    format: 'layers-model',
    generatedBy: saved.generatedBy,
    convertedBy: null,
    modelTopology: saved.modelTopology,
    weightsManifest: [{ paths: [weightsPath], weights: saved.weightSpecs }],
    userDefinedMetadata,
  };
  return { json, weights: new Uint8Array(tf.io.CompositeArrayBuffer.join(saved.weightData)) };
}
