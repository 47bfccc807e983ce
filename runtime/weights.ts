/**
 * Saves every network's variables (trainable and batch-norm state) as one little-endian float32
 * blob plus a manifest of names, shapes and offsets: readable from TF.js, NumPy or anything else.
 */
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

export function saveWeights(folder: RunFolder, graph: TrainingGraph, name = 'weights'): string {
  const entries: WeightEntry[] = [];
  const chunks: Float32Array[] = [];
  let offset = 0;
  for (const [network, module] of graph.networks) {
    for (const [variables, trainable] of [[module.trainable, true], [module.state, false]] as const) {
      for (const v of variables) {
        const values = v.dataSync() as Float32Array;
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
