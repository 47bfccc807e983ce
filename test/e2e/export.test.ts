/**
 * `ssl export` end to end: real recipes (a conv net with batch norm, a resnet, a transformer over
 * patches, an MLP) trained for two steps on real MNIST digits by `ssl run`, exported by the CLI,
 * loaded back with stock tfjs-converter / tfjs-layers from the files alone (a file IOHandler over
 * tfjs-core's public io API), and run on a real batch: the output must be the trained graph's
 * eval-mode features (`TrainingGraph.features`, what the probes read).
 */
import { loadGraphModel } from '@tensorflow/tfjs-converter';
import * as tfl from '@tensorflow/tfjs-layers';
import { copyFileSync, cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../cli/main.js';
import type { IR } from '../../compiler/ir.js';
import { initBackend } from '../../runtime/backend/index.js';
import { batchTensor, loadDataSource } from '../../runtime/data/dataset.js';
import type { ExportMetadata } from '../../runtime/export/export.js';
import { modelFolderHandler } from '../../runtime/export/load.js';
import { loadTrainedGraph } from '../../runtime/export/weights.js';
import { tf } from '../../runtime/tf.js';
import { captureIo } from '../helpers/io.js';

/** Small data so a run takes seconds (most of it the linear probe's fixed 1000 Adam updates): 64 training digits, 64 test digits. */
const SMALL_DATA = ['data.train=mnist(split: "train", batch: 32, limit: 64)', 'data.test=mnist(split: "test", limit: 64)'];

let scratch: string;
const runs: Record<string, string> = {};

async function trainRun(name: string, recipe: string, sets: string[]): Promise<string> {
  const dir = join(scratch, name);
  const io = captureIo();
  const code = await main(['run', recipe, '--reporter', 'json', '--backend', 'wasm', '--max-steps', '2', '--out', dir, ...[...SMALL_DATA, ...sets].flatMap((s) => ['--set', s])], io);
  expect(code, io.err()).toBe(0);
  return dir;
}

async function exportRun(runDir: string, args: string[]): Promise<{ code: number; err: string }> {
  const io = captureIo();
  const code = await main(['export', runDir, ...args], io);
  // The CLI reads weights on the cpu backend; the comparisons run on wasm, the backend of the runs.
  await initBackend('wasm');
  return { code, err: io.err() };
}

const readJson = (path: string) => JSON.parse(readFileSync(path, 'utf8'));

/**
 * Loads the exported model from `modelDir` and runs it on the first 32 test digits; returns the
 * largest difference to the trained graph's features and their largest magnitude.
 */
async function compareWithGraph(runDir: string, modelDir: string): Promise<{ diff: number; scale: number; shape: number[] }> {
  const ir = readJson(join(runDir, 'ir.json')) as IR;
  const meta = readJson(join(modelDir, 'model.json')).userDefinedMetadata.ssl as ExportMetadata;
  const graph = loadTrainedGraph(ir, runDir);
  const x = batchTensor(loadDataSource(ir.data.test!), Array.from({ length: 32 }, (_, i) => i));
  const model = meta.format === 'graph' ? await loadGraphModel(modelFolderHandler(modelDir)) : await tfl.loadLayersModel(modelFolderHandler(modelDir));
  try {
    const expected = graph.features(x, meta.chain, meta.stage);
    const got = model.predict(x) as tf.Tensor;
    const [e, g] = [expected.dataSync(), got.dataSync()];
    let diff = 0;
    let scale = 0;
    for (let i = 0; i < e.length; i++) {
      diff = Math.max(diff, Math.abs(e[i]! - g[i]!));
      scale = Math.max(scale, Math.abs(e[i]!));
    }
    expect(got.shape).toEqual(expected.shape);
    tf.dispose([expected, got]);
    return { diff, scale, shape: got.shape };
  } finally {
    tf.dispose(x);
    model.dispose();
    graph.dispose();
  }
}

beforeAll(async () => {
  scratch = mkdtempSync(join(tmpdir(), 'ssl-export-'));
  await initBackend('wasm');
  const resnet = join(scratch, 'resnet.ssl');
  writeFileSync(resnet, readFileSync('test/fixtures/tiny.ssl', 'utf8').replace('recipe tiny', 'recipe tiny_resnet').replace(/network encoder\s*=.*/, 'network encoder   = resnet([8, 16], depth: 1, norm: batch)'));
  runs.simclr = await trainRun('simclr', 'recipes/simclr.ssl', ['probe.2.fit=train']);
  runs.resnet = await trainRun('resnet', resnet, []);
  runs.mae = await trainRun('mae', 'recipes/mae.ssl', []);
  runs.mlp = await trainRun('mlp', 'examples/quickstart-mlp.ssl', ['probe.0.fit=train', 'probe.1.fit=train', 'schedule.warmup=1 steps']);
});
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

describe('ssl export: the loaded model computes the trained encoder', () => {
  const formats: [run: string, what: string, format: 'graph' | 'layers', extra: string[]][] = [
    ['simclr', 'conv net with batch norm (SimCLR encoder)', 'graph', []],
    ['simclr', 'conv net with batch norm (SimCLR encoder)', 'layers', []],
    ['simclr', 'encoder -> projector (mlp with batch norm), --network projector', 'graph', ['--network', 'projector']],
    ['simclr', 'encoder -> projector (mlp with batch norm), --network projector', 'layers', ['--network', 'projector']],
    ['resnet', 'resnet with batch norm', 'graph', []],
    ['resnet', 'resnet with batch norm', 'layers', []],
    ['mae', 'transformer over 4x4 patches (MAE encoder, tokens averaged)', 'graph', []],
    ['mlp', 'MLP on flattened digits (quickstart-mlp)', 'graph', []],
    ['mlp', 'MLP on flattened digits (quickstart-mlp)', 'layers', []],
  ];
  for (const [run, what, format, extra] of formats) {
    it(`${what}: ${format} model`, async () => {
      const out = join(scratch, 'exports', `${run}-${format}-${extra.join('') || 'default'}`);
      const before = tf.memory().numTensors;
      const { code, err } = await exportRun(runs[run]!, ['--format', format, '--out', out, ...extra]);
      expect(code, err).toBe(0);
      expect(tf.memory().numTensors).toBe(before); // the export disposed its graph and model
      expect(err).toMatch(new RegExp(`^ssl: exported .* as a ${format} model to .*model\\.json .*weights\\.bin .*README\\.md`));
      const { diff, scale, shape } = await compareWithGraph(runs[run]!, out);
      expect(shape[0]).toBe(32);
      expect(scale).toBeGreaterThan(0.01); // a real signal, not zeros
      expect(diff).toBeLessThanOrEqual(1e-5 * Math.max(1, scale));
    });
  }
});

describe('ssl export: files and metadata', () => {
  it('writes RUN_DIR/export/<network>-graph by default, with the facts in model.json and README.md', async () => {
    const { code, err } = await exportRun(runs.simclr!, []);
    expect(code, err).toBe(0);
    const dir = join(runs.simclr!, 'export', 'encoder-graph');
    expect(readdirSync(dir).sort()).toEqual(['README.md', 'model.json', 'weights.bin']);
    const json = readJson(join(dir, 'model.json'));
    expect(json.format).toBe('graph-model');
    const meta = json.userDefinedMetadata.ssl as ExportMetadata;
    expect(meta).toMatchObject({
      format: 'graph',
      recipe: 'simclr',
      recipeFile: 'recipes/simclr.ssl',
      step: 2,
      chain: ['encoder'],
      network: 'encoder',
      stage: 0,
      input: { name: 'input', shape: [-1, 28, 28, 1], dtype: 'float32' },
      output: { name: 'embedding', shape: [-1, 128], dtype: 'float32' },
      trainedOn: { dataset: 'mnist', split: 'train', shape: [28, 28, 1] },
    });
    expect(json.signature.inputs.input.name).toBe('input:0');
    expect(json.signature.outputs.embedding.name).toBe('embedding:0');
    const readme = readFileSync(join(dir, 'README.md'), 'utf8');
    expect(readme).toContain('weights saved at step 2');
    expect(readme).toContain('float32 [batch, 28, 28, 1]');
    expect(readme).toContain('float32 [batch, 128]');
    expect(readme).toContain('tf.loadGraphModel');
    // Exporting again into the same folder replaces the export.
    expect((await exportRun(runs.simclr!, [])).code).toBe(0);
  });

  it('is self-contained: model.json and weights.bin alone, copied elsewhere, load and compute the same', async () => {
    for (const format of ['graph', 'layers'] as const) {
      const out = join(scratch, 'exports', `self-contained-${format}`);
      expect((await exportRun(runs.resnet!, ['--format', format, '--out', out])).code).toBe(0);
      const json = readJson(join(out, 'model.json'));
      expect(json.weightsManifest.map((g: { paths: string[] }) => g.paths)).toEqual([['weights.bin']]);
      expect(JSON.stringify(json.modelTopology)).not.toContain(scratch); // no path into the run folder
      const alone = join(scratch, 'elsewhere', format);
      mkdirSync(alone, { recursive: true });
      for (const f of ['model.json', 'weights.bin']) copyFileSync(join(out, f), join(alone, f));
      const { diff, scale } = await compareWithGraph(runs.resnet!, alone);
      expect(diff).toBeLessThanOrEqual(1e-5 * Math.max(1, scale));
    }
  });

  it('refuses the layers format for a transformer, naming the network, stage and recipe line', async () => {
    const { code, err } = await exportRun(runs.mae!, ['--format', 'layers', '--out', join(scratch, 'exports', 'mae-layers')]);
    expect(code, err).toBe(1);
    expect(err).toMatch(/^ssl: network 'encoder' stage 0 \(transformer, recipes\/mae\.ssl:\d+:\d+\) cannot be written as a layers model: .*multi-head attention.*use --format graph, which expresses every stage\n$/);
  });

  it('refuses an output folder holding other files', async () => {
    const out = join(scratch, 'exports', 'occupied');
    mkdirSync(out, { recursive: true });
    writeFileSync(join(out, 'notes.txt'), 'mine');
    const { code, err } = await exportRun(runs.mlp!, ['--out', out]);
    expect(code).toBe(1);
    expect(err).toContain('already holds other files (notes.txt)');
  });
});

describe('ssl export: errors name the path or the option, never a stack', () => {
  it('a missing run folder: exit 2', async () => {
    const { code, err } = await exportRun(join(scratch, 'no-such-run'), []);
    expect(code).toBe(2);
    expect(err).toBe(`ssl: no run folder at '${join(scratch, 'no-such-run')}'\n`);
  });

  it('a folder that is not a run folder: exit 2, naming ir.json', async () => {
    const dir = join(scratch, 'not-a-run');
    mkdirSync(dir, { recursive: true });
    const { code, err } = await exportRun(dir, []);
    expect(code).toBe(2);
    expect(err).toContain(`${join(dir, 'ir.json')}: not found`);
  });

  it('a run folder without weights: exit 1, naming the weights file', async () => {
    const dir = join(scratch, 'no-weights');
    cpSync(runs.mlp!, dir, { recursive: true });
    rmSync(join(dir, 'weights'), { recursive: true });
    const { code, err } = await exportRun(dir, []);
    expect(code).toBe(1);
    expect(err).toContain(`${join(dir, 'weights', 'manifest.json')}: not found`);
  });

  it('weights of another architecture: exit 1, naming the manifest and the variable', async () => {
    const dir = join(scratch, 'wrong-weights');
    cpSync(runs.mlp!, dir, { recursive: true });
    cpSync(join(runs.simclr!, 'weights'), join(dir, 'weights'), { recursive: true });
    const { code, err } = await exportRun(dir, []);
    expect(code).toBe(1);
    expect(err).toMatch(/manifest\.json: no weights for 'encoder\/0\/dense0\/kernel'/);
  });

  it('a corrupt ir.json: exit 1, naming it', async () => {
    const dir = join(scratch, 'bad-ir');
    cpSync(runs.mlp!, dir, { recursive: true });
    writeFileSync(join(dir, 'ir.json'), '{"irVersion": ');
    const { code, err } = await exportRun(dir, []);
    expect(code).toBe(1);
    expect(err).toContain(`${join(dir, 'ir.json')}: not valid JSON`);
  });

  it('an unknown network: exit 1 with a suggestion', async () => {
    const { code, err } = await exportRun(runs.simclr!, ['--network', 'projecter']);
    expect(code).toBe(1);
    expect(err).toBe("ssl: recipe 'simclr' has no network 'projecter' (did you mean 'projector'?); its networks are 'encoder', 'projector'\n");
  });

  it('an unknown format: exit 2 (usage)', async () => {
    const { code, err } = await exportRun(runs.simclr!, ['--format', 'onnx']);
    expect(code).toBe(2);
    expect(err).toContain("argument 'onnx' is invalid");
  });
});
