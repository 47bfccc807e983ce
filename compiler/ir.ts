/**
 * The IR: the contract between the compiler and the runtime.
 *
 * Plain JSON only — discriminated unions on `kind`, numbers/strings/arrays/objects, no classes,
 * functions, Maps or tensors — so `JSON.parse(JSON.stringify(ir))` round-trips, golden tests can
 * pin it, and every run folder can store it. The runtime only ever does `import type` from here.
 *
 * Every derived quantity is already resolved by the compiler (arithmetic over `batch`, warmup in
 * epochs turned into steps, defaults filled in), so the runtime never re-derives a hyperparameter.
 * Nodes keep an `origin` span so a runtime error can point at the recipe line that made it.
 *
 * Tensor layout is NHWC for images: a batch of MNIST is [B, 28, 28, 1], float32 in [0, 1].
 */

export const IR_VERSION = 1 as const;

/** 1-based line/column like Chevrotain; `offset` is 0-based into the source text. */
export interface Position {
  offset: number;
  line: number;
  column: number;
}

export interface Span {
  uri: string;
  start: Position;
  end: Position;
}

// ---------------------------------------------------------------------------------------------
// Data

/** Built-in datasets the compiler knows the size and shape of. */
export type DatasetName = 'mnist';

export interface DataSource {
  kind: 'dataset';
  dataset: DatasetName;
  split: 'train' | 'test';
  /** Batch size for training sources; probes extract features in their own fixed batches. */
  batch: number;
  /** Fraction (0, 1] of the labelled examples a probe may fit on (`labels: 10%`); 1 = all. */
  labelFraction: number;
  /** Number of examples used: the split's size (known statically for built-in datasets) or `limit`. */
  size: number;
  /** `limit: N` in the recipe: only the first N examples of the split are used; null = all. */
  limit: number | null;
  /** Shape of one example, e.g. [28, 28, 1]. */
  shape: number[];
  numClasses: number;
  origin: Span;
}

// ---------------------------------------------------------------------------------------------
// Views: augmentation pipelines applied per example, each draw with fresh random parameters.

export type AugOp =
  | {
      /** Inception-style crop (Szegedy et al. 2015), resized back to `size` x `size`. */
      kind: 'random_resized_crop';
      size: number;
      /** Fraction of the image area kept, sampled uniformly in [lo, hi]. */
      scale: [number, number];
      /** Aspect ratio range, sampled log-uniformly. */
      ratio: [number, number];
      origin: Span;
    }
  | { kind: 'random_flip'; horizontal: boolean; vertical: boolean; p: number; origin: Span }
  | {
      /** brightness b: x + U(-b, b); contrast c: (x - mean) * U(1 - c, 1 + c) + mean. Clipped to [0,1]. */
      kind: 'color_jitter';
      brightness: number;
      contrast: number;
      origin: Span;
    }
  | { kind: 'gaussian_noise'; std: number; origin: Span }
  | {
      /** Gaussian blur with sigma ~ U(lo, hi), applied with probability p. */
      kind: 'gaussian_blur';
      sigma: [number, number];
      p: number;
      origin: Span;
    }
  | { kind: 'random_apply'; p: number; ops: AugOp[]; origin: Span };

export interface View {
  name: string;
  ops: AugOp[];
  /** Output shape of one example after the pipeline, e.g. [28, 28, 1]. */
  outputShape: number[];
  origin: Span;
}

// ---------------------------------------------------------------------------------------------
// Networks: a chain of stages composed with `->`; weights are shared by every application.

export type Norm = 'none' | 'batch';
export type Activation = 'relu';

export type Stage =
  | {
      /** Conv layers (kernel k, stride s, 'same' padding) with activation, then global average pooling. */
      kind: 'convnet';
      channels: number[];
      kernel: number;
      stride: number;
      norm: Norm;
      activation: Activation;
      inputShape: number[];
      outputShape: number[];
      origin: Span;
    }
  | {
      /**
       * Dense layers: every width but the last is followed by norm and activation; the last is
       * linear (a projector head). Input is flattened first.
       */
      kind: 'mlp';
      widths: number[];
      norm: Norm;
      activation: Activation;
      inputShape: number[];
      outputShape: number[];
      origin: Span;
    };

export interface Network {
  name: string;
  stages: Stage[];
  inputShape: number[];
  outputShape: number[];
  origin: Span;
}

// ---------------------------------------------------------------------------------------------
// The training graph: a DAG of nodes; `loss` is the id of the scalar node to minimise.

export type GraphNode =
  /** The current training batch of a data source. Output [B, ...shape]. */
  | { id: number; kind: 'batch'; data: string; shape: number[]; origin: Span }
  /** One random draw of a view over its input. Two nodes of the same view are independent draws. */
  | { id: number; kind: 'view'; view: string; input: number; shape: number[]; origin: Span }
  /** A network applied to its input (weights shared across applications). */
  | { id: number; kind: 'apply'; network: string; input: number; shape: number[]; origin: Span }
  /** A loss function over its inputs. Output: scalar. */
  | { id: number; kind: 'loss'; fn: LossFn; inputs: number[]; params: Record<string, number>; shape: []; origin: Span }
  /** Weighted sum of scalars: sum_i weights[i] * inputs[i]. */
  | { id: number; kind: 'sum'; inputs: number[]; weights: number[]; shape: []; origin: Span };

/** NT-Xent (SimCLR, Chen et al. 2020): params { temperature }. Inputs: two [B, D] embeddings. */
export type LossFn = 'nt_xent';

export interface Graph {
  nodes: GraphNode[];
  loss: number;
}

// ---------------------------------------------------------------------------------------------
// Optimisation

export type Optimizer =
  | { kind: 'sgd'; lr: number; momentum: number; nesterov: boolean; weightDecay: number; origin: Span }
  | { kind: 'adam'; lr: number; beta1: number; beta2: number; epsilon: number; weightDecay: number; origin: Span }
  | {
      /** LARS (You et al. 2017): SGD momentum with a per-layer trust ratio eta * |w| / |g + wd w|. */
      kind: 'lars';
      lr: number;
      momentum: number;
      weightDecay: number;
      eta: number;
      /** Biases and norm parameters skip weight decay and adaptation, as in SimCLR/BYOL. */
      excludeBiasAndNorm: boolean;
      origin: Span;
    };

export type Schedule =
  | { kind: 'constant'; origin: Span | null }
  | {
      /** Linear warmup from 0 to the optimizer's lr over `warmupSteps`, then cosine to `finalLr`. */
      kind: 'warmup_cosine';
      warmupSteps: number;
      /** Total steps of the planned run (epochs * stepsPerEpoch). */
      totalSteps: number;
      finalLr: number;
      origin: Span;
    };

export interface Train {
  epochs: number;
  seed: number;
  /** The data source the training batches come from. */
  data: string;
  batch: number;
  /** floor(size / batch): the last partial batch is dropped, as contrastive losses need full batches. */
  stepsPerEpoch: number;
  totalSteps: number;
  origin: Span | null;
}

// ---------------------------------------------------------------------------------------------
// Probes: frozen encoder (eval mode, no augmentation), fitted on `fit`, reported on `on`.

/** Which representation a probe reads: the output of stage `stage` of `network`. */
export interface FeatureRef {
  network: string;
  stage: number;
  dim: number;
  /**
   * The networks un-augmented data passes through to reach `network`, innermost first, ending
   * with `network` (e.g. ['encoder', 'projector'] for `of: projector`).
   */
  chain: string[];
}

export type Probe =
  | {
      /** Multinomial logistic regression on standardised features. */
      kind: 'linear';
      fit: DataSource;
      on: DataSource;
      features: FeatureRef;
      l2: number;
      epochs: number;
      origin: Span;
    }
  | {
      /** Cosine-similarity kNN with majority (or temperature-weighted) votes. */
      kind: 'knn';
      fit: DataSource;
      on: DataSource;
      features: FeatureRef;
      k: number;
      /** 0 = majority vote; > 0 = votes weighted by exp(sim / temperature) (InstDisc/DINO). */
      temperature: number;
      origin: Span;
    };

// ---------------------------------------------------------------------------------------------

export interface IR {
  irVersion: typeof IR_VERSION;
  recipe: string;
  source: { uri: string };
  data: Record<string, DataSource>;
  views: Record<string, View>;
  networks: Record<string, Network>;
  graph: Graph;
  optimizer: Optimizer;
  schedule: Schedule;
  train: Train;
  probes: Probe[];
}
