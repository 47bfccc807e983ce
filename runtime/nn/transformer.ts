/**
 * `transformer` stage: a pre-norm ViT encoder (Dosovitskiy et al. 2021, arXiv:2010.11929) over
 * non-overlapping patches, without a class token (pooling is a mean over tokens, or none).
 *
 *   image    x [B, H, W, C] -> patches [B, N, p*p*C]   (N = (H/p)(W/p), row-major patch grid,
 *                                                       each patch flattened in (row, col, channel) order)
 *   sequence x [B, T, C]    -> windows [B, N, p*C]     (N = T/p, p consecutive steps each)
 *   e = patches @ W_embed + b                          [B, N, dim]
 *   masked tokens (optional, BEiT / data2vec): e_i <- mask_token  where mask[b, i] = 1
 *   h_0 = e + pos_embed                                (learned [N, dim])
 *   h_l = h'_l + MLP(LN(h'_l)),  h'_l = h_{l-1} + MHSA(LN(h_{l-1}))     l = 1..depth
 *   out = LN(h_depth)  -> mean over tokens [B, dim] (pool 'mean') or [B, N, dim] (pool 'none')
 *
 * MHSA: per head q, k, v = LN(h) W_{q,k,v} (+ bias) split into `heads` heads of dim/heads;
 * softmax(q k^T / sqrt(dim/heads)) v, heads concatenated, then an output projection. MLP:
 * dim -> round(dim * mlpRatio) -> dim with GELU (tanh form, activation.ts).
 * Everything is batched matmuls on rank 3 (tf.matMul with transposeB), reshapes, rank-4
 * transposes and tf.softmax: ops with kernels and gradients on cpu and wasm.
 *
 * Initialisation: linear layers and the patch embedding Xavier-normal (the variance of MAE's
 * xavier_uniform), biases 0, LayerNorm gamma 1 / beta 0, position embeddings and the mask token
 * N(0, 0.02^2) (ViT / BEiT). LayerNorm eps 1e-5.
 *
 * Variables: `${prefix}/embed/{kernel,bias}`, `${prefix}/pos_embed`, `${prefix}/mask_token` (only
 * with `maskToken`), `${prefix}/block${l}/{ln1,ln2}/{gamma,beta}`,
 * `${prefix}/block${l}/attn/{q,k,v,proj}/{kernel,bias}`, `${prefix}/block${l}/mlp/{fc1,fc2}/{kernel,bias}`,
 * `${prefix}/ln/{gamma,beta}`.
 */
import type { Stage } from '../../compiler/ir.js';
import { tf } from '../tf.js';
import { gelu } from './activation.js';
import { constantVariable, normalVariable, xavierNormalVariable, type NormalSource } from './init.js';
import { createLayerNorm, type LayerNorm } from './layer-norm.js';
import { checkInput, dense, disposeStageVars, emptyStageVars, type StageApplyOptions, type StageModule, type StageVars } from './stage.js';

type TransformerStage = Extract<Stage, { kind: 'transformer' }>;

export const POS_EMBED_STD = 0.02;
export const MASK_TOKEN_STD = 0.02;

interface Linear {
  kernel: tf.Variable;
  bias: tf.Variable;
}

interface Block {
  ln1: LayerNorm;
  q: Linear;
  k: Linear;
  v: Linear;
  proj: Linear;
  ln2: LayerNorm;
  fc1: Linear;
  fc2: Linear;
}

export interface TransformerModule extends StageModule {
  kind: 'transformer';
  tokens: number;
  dim: number;
  depth: number;
  /** The learned mask token [dim]; null when the stage was built without one. */
  maskToken: tf.Variable | null;
  /**
   * The residual stream after each block, [B, tokens, dim] each (before the final LN): what
   * data2vec's layer targets average. The returned tensors belong to the caller.
   */
  blocks(x: tf.Tensor, training: boolean, options?: StageApplyOptions): tf.Tensor[];
}

function linear(vars: StageVars, name: string, din: number, dout: number, rng: NormalSource): Linear {
  const kernel = xavierNormalVariable(`${name}/kernel`, [din, dout], din, dout, rng);
  vars.trainable.push(kernel);
  const bias = constantVariable(`${name}/bias`, [dout], 0, true);
  vars.trainable.push(bias);
  vars.biasOrNorm.add(bias.name);
  return { kernel, bias };
}

function layerNorm(vars: StageVars, name: string, dim: number): LayerNorm {
  const ln = createLayerNorm(name, dim);
  vars.trainable.push(ln.gamma, ln.beta);
  vars.biasOrNorm.add(ln.gamma.name).add(ln.beta.name);
  return ln;
}

/** Geometry of the tokenisation, checked against the stage's `tokens`. */
export function tokenGeometry(stage: Pick<TransformerStage, 'inputShape' | 'patch'>, where: string): { tokens: number; patchDim: number } {
  const p = stage.patch;
  if (!(Number.isInteger(p) && p >= 1)) throw new Error(`${where}: patch must be a positive integer, got ${p}`);
  const shape = stage.inputShape;
  if (shape.length === 3) {
    const [H, W, C] = shape;
    if (H % p !== 0 || W % p !== 0) throw new Error(`${where}: patch ${p} does not divide the image [${shape}]`);
    return { tokens: (H / p) * (W / p), patchDim: p * p * C };
  }
  if (shape.length === 2) {
    const [T, C] = shape;
    if (T % p !== 0) throw new Error(`${where}: patch ${p} does not divide the sequence length ${T}`);
    return { tokens: T / p, patchDim: p * C };
  }
  throw new Error(`${where}: transformer needs an [H, W, C] or [T, C] input, got [${shape}]`);
}

/**
 * Cuts a batch into tokens: [B, H, W, C] -> [B, (H/p)(W/p), p*p*C] (patch grid row-major, each
 * patch in (row, col, channel) order), [B, T, C] -> [B, T/p, p*C]. A flattened input of the
 * right size is reshaped first.
 */
export function patchify(x: tf.Tensor, inputShape: number[], p: number, where = 'patchify'): tf.Tensor3D {
  return tf.tidy(() => {
    checkInput(x, inputShape, where);
    const B = x.shape[0];
    if (inputShape.length === 3) {
      const [H, W, C] = inputShape;
      const gh = H / p, gw = W / p;
      // [B, H, W, C] = [B*gh, p, gw, p*C] row-major -> [B*gh, gw, p, p*C] -> [B, gh*gw, p*p*C]
      const t = tf.transpose(tf.reshape(x, [B * gh, p, gw, p * C]), [0, 2, 1, 3]);
      return tf.reshape(t, [B, gh * gw, p * p * C]);
    }
    const [T, C] = inputShape;
    return tf.reshape(x, [B, T / p, p * C]);
  });
}

export function createTransformer(stage: TransformerStage, prefix: string, rng: NormalSource, options: { maskToken?: boolean } = {}): TransformerModule {
  const { dim, depth, heads } = stage;
  if (!(Number.isInteger(dim) && dim >= 1)) throw new Error(`${prefix}: dim must be a positive integer, got ${dim}`);
  if (!(Number.isInteger(heads) && heads >= 1) || dim % heads !== 0) throw new Error(`${prefix}: heads (${heads}) must divide dim (${dim})`);
  if (!(Number.isInteger(depth) && depth >= 1)) throw new Error(`${prefix}: depth must be a positive integer, got ${depth}`);
  const hidden = Math.round(dim * stage.mlpRatio);
  if (!(hidden >= 1)) throw new Error(`${prefix}: mlpRatio ${stage.mlpRatio} gives an MLP of width ${hidden}`);
  const { tokens, patchDim } = tokenGeometry(stage, prefix);
  if (stage.tokens !== tokens) throw new Error(`${prefix}: the stage says ${stage.tokens} tokens, its input [${stage.inputShape}] with patch ${stage.patch} gives ${tokens}`);
  const dh = dim / heads;

  const vars = emptyStageVars();
  let embed: Linear;
  let posEmbed: tf.Variable;
  let maskToken: tf.Variable | null = null;
  const blocks: Block[] = [];
  let lnFinal: LayerNorm;
  try {
    embed = linear(vars, `${prefix}/embed`, patchDim, dim, rng);
    posEmbed = normalVariable(`${prefix}/pos_embed`, [tokens, dim], POS_EMBED_STD, rng);
    vars.trainable.push(posEmbed);
    // Like biases and norms, position embeddings and the mask token are exempt from weight decay
    // and LARS adaptation (timm / MAE `no_weight_decay`: {pos_embed, cls_token, mask_token}).
    vars.biasOrNorm.add(posEmbed.name);
    if (options.maskToken) {
      maskToken = normalVariable(`${prefix}/mask_token`, [dim], MASK_TOKEN_STD, rng);
      vars.trainable.push(maskToken);
      vars.biasOrNorm.add(maskToken.name);
    }
    for (let l = 0; l < depth; l++) {
      const b = `${prefix}/block${l}`;
      blocks.push({
        ln1: layerNorm(vars, `${b}/ln1`, dim),
        q: linear(vars, `${b}/attn/q`, dim, dim, rng),
        k: linear(vars, `${b}/attn/k`, dim, dim, rng),
        v: linear(vars, `${b}/attn/v`, dim, dim, rng),
        proj: linear(vars, `${b}/attn/proj`, dim, dim, rng),
        ln2: layerNorm(vars, `${b}/ln2`, dim),
        fc1: linear(vars, `${b}/mlp/fc1`, dim, hidden, rng),
        fc2: linear(vars, `${b}/mlp/fc2`, hidden, dim, rng),
      });
    }
    lnFinal = layerNorm(vars, `${prefix}/ln`, dim);
  } catch (e) {
    disposeStageVars(vars);
    throw e;
  }

  /** [B, N, dim] -> [B * heads, N, dh] */
  const splitHeads = (t: tf.Tensor, B: number, N: number): tf.Tensor3D =>
    tf.reshape(tf.transpose(tf.reshape(t, [B, N, heads, dh]), [0, 2, 1, 3]), [B * heads, N, dh]);

  const attention = (h: tf.Tensor, blk: Block): tf.Tensor => {
    const [B, N] = h.shape;
    const q = splitHeads(dense(h, blk.q.kernel, blk.q.bias), B, N);
    const k = splitHeads(dense(h, blk.k.kernel, blk.k.bias), B, N);
    const v = splitHeads(dense(h, blk.v.kernel, blk.v.bias), B, N);
    const scores = tf.mul(tf.matMul(q, k, false, true), 1 / Math.sqrt(dh)); // [B*heads, N, N]
    const att = tf.softmax(scores); // over keys (last axis)
    const o = tf.matMul(att, v); // [B*heads, N, dh]
    const merged = tf.reshape(tf.transpose(tf.reshape(o, [B, heads, N, dh]), [0, 2, 1, 3]), [B, N, dim]);
    return dense(merged, blk.proj.kernel, blk.proj.bias);
  };

  const mlp = (h: tf.Tensor, blk: Block): tf.Tensor => dense(gelu(dense(h, blk.fc1.kernel, blk.fc1.bias)), blk.fc2.kernel, blk.fc2.bias);

  /** Embedding (+ mask token) + position embedding, then every block; returns each block's output. */
  const run = (x: tf.Tensor, opts: StageApplyOptions = {}): tf.Tensor[] => {
    const patches = patchify(x, stage.inputShape, stage.patch, prefix); // [B, N, patchDim]
    const B = patches.shape[0];
    let h = dense(patches, embed.kernel, embed.bias); // [B, N, dim]
    if (opts.mask) {
      if (!maskToken) throw new Error(`${prefix}: this transformer has no mask token (only a network's first stage has one)`);
      const m = opts.mask;
      if (m.rank !== 2 || m.shape[0] !== B || m.shape[1] !== tokens) {
        throw new Error(`${prefix}: mask must be [B, ${tokens}] for input batch ${B}, got [${m.shape}]`);
      }
      const m3 = tf.reshape(tf.cast(m, 'float32'), [B, tokens, 1]);
      h = tf.add(tf.mul(h, tf.sub(1, m3)), tf.mul(m3, maskToken)); // hidden tokens -> mask token
    }
    h = tf.add(h, posEmbed);
    const outs: tf.Tensor[] = [];
    for (const blk of blocks) {
      h = tf.add(h, attention(blk.ln1.apply(h), blk));
      h = tf.add(h, mlp(blk.ln2.apply(h), blk));
      outs.push(h);
    }
    return outs;
  };

  return {
    ...vars,
    kind: 'transformer',
    tokens,
    dim,
    depth,
    maskToken,
    apply: (x, _training, opts) =>
      tf.tidy(() => {
        const outs = run(x, opts);
        const y = lnFinal.apply(outs[outs.length - 1]); // [B, N, dim]
        return stage.pool === 'mean' ? tf.mean(y, 1) : y;
      }),
    blocks: (x, _training, opts) => tf.tidy(() => run(x, opts)),
  };
}
