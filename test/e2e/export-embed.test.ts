/**
 * `ssl embed` end to end on a real run (test/fixtures/tiny.ssl, two steps on MNIST): the .npy
 * embeddings are the trained graph's features of the same examples, the labels are the dataset's,
 * the NPY headers parse back, CSV holds the same numbers, a dataset expression is compiled like
 * recipe text (with diagnostics inside DATA), and bad inputs are clear errors with exit codes.
 */
import { cpSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../cli/main.js';
import type { IR } from '../../compiler/ir.js';
import { initBackend } from '../../runtime/backend/index.js';
import { batchLabels, batchTensor, loadDataSource } from '../../runtime/data/dataset.js';
import { resolveEncoder } from '../../runtime/export/encoder.js';
import { writeEmbeddings } from '../../runtime/export/embed.js';
import { parseNpyHeader } from '../../runtime/export/npy.js';
import { loadTrainedGraph } from '../../runtime/export/weights.js';
import { tf } from '../../runtime/tf.js';
import { captureIo } from '../helpers/io.js';

let scratch: string;
let runDir: string;
let ir: IR;

async function embed(args: string[]): Promise<{ code: number; err: string }> {
  const io = captureIo();
  const code = await main(['embed', ...args], io);
  return { code, err: io.err() };
}

/** An .npy file's header and data, checked against the format (magic, 64-byte alignment, size). */
function readNpy(path: string): { dtype: string; shape: number[]; fortranOrder: boolean; data: Float32Array | Int32Array } {
  const bytes = readFileSync(path);
  const header = parseNpyHeader(new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength), path);
  expect(header.dataOffset % 64).toBe(0);
  const count = header.shape.reduce((a, b) => a * b, 1);
  expect(bytes.byteLength - header.dataOffset).toBe(4 * count);
  const body = bytes.buffer.slice(bytes.byteOffset + header.dataOffset, bytes.byteOffset + bytes.byteLength);
  return { ...header, data: header.dtype === '<f4' ? new Float32Array(body) : new Int32Array(body) };
}

/** The trained graph's features (what the probes read) and labels of the first `n` examples of `source`, in one batch. */
function reference(source: IR['data'][string], n: number): { x: Float32Array; y: Int32Array } {
  const graph = loadTrainedGraph(ir, runDir);
  try {
    const ref = resolveEncoder(ir);
    const ds = loadDataSource(source);
    const indices = Array.from({ length: n }, (_, i) => i);
    const images = batchTensor(ds, indices);
    const features = graph.features(images, ref.chain, ref.stage);
    const x = features.dataSync() as Float32Array;
    tf.dispose([images, features]);
    return { x: Float32Array.from(x), y: batchLabels(ds, indices) };
  } finally {
    graph.dispose();
  }
}

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i]! - b[i]!));
  return worst;
}

beforeAll(async () => {
  scratch = mkdtempSync(join(tmpdir(), 'ssl-embed-'));
  runDir = join(scratch, 'run');
  const io = captureIo();
  const code = await main(['run', 'test/fixtures/tiny.ssl', '--reporter', 'json', '--backend', 'wasm', '--max-steps', '2', '--out', runDir], io);
  expect(code, io.err()).toBe(0);
  ir = JSON.parse(readFileSync(join(runDir, 'ir.json'), 'utf8'));
  await initBackend('wasm');
});
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

describe('ssl embed: the numbers', () => {
  it("writes the test split's features as float32 [N, D] .npy with int32 labels beside it", async () => {
    const out = join(scratch, 'test.npy');
    const { code, err } = await embed([runDir, 'test', '--out', out, '--backend', 'wasm']);
    expect(code, err).toBe(0);
    expect(err).toBe(`ssl: wrote 500 x 64 embeddings of 'test' through encoder to ${out} (labels: ${join(scratch, 'test.labels.npy')})\n`);
    const x = readNpy(out);
    expect(x).toMatchObject({ dtype: '<f4', shape: [500, 64], fortranOrder: false });
    const y = readNpy(join(scratch, 'test.labels.npy'));
    expect(y).toMatchObject({ dtype: '<i4', shape: [500], fortranOrder: false });
    const expected = reference(ir.data.test!, 500);
    expect(maxAbsDiff(x.data, expected.x)).toBeLessThan(1e-5);
    expect(Array.from(y.data)).toEqual(Array.from(expected.y));
    expect(new Set(y.data).size).toBe(10); // real labels, all ten digits
  });

  it('gives the same rows whatever the batch size (--batch 7 against the default 1000)', async () => {
    const small = join(scratch, 'batch7.npy');
    expect((await embed([runDir, 'test', '--out', small, '--batch', '7', '--backend', 'wasm'])).code).toBe(0);
    expect(maxAbsDiff(readNpy(small).data, readNpy(join(scratch, 'test.npy')).data)).toBeLessThan(1e-5);
  });

  it('writes CSV: a label column then e0..e63, values that read back as the same float32', async () => {
    const out = join(scratch, 'test.csv');
    const { code, err } = await embed([runDir, 'test', '--out', out, '--backend', 'wasm']);
    expect(code, err).toBe(0);
    expect(err).toContain('(first column: label)');
    const [header, ...rows] = readFileSync(out, 'utf8').trimEnd().split('\n');
    expect(header).toBe(['label', ...Array.from({ length: 64 }, (_, j) => `e${j}`)].join(','));
    expect(rows).toHaveLength(500);
    const npy = readNpy(join(scratch, 'test.npy')).data;
    const labels = readNpy(join(scratch, 'test.labels.npy')).data;
    rows.forEach((row, i) => {
      const cells = row.split(',');
      expect(Number(cells[0])).toBe(labels[i]);
      cells.slice(1).forEach((cell, j) => expect(Math.fround(Number(cell))).toBe(npy[i * 64 + j]));
    });
  });

  it('compiles a dataset expression as recipe text and embeds it', async () => {
    const out = join(scratch, 'expr.npy');
    const { code, err } = await embed([runDir, 'mnist(split: "test", limit: 40)', '--out', out, '--backend', 'wasm']);
    expect(code, err).toBe(0);
    expect(err).toContain(`wrote 40 x 64 embeddings of 'mnist(split: "test", limit: 40)'`);
    const x = readNpy(out);
    expect(x.shape).toEqual([40, 64]);
    // The first 40 test digits: the same rows as the 'test' source's first 40.
    expect(maxAbsDiff(x.data, readNpy(join(scratch, 'test.npy')).data.subarray(0, 40 * 64))).toBeLessThan(1e-5);
  });

  it('writes RUN_DIR/embeddings/<data>.npy by default', async () => {
    const { code, err } = await embed([runDir, 'train', '--backend', 'wasm']);
    expect(code, err).toBe(0);
    const x = readNpy(join(runDir, 'embeddings', 'train.npy'));
    expect(x.shape).toEqual([512, 64]);
    expect(readNpy(join(runDir, 'embeddings', 'train.labels.npy')).shape).toEqual([512]);
  });

  it('streams without leaking tensors (runtime writeEmbeddings, 5 batches of 100)', async () => {
    const graph = loadTrainedGraph(ir, runDir);
    try {
      const before = tf.memory().numTensors;
      const result = await writeEmbeddings(graph, resolveEncoder(ir), ir.data.test!, { format: 'npy', out: join(scratch, 'leak.npy'), batch: 100, seed: ir.train.seed });
      expect(result).toEqual({ n: 500, d: 64, files: [join(scratch, 'leak.npy'), join(scratch, 'leak.labels.npy')] });
      expect(tf.memory().numTensors).toBe(before);
    } finally {
      graph.dispose();
    }
  });
});

describe('ssl embed: errors', () => {
  it('a misspelt dataset: a diagnostic inside DATA with a suggestion, exit 1', async () => {
    const { code, err } = await embed([runDir, 'mnsit(split: "test")']);
    expect(code).toBe(1);
    expect(err).toContain(`DATA:1:1: error[unknown-name]: unknown function 'mnsit'\n 1 | mnsit(split: "test")\n   | ^~~~~`);
    expect(err).toContain("did you mean 'mnist'?");
  });

  it('a bad argument value: the diagnostic points at the value in DATA', async () => {
    const { code, err } = await embed([runDir, 'mnist(split: "tset")']);
    expect(code).toBe(1);
    expect(err).toMatch(/^DATA:1:14: error\[value-out-of-range\]: 'split' of mnist must be one of "train", "test", got "tset"/);
  });

  it('a syntax error in DATA', async () => {
    const { code, err } = await embed([runDir, 'mnist(split: "test"']);
    expect(code).toBe(1);
    expect(err).toMatch(/^DATA:1:\d+: error\[syntax-error\]/);
  });

  it('an unknown data name gets the compiler suggestion', async () => {
    const { code, err } = await embed([runDir, 'tets']);
    expect(code).toBe(1);
    expect(err).toContain("DATA:1:1: error[unknown-name]: unknown name 'tets'");
    expect(err).toContain("did you mean 'test'?");
  });

  it('a missing run folder: exit 2, naming it', async () => {
    const { code, err } = await embed([join(scratch, 'nope'), 'test']);
    expect(code).toBe(2);
    expect(err).toBe(`ssl: no run folder at '${join(scratch, 'nope')}'\n`);
  });

  it('missing weights: exit 1, naming the file', async () => {
    const dir = join(scratch, 'no-weights');
    cpSync(runDir, dir, { recursive: true });
    rmSync(join(dir, 'weights', 'weights.bin'));
    const { code, err } = await embed([dir, 'test', '--out', join(scratch, 'x.npy')]);
    expect(code).toBe(1);
    expect(err).toContain(`${join(dir, 'weights', 'weights.bin')}: not found`);
  });

  it('an empty DATA: usage error, exit 2', async () => {
    const { code, err } = await embed([runDir, ' ']);
    expect(code).toBe(2);
    expect(err).toMatch(/^ssl: DATA is empty/);
  });

  it('a bad --batch: usage error, exit 2', async () => {
    expect((await embed([runDir, 'test', '--batch', '0'])).code).toBe(2);
    expect((await embed([runDir, 'test', '--batch', 'many'])).code).toBe(2);
  });
});
