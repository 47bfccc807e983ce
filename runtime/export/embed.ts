/**
 * `ssl embed`: every example of a data source through a trained encoder, written as
 *
 *   npy  FILE.npy float32 [N, D] and FILE.labels.npy int32 [N] (row i of both is example i)
 *   csv  FILE.csv with a header `label,e0,...,e{D-1}` and one row per example; each value is the
 *        shortest decimal that reads back as the same float32
 *
 * Examples go through in batches (eval mode, no augmentation: exactly the probes' features,
 * `TrainingGraph.features`), each batch's tensors freed before the next, and rows are written as
 * they come, so memory holds one batch, not the dataset.
 */
import { closeSync, mkdirSync, openSync, rmSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import type { DataSource } from '../../compiler/ir.js';
import { tf } from '../tf.js';
import type { TrainingGraph } from '../graph.js';
import { batchLabels, batchTensor, loadDataSource } from '../data/dataset.js';
import { createRng } from '../util/rng.js';
import type { EncoderRef } from './encoder.js';
import { NpyWriter } from './npy.js';

export type EmbedFormat = 'npy' | 'csv';

export interface EmbedOptions {
  format: EmbedFormat;
  /** The output file (.npy or .csv); labels go to the same name with `.labels.npy` for npy. */
  out: string;
  /** Examples per forward pass. */
  batch: number;
  /** Seed of a `labels: p%` subset: the run's seed, so the subset is the one its probes used. */
  seed: number;
}

export interface EmbedResult {
  n: number;
  d: number;
  files: string[];
}

/** Where the labels of an npy embedding go: `x.npy` -> `x.labels.npy`. */
export function labelsPath(out: string): string {
  return out.replace(/(\.npy)?$/i, '.labels.npy');
}

/** Writes the embeddings of every example of `source` through `ref`. Partial files are removed on failure. */
export async function writeEmbeddings(graph: TrainingGraph, ref: EncoderRef, source: DataSource, options: EmbedOptions): Promise<EmbedResult> {
  if (!(Number.isInteger(options.batch) && options.batch >= 1)) throw new RangeError(`batch must be a positive integer, got ${options.batch}`);
  const dataset = loadDataSource(source, createRng(options.seed));
  const n = dataset.size;
  const d = ref.dim;
  mkdirSync(dirname(options.out), { recursive: true });
  const sink = options.format === 'npy' ? npySink(options.out, n, d) : csvSink(options.out, d);
  try {
    for (let start = 0; start < n; start += options.batch) {
      const indices = Array.from({ length: Math.min(options.batch, n - start) }, (_, i) => start + i);
      const x = batchTensor(dataset, indices);
      let features: tf.Tensor | undefined;
      try {
        features = graph.features(x, ref.chain, ref.stage); // [b, D]
        if (features.shape[1] !== d) throw new Error(`the encoder gives ${features.shape[1]} features per example, the IR says ${d}`);
        const rows = (await features.data()) as Float32Array;
        sink.rows(rows, batchLabels(dataset, indices));
      } finally {
        tf.dispose([x, ...(features ? [features] : [])]);
      }
    }
    sink.close();
  } catch (error) {
    sink.abort();
    throw error;
  }
  return { n, d, files: sink.files };
}

interface Sink {
  files: string[];
  rows(values: Float32Array, labels: Int32Array): void;
  close(): void;
  /** Closes and removes what was written. */
  abort(): void;
}

function npySink(out: string, n: number, d: number): Sink {
  const files = [out, labelsPath(out)];
  const x = new NpyWriter(files[0]!, '<f4', [n, d]);
  let y: NpyWriter;
  try {
    y = new NpyWriter(files[1]!, '<i4', [n]);
  } catch (error) {
    x.abort();
    rmSync(files[0]!, { force: true });
    throw error;
  }
  return {
    files,
    rows: (values, labels) => {
      x.append(values);
      y.append(labels);
    },
    close: () => {
      x.close();
      y.close();
    },
    abort: () => {
      x.abort();
      y.abort();
      for (const f of files) rmSync(f, { force: true });
    },
  };
}

function csvSink(out: string, d: number): Sink {
  const fd = openSync(out, 'w');
  let open = true;
  const close = () => {
    if (open) closeSync(fd);
    open = false;
  };
  try {
    writeSync(fd, ['label', ...Array.from({ length: d }, (_, j) => `e${j}`)].join(',') + '\n');
  } catch (error) {
    close();
    throw error;
  }
  return {
    files: [out],
    rows: (values, labels) => {
      const lines: string[] = [];
      for (let i = 0; i < labels.length; i++) {
        const row = [String(labels[i])];
        for (let j = 0; j < d; j++) row.push(float32Text(values[i * d + j]!));
        lines.push(row.join(','));
      }
      writeSync(fd, lines.join('\n') + '\n');
    },
    close,
    abort: () => {
      close();
      rmSync(out, { force: true });
    },
  };
}

/** The shortest decimal that parses back to the same float32 (at most 9 significant digits). */
export function float32Text(v: number): string {
  if (!Number.isFinite(v)) return String(v);
  for (let digits = 1; digits < 9; digits++) {
    const text = v.toPrecision(digits);
    if (Math.fround(Number(text)) === v) return String(Number(text));
  }
  return String(Number(v.toPrecision(9)));
}
