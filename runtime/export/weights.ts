/**
 * The trained weights an export reads: a run folder's `weights/` (runtime/weights.ts) loaded into a
 * `TrainingGraph` built from the run's IR, then read by variable name (`${net}/${stage}/...`, the
 * layout runtime/nn/* documents).
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { IR, Network } from '../../compiler/ir.js';
import { TrainingGraph } from '../graph.js';
import { createRng } from '../util/rng.js';
import { loadWeights } from '../weights.js';
import { ExportError, type EncoderRef } from './encoder.js';

export type ExportNetwork = Network;

/** A weight by variable name: its shape and values (row-major float32). Throws when the graph has none. */
export type WeightSource = (name: string) => { shape: number[]; values: Float32Array };

/**
 * Builds the graph the run trained and loads `weights/` from the run folder into it. A missing or
 * mismatched weights folder is an ExportError naming the path. The caller disposes the graph.
 */
export function loadTrainedGraph(ir: IR, runDir: string): TrainingGraph {
  const dir = join(runDir, 'weights');
  for (const file of ['manifest.json', 'weights.bin']) {
    const path = join(dir, file);
    if (!existsSync(path)) {
      throw new ExportError(`${path}: not found; the run saved no weights (was it stopped before its first step, or is this not a run folder?)`);
    }
  }
  // The initial values do not matter: every variable is overwritten from weights/.
  const graph = new TrainingGraph(ir, createRng(ir.train.seed));
  try {
    loadWeights(dir, graph);
  } catch (error) {
    graph.dispose();
    throw new ExportError((error as Error).message);
  }
  return graph;
}

/** The IR networks of the encoder's chain, in order. */
export function chainNetworks(ir: IR, ref: EncoderRef): ExportNetwork[] {
  return ref.chain.map((name) => ir.networks[name]!);
}

/** Reads variables of `graph` by name (host copies, read once). */
export function weightSource(graph: TrainingGraph): WeightSource {
  const byName = new Map<string, { shape: number[]; read: () => Float32Array }>();
  for (const module of graph.networks.values()) {
    for (const v of [...module.trainable, ...module.state]) byName.set(v.name, { shape: v.shape, read: () => v.dataSync() as Float32Array });
  }
  return (name) => {
    const v = byName.get(name);
    if (!v) throw new Error(`the trained graph has no variable '${name}'`);
    return { shape: [...v.shape], values: Float32Array.from(v.read()) };
  };
}
