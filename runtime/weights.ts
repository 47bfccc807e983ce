/**
 * Saves every network's variables (trainable and batch-norm state) as one little-endian float32
 * blob plus a manifest of names, shapes and offsets: readable from TF.js, NumPy or anything else.
 */
import { readFileSync } from 'node:fs';
import { tf } from './tf.js';
import type { TrainingGraph } from './graph.js';
import type { RunFolder } from './run-folder.js';

export interface WeightEntry {
  name: string;
  network: string;
  shape: number[];
  /** Offset in float32 elements into weights.bin. */
  offset: number;
  trainable: boolean;
}

/** Async: values are read with `data()`, which every backend supports (webgpu cannot `dataSync` in Node). */
export async function saveWeights(folder: RunFolder, graph: TrainingGraph, name = 'weights'): Promise<string> {
  const entries: WeightEntry[] = [];
  const chunks: Float32Array[] = [];
  let offset = 0;
  for (const [network, module] of graph.networks) {
    for (const [variables, trainable] of [[module.trainable, true], [module.state, false]] as const) {
      for (const v of variables) {
        const values = (await v.data()) as Float32Array;
        entries.push({ name: v.name, network, shape: v.shape, offset, trainable });
        chunks.push(values);
        offset += values.length;
      }
    }
  }
  const blob = new Float32Array(offset);
  let at = 0;
  for (const c of chunks) {
    blob.set(c, at);
    at += c.length;
  }
  folder.writeBytes(`${name}/weights.bin`, new Uint8Array(blob.buffer));
  folder.writeJson(`${name}/manifest.json`, { format: 'float32-le', tfjs: tf.version_core, entries });
  return `${folder.dir}/${name}`;
}

/**
 * Loads weights saved by `saveWeights` into the graph's variables, by name. Every variable of the
 * graph must be in the manifest with the same shape; anything else is an error naming the file.
 */
export function loadWeights(dir: string, graph: TrainingGraph): void {
  const manifestPath = `${dir}/manifest.json`;
  const manifest = JSON.parse(readFileSync(manifestPath, 'utf8')) as { format: string; entries: WeightEntry[] };
  if (manifest.format !== 'float32-le') throw new Error(`${manifestPath}: unknown weights format '${manifest.format}'`);
  const bytes = readFileSync(`${dir}/weights.bin`);
  const blob = new Float32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4);
  const byName = new Map(manifest.entries.map((e) => [e.name, e]));
  for (const module of graph.networks.values()) {
    for (const v of [...module.trainable, ...module.state]) {
      const entry = byName.get(v.name);
      if (!entry) throw new Error(`${manifestPath}: no weights for '${v.name}'`);
      if (entry.shape.join(',') !== v.shape.join(',')) {
        throw new Error(`${manifestPath}: '${v.name}' has shape [${entry.shape}] but the recipe builds [${v.shape}]`);
      }
      const size = v.shape.reduce((a, b) => a * b, 1);
      if (entry.offset + size > blob.length) throw new Error(`${dir}/weights.bin: too short for '${v.name}'`);
      tf.tidy(() => v.assign(tf.tensor(blob.slice(entry.offset, entry.offset + size), v.shape)));
    }
  }
}
