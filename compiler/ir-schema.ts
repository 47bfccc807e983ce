/**
 * The IR's JSON Schema (draft-07, checked with ajv at the compiler/runtime boundary). It mirrors
 * `ir.ts` exactly: closed objects (`additionalProperties: false`), discriminated on `kind`. A compiler
 * that produces IR failing this schema has a bug; `validateIr` reports it as `invalid-ir`.
 */
import type { ValidateFunction } from 'ajv';
import { validate as precompiledValidate } from './ir-validator.generated.js';
import { Codes } from './codes.js';
import type { Diagnostic } from './diagnostics.js';
import { IR_VERSION, type IR, type Span } from './ir.js';

type Schema = Record<string, unknown>;

const obj = (properties: Record<string, Schema>, optional: string[] = []): Schema => ({
  type: 'object',
  properties,
  required: Object.keys(properties).filter((k) => !optional.includes(k)),
  additionalProperties: false,
});
const nonNegInt: Schema = { type: 'integer', minimum: 0 };
const posInt: Schema = { type: 'integer', minimum: 1 };
const number: Schema = { type: 'number' };
const str: Schema = { type: 'string' };
const bool: Schema = { type: 'boolean' };
const konst = (v: unknown): Schema => ({ const: v });
const ref = (name: string): Schema => ({ $ref: `#/definitions/${name}` });
const shape: Schema = { type: 'array', items: posInt };
const pair: Schema = { type: 'array', items: number, minItems: 2, maxItems: 2 };
const origin = ref('Span');
const posIntList: Schema = { type: 'array', items: posInt, minItems: 1 };
const norm: Schema = { enum: ['none', 'batch', 'layer'] };
const activation: Schema = { enum: ['relu', 'gelu'] };
const pool: Schema = { enum: ['mean', 'none'] };

export const irSchema: Schema = {
  $schema: 'http://json-schema.org/draft-07/schema#',
  $id: 'https://ssl.dev/schemas/ir-v2.json',
  title: 'ssl IR',
  definitions: {
    Position: obj({ offset: nonNegInt, line: posInt, column: posInt }),
    Span: obj({ uri: str, start: ref('Position'), end: ref('Position') }),
    DataSource: obj(
      {
        kind: konst('dataset'),
        dataset: { enum: ['mnist', 'fashion_mnist', 'digits', 'cbf', 'synthetic_control', 'idx', 'csv', 'ucr', 'uea', 'cifar10', 'npy', 'image_folder'] },
        split: { enum: ['train', 'test', 'all'] },
        batch: posInt,
        labelFraction: { type: 'number', exclusiveMinimum: 0, maximum: 1 },
        size: posInt,
        limit: { anyOf: [posInt, { type: 'null' }] },
        shape,
        numClasses: posInt,
        files: ref('DataFiles'),
        generator: obj({ seed: nonNegInt, count: posInt }),
        classes: { type: 'array', items: str },
        origin,
      },
      ['files', 'generator', 'classes'],
    ),
    DataFiles: {
      oneOf: [
        obj({ format: konst('idx'), images: str, labels: { anyOf: [str, { type: 'null' }] } }),
        obj({
          format: konst('csv'),
          file: str,
          label: { anyOf: [str, { type: 'integer', minimum: -1 }, { type: 'null' }] },
          shape: { anyOf: [shape, { type: 'null' }] },
          classes: { anyOf: [posInt, { type: 'null' }] },
        }),
        obj({ format: konst('ucr'), train: str, test: str }),
        obj({ format: konst('uea'), train: str, test: str }),
        obj({ format: konst('cifar10'), files: { type: 'array', items: str, minItems: 1 } }),
        obj({ format: konst('npy'), x: str, y: { anyOf: [str, { type: 'null' }] } }),
        obj({ format: konst('image_folder'), dir: str, size: { anyOf: [posInt, { type: 'null' }] }, channels: { enum: [1, 3, null] } }),
      ],
    },
    AugOp: {
      oneOf: [
        obj({ kind: konst('random_resized_crop'), size: posInt, scale: pair, ratio: pair, origin }),
        obj({ kind: konst('random_flip'), horizontal: bool, vertical: bool, p: number, origin }),
        obj({ kind: konst('color_jitter'), brightness: number, contrast: number, origin }),
        obj({ kind: konst('gaussian_noise'), std: number, origin }),
        obj({ kind: konst('gaussian_blur'), sigma: pair, p: number, origin }),
        obj({ kind: konst('random_apply'), p: number, ops: { type: 'array', items: ref('AugOp') }, origin }),
        obj({ kind: konst('jitter'), sigma: { type: 'number', minimum: 0 }, origin }),
        obj({ kind: konst('scaling'), sigma: { type: 'number', minimum: 0 }, origin }),
        obj({ kind: konst('permutation'), maxSegments: posInt, origin }),
        obj({ kind: konst('time_warp'), sigma: { type: 'number', minimum: 0 }, knots: posInt, origin }),
        obj({ kind: konst('crop'), size: posInt, origin }),
        obj({ kind: konst('zero_spans'), span: posInt, ratio: { type: 'number', minimum: 0, exclusiveMaximum: 1 }, origin }),
      ],
    },
    View: obj({ name: str, ops: { type: 'array', items: ref('AugOp') }, outputShape: shape, origin }),
    Stage: {
      oneOf: [
        obj({ kind: konst('convnet'), channels: posIntList, kernel: posInt, stride: posInt, norm, activation, inputShape: shape, outputShape: shape, origin }),
        obj({ kind: konst('resnet'), widths: posIntList, depth: posInt, norm, activation, inputShape: shape, outputShape: shape, origin }),
        obj({
          kind: konst('transformer'),
          patch: posInt,
          dim: posInt,
          depth: posInt,
          heads: posInt,
          mlpRatio: { type: 'number', exclusiveMinimum: 0 },
          pool,
          tokens: posInt,
          inputShape: shape,
          outputShape: shape,
          origin,
        }),
        obj({ kind: konst('conv1d'), channels: posIntList, kernel: posInt, stride: posInt, norm, activation, pool, inputShape: shape, outputShape: shape, origin }),
        obj({ kind: konst('normalize'), inputShape: shape, outputShape: shape, origin }),
        obj({ kind: konst('mlp'), widths: posIntList, norm, activation, inputShape: shape, outputShape: shape, origin }),
      ],
    },
    Ramp: obj({ kind: konst('ramp'), from: number, to: number, shape: { enum: ['linear', 'cosine'] }, startStep: nonNegInt, endStep: nonNegInt }),
    Scalar: { oneOf: [number, ref('Ramp')] },
    Teacher: obj({ name: str, of: str, momentum: ref('Scalar'), origin }),
    MaskSpec: {
      oneOf: [
        obj({ kind: konst('patches'), ratio: number, grid: shape, patch: shape }),
        obj({ kind: konst('spans'), ratio: number, span: posInt, grid: shape, patch: shape }),
      ],
    },
    Network: obj({ name: str, stages: { type: 'array', items: ref('Stage'), minItems: 1 }, inputShape: shape, outputShape: shape, origin }),
    GraphNode: {
      oneOf: [
        obj({ id: nonNegInt, kind: konst('batch'), data: str, shape, origin }),
        obj({ id: nonNegInt, kind: konst('view'), view: str, input: nonNegInt, shape, origin }),
        obj({ id: nonNegInt, kind: konst('mask'), input: nonNegInt, mask: ref('MaskSpec'), shape, origin }),
        obj({ id: nonNegInt, kind: konst('patchify'), input: nonNegInt, patch: posInt, normalize: bool, shape, origin }),
        obj(
          {
            id: nonNegInt,
            kind: konst('apply'),
            network: str,
            input: nonNegInt,
            mask: nonNegInt,
            layers: obj({ top: posInt, norm: { enum: ['instance', 'none'] } }),
            shape,
            origin,
          },
          ['mask', 'layers'],
        ),
        obj({ id: nonNegInt, kind: konst('stopgrad'), input: nonNegInt, shape, origin }),
        obj(
          {
            id: nonNegInt,
            kind: konst('loss'),
            fn: { enum: ['nt_xent', 'info_nce', 'cosine_regress', 'neg_cosine', 'barlow_twins', 'vicreg', 'dino', 'mse', 'smooth_l1'] },
            name: str,
            inputs: { type: 'object', additionalProperties: { type: 'array', items: nonNegInt, minItems: 1 } },
            mask: nonNegInt,
            params: { type: 'object', additionalProperties: ref('Scalar') },
            shape: { type: 'array', maxItems: 0 },
            origin,
          },
          ['mask'],
        ),
        obj({
          id: nonNegInt,
          kind: konst('sum'),
          inputs: { type: 'array', items: nonNegInt },
          weights: { type: 'array', items: number },
          shape: { type: 'array', maxItems: 0 },
          origin,
        }),
      ],
    },
    Graph: obj({
      nodes: { type: 'array', items: ref('GraphNode') },
      loss: nonNegInt,
      terms: { type: 'array', items: obj({ name: str, node: nonNegInt }) },
      health: { oneOf: [obj({ embedding: nonNegInt }), { type: 'null' }] },
    }),
    Optimizer: {
      oneOf: [
        obj({ kind: konst('sgd'), lr: number, momentum: number, nesterov: bool, weightDecay: ref('Scalar'), origin }),
        obj({ kind: konst('adam'), lr: number, beta1: number, beta2: number, epsilon: number, weightDecay: ref('Scalar'), origin }),
        obj({ kind: konst('adamw'), lr: number, beta1: number, beta2: number, epsilon: number, weightDecay: ref('Scalar'), origin }),
        obj({ kind: konst('lars'), lr: number, momentum: number, weightDecay: ref('Scalar'), eta: number, excludeBiasAndNorm: bool, origin }),
      ],
    },
    Schedule: {
      oneOf: [
        obj({ kind: konst('constant'), origin: { oneOf: [ref('Span'), { type: 'null' }] } }),
        obj({ kind: konst('warmup_cosine'), warmupSteps: nonNegInt, totalSteps: posInt, finalLr: number, origin }),
      ],
    },
    Train: obj({
      epochs: posInt,
      seed: nonNegInt,
      data: str,
      batch: posInt,
      stepsPerEpoch: posInt,
      totalSteps: posInt,
      checkpoint: obj({ everySteps: nonNegInt, keep: posInt }),
      origin: { oneOf: [ref('Span'), { type: 'null' }] },
    }),
    FeatureRef: obj({ network: str, stage: nonNegInt, dim: posInt, chain: { type: 'array', items: str, minItems: 1 } }),
    Probe: {
      oneOf: [
        obj(
          { kind: konst('linear'), fit: ref('DataSource'), on: ref('DataSource'), features: ref('FeatureRef'), l2: number, epochs: posInt, online: obj({ everySteps: posInt }), origin },
          ['online'],
        ),
        obj({ kind: konst('knn'), fit: ref('DataSource'), on: ref('DataSource'), features: ref('FeatureRef'), k: posInt, temperature: number, origin }),
      ],
    },
  },
  ...obj({
    irVersion: konst(IR_VERSION),
    recipe: str,
    source: obj({ uri: str }),
    data: { type: 'object', additionalProperties: ref('DataSource') },
    views: { type: 'object', additionalProperties: ref('View') },
    networks: { type: 'object', additionalProperties: ref('Network') },
    teachers: { type: 'object', additionalProperties: ref('Teacher') },
    graph: ref('Graph'),
    optimizer: ref('Optimizer'),
    schedule: ref('Schedule'),
    train: ref('Train'),
    probes: { type: 'array', items: ref('Probe') },
  }),
};

/**
 * The schema compiled ahead of time (ir-validator.generated.ts, from this schema by
 * generate-ir-validator.ts): compiling it with ajv at start-up took ~180 ms of every `ssl check`.
 */
function getValidator(): ValidateFunction {
  return precompiledValidate as unknown as ValidateFunction;
}

/** Checks `ir` against the schema; every violation is an `invalid-ir` diagnostic at `span`. */
export function validateIr(ir: unknown, span?: Span): Diagnostic[] {
  const validate = getValidator();
  if (validate(ir)) return [];
  const at: Span = span ?? { uri: (ir as IR | undefined)?.source?.uri ?? '', start: { offset: 0, line: 1, column: 1 }, end: { offset: 0, line: 1, column: 1 } };
  return (validate.errors ?? []).slice(0, 20).map((e) => ({
    severity: 'error' as const,
    code: Codes.invalidIr,
    message: `the compiled IR does not match its schema at '${e.instancePath || '/'}': ${e.message ?? 'invalid'}`,
    span: at,
    hint: 'this is a compiler bug; please report it with the recipe',
  }));
}
