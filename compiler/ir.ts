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

export const IR_VERSION = 3 as const;

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
// Scalars that may change during training

/**
 * A hyperparameter that moves from `from` to `to` between `startStep` and `endStep` and holds
 * `to` afterwards (`0.996 -> 1.0 cosine`, `0.04 -> 0.07 linear(over: 30 epochs)`). At step s,
 * with t = clamp((s - startStep) / (endStep - startStep), 0, 1):
 *   linear: from + (to - from) * t
 *   cosine: to - (to - from) * (1 + cos(pi * t)) / 2
 */
export interface Ramp {
  kind: 'ramp';
  from: number;
  to: number;
  shape: 'linear' | 'cosine';
  startStep: number;
  endStep: number;
}

/** A constant, or a ramp evaluated at every step. */
export type Scalar = number | Ramp;

// ---------------------------------------------------------------------------------------------
// Data

/**
 * Every dataset a recipe can name: built-in datasets (`mnist`, `fashion_mnist`, `digits`, the
 * generated time series `cbf` and `synthetic_control`) and file formats read from paths (`idx`,
 * `csv`, `ucr`, `uea`, `cifar10`, `npy`, `image_folder`). docs/data.md describes each.
 */
export type DatasetName =
  | 'mnist'
  | 'fashion_mnist'
  | 'digits'
  | 'cbf'
  | 'synthetic_control'
  | 'idx'
  | 'csv'
  | 'ucr'
  | 'uea'
  | 'cifar10'
  | 'npy'
  | 'image_folder';

/** `all`: a source without splits (one file or folder: idx, csv, npy, image_folder). */
export type DataSplit = 'train' | 'test' | 'all';

/**
 * What a file-based source reads, every path already resolved against the recipe's folder, so the
 * runtime loads exactly the files the compiler inspected. One member per on-disk format.
 */
export type DataFiles =
  /** IDX image + label files, plain or gzipped (idx, fashion_mnist); `labels` null = unlabelled. */
  | { format: 'idx'; images: string; labels: string | null }
  /**
   * A CSV table: `label` is the label column's header name or 0-based index (null = unlabelled);
   * `shape` reshapes the remaining columns (null = [columns]); `classes` fixes the class count.
   */
  | { format: 'csv'; file: string; label: string | number | null; shape: number[] | null; classes: number | null }
  /** UCR archive `Name_TRAIN.tsv` / `Name_TEST.tsv`: both, since labels are mapped over both. */
  | { format: 'ucr'; train: string; test: string }
  /** UEA archive `Name_TRAIN.ts` / `Name_TEST.ts` (sktime .ts format). */
  | { format: 'uea'; train: string; test: string }
  /** CIFAR-10 binary batches of the split, in the order they are concatenated. */
  | { format: 'cifar10'; files: string[] }
  /** NumPy arrays: `x` [N, ...shape], `y` [N] integer labels (null = unlabelled). */
  | { format: 'npy'; x: string; y: string | null }
  /**
   * One sub-folder of PNG/JPEG images per class. `size`: resize every image to size x size
   * (null = every image must have the first image's size); `channels`: 1 (gray) or 3 (RGB); null
   * (only in a request to the inspector): 1 when every image is grayscale, else 3. The compiler
   * always records the resolved count.
   */
  | { format: 'image_folder'; dir: string; size: number | null; channels: 1 | 3 | null };

export interface DataSource {
  kind: 'dataset';
  dataset: DatasetName;
  split: DataSplit;
  /** Batch size for training sources; probes extract features in their own fixed batches. */
  batch: number;
  /** Fraction (0, 1] of the labelled examples a probe may fit on (`labels: 10%`); 1 = all. */
  labelFraction: number;
  /** Number of examples used: the split's size (known statically or read from the files' headers) or `limit`. */
  size: number;
  /** `limit: N` in the recipe: only the first N examples of the split are used; null = all. */
  limit: number | null;
  /** Shape of one example: [H, W, C] images, [T, C] time series, [F] tabular rows. */
  shape: number[];
  /** Class ids are 0..numClasses-1; 1 for unlabelled data (every label 0). */
  numClasses: number;
  /** For file-based datasets (all but mnist, digits, cbf, synthetic_control): what to read. */
  files?: DataFiles;
  /** For generated datasets (cbf, synthetic_control): the generator's seed and how many examples it makes. */
  generator?: { seed: number; count: number };
  /** The original label of each class id where labels are mapped (ucr, uea, image_folder folder names). */
  classes?: string[];
  origin: Span;
}

/**
 * Not part of the IR: what inspecting a file-based source's files tells the compiler (the
 * `inspectData` of the compiler's file loader; runtime/data/inspect.ts reads the disk). `file` and
 * `record` name what is wrong (`record` e.g. `line 12`, `header`); `missing`: the file is absent.
 */
export type DataInspection =
  | { ok: true; size: number; shape: number[]; numClasses: number; classes?: string[] }
  | { ok: false; file: string; record?: string; message: string; missing: boolean };

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
  | { kind: 'random_apply'; p: number; ops: AugOp[]; origin: Span }
  // Time-series ops, on sequences [T, C] only (Um et al. 2017; Iwana & Uchida 2021 survey).
  | {
      /** Additive noise: x + N(0, sigma^2), i.i.d. per step and channel; no clipping. */
      kind: 'jitter';
      sigma: number;
      origin: Span;
    }
  | {
      /** x * s with s ~ N(1, sigma^2) drawn per example and channel (constant over time). */
      kind: 'scaling';
      sigma: number;
      origin: Span;
    }
  | {
      /** Cut time into k ~ U{1..maxSegments} segments at random points and shuffle their order. */
      kind: 'permutation';
      maxSegments: number;
      origin: Span;
    }
  | {
      /**
       * out(t) = x(phi(t)), phi a smooth increasing warp with phi(0) = 0, phi(T-1) = T-1 whose speed
       * is a natural cubic spline through knots + 2 points of N(1, sigma^2); linear interpolation.
       */
      kind: 'time_warp';
      sigma: number;
      knots: number;
      origin: Span;
    }
  | {
      /**
       * Window slicing (Le Guennec et al. 2016): a window of `size` steps at a uniform start,
       * stretched back to the input length T by linear interpolation (output [T, C]).
       */
      kind: 'crop';
      size: number;
      origin: Span;
    }
  | {
      /** Set round(ratio * T) steps, in spans of `span` consecutive steps, to 0 (all channels). */
      kind: 'zero_spans';
      span: number;
      ratio: number;
      origin: Span;
    };

export interface View {
  name: string;
  ops: AugOp[];
  /** Output shape of one example after the pipeline, e.g. [28, 28, 1]. */
  outputShape: number[];
  origin: Span;
}

// ---------------------------------------------------------------------------------------------
// Networks: a chain of stages composed with `->`; weights are shared by every application.

export type Norm = 'none' | 'batch' | 'layer';
export type Activation = 'relu' | 'gelu';
/** What a stage returns per example: pooled to one vector, or one vector per token / time step. */
export type Pool = 'mean' | 'none';

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
       * ResNet-style (He et al. 2016, arXiv:1512.03385) on [H, W, C]: a 3x3 stem conv to widths[0],
       * then for each width `depth` basic blocks (two 3x3 convs + identity shortcut); the first
       * block of every width after the first has stride 2 and a 1x1 projection shortcut. Global
       * average pooling: output [widths.last].
       */
      kind: 'resnet';
      widths: number[];
      depth: number;
      norm: Norm;
      activation: Activation;
      inputShape: number[];
      outputShape: number[];
      origin: Span;
    }
  | {
      /**
       * Pre-norm transformer encoder (Vaswani et al. 2017; ViT, Dosovitskiy et al. 2021,
       * arXiv:2010.11929) over patches. Image [H, W, C]: non-overlapping patch x patch patches,
       * tokens = (H / patch) * (W / patch), each a vector of patch*patch*C. Sequence [T, C]: windows
       * of `patch` steps, tokens = T / patch. Learned position embeddings, `depth` blocks of
       * multi-head self-attention and an MLP of width dim * mlpRatio, final layer norm.
       * pool 'mean' -> [dim]; 'none' -> [tokens, dim].
       */
      kind: 'transformer';
      patch: number;
      dim: number;
      depth: number;
      heads: number;
      mlpRatio: number;
      pool: Pool;
      /** Number of tokens (fixed by the input shape). */
      tokens: number;
      inputShape: number[];
      outputShape: number[];
      origin: Span;
    }
  | {
      /**
       * 1-D conv layers over time for sequences [T, C] (kernel k, stride s, 'same' padding), each
       * followed by norm and activation. pool 'mean' -> [channels.last]; 'none' -> [T', channels.last]
       * with T' = T after ceil(T / s) per layer.
       */
      kind: 'conv1d';
      channels: number[];
      kernel: number;
      stride: number;
      norm: Norm;
      activation: Activation;
      pool: Pool;
      inputShape: number[];
      outputShape: number[];
      origin: Span;
    }
  | {
      /**
       * L2 normalisation of each example's vector (each token's, for [T, D]): x / max(|x|, 1e-12).
       * DINO's head normalises its bottleneck before the last linear layer. No parameters.
       */
      kind: 'normalize';
      inputShape: number[];
      outputShape: number[];
      origin: Span;
    }
  | {
      /**
       * Dense layers; every width but the last is followed by norm and activation, the last is
       * linear (a projector head). Per-example input of rank 2 [T, D] (tokens) is transformed
       * token by token -> [T, widths.last]; any other input is flattened first -> [widths.last].
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

/**
 * A teacher: a copy of network `of` (same stages and initial weights) that is never trained by
 * gradients; after every optimizer step its weights move towards the student's by exponential
 * moving average, t <- m * t + (1 - m) * s, with m = `momentum` at that step (BYOL, MoCo, DINO,
 * data2vec). Applications of a teacher never carry gradients. Its batch-norm statistics are its own.
 */
export interface Teacher {
  name: string;
  of: string;
  momentum: Scalar;
  origin: Span;
}

// ---------------------------------------------------------------------------------------------
// The training graph: a DAG of nodes; `loss` is the id of the scalar node to minimise.

/**
 * A random mask over the tokens of each example: 1 = hidden, 0 = visible. `grid` is the token grid
 * ([H / patch, W / patch] for images, [T / patch] for sequences) and `patch` the token size in input
 * elements along each grid axis, so a network without tokens can hide the pixels / steps instead.
 */
export type MaskSpec =
  /** MAE (He et al. 2021, arXiv:2111.06377): exactly round(ratio * tokens) tokens, uniformly at random. */
  | { kind: 'patches'; ratio: number; grid: number[]; patch: number[] }
  /**
   * data2vec / wav2vec 2.0 span masking: spans of `span` consecutive tokens (along the last grid
   * axis) are hidden, starts drawn at random until round(ratio * tokens) tokens are hidden.
   */
  | { kind: 'spans'; ratio: number; span: number; grid: number[]; patch: number[] };

/** data2vec (Baevski et al. 2022) targets: the mean of the last `top` blocks' outputs of the last stage. */
export interface LayerTarget {
  top: number;
  /** 'instance': each block output is instance-normalised over tokens (per channel) before the mean. */
  norm: 'instance' | 'none';
}

export type GraphNode =
  /** The current training batch of a data source. Output [B, ...shape]. */
  | { id: number; kind: 'batch'; data: string; shape: number[]; origin: Span }
  /** One random draw of a view over its input. Two nodes of the same view are independent draws. */
  | { id: number; kind: 'view'; view: string; input: number; shape: number[]; origin: Span }
  /** A random token mask for the examples of `input` (a data node). Output [B, tokens] of 0/1. */
  | { id: number; kind: 'mask'; input: number; mask: MaskSpec; shape: number[]; origin: Span }
  /**
   * The input cut into tokens, the regression target of masked reconstruction: image [H, W, C] ->
   * [tokens, patch * patch * C]; sequence [T, C] -> [T / patch, patch * C]. With `normalize`, each
   * token is standardised by its own mean and variance (MAE's normalised-pixel target).
   */
  | { id: number; kind: 'patchify'; input: number; patch: number; normalize: boolean; shape: number[]; origin: Span }
  /**
   * A network (or teacher: `ir.teachers` has the name) applied to its input, weights shared across
   * applications. `mask` (a mask node) hides tokens from the network: a transformer replaces them
   * with a learned mask token, other networks see zeros there. `layers` returns the averaged top
   * blocks of the last stage instead of its output.
   */
  | { id: number; kind: 'apply'; network: string; input: number; mask?: number; layers?: LayerTarget; shape: number[]; origin: Span }
  /** The input with no gradient flowing back through it. */
  | { id: number; kind: 'stopgrad'; input: number; shape: number[]; origin: Span }
  /**
   * A loss function. `inputs` maps each tensor parameter of the function to its nodes (one node,
   * or several for list parameters such as DINO's views). `mask` restricts per-token losses to the
   * hidden tokens. `name` labels the term in logs. Output: scalar.
   */
  | {
      id: number;
      kind: 'loss';
      fn: LossFn;
      name: string;
      inputs: Record<string, number[]>;
      mask?: number;
      params: Record<string, Scalar>;
      shape: [];
      origin: Span;
    }
  /** Weighted sum of scalars: sum_i weights[i] * inputs[i]. */
  | { id: number; kind: 'sum'; inputs: number[]; weights: number[]; shape: []; origin: Span };

/**
 * The loss functions (runtime/losses cites each paper and states shapes). Inputs by parameter:
 *  - nt_xent { a, b }: SimCLR NT-Xent, params { temperature }.
 *  - info_nce { query, key }: MoCo InfoNCE; key is the positive for query row i; negatives are the
 *    other keys of the batch (v3) or, with queue > 0, a queue of past keys (v2). params { temperature, queue }.
 *  - cosine_regress { prediction, target }: BYOL 2 - 2 cos(p, z), mean over the batch.
 *  - neg_cosine { prediction, target }: SimSiam -cos(p, z), mean over the batch.
 *  - barlow_twins { a, b }: Barlow Twins cross-correlation loss, params { lambda }.
 *  - vicreg { a, b }: VICReg, params { invariance, variance, covariance }.
 *  - dino { student, teacher }: DINO cross-entropy between the sharpened, centred teacher
 *    distribution of each global view and the student distribution of every other view;
 *    params { student_temperature, teacher_temperature, center_momentum }.
 *  - mse { prediction, target } and smooth_l1 { prediction, target } (params { beta }): per-token
 *    regression, over the masked tokens when the node has a mask (data2vec, MAE).
 */
export type LossFn = 'nt_xent' | 'info_nce' | 'cosine_regress' | 'neg_cosine' | 'barlow_twins' | 'vicreg' | 'dino' | 'mse' | 'smooth_l1';

export interface Graph {
  nodes: GraphNode[];
  loss: number;
  /** The loss terms logged every step (every loss node, by name, in recipe order). */
  terms: { name: string; node: number }[];
  /**
   * The embedding whose per-dimension standard deviation (after l2 normalisation) is logged each
   * step as a collapse signal (SimSiam, Chen & He 2021, sec. 4: a collapsed output has std 0, a
   * healthy one about 1/sqrt(d)): the first embedding of the first loss term. null if none.
   */
  health: { embedding: number } | null;
}

// ---------------------------------------------------------------------------------------------
// Optimisation

export type Optimizer =
  | { kind: 'sgd'; lr: number; momentum: number; nesterov: boolean; weightDecay: Scalar; origin: Span }
  | { kind: 'adam'; lr: number; beta1: number; beta2: number; epsilon: number; weightDecay: Scalar; origin: Span }
  /** AdamW (Loshchilov & Hutter 2019): Adam with decoupled weight decay w <- w - lr * wd * w. */
  | { kind: 'adamw'; lr: number; beta1: number; beta2: number; epsilon: number; weightDecay: Scalar; origin: Span }
  | {
      /** LARS (You et al. 2017): SGD momentum with a per-layer trust ratio eta * |w| / |g + wd w|. */
      kind: 'lars';
      lr: number;
      momentum: number;
      weightDecay: Scalar;
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
  /** Resumable checkpoints (runtime/checkpoint.ts); one is also written at the end and on Ctrl-C. */
  checkpoint: {
    /** A checkpoint after every this many steps (`checkpoint_every`, epochs become steps); 0 = none in between. */
    everySteps: number;
    /** The newest `keep` checkpoints stay on disk. */
    keep: number;
  };
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
      /**
       * `online: true`: a linear classifier also trains alongside SSL on the stop-gradient features
       * of each training batch (solo-learn's online classifier), reporting a running top-1 on the
       * training batches and top-1 on `on` every `everySteps` steps. Absent for a probe that only
       * runs after training. The frozen-feature probe above runs at the end either way.
       */
      online?: { everySteps: number };
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
  teachers: Record<string, Teacher>;
  graph: Graph;
  optimizer: Optimizer;
  schedule: Schedule;
  train: Train;
  probes: Probe[];
}
