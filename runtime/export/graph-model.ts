/**
 * An encoder (runtime/export/encoder.ts) as a TensorFlow.js graph model: every stage kind the
 * runtime builds (runtime/nn/*) lowered to TensorFlow ops, op for op in the order the runtime
 * computes them, so the exported model gives the runtime's eval-mode output up to float rounding
 * of the backend that runs it:
 *
 *   conv        Conv2D (SAME, NHWC) + BiasAdd
 *   dense       MatMul + BiasAdd (rank-3 inputs reshaped to [-1, D] and back, as runtime/nn/stage.ts `dense`)
 *   batch norm  running statistics: (x - mean) * (rsqrt(var + eps) * gamma) + beta   (Sub, AddV2, Rsqrt, Mul)
 *   layer norm  Mean, Sub, Square, Mean, AddV2, Rsqrt, Mul, Mul, AddV2 over the last axis
 *   relu        Relu;  gelu: x * sigmoid(2 sqrt(2/pi) (x + 0.044715 x^3)) (the runtime's tanh form; Sigmoid, not Erf)
 *   attention   Reshape/Transpose into heads, BatchMatMulV2 (adj_y), Mul by 1/sqrt(dh), Softmax, BatchMatMulV2
 *   l2 norm     x * rsqrt(max(sum(x^2), 1e-24))
 *   pooling     Mean over (H, W), over time, or over tokens
 *
 * Input: one Placeholder `input` [-1, ...inputShape] (float32; images NHWC in [0, 1]). Output:
 * `embedding` [-1, dim], exactly `TrainingGraph.features` (per-token outputs averaged over tokens).
 * Training-only parts are left out: the transformer's mask token, batch-norm statistics updates.
 */
import type { Stage } from '../../compiler/ir.js';
import type { EncoderRef } from './encoder.js';
import { GraphDefBuilder, attr, type Sym } from './graph-def.js';
import type { ExportNetwork, WeightSource } from './weights.js';

const BN_EPSILON = 1e-5; // runtime/nn/batch-norm.ts
const LN_EPSILON = 1e-5; // runtime/nn/layer-norm.ts
const NORMALIZE_EPS_SQ = 1e-24; // runtime/nn/normalize.ts
const GELU_CUBIC = 0.044715;
const TWO_SQRT_2_OVER_PI = 2 * Math.sqrt(2 / Math.PI);

const perExample = (s: Sym) => s.shape.slice(1);
const size = (shape: number[]) => shape.reduce((a, b) => a * b, 1);

/** Lowers `ref` (with weights from `weights`) into `g`; returns the output symbol `embedding`. */
export function buildEncoderGraph(g: GraphDefBuilder, ref: EncoderRef, networks: ExportNetwork[], weights: WeightSource): Sym {
  const ops = new Ops(g);
  let h = g.placeholder('input', [-1, ...ref.inputShape]);
  networks.forEach((net, n) => {
    const last = n === networks.length - 1 ? ref.stage : net.stages.length - 1;
    for (let i = 0; i <= last; i++) {
      const stage = net.stages[i]!;
      h = lowerStage(ops, stage, `${net.name}/${i}`, h, weights);
    }
  });
  // TrainingGraph.features: per-token outputs [B, T, D] are averaged over tokens, anything else flattened.
  if (h.shape.length === 3) h = ops.mean(h, [1], 'features/mean_tokens');
  else if (h.shape.length !== 2) h = ops.reshape(h, [-1, size(perExample(h))], 'features/flatten');
  return g.op('Identity', 'embedding', [h], h.shape, { T: attr.float });
}

function lowerStage(ops: Ops, stage: Stage, prefix: string, x: Sym, w: WeightSource): Sym {
  switch (stage.kind) {
    case 'convnet':
      return convnet(ops, stage, prefix, x, w);
    case 'resnet':
      return resnet(ops, stage, prefix, x, w);
    case 'transformer':
      return transformer(ops, stage, prefix, x, w);
    case 'conv1d':
      return conv1d(ops, stage, prefix, x, w);
    case 'mlp':
      return mlp(ops, stage, prefix, x, w);
    case 'normalize':
      return normalize(ops, stage, prefix, x);
    default:
      throw new Error(`${prefix}: the graph format cannot express stage kind '${(stage as { kind: string }).kind}'`);
  }
}

type StageOf<K extends Stage['kind']> = Extract<Stage, { kind: K }>;

/** convnet.ts: conv ('same') + bias + norm + activation per layer, then mean over H, W. */
function convnet(ops: Ops, stage: StageOf<'convnet'>, prefix: string, x: Sym, w: WeightSource): Sym {
  let h = ops.toShape(x, stage.inputShape, `${prefix}/input`);
  stage.channels.forEach((_, i) => {
    h = ops.conv2d(h, w(`${prefix}/conv${i}/kernel`), [stage.stride, stage.stride], `${prefix}/conv${i}`);
    h = ops.biasAdd(h, w(`${prefix}/conv${i}/bias`), `${prefix}/conv${i}/bias_add`);
    h = ops.norm(h, stage.norm, `${prefix}/${stage.norm === 'layer' ? 'ln' : 'bn'}${i}`, w);
    h = ops.activation(h, stage.activation, `${prefix}/act${i}`);
  });
  return ops.mean(h, [1, 2], `${prefix}/pool`);
}

/** resnet.ts: stem, basic blocks with identity or projection shortcuts, mean over H, W. */
function resnet(ops: Ops, stage: StageOf<'resnet'>, prefix: string, x: Sym, w: WeightSource): Sym {
  const bias = stage.norm === 'none';
  const ln = stage.norm === 'layer' ? 'ln' : 'bn';
  const conv = (h: Sym, name: string, normName: string, stride: number) => {
    let y = ops.conv2d(h, w(`${prefix}/${name}/kernel`), [stride, stride], `${prefix}/${name}`);
    if (bias) y = ops.biasAdd(y, w(`${prefix}/${name}/bias`), `${prefix}/${name}/bias_add`);
    return ops.norm(y, stage.norm, `${prefix}/${normName}`, w);
  };
  let h = ops.activation(conv(ops.toShape(x, stage.inputShape, `${prefix}/input`), 'stem', `stem_${ln}`, 1), stage.activation, `${prefix}/stem/act`);
  let cin = stage.widths[0]!;
  stage.widths.forEach((width, i) => {
    for (let j = 0; j < stage.depth; j++) {
      const name = `s${i}b${j}`;
      const down = i > 0 && j === 0;
      const stride = down ? 2 : 1;
      const r1 = ops.activation(conv(h, `${name}/conv1`, `${name}/${ln}1`, stride), stage.activation, `${prefix}/${name}/act1`);
      const r = conv(r1, `${name}/conv2`, `${name}/${ln}2`, 1);
      const shortcut = down || cin !== width ? conv(h, `${name}/proj`, `${name}/${ln}_proj`, stride) : h;
      h = ops.activation(ops.add(r, shortcut, `${prefix}/${name}/add`), stage.activation, `${prefix}/${name}/act2`);
      cin = width;
    }
  });
  return ops.mean(h, [1, 2], `${prefix}/pool`);
}

/** transformer.ts: patch embedding, position embeddings, pre-norm blocks, final LN, optional mean over tokens. */
function transformer(ops: Ops, stage: StageOf<'transformer'>, prefix: string, x: Sym, w: WeightSource): Sym {
  const { dim, heads, patch: p } = stage;
  const dh = dim / heads;
  const N = stage.tokens;
  // patchify: [B, H, W, C] = [B*gh, p, gw, p*C] -> [B*gh, gw, p, p*C] -> [B, N, p*p*C]; [B, T, C] -> [B, T/p, p*C]
  let patches: Sym;
  if (stage.inputShape.length === 3) {
    const [H, W, C] = stage.inputShape as [number, number, number];
    const gh = H / p;
    const gw = W / p;
    const rows = ops.reshape(x, [-1, p, gw, p * C], `${prefix}/patchify/rows`);
    const cut = ops.transpose(rows, [0, 2, 1, 3], `${prefix}/patchify/transpose`);
    patches = ops.reshape(cut, [-1, gh * gw, p * p * C], `${prefix}/patchify`);
  } else {
    const [T, C] = stage.inputShape as [number, number];
    patches = ops.reshape(x, [-1, T / p, p * C], `${prefix}/patchify`);
  }
  let h = ops.dense(patches, w, `${prefix}/embed`);
  h = ops.add(h, ops.weight(w, `${prefix}/pos_embed`), `${prefix}/add_pos_embed`);

  const splitHeads = (t: Sym, name: string) => {
    const four = ops.reshape(t, [-1, N, heads, dh], `${name}/split`);
    return ops.reshape(ops.transpose(four, [0, 2, 1, 3], `${name}/heads_first`), [-1, N, dh], `${name}/heads`);
  };
  for (let l = 0; l < stage.depth; l++) {
    const b = `${prefix}/block${l}`;
    const a = ops.layerNorm(h, `${b}/ln1`, w);
    const q = splitHeads(ops.dense(a, w, `${b}/attn/q`), `${b}/attn/q`);
    const k = splitHeads(ops.dense(a, w, `${b}/attn/k`), `${b}/attn/k`);
    const v = splitHeads(ops.dense(a, w, `${b}/attn/v`), `${b}/attn/v`);
    const logits = ops.g.op('BatchMatMulV2', `${b}/attn/qk`, [q, k], [-1, N, N], { T: attr.float, adj_x: attr.bool(false), adj_y: attr.bool(true) });
    const scores = ops.mulScalar(logits, 1 / Math.sqrt(dh), `${b}/attn/scale`);
    const att = ops.g.op('Softmax', `${b}/attn/softmax`, [scores], scores.shape, { T: attr.float });
    const o = ops.g.op('BatchMatMulV2', `${b}/attn/av`, [att, v], [-1, N, dh], { T: attr.float, adj_x: attr.bool(false), adj_y: attr.bool(false) });
    const byHead = ops.reshape(o, [-1, heads, N, dh], `${b}/attn/merge/split`);
    const merged = ops.reshape(ops.transpose(byHead, [0, 2, 1, 3], `${b}/attn/merge/tokens_first`), [-1, N, dim], `${b}/attn/merge`);
    h = ops.add(h, ops.dense(merged, w, `${b}/attn/proj`), `${b}/residual1`);
    const m = ops.layerNorm(h, `${b}/ln2`, w);
    const hidden = ops.activation(ops.dense(m, w, `${b}/mlp/fc1`), 'gelu', `${b}/mlp/gelu`);
    h = ops.add(h, ops.dense(hidden, w, `${b}/mlp/fc2`), `${b}/residual2`);
  }
  const y = ops.layerNorm(h, `${prefix}/ln`, w);
  return stage.pool === 'mean' ? ops.mean(y, [1], `${prefix}/pool`) : y;
}

/** conv1d.ts: [B, T, C] as [B, 1, T, C], 1 x k convs (stride [1, s]) + bias + norm + activation, then mean over time or [B, T', C]. */
function conv1d(ops: Ops, stage: StageOf<'conv1d'>, prefix: string, x: Sym, w: WeightSource): Sym {
  const [T, C] = stage.inputShape as [number, number];
  let h = ops.reshape(x, [-1, 1, T, C], `${prefix}/as_image`);
  stage.channels.forEach((_, i) => {
    const stored = w(`${prefix}/conv${i}/kernel`); // [k, Cin, Cout], tf.conv1d's layout
    const kernel = { shape: [1, ...stored.shape], values: stored.values };
    h = ops.conv2d(h, kernel, [1, stage.stride], `${prefix}/conv${i}`);
    h = ops.biasAdd(h, w(`${prefix}/conv${i}/bias`), `${prefix}/conv${i}/bias_add`);
    h = ops.norm(h, stage.norm, `${prefix}/${stage.norm === 'layer' ? 'ln' : 'bn'}${i}`, w);
    h = ops.activation(h, stage.activation, `${prefix}/act${i}`);
  });
  const [, , t, c] = h.shape as [number, number, number, number];
  return stage.pool === 'mean' ? ops.mean(h, [1, 2], `${prefix}/pool`) : ops.reshape(h, [-1, t, c], `${prefix}/as_sequence`);
}

/** mlp.ts: flatten (or token-wise on [T, D]), dense layers with norm + activation between, the last linear. */
function mlp(ops: Ops, stage: StageOf<'mlp'>, prefix: string, x: Sym, w: WeightSource): Sym {
  const tokenwise = stage.inputShape.length === 2;
  const inputDim = tokenwise ? stage.inputShape[1]! : size(stage.inputShape);
  let h = ops.reshape(x, [-1, inputDim], `${prefix}/flatten`);
  stage.widths.forEach((_, i) => {
    h = ops.dense(h, w, `${prefix}/dense${i}`);
    if (i < stage.widths.length - 1) {
      h = ops.norm(h, stage.norm, `${prefix}/${stage.norm === 'layer' ? 'ln' : 'bn'}${i}`, w);
      h = ops.activation(h, stage.activation, `${prefix}/act${i}`);
    }
  });
  return tokenwise ? ops.reshape(h, [-1, stage.inputShape[0]!, h.shape[1]!], `${prefix}/tokens`) : h;
}

/** normalize.ts: x / max(|x|, 1e-12) over the last axis, as x * rsqrt(max(sum(x^2), 1e-24)). */
function normalize(ops: Ops, stage: StageOf<'normalize'>, prefix: string, x: Sym): Sym {
  const h = ops.toShape(x, stage.inputShape, `${prefix}/input`);
  const last = h.shape.length - 1;
  const squares = ops.g.op('Square', `${prefix}/square`, [h], h.shape, { T: attr.float });
  const sum = ops.g.op('Sum', `${prefix}/sum`, [squares, ops.g.ints(`${prefix}/sum/axis`, [last])], [...h.shape.slice(0, -1), 1], { T: attr.float, Tidx: attr.int32, keep_dims: attr.bool(true) });
  const clamped = ops.g.op('Maximum', `${prefix}/clamp`, [sum, ops.g.scalar(`${prefix}/eps`, NORMALIZE_EPS_SQ)], sum.shape, { T: attr.float });
  const inv = ops.g.op('Rsqrt', `${prefix}/rsqrt`, [clamped], sum.shape, { T: attr.float });
  return ops.g.op('Mul', `${prefix}/scale`, [h, inv], h.shape, { T: attr.float });
}

/** The layer helpers shared by the stages. */
class Ops {
  constructor(readonly g: GraphDefBuilder) {}

  weight(w: WeightSource, name: string): Sym {
    const { shape, values } = w(name);
    return this.g.constFloat(name, shape, values);
  }

  reshape(x: Sym, shape: number[], name: string): Sym {
    const known = shape.map((d, i) => (d === -1 && i > 0 ? NaN : d));
    if (known.some(Number.isNaN)) throw new Error(`${name}: only the batch dimension may be -1`);
    if (x.shape.slice(1).join(',') === shape.slice(1).join(',')) return x;
    return this.g.op('Reshape', name, [x, this.g.ints(`${name}/shape`, shape)], shape, { T: attr.float, Tshape: attr.int32 });
  }

  /** x as [B, ...shape] (the runtime's checkInput + reshape, a no-op when it already is). */
  toShape(x: Sym, shape: number[], name: string): Sym {
    if (size(perExample(x)) !== size(shape)) throw new Error(`${name}: expected inputs of [${shape}] per example, the previous stage gives [${perExample(x)}]`);
    return this.reshape(x, [-1, ...shape], name);
  }

  transpose(x: Sym, perm: number[], name: string): Sym {
    return this.g.op('Transpose', name, [x, this.g.ints(`${name}/perm`, perm)], perm.map((p) => x.shape[p]!), { T: attr.float, Tperm: attr.int32 });
  }

  mean(x: Sym, axes: number[], name: string, keepDims = false): Sym {
    const shape = keepDims ? x.shape.map((d, i) => (axes.includes(i) ? 1 : d)) : x.shape.filter((_, i) => !axes.includes(i));
    return this.g.op('Mean', name, [x, this.g.ints(`${name}/axes`, axes)], shape, { T: attr.float, Tidx: attr.int32, keep_dims: attr.bool(keepDims) });
  }

  add(a: Sym, b: Sym, name: string): Sym {
    return this.g.op('AddV2', name, [a, b], a.shape, { T: attr.float });
  }

  mulScalar(x: Sym, value: number, name: string): Sym {
    return this.g.op('Mul', name, [x, this.g.scalar(`${name}/value`, value)], x.shape, { T: attr.float });
  }

  conv2d(x: Sym, kernel: { shape: number[]; values: Float32Array }, [sh, sw]: [number, number], name: string): Sym {
    const cout = kernel.shape[3]!;
    const [, H, W] = x.shape as [number, number, number, number];
    const k = this.g.constFloat(`${name}/kernel`, kernel.shape, kernel.values);
    // 'same' padding: H -> ceil(H / s), as tf.conv2d(..., 'same') in the runtime
    return this.g.op('Conv2D', name, [x, k], [-1, Math.ceil(H / sh), Math.ceil(W / sw), cout], {
      T: attr.float,
      strides: attr.ints([1, sh, sw, 1]),
      padding: attr.string('SAME'),
      data_format: attr.string('NHWC'),
      dilations: attr.ints([1, 1, 1, 1]),
      use_cudnn_on_gpu: attr.bool(true),
      explicit_paddings: attr.ints([]),
    });
  }

  biasAdd(x: Sym, bias: { shape: number[]; values: Float32Array }, name: string): Sym {
    const b = this.g.constFloat(name.replace(/\/bias_add$/, '/bias'), bias.shape, bias.values);
    return this.g.op('BiasAdd', name, [x, b], x.shape, { T: attr.float, data_format: attr.string('NHWC') });
  }

  /** runtime/nn/stage.ts `dense`: [N, Din] @ kernel + bias; rank 3 goes through [-1, Din] and back. */
  dense(x: Sym, w: WeightSource, name: string): Sym {
    const kernel = w(`${name}/kernel`);
    const [din, dout] = kernel.shape as [number, number];
    const rank3 = x.shape.length === 3;
    const x2 = rank3 ? this.reshape(x, [-1, din], `${name}/rows`) : x;
    const k = this.g.constFloat(`${name}/kernel`, kernel.shape, kernel.values);
    let y = this.g.op('MatMul', `${name}/matmul`, [x2, k], [-1, dout], { T: attr.float, transpose_a: attr.bool(false), transpose_b: attr.bool(false) });
    y = this.biasAdd(y, w(`${name}/bias`), `${name}/bias_add`);
    return rank3 ? this.reshape(y, [-1, x.shape[1]!, dout], `${name}/tokens`) : y;
  }

  norm(x: Sym, norm: 'none' | 'batch' | 'layer', name: string, w: WeightSource): Sym {
    if (norm === 'none') return x;
    return norm === 'batch' ? this.batchNorm(x, name, w) : this.layerNorm(x, name, w);
  }

  /** batch-norm.ts in eval mode: (x - moving_mean) * (rsqrt(moving_variance + eps) * gamma) + beta. */
  batchNorm(x: Sym, name: string, w: WeightSource): Sym {
    const f = { T: attr.float };
    const centred = this.g.op('Sub', `${name}/centre`, [x, this.weight(w, `${name}/moving_mean`)], x.shape, f);
    const variance = this.weight(w, `${name}/moving_variance`);
    const shifted = this.g.op('AddV2', `${name}/add_eps`, [variance, this.g.scalar(`${name}/eps`, BN_EPSILON)], variance.shape, f);
    const inv = this.g.op('Rsqrt', `${name}/rsqrt`, [shifted], variance.shape, f);
    const scale = this.g.op('Mul', `${name}/scale`, [inv, this.weight(w, `${name}/gamma`)], variance.shape, f);
    const scaled = this.g.op('Mul', `${name}/scaled`, [centred, scale], x.shape, f);
    return this.g.op('AddV2', `${name}/shift`, [scaled, this.weight(w, `${name}/beta`)], x.shape, f);
  }

  /** layer-norm.ts: moments over the last axis (tf.moments: mean, then the mean of squared deviations), then gamma, beta. */
  layerNorm(x: Sym, name: string, w: WeightSource): Sym {
    const f = { T: attr.float };
    const last = x.shape.length - 1;
    const mean = this.mean(x, [last], `${name}/mean`, true);
    const deviation = this.g.op('Sub', `${name}/deviation`, [x, mean], x.shape, f);
    const squared = this.g.op('Square', `${name}/squared`, [deviation], x.shape, f);
    const variance = this.mean(squared, [last], `${name}/variance`, true);
    const shifted = this.g.op('AddV2', `${name}/add_eps`, [variance, this.g.scalar(`${name}/eps`, LN_EPSILON)], variance.shape, f);
    const inv = this.g.op('Rsqrt', `${name}/rsqrt`, [shifted], variance.shape, f);
    const normalised = this.g.op('Mul', `${name}/normalise`, [deviation, inv], x.shape, f);
    const scaled = this.g.op('Mul', `${name}/scaled`, [normalised, this.weight(w, `${name}/gamma`)], x.shape, f);
    return this.g.op('AddV2', `${name}/shift`, [scaled, this.weight(w, `${name}/beta`)], x.shape, f);
  }

  /** activation.ts: Relu, or GELU in its sigmoid form x * sigmoid(2 sqrt(2/pi) (x + 0.044715 x^3)). */
  activation(x: Sym, activation: 'relu' | 'gelu', name: string): Sym {
    const f = { T: attr.float };
    if (activation === 'relu') return this.g.op('Relu', name, [x], x.shape, f);
    const square = this.g.op('Square', `${name}/square`, [x], x.shape, f);
    const cube = this.g.op('Mul', `${name}/cube`, [x, square], x.shape, f);
    const cubic = this.mulScalar(cube, GELU_CUBIC, `${name}/cubic`);
    const inner = this.mulScalar(this.add(x, cubic, `${name}/inner`), TWO_SQRT_2_OVER_PI, `${name}/scaled`);
    const gate = this.g.op('Sigmoid', `${name}/sigmoid`, [inner], x.shape, f);
    return this.g.op('Mul', name, [x, gate], x.shape, f);
  }
}
