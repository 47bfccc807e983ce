/**
 * The built-in catalog: every function a recipe can call, with its parameters (type, default or
 * required, allowed range) and docs. Argument checking (`validate/args.ts`) is driven by this table,
 * not by per-function code, and editor completion/hover will read the same table.
 *
 * Plain data only (no functions), so it can be serialised for the VS Code extension.
 */
import type { DatasetName } from './ir.js';

export type BuiltinKind = 'dataset' | 'augmentation' | 'network-stage' | 'teacher' | 'graph' | 'loss' | 'optimizer' | 'schedule' | 'probe' | 'train';

export type ParamType =
  | { kind: 'int' }
  | { kind: 'number' }
  /** `lo..hi`; a single number x means [x, x]. Bounds apply to both ends. */
  | { kind: 'range' }
  /** `[32, 64, 128]`, non-empty; bounds apply to each item. */
  | { kind: 'int-list' }
  /** A quoted string out of `values`: `split: "train"`. */
  | { kind: 'string-enum'; values: readonly string[] }
  /** A bare word out of `values`: `norm: batch`. In this position the word is a literal, not a name. */
  | { kind: 'ident-enum'; values: readonly string[] }
  | { kind: 'bool' }
  /** `10 epochs` or `500 steps` (or `0`). */
  | { kind: 'duration' }
  /** A fraction in (0, 1]: `10%` or `0.1`. */
  | { kind: 'fraction' }
  /** A data source: a `data` name or an inline dataset call such as `mnist(split: "test")`. */
  | { kind: 'data' }
  /** A `network` name. */
  | { kind: 'network' }
  /** An augmentation call or a `view` name (its ops are spliced in). */
  | { kind: 'augmentation' }
  /** A per-example embedding: a network output in the loss graph. */
  | { kind: 'embedding' }
  /** A list of embeddings (`[student(g1), student(g2)]`) or one: DINO's views. */
  | { kind: 'embeddings' }
  /** Any per-example tensor of the training graph (data, a view draw, a network output). */
  | { kind: 'tensor' }
  /** A token mask from mask_patches(...) / mask_spans(...). */
  | { kind: 'mask' }
  /** A quoted file or folder path, relative to the recipe's folder: `"data/train.csv"`. */
  | { kind: 'path' }
  /** A table column: its header name (`"label"`) or 0-based index (`0`; -1 = the last column). */
  | { kind: 'column' };

export type DefaultValue = number | boolean | string | readonly number[] | { value: number; unit: 'epochs' | 'steps' };

export interface ParamSpec {
  name: string;
  type: ParamType;
  /** Required parameters have no default. */
  required?: boolean;
  default?: DefaultValue;
  /** May be given by position (positional parameters are filled in declaration order). */
  positional?: boolean;
  /** The last positional parameter may collect all remaining positional arguments. */
  variadic?: boolean;
  /**
   * A `number` parameter that may also be a ramp over training, `0.996 -> 1.0 cosine`
   * (bounds apply to both ends).
   */
  schedulable?: boolean;
  /** Bounds (numbers, range ends, list items). */
  min?: number;
  max?: number;
  exclusiveMin?: boolean;
  exclusiveMax?: boolean;
  doc: string;
}

export interface BuiltinSpec {
  name: string;
  kind: BuiltinKind;
  params: readonly ParamSpec[];
  doc: string;
}

// ---------------------------------------------------------------------------------------------
// Datasets

export interface DatasetFacts {
  /**
   * true: the recipe picks `split: "train" | "test"`; false: the source is one file or folder
   * (split `all` in the IR), and a probe's default `fit:` is the same data.
   */
  hasSplits: boolean;
  /** Reads files, which the compiler inspects through its loader (`FileLoader.inspectData`). */
  readsFiles: boolean;
  /**
   * What the compiler knows without reading files: examples per split (for generated datasets the
   * default `size:`), the shape of one example, the number of classes.
   */
  known?: { sizes: Record<'train' | 'test', number>; shape: readonly number[]; numClasses: number };
  /** Generated datasets: the generator seed of each split (fixed, so every run sees the same data). */
  seeds?: Record<'train' | 'test', number>;
  doc: string;
}

/** Where Debian's `dataset-fashion-mnist` package installs the gzipped IDX files. */
export const FASHION_MNIST_DIR = '/usr/share/datasets/fashion-mnist';

export const datasets: Record<DatasetName, DatasetFacts> = {
  mnist: {
    hasSplits: true,
    readsFiles: false,
    known: { sizes: { train: 60000, test: 10000 }, shape: [28, 28, 1], numClasses: 10 },
    doc: 'MNIST handwritten digits (LeCun et al. 1998): 28x28 grayscale, 10 classes, 60000 train / 10000 test.',
  },
  fashion_mnist: {
    hasSplits: true,
    readsFiles: true,
    known: { sizes: { train: 60000, test: 10000 }, shape: [28, 28, 1], numClasses: 10 },
    doc: `Fashion-MNIST (Xiao, Rasul & Vollgraf 2017, arXiv:1708.07747): 28x28 grayscale clothing, 10 classes, 60000 train / 10000 test. Reads the gzipped IDX files Debian's \`dataset-fashion-mnist\` installs in ${FASHION_MNIST_DIR} (or \`dir:\`).`,
  },
  digits: {
    hasSplits: true,
    readsFiles: false,
    known: { sizes: { train: 1437, test: 360 }, shape: [8, 8, 1], numClasses: 10 },
    doc: "Optical handwritten digits (UCI optdigits test set, Alpaydin & Kaynak 1998; scikit-learn's load_digits): 8x8 grayscale, pixel counts 0..16 scaled to [0, 1], 10 classes, 1797 examples: train = the first 1437, test = the last 360. Vendored in data/digits.csv.gz.",
  },
  cbf: {
    hasSplits: true,
    readsFiles: false,
    known: { sizes: { train: 3000, test: 900 }, shape: [128, 1], numClasses: 3 },
    seeds: { train: 0xcbf0, test: 0xcbf1 },
    doc: 'Cylinder-Bell-Funnel (Saito 1994) time series generated on the fly: length 128, 1 channel, 3 balanced classes. Train and test come from two fixed seeds; default 3000 train (the UCR archive has 30, too few to pretrain on) / 900 test (as the archive).',
  },
  synthetic_control: {
    hasSplits: true,
    readsFiles: false,
    known: { sizes: { train: 3000, test: 300 }, shape: [60, 1], numClasses: 6 },
    seeds: { train: 0x5c70, test: 0x5c71 },
    doc: 'Synthetic Control Chart time series (Alcock & Manolopoulos 1999) generated on the fly: length 60, 1 channel, 6 balanced classes (normal, cyclic, increasing/decreasing trend, upward/downward shift). Two fixed seeds; default 3000 train (the UCR archive has 300) / 300 test (as the archive).',
  },
  idx: {
    hasSplits: false,
    readsFiles: true,
    doc: 'IDX files (the MNIST format, LeCun et al.): unsigned-byte images [N, H, W] or [N, H, W, C] (pixel / 255) and labels [N]; plain or gzipped (detected by the gzip magic bytes).',
  },
  csv: {
    hasSplits: false,
    readsFiles: true,
    doc: 'A CSV table of numbers, one example per row: a label column (integer class ids 0..K-1) and the feature columns, optionally reshaped (`shape: [8, 8, 1]`). A first row with any non-numeric field is a header.',
  },
  ucr: {
    hasSplits: true,
    readsFiles: true,
    doc: 'A univariate UCR archive dataset (Dau et al. 2019): `DIR/NAME_TRAIN.tsv` / `NAME_TEST.tsv`, one series per line, the label first, tab-separated. Labels are mapped to 0..K-1 in sorted order over both files; shorter series (padded with NaN) are padded with zeros at the end. Examples are [T, 1].',
  },
  uea: {
    hasSplits: true,
    readsFiles: true,
    doc: 'A UEA multivariate archive dataset (Bagnall et al. 2018) in the sktime .ts format: `DIR/NAME_TRAIN.ts` / `NAME_TEST.ts`, dimensions separated by `:`, the class last. Class ids follow the `@classLabel` header order. Examples are [T, D].',
  },
  cifar10: {
    hasSplits: true,
    readsFiles: true,
    doc: 'CIFAR-10 binary version (Krizhevsky 2009): `data_batch_1..5.bin` (train, 50000) / `test_batch.bin` (test, 10000), each record 1 label byte + 3072 bytes (channel-major 32x32 planes), given as [32, 32, 3] (pixel / 255).',
  },
  npy: {
    hasSplits: false,
    readsFiles: true,
    doc: 'NumPy .npy arrays (format v1-v3, C order): `x` [N, ...shape] of u1 (pixel / 255), i1/i2/i4/i8/f4/f8 (taken as is), little or big endian; `y` [N] integer class ids.',
  },
  image_folder: {
    hasSplits: false,
    readsFiles: true,
    doc: 'A folder of PNG/JPEG images with one sub-folder per class (class ids in sorted folder order), given as [H, W, C] (pixel / 255). C is 1 when every image is grayscale, else 3 (or `channels:`). Images must share one size unless `size:` resizes them.',
  },
};

const batchParam: ParamSpec = { name: 'batch', type: { kind: 'int' }, default: 256, min: 1, doc: 'Training batch size (probes extract features in their own batches).' };
const labelFractionParam: ParamSpec = { name: 'labels', type: { kind: 'fraction' }, default: 1, min: 0, exclusiveMin: true, max: 1, doc: 'Fraction of labelled examples a probe may fit on (`10%`).' };
const limitParam: ParamSpec = { name: 'limit', type: { kind: 'int' }, min: 1, doc: 'Use only the first N examples (quick experiments, tests). Default: all.' };
const splitParam = (doc: string): ParamSpec => ({ name: 'split', type: { kind: 'string-enum', values: ['train', 'test'] }, required: true, doc });
const dataset = (name: DatasetName, params: ParamSpec[]): BuiltinSpec => ({
  name,
  kind: 'dataset',
  doc: datasets[name].doc,
  params: [...params, batchParam, labelFractionParam, limitParam],
});

/** The dataset builtins, in catalog order; their facts are in `datasets`. */
const datasetBuiltins: BuiltinSpec[] = [
  dataset('mnist', [splitParam('Which split: "train" (60000) or "test" (10000).')]),
  dataset('fashion_mnist', [
    splitParam('Which split: "train" (60000) or "test" (10000).'),
    { name: 'dir', type: { kind: 'path' }, default: FASHION_MNIST_DIR, doc: 'Folder holding {train,t10k}-{images-idx3,labels-idx1}-ubyte(.gz); relative to the recipe.' },
  ]),
  dataset('digits', [splitParam('Which split: "train" (the first 1437 rows) or "test" (the last 360).')]),
  dataset('cbf', [
    splitParam('Which split: "train" or "test" (different fixed generator seeds).'),
    { name: 'size', type: { kind: 'int' }, min: 1, doc: 'Series to generate (default: 3000 train, 900 test).' },
  ]),
  dataset('synthetic_control', [
    splitParam('Which split: "train" or "test" (different fixed generator seeds).'),
    { name: 'size', type: { kind: 'int' }, min: 1, doc: 'Series to generate (default: 3000 train, 300 test).' },
  ]),
  dataset('idx', [
    { name: 'images', type: { kind: 'path' }, required: true, positional: true, doc: 'IDX image file ([N, H, W] or [N, H, W, C] unsigned bytes), plain or .gz; relative to the recipe.' },
    { name: 'label_file', type: { kind: 'path' }, positional: true, doc: 'IDX label file ([N] unsigned bytes); leave out for unlabelled data. (`labels:` is the label fraction, as for every dataset.)' },
  ]),
  dataset('csv', [
    { name: 'file', type: { kind: 'path' }, required: true, positional: true, doc: 'The CSV file (comma-separated numbers, optional header row); relative to the recipe.' },
    { name: 'label', type: { kind: 'column' }, doc: 'The label column: its header name ("label") or 0-based index (-1 = last). Leave out for unlabelled data.' },
    { name: 'shape', type: { kind: 'int-list' }, min: 1, doc: 'Shape of one example, e.g. [8, 8, 1] (its product must be the number of feature columns). Default: [columns].' },
    { name: 'classes', type: { kind: 'int' }, min: 1, doc: 'Number of classes (default: largest label + 1); give it when a file may lack the last classes.' },
  ]),
  dataset('ucr', [
    { name: 'path', type: { kind: 'path' }, required: true, positional: true, doc: '"DIR/NAME": the files are DIR/NAME_TRAIN.tsv and DIR/NAME_TEST.tsv; relative to the recipe.' },
    splitParam('Which file: "train" (NAME_TRAIN.tsv) or "test" (NAME_TEST.tsv).'),
  ]),
  dataset('uea', [
    { name: 'path', type: { kind: 'path' }, required: true, positional: true, doc: '"DIR/NAME": the files are DIR/NAME_TRAIN.ts and DIR/NAME_TEST.ts; relative to the recipe.' },
    splitParam('Which file: "train" (NAME_TRAIN.ts) or "test" (NAME_TEST.ts).'),
  ]),
  dataset('cifar10', [
    { name: 'dir', type: { kind: 'path' }, required: true, positional: true, doc: 'Folder holding data_batch_1.bin ... data_batch_5.bin and test_batch.bin; relative to the recipe.' },
    splitParam('Which split: "train" (data_batch_1..5.bin) or "test" (test_batch.bin).'),
  ]),
  dataset('npy', [
    { name: 'x', type: { kind: 'path' }, required: true, positional: true, doc: 'The examples, [N, ...shape]; relative to the recipe.' },
    { name: 'y', type: { kind: 'path' }, positional: true, doc: 'The labels, [N] integer class ids; leave out for unlabelled data.' },
  ]),
  dataset('image_folder', [
    { name: 'dir', type: { kind: 'path' }, required: true, positional: true, doc: 'Folder with one sub-folder of .png/.jpg/.jpeg images per class; relative to the recipe.' },
    { name: 'size', type: { kind: 'int' }, min: 1, doc: 'Resize every image to SIZE x SIZE (bilinear). Default: no resizing; every image must have the size of the first.' },
    { name: 'channels', type: { kind: 'int' }, min: 1, max: 3, doc: '1 (grayscale, ITU-R BT.601 luma) or 3 (RGB). Default: 1 if every image is grayscale, else 3.' },
  ]),
];

const norm: ParamSpec = {
  name: 'norm',
  type: { kind: 'ident-enum', values: ['none', 'batch', 'layer'] },
  default: 'none',
  doc: 'Normalisation after each hidden layer: `none`, `batch` (batch norm) or `layer` (layer norm).',
};
const activation: ParamSpec = {
  name: 'activation',
  type: { kind: 'ident-enum', values: ['relu', 'gelu'] },
  default: 'relu',
  doc: 'Activation after each hidden layer: `relu` or `gelu`.',
};
const pool: ParamSpec = {
  name: 'pool',
  type: { kind: 'ident-enum', values: ['mean', 'none'] },
  default: 'mean',
  doc: '`mean`: one vector per example (average over tokens / time); `none`: one vector per token.',
};
const temperature = (dflt: number, doc = 'Softmax temperature (may be a ramp: `0.04 -> 0.07 linear`).'): ParamSpec => ({
  name: 'temperature',
  type: { kind: 'number' },
  default: dflt,
  schedulable: true,
  min: 0,
  exclusiveMin: true,
  doc,
});
const twoEmbeddings = (a: string, b: string, docA: string, docB: string): ParamSpec[] => [
  { name: a, type: { kind: 'embedding' }, required: true, positional: true, doc: docA },
  { name: b, type: { kind: 'embedding' }, required: true, positional: true, doc: docB },
];
const regression = (name: string, doc: string, extra: ParamSpec[]): BuiltinSpec => ({
  name,
  kind: 'loss',
  doc,
  params: [
    { name: 'prediction', type: { kind: 'tensor' }, required: true, positional: true, doc: 'Predictions, [D] or [T, D] per example.' },
    { name: 'target', type: { kind: 'tensor' }, required: true, positional: true, doc: 'Targets of the same shape (wrap a teacher output in stopgrad).' },
    { name: 'mask', type: { kind: 'mask' }, doc: 'Only the hidden tokens of this mask count (the student must see the same mask).' },
    ...extra,
  ],
});
const probability = (name: string, dflt: number | undefined, doc: string, positional = false): ParamSpec => ({
  name,
  type: { kind: 'number' },
  ...(dflt === undefined ? { required: true } : { default: dflt }),
  ...(positional ? { positional: true } : {}),
  min: 0,
  max: 1,
  doc,
});
const lr: ParamSpec = {
  name: 'lr',
  type: { kind: 'number' },
  required: true,
  min: 0,
  exclusiveMin: true,
  doc: 'Peak learning rate; arithmetic over `batch` is allowed (`0.3 * batch / 256`).',
};
const weightDecay = (dflt: number): ParamSpec => ({ name: 'weight_decay', type: { kind: 'number' }, default: dflt, schedulable: true, min: 0, doc: 'L2 weight decay; may be a ramp (`1e-4 -> 1e-5 cosine`).' });
const probeCommon: ParamSpec[] = [
  { name: 'fit', type: { kind: 'data' }, doc: "Labelled data the probe is fitted on (default: the training data's train split, all labels)." },
  { name: 'on', type: { kind: 'data' }, required: true, doc: 'Held-out data the probe accuracy is reported on.' },
  {
    name: 'of',
    type: { kind: 'network' },
    doc: "The network whose output is probed (default: the first stage of the backbone, the innermost network applied to a view in the loss).",
  },
];

export const builtinList: readonly BuiltinSpec[] = [
  // -- datasets ---------------------------------------------------------------------------------
  ...datasetBuiltins,
  // -- augmentations ------------------------------------------------------------------------------
  {
    name: 'random_resized_crop',
    kind: 'augmentation',
    doc: 'Inception-style random crop (Szegedy et al. 2015) resized back to SIZE x SIZE.',
    params: [
      { name: 'size', type: { kind: 'int' }, required: true, positional: true, min: 1, doc: 'Output side length in pixels (at most the input side).' },
      { name: 'scale', type: { kind: 'range' }, default: [0.08, 1.0], min: 0, exclusiveMin: true, max: 1, doc: 'Fraction of the area kept, uniform in [lo, hi].' },
      { name: 'ratio', type: { kind: 'range' }, default: [3 / 4, 4 / 3], min: 0, exclusiveMin: true, doc: 'Aspect ratio range, log-uniform.' },
    ],
  },
  {
    name: 'random_flip',
    kind: 'augmentation',
    doc: 'Mirror the image with probability p.',
    params: [
      probability('p', 0.5, 'Probability of flipping.'),
      { name: 'horizontal', type: { kind: 'bool' }, default: true, doc: 'Flip left-right.' },
      { name: 'vertical', type: { kind: 'bool' }, default: false, doc: 'Flip top-bottom.' },
    ],
  },
  {
    name: 'color_jitter',
    kind: 'augmentation',
    doc: 'Brightness b: x + U(-b, b); contrast c: (x - mean) * U(1 - c, 1 + c) + mean; clipped to [0, 1].',
    params: [
      { name: 'brightness', type: { kind: 'number' }, default: 0, min: 0, doc: 'Maximum additive brightness change.' },
      { name: 'contrast', type: { kind: 'number' }, default: 0, min: 0, max: 1, doc: 'Maximum relative contrast change.' },
    ],
  },
  {
    name: 'gaussian_noise',
    kind: 'augmentation',
    doc: 'Add per-pixel N(0, std^2) noise, clipped to [0, 1].',
    params: [{ name: 'std', type: { kind: 'number' }, required: true, min: 0, doc: 'Noise standard deviation.' }],
  },
  {
    name: 'gaussian_blur',
    kind: 'augmentation',
    doc: 'Gaussian blur with sigma ~ U(lo, hi), applied with probability p.',
    params: [
      { name: 'sigma', type: { kind: 'range' }, default: [0.1, 2.0], min: 0, exclusiveMin: true, doc: 'Blur sigma range in pixels.' },
      probability('p', 1.0, 'Probability of blurring.'),
    ],
  },
  {
    name: 'random_apply',
    kind: 'augmentation',
    doc: 'Apply the given ops (in order) with probability P: `random_apply(0.8, color_jitter(...))`.',
    params: [
      probability('p', undefined, 'Probability of applying the ops.', true),
      { name: 'ops', type: { kind: 'augmentation' }, required: true, positional: true, variadic: true, doc: 'The ops to apply.' },
    ],
  },
  // Time-series augmentations: sequences [T, C] only. Defaults are those of Iwana & Uchida's
  // survey code (2021, "An empirical survey of data augmentation for time series classification
  // with neural networks", PLOS ONE), meant for z-normalised series.
  {
    name: 'jitter',
    kind: 'augmentation',
    doc: 'Sequences: add N(0, sigma^2) noise to every step and channel, no clipping (Um et al. 2017; TS-TCC, Eldele et al. 2021).',
    params: [{ name: 'sigma', type: { kind: 'number' }, default: 0.03, min: 0, doc: 'Noise standard deviation, in the units of the data.' }],
  },
  {
    name: 'scaling',
    kind: 'augmentation',
    doc: 'Sequences: multiply each channel of each example by its own factor ~ N(1, sigma^2), constant over time (Um et al. 2017).',
    params: [{ name: 'sigma', type: { kind: 'number' }, default: 0.1, min: 0, doc: 'Standard deviation of the factor.' }],
  },
  {
    name: 'permutation',
    kind: 'augmentation',
    doc: 'Sequences: cut the time axis into k ~ U{1..max_segments} segments at random points and shuffle their order (Um et al. 2017; the strong view of TS-TCC, Eldele et al. 2021).',
    params: [{ name: 'max_segments', type: { kind: 'int' }, default: 5, min: 1, doc: 'Most segments (1 = the identity).' }],
  },
  {
    name: 'time_warp',
    kind: 'augmentation',
    doc: 'Sequences: resample at a smooth random increasing warp of time that keeps both ends; its speed is a cubic spline through KNOTS + 2 random N(1, sigma^2) values (Um et al. 2017).',
    params: [
      { name: 'sigma', type: { kind: 'number' }, default: 0.2, min: 0, doc: 'Standard deviation of the speed at each knot (0 = the identity).' },
      { name: 'knots', type: { kind: 'int' }, default: 4, min: 1, doc: 'Interior knots of the speed curve (more = wigglier).' },
    ],
  },
  {
    name: 'crop',
    kind: 'augmentation',
    doc: 'Sequences: window slicing (Le Guennec et al. 2016): a window of SIZE steps at a random start, stretched back to the input length by linear interpolation, so the example keeps its shape [T, C].',
    params: [{ name: 'size', type: { kind: 'int' }, required: true, positional: true, min: 1, doc: 'Window length in steps (at most T; T = the identity). Le Guennec et al. use 90% of T.' }],
  },
  {
    name: 'zero_spans',
    kind: 'augmentation',
    doc: "Sequences: set round(ratio * T) time steps to 0 (all channels), in spans of SPAN consecutive steps at random places (time masking, as SpecAugment's, Park et al. 2019). Not the graph function mask_spans, which builds a token mask for `encoder(x, mask: m)`.",
    params: [
      { name: 'span', type: { kind: 'int' }, default: 5, min: 1, doc: 'Length of each zeroed span, in steps.' },
      { name: 'ratio', type: { kind: 'number' }, default: 0.15, min: 0, max: 1, exclusiveMax: true, doc: 'Fraction of the time steps zeroed.' },
    ],
  },
  // -- network stages -------------------------------------------------------------------------------
  {
    name: 'convnet',
    kind: 'network-stage',
    doc: "Conv layers (kernel k, stride s, 'same' padding) with activation, then global average pooling. Input [H, W, C], output [channels.last].",
    params: [
      { name: 'channels', type: { kind: 'int-list' }, required: true, positional: true, min: 1, doc: 'Output channels of each conv layer.' },
      { name: 'kernel', type: { kind: 'int' }, default: 3, min: 1, doc: 'Kernel side length.' },
      { name: 'stride', type: { kind: 'int' }, default: 2, min: 1, doc: 'Stride of every layer.' },
      norm,
      activation,
    ],
  },
  {
    name: 'mlp',
    kind: 'network-stage',
    doc: 'Dense layers on the flattened input; every width but the last is followed by norm and activation, the last is linear.',
    params: [
      { name: 'widths', type: { kind: 'int-list' }, required: true, positional: true, min: 1, doc: 'Output width of each layer.' },
      norm,
      activation,
    ],
  },
  {
    name: 'resnet',
    kind: 'network-stage',
    doc: 'ResNet-style encoder (He et al. 2016): 3x3 stem, DEPTH basic blocks per width (stride 2 entering each width after the first), global average pooling. Input [H, W, C], output [widths.last].',
    params: [
      { name: 'widths', type: { kind: 'int-list' }, required: true, positional: true, min: 1, doc: 'Channels of each group of blocks.' },
      { name: 'depth', type: { kind: 'int' }, default: 2, min: 1, doc: 'Basic blocks per width.' },
      { ...norm, default: 'batch' },
      activation,
    ],
  },
  {
    name: 'transformer',
    kind: 'network-stage',
    doc: 'Pre-norm transformer encoder (ViT, Dosovitskiy et al. 2021) over PATCH x PATCH image patches or windows of PATCH time steps, with learned position embeddings. Output [dim] (pool: mean) or [tokens, dim] (pool: none).',
    params: [
      { name: 'patch', type: { kind: 'int' }, required: true, min: 1, doc: 'Patch side (images) or window length (sequences); must divide the input size.' },
      { name: 'dim', type: { kind: 'int' }, default: 64, min: 1, doc: 'Token width.' },
      { name: 'depth', type: { kind: 'int' }, default: 4, min: 1, doc: 'Transformer blocks.' },
      { name: 'heads', type: { kind: 'int' }, default: 4, min: 1, doc: 'Attention heads (must divide dim).' },
      { name: 'mlp_ratio', type: { kind: 'number' }, default: 2, min: 0, exclusiveMin: true, doc: 'Hidden width of each block MLP, as a multiple of dim.' },
      pool,
    ],
  },
  {
    name: 'conv1d',
    kind: 'network-stage',
    doc: "1-D conv layers over time for sequences [T, C] ('same' padding), each followed by norm and activation. Output [channels.last] (pool: mean) or [T', channels.last].",
    params: [
      { name: 'channels', type: { kind: 'int-list' }, required: true, positional: true, min: 1, doc: 'Output channels of each conv layer.' },
      { name: 'kernel', type: { kind: 'int' }, default: 5, min: 1, doc: 'Kernel length.' },
      { name: 'stride', type: { kind: 'int' }, default: 1, min: 1, doc: 'Stride of every layer.' },
      norm,
      activation,
      pool,
    ],
  },
  {
    name: 'normalize',
    kind: 'network-stage',
    doc: "L2-normalise each example's vector (each token's, for per-token outputs); no parameters. DINO normalises its head's bottleneck: mlp([256, 256, 64]) -> normalize() -> mlp([1024]).",
    params: [],
  },
  // -- teachers -----------------------------------------------------------------------------------
  {
    name: 'ema',
    kind: 'teacher',
    doc: "A teacher whose weights are an exponential moving average of a trained network's (BYOL, MoCo, DINO, data2vec): t <- m t + (1 - m) s after every step. Its outputs carry no gradient.",
    params: [
      { name: 'network', type: { kind: 'network' }, required: true, positional: true, doc: 'The student network it follows (same stages and initial weights).' },
      { name: 'momentum', type: { kind: 'number' }, default: 0.996, schedulable: true, min: 0, max: 1, doc: 'EMA momentum m; often a ramp `0.996 -> 1.0 cosine` (BYOL).' },
    ],
  },
  // -- graph functions ------------------------------------------------------------------------------
  {
    name: 'stopgrad',
    kind: 'graph',
    doc: 'Its input, with no gradient flowing back (SimSiam, Chen & He 2021). Works on one tensor or a list.',
    params: [{ name: 'x', type: { kind: 'tensor' }, required: true, positional: true, doc: 'A tensor (or list of tensors) of the training graph.' }],
  },
  {
    name: 'repeat',
    kind: 'graph',
    doc: 'A list of N independent evaluations of an expression: `repeat(6, local(train))` draws six local crops (multi-crop, Caron et al. 2020).',
    params: [
      { name: 'n', type: { kind: 'int' }, required: true, positional: true, min: 1, max: 64, doc: 'How many draws.' },
      { name: 'x', type: { kind: 'tensor' }, required: true, positional: true, doc: 'The expression to draw, evaluated afresh each time.' },
    ],
  },
  {
    name: 'mask_patches',
    kind: 'graph',
    doc: 'A random mask over the PATCH x PATCH patches (or PATCH-step windows) of each example: round(ratio * tokens) hidden, uniformly (MAE, He et al. 2021). Give it to a network (`encoder(x, mask: m)`) and to the loss (`mask: m`).',
    params: [
      { name: 'x', type: { kind: 'tensor' }, required: true, positional: true, doc: 'The data or view draw the mask is for.' },
      { name: 'ratio', type: { kind: 'number' }, default: 0.75, min: 0, max: 1, exclusiveMin: true, exclusiveMax: true, doc: 'Fraction of tokens hidden.' },
      { name: 'patch', type: { kind: 'int' }, required: true, min: 1, doc: 'Token size; must equal the patch of a transformer the mask is given to.' },
    ],
  },
  {
    name: 'mask_spans',
    kind: 'graph',
    doc: 'A random mask of spans of SPAN consecutive tokens (data2vec / wav2vec 2.0), round(ratio * tokens) hidden per example.',
    params: [
      { name: 'x', type: { kind: 'tensor' }, required: true, positional: true, doc: 'The data or view draw the mask is for.' },
      { name: 'ratio', type: { kind: 'number' }, default: 0.5, min: 0, max: 1, exclusiveMin: true, exclusiveMax: true, doc: 'Fraction of tokens hidden.' },
      { name: 'span', type: { kind: 'int' }, default: 3, min: 1, doc: 'Length of each hidden span, in tokens.' },
      { name: 'patch', type: { kind: 'int' }, default: 1, min: 1, doc: 'Token size (patch side or window length).' },
    ],
  },
  {
    name: 'patches',
    kind: 'graph',
    doc: 'The input cut into PATCH x PATCH patches (or PATCH-step windows), one flattened vector per token: the target of masked reconstruction (MAE).',
    params: [
      { name: 'x', type: { kind: 'tensor' }, required: true, positional: true, doc: 'Data or a view draw.' },
      { name: 'patch', type: { kind: 'int' }, required: true, positional: true, min: 1, doc: 'Patch side or window length.' },
      { name: 'normalize', type: { kind: 'bool' }, default: false, doc: "Standardise each patch by its own mean and variance (MAE's norm_pix_loss)." },
    ],
  },
  // -- losses -----------------------------------------------------------------------------------
  {
    name: 'nt_xent',
    kind: 'loss',
    doc: 'NT-Xent (SimCLR, Chen et al. 2020, arXiv:2002.05709) between two [B, D] embeddings of the same batch.',
    params: [...twoEmbeddings('a', 'b', 'Embeddings of the first view, [B, D].', 'Embeddings of the second view, [B, D].'), temperature(0.5)],
  },
  {
    name: 'info_nce',
    kind: 'loss',
    doc: 'InfoNCE (MoCo, He et al. 2020; MoCo v3, Chen et al. 2021): each query against its key, the negatives being the batch\'s other keys, or a queue of past keys when queue > 0 (MoCo v2).',
    params: [
      ...twoEmbeddings('query', 'key', 'Queries, [B, D] (the trained branch).', 'Keys, [B, D] (usually stopgrad of a teacher).'),
      temperature(0.2),
      { name: 'queue', type: { kind: 'int' }, default: 0, min: 0, doc: 'Size of the queue of past keys used as negatives (MoCo v2: 65536); 0 = in-batch negatives (MoCo v3).' },
    ],
  },
  {
    name: 'cosine_regress',
    kind: 'loss',
    doc: 'BYOL regression (Grill et al. 2020, arXiv:2006.07733): 2 - 2 cos(prediction, target), mean over the batch.',
    params: twoEmbeddings('prediction', 'target', 'Online predictions, [B, D].', 'Targets, [B, D] (stopgrad of a teacher).'),
  },
  {
    name: 'neg_cosine',
    kind: 'loss',
    doc: 'SimSiam (Chen & He 2021, arXiv:2011.10566): -cos(prediction, target), mean over the batch.',
    params: twoEmbeddings('prediction', 'target', 'Predictions, [B, D].', 'Targets, [B, D] (stopgrad of the other branch).'),
  },
  {
    name: 'barlow_twins',
    kind: 'loss',
    doc: 'Barlow Twins (Zbontar et al. 2021, arXiv:2103.03230): drive the cross-correlation of the two standardised embeddings to the identity.',
    params: [
      ...twoEmbeddings('a', 'b', 'First view, [B, D].', 'Second view, [B, D].'),
      { name: 'lambda', type: { kind: 'number' }, default: 0.0051, min: 0, doc: 'Weight of the off-diagonal (redundancy) term.' },
    ],
  },
  {
    name: 'vicreg',
    kind: 'loss',
    doc: 'VICReg (Bardes, Ponce, LeCun 2022, arXiv:2105.04906): invariance (MSE) + variance (hinge on each dimension\'s std) + covariance (off-diagonal) terms.',
    params: [
      ...twoEmbeddings('a', 'b', 'First view, [B, D].', 'Second view, [B, D].'),
      { name: 'invariance', type: { kind: 'number' }, default: 25, min: 0, doc: 'Weight of the invariance (MSE) term.' },
      { name: 'variance', type: { kind: 'number' }, default: 25, min: 0, doc: 'Weight of the variance term.' },
      { name: 'covariance', type: { kind: 'number' }, default: 1, min: 0, doc: 'Weight of the covariance term.' },
    ],
  },
  {
    name: 'dino',
    kind: 'loss',
    doc: "DINO (Caron et al. 2021, arXiv:2104.14294): cross-entropy between the centred, sharpened teacher distribution of each global view and the student's distribution of every other view. teacher[i] and student[i] must be the same view for the teacher's views.",
    params: [
      { name: 'student', type: { kind: 'embeddings' }, required: true, positional: true, doc: 'Student outputs of every view (globals first), a list of [B, K].' },
      { name: 'teacher', type: { kind: 'embeddings' }, required: true, positional: true, doc: 'Teacher outputs of the global views, a list of [B, K].' },
      { ...temperature(0.1, 'Student softmax temperature.'), name: 'student_temperature' },
      { ...temperature(0.04, 'Teacher softmax temperature; DINO warms it up: `0.04 -> 0.07 linear(over: 30 epochs)`.'), name: 'teacher_temperature' },
      { name: 'center_momentum', type: { kind: 'number' }, default: 0.9, min: 0, max: 1, exclusiveMax: true, doc: "Momentum of the centre subtracted from the teacher's outputs." },
    ],
  },
  regression('mse', 'Mean squared error per element (MAE pixel reconstruction, He et al. 2021; data2vec with beta 0).', []),
  regression('smooth_l1', 'Smooth L1 (Huber) per element with threshold beta (data2vec, Baevski et al. 2022); beta 0 is L1.', [
    { name: 'beta', type: { kind: 'number' }, default: 1, min: 0, doc: 'Where the loss turns from quadratic to linear.' },
  ]),
  // -- optimizers --------------------------------------------------------------------------------
  {
    name: 'sgd',
    kind: 'optimizer',
    doc: 'Stochastic gradient descent with (Nesterov) momentum.',
    params: [
      lr,
      { name: 'momentum', type: { kind: 'number' }, default: 0.9, min: 0, max: 1, exclusiveMax: true, doc: 'Momentum.' },
      { name: 'nesterov', type: { kind: 'bool' }, default: false, doc: 'Nesterov momentum.' },
      weightDecay(0),
    ],
  },
  {
    name: 'adam',
    kind: 'optimizer',
    doc: 'Adam (Kingma & Ba 2015); weight_decay adds an L2 term to the gradient.',
    params: [
      lr,
      { name: 'beta1', type: { kind: 'number' }, default: 0.9, min: 0, max: 1, exclusiveMax: true, doc: 'First-moment decay.' },
      { name: 'beta2', type: { kind: 'number' }, default: 0.999, min: 0, max: 1, exclusiveMax: true, doc: 'Second-moment decay.' },
      { name: 'epsilon', type: { kind: 'number' }, default: 1e-8, min: 0, exclusiveMin: true, doc: 'Denominator epsilon.' },
      weightDecay(0),
    ],
  },
  {
    name: 'adamw',
    kind: 'optimizer',
    doc: 'AdamW (Loshchilov & Hutter 2019): Adam with decoupled weight decay (w <- w - lr * wd * w); the usual choice for transformers.',
    params: [
      lr,
      { name: 'beta1', type: { kind: 'number' }, default: 0.9, min: 0, max: 1, exclusiveMax: true, doc: 'First-moment decay.' },
      { name: 'beta2', type: { kind: 'number' }, default: 0.999, min: 0, max: 1, exclusiveMax: true, doc: 'Second-moment decay.' },
      { name: 'epsilon', type: { kind: 'number' }, default: 1e-8, min: 0, exclusiveMin: true, doc: 'Denominator epsilon.' },
      { name: 'weight_decay', type: { kind: 'number' }, default: 0.05, schedulable: true, min: 0, doc: 'Decoupled weight decay; may be a ramp (DINO: `0.04 -> 0.4 cosine`).' },
    ],
  },
  {
    name: 'lars',
    kind: 'optimizer',
    doc: 'LARS (You et al. 2017): SGD momentum with a per-layer trust ratio eta * |w| / |g + wd w|.',
    params: [
      lr,
      { name: 'momentum', type: { kind: 'number' }, default: 0.9, min: 0, max: 1, exclusiveMax: true, doc: 'Momentum.' },
      weightDecay(1e-6),
      { name: 'eta', type: { kind: 'number' }, default: 0.001, min: 0, exclusiveMin: true, doc: 'Trust coefficient.' },
      { name: 'exclude_bias_and_norm', type: { kind: 'bool' }, default: true, doc: 'Biases and norm parameters skip weight decay and adaptation.' },
    ],
  },
  // -- schedules --------------------------------------------------------------------------------
  {
    name: 'warmup_cosine',
    kind: 'schedule',
    doc: "Linear warmup from 0 to the optimizer's lr, then cosine decay to final_lr at the end of training.",
    params: [
      { name: 'warmup', type: { kind: 'duration' }, default: { value: 0, unit: 'steps' }, min: 0, doc: 'Warmup length: `10 epochs` or `500 steps`.' },
      { name: 'final_lr', type: { kind: 'number' }, default: 0, min: 0, doc: 'Learning rate at the last step.' },
    ],
  },
  { name: 'constant', kind: 'schedule', doc: "The optimizer's lr throughout.", params: [] },
  // -- probes -----------------------------------------------------------------------------------
  {
    name: 'linear',
    kind: 'probe',
    doc: 'Linear probe: multinomial logistic regression on standardised frozen features.',
    params: [
      ...probeCommon,
      { name: 'l2', type: { kind: 'number' }, default: 1e-4, min: 0, doc: 'L2 penalty.' },
      { name: 'epochs', type: { kind: 'int' }, default: 20, min: 1, doc: 'Passes over the fit features (Adam, minibatch 512, cosine lr; at least 1000 updates on small fit sets). On MNIST features the test accuracy is flat from about 10 passes on.' },
      {
        name: 'online',
        type: { kind: 'bool' },
        default: false,
        doc: "Also train a linear classifier alongside SSL on the stop-gradient features of each training batch (solo-learn's online classifier; it never changes the encoder) and show its top-1 live: running on the training batches, and on `on` every `every`. The frozen probe above still runs at the end.",
      },
      { name: 'every', type: { kind: 'duration' }, default: { value: 1, unit: 'epochs' }, min: 0, exclusiveMin: true, doc: 'How often an online probe reports top-1 on `on` (`1 epochs`, `200 steps`); needs `online: true`.' },
    ],
  },
  {
    name: 'knn',
    kind: 'probe',
    doc: 'k-nearest-neighbour probe on cosine similarity of frozen features (InstDisc/DINO protocol).',
    params: [
      ...probeCommon,
      { name: 'k', type: { kind: 'int' }, default: 20, min: 1, doc: 'Neighbours.' },
      { name: 'temperature', type: { kind: 'number' }, default: 0, min: 0, doc: '0 = majority vote; > 0 = votes weighted by exp(sim / temperature).' },
    ],
  },
  // -- the train statement (arguments without parentheses) ----------------------------------------
  {
    name: 'train',
    kind: 'train',
    doc: 'How long to train, with which seed, and how often to checkpoint.',
    params: [
      { name: 'epochs', type: { kind: 'int' }, required: true, min: 1, max: 1_000_000, doc: 'Passes over the training data (at most a million, so step counts stay exact integers).' },
      { name: 'seed', type: { kind: 'int' }, default: 0, min: 0, doc: 'Seed of every random draw (weights, batches, views).' },
      {
        name: 'checkpoint_every',
        type: { kind: 'duration' },
        default: { value: 1, unit: 'epochs' },
        min: 0,
        doc: 'How often a resumable checkpoint is written: `500 steps` or `1 epochs`; 0 = only at the end and on Ctrl-C (which always write one). `ssl resume` continues from the latest.',
      },
      { name: 'keep_checkpoints', type: { kind: 'int' }, default: 2, min: 1, doc: 'How many of the newest checkpoints are kept on disk; older ones are deleted.' },
    ],
  },
];

export const builtins: ReadonlyMap<string, BuiltinSpec> = new Map(builtinList.map((b) => [b.name, b]));

/** Callable builtins of one kind (the `train` pseudo-builtin is not callable). */
export function builtinsOfKind(kind: BuiltinKind): BuiltinSpec[] {
  return builtinList.filter((b) => b.kind === kind);
}

export function isCallableBuiltin(name: string): boolean {
  const b = builtins.get(name);
  return b !== undefined && b.kind !== 'train';
}

/** Names usable in arithmetic, resolved by the compiler. */
export const constants: Readonly<Record<string, string>> = {
  batch: 'The training batch size (of the data source the loss reads).',
  epochs: 'The number of training epochs (`train epochs: N`).',
  steps_per_epoch: 'floor(training set size / batch).',
};

/**
 * The parameter an argument binds to, or undefined: positional arguments fill positional
 * parameters in order (a variadic one takes the rest), named ones bind by name.
 */
export function paramForArgument(spec: BuiltinSpec, args: readonly { name?: { name: string } }[], index: number): ParamSpec | undefined {
  const arg = args[index];
  if (!arg) return undefined;
  if (arg.name) return spec.params.find((p) => p.name === arg.name!.name);
  const positional = spec.params.filter((p) => p.positional);
  let k = 0;
  for (let i = 0; i < index; i++) if (!args[i]!.name) k++;
  if (k < positional.length) return positional[k];
  const last = positional[positional.length - 1];
  return last?.variadic ? last : undefined;
}
