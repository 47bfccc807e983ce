/**
 * `ssl export`: a trained encoder written as a self-contained TensorFlow.js model folder:
 *
 *   model.json   graph model (format 'graph-model') or layers model ('layers-model'); the
 *                `userDefinedMetadata.ssl` field says what it is (below)
 *   weights.bin  the one weights shard model.json's weightsManifest names
 *   README.md    the same facts for people, with loading snippets
 *
 * Nothing in model.json points outside the folder: copy it anywhere and load it.
 */
import { existsSync, mkdirSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { IR } from '../../compiler/ir.js';
import { tf } from '../tf.js';
import type { TrainingGraph } from '../graph.js';
import { ExportError, type EncoderRef } from './encoder.js';
import { GraphDefBuilder } from './graph-def.js';
import { buildEncoderGraph } from './graph-model.js';
import { buildLayersModel, checkLayersSupport, serializeLayersModel } from './layers-model.js';
import { chainNetworks, weightSource } from './weights.js';

export type ExportFormat = 'graph' | 'layers';

export const MODEL_FILE = 'model.json';
export const WEIGHTS_FILE = 'weights.bin';
export const README_FILE = 'README.md';
const EXPORT_FILES = [MODEL_FILE, WEIGHTS_FILE, README_FILE];

/** Where the encoder came from, for the metadata and README. */
export interface Provenance {
  runDir: string;
  /** The step the weights were saved at (null: unknown). */
  step: number | null;
}

/** What model.json's `userDefinedMetadata.ssl` holds. */
export interface ExportMetadata {
  format: ExportFormat;
  recipe: string;
  recipeFile: string;
  runDir: string;
  step: number | null;
  /** The networks the input runs through, innermost first, and the stage of the last one read. */
  chain: string[];
  network: string;
  stage: number;
  chosenBy: string;
  input: { name: string; shape: number[]; dtype: 'float32'; layout: string; values: string };
  output: { name: string; shape: number[]; dtype: 'float32'; meaning: string };
  /** The data the encoder was trained on (the IR data source, minus its recipe span). */
  trainedOn: Record<string, unknown>;
  tfjs: string;
}

export interface ExportResult {
  dir: string;
  files: { name: string; bytes: number }[];
  metadata: ExportMetadata;
}

/**
 * Writes the encoder `ref` of `graph` (weights already loaded) to `outDir` in `format`. The folder
 * is created; one holding files other than an earlier export's is refused.
 */
export async function exportEncoder(ir: IR, graph: TrainingGraph, ref: EncoderRef, format: ExportFormat, outDir: string, provenance: Provenance): Promise<ExportResult> {
  const networks = chainNetworks(ir, ref);
  if (format === 'layers') checkLayersSupport(ref, networks);
  checkOutDir(outDir);
  const metadata = describeExport(ir, ref, format, provenance);
  const userDefinedMetadata = { ssl: metadata };
  const weights = weightSource(graph);
  let model: { json: unknown; weights: Uint8Array };
  if (format === 'graph') {
    const g = new GraphDefBuilder();
    const output = buildEncoderGraph(g, ref, networks, weights);
    model = g.build(output, WEIGHTS_FILE, { generatedBy: `ssl export (TensorFlow.js ${tf.version_core})`, userDefinedMetadata });
  } else {
    const layers = buildLayersModel(ref, networks, weights);
    try {
      model = await serializeLayersModel(layers, WEIGHTS_FILE, userDefinedMetadata);
    } finally {
      layers.dispose();
    }
  }
  const readme = exportReadme(metadata);
  const contents: [string, string | Uint8Array][] = [
    [MODEL_FILE, JSON.stringify(model.json) + '\n'],
    [WEIGHTS_FILE, model.weights],
    [README_FILE, readme],
  ];
  mkdirSync(outDir, { recursive: true });
  for (const [name, data] of contents) writeFileSync(join(outDir, name), data);
  return {
    dir: outDir,
    files: contents.map(([name, data]) => ({ name, bytes: typeof data === 'string' ? Buffer.byteLength(data) : data.byteLength })),
    metadata,
  };
}

/** An export may replace an earlier export, never mix with other files. */
function checkOutDir(outDir: string): void {
  if (!existsSync(outDir)) return;
  if (!statSync(outDir).isDirectory()) throw new ExportError(`${outDir} is a file; --out names the folder to write`);
  const others = readdirSync(outDir).filter((f) => !EXPORT_FILES.includes(f));
  if (others.length > 0) {
    throw new ExportError(`${outDir} already holds other files (${others.slice(0, 3).join(', ')}${others.length > 3 ? ', ...' : ''}); choose another --out`);
  }
}

export function describeExport(ir: IR, ref: EncoderRef, format: ExportFormat, provenance: Provenance): ExportMetadata {
  const image = ref.inputShape.length === 3;
  return {
    format,
    recipe: ir.recipe,
    recipeFile: ir.source.uri,
    runDir: provenance.runDir,
    step: provenance.step,
    chain: ref.chain,
    network: ref.network,
    stage: ref.stage,
    chosenBy: ref.origin,
    input: {
      name: 'input',
      shape: [-1, ...ref.inputShape],
      dtype: 'float32',
      layout: image ? 'NHWC: [batch, height, width, channels]' : ref.inputShape.length === 2 ? '[batch, time, channels]' : '[batch, features]',
      values: image
        ? 'as `ssl run` fed the network: byte images scaled to [0, 1] (MNIST: pixel / 255), float data as stored; no mean/std normalisation'
        : 'as `ssl run` fed the network: the values of the data as stored, no normalisation',
    },
    output: {
      name: 'embedding',
      shape: [-1, ref.dim],
      dtype: 'float32',
      meaning: 'one vector per example in eval mode (batch norm uses its running statistics, no augmentation or masking); per-token outputs are averaged over tokens, as for the probes',
    },
    trainedOn: withoutOrigin(ir.data[ir.train.data]),
    tfjs: tf.version_core,
  };
}

/** A data source as plain facts (its recipe span says nothing to a model's user). */
function withoutOrigin(source: object | undefined): Record<string, unknown> {
  if (!source) return {};
  const { origin: _origin, ...rest } = source as Record<string, unknown>;
  return rest;
}

function exportReadme(m: ExportMetadata): string {
  const shape = (s: number[]) => `[${s.map((d) => (d === -1 ? 'batch' : d)).join(', ')}]`;
  const loader = m.format === 'graph' ? 'loadGraphModel' : 'loadLayersModel';
  const pkg = m.format === 'graph' ? '@tensorflow/tfjs-converter (part of @tensorflow/tfjs)' : '@tensorflow/tfjs-layers (part of @tensorflow/tfjs)';
  return `# ${m.recipe}: ${m.chain.join(' -> ')} (${m.format} model)

Exported by \`ssl export\` from the run folder \`${m.runDir}\` (recipe \`${m.recipeFile}\`,
${m.step === null ? 'step unknown' : `weights saved at step ${m.step}`}). Exported: ${m.chosenBy}.

| | |
|---|---|
| input | \`${m.input.name}\`, float32 ${shape(m.input.shape)}, ${m.input.layout} |
| input values | ${m.input.values} |
| output | \`${m.output.name}\`, float32 ${shape(m.output.shape)} |
| output meaning | ${m.output.meaning} |
| networks | ${m.chain.map((n) => `\`${n}\``).join(' -> ')}, read at stage ${m.stage} of \`${m.network}\` |
| format | TensorFlow.js ${m.format} model: \`model.json\` + \`weights.bin\` (load with \`tf.${loader}\`, ${pkg}) |
| written with | TensorFlow.js ${m.tfjs} |

The same facts are in \`model.json\` under \`userDefinedMetadata.ssl\`.

## Load it

Browser (serve this folder):

\`\`\`js
const model = await tf.${loader}('https://example.org/path/to/model.json');
const embedding = model.predict(images); // images: tf.Tensor ${shape(m.input.shape)}
\`\`\`

Node, from disk (tfjs-core's public io API, no tfjs-node needed):

\`\`\`js
import { readFileSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs';

const dir = 'path/to/this/folder';
const json = JSON.parse(readFileSync(\`\${dir}/model.json\`, 'utf8'));
const handler = {
  load: () =>
    tf.io.getModelArtifactsForJSON(json, async (manifest) => {
      const specs = manifest.flatMap((group) => group.weights);
      const shards = manifest.flatMap((group) => group.paths.map((p) => readFileSync(\`\${dir}/\${p}\`)));
      const data = Buffer.concat(shards);
      return [specs, data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength)];
    }),
};
const model = await tf.${loader}(handler);
\`\`\`
`;
}
