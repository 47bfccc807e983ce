/**
 * Probes on a frozen encoder, the standard protocol: eval mode (batch-norm running statistics),
 * no augmentation, features of the labelled `fit` split, accuracy reported on the `on` split.
 */
import type { DataSource, FeatureRef, Probe } from '../compiler/ir.js';
import { tf } from './tf.js';
import type { TrainingGraph } from './graph.js';
import { batchLabels, batchTensor, loadDataSource } from './data/dataset.js';
import { createRng } from './util/rng.js';
import { linearProbe } from './probes/linear.js';
import { knnProbe } from './probes/knn.js';
import type { Features } from './probes/types.js';

/** Feature extraction batch: large enough to amortise per-op overhead, small enough for the wasm heap. */
const FEATURE_BATCH = 1000;

export interface ProbeResult {
  /** Unique within the run: the kind, the label fraction when below 100 %, a #n on repeats ('knn', 'knn@1%'). */
  name: string;
  probe: Probe['kind'];
  on: string;
  top1: number;
  fitSize: number;
  evalSize: number;
  ms: number;
}

/** Extracts features of every example of `source` through the graph's networks. */
export async function extractFeatures(graph: TrainingGraph, source: DataSource, ref: FeatureRef, seed: number): Promise<Features> {
  const dataset = loadDataSource(source, createRng(seed));
  const x = new Float32Array(dataset.size * ref.dim);
  for (let start = 0; start < dataset.size; start += FEATURE_BATCH) {
    const indices = Array.from({ length: Math.min(FEATURE_BATCH, dataset.size - start) }, (_, i) => start + i);
    const images = batchTensor(dataset, indices);
    const features = graph.features(images, ref.chain, ref.stage);
    x.set(await features.data(), start * ref.dim);
    tf.dispose([images, features]);
  }
  const y = batchLabels(dataset, Array.from({ length: dataset.size }, (_, i) => i));
  return { x, y, n: dataset.size, d: ref.dim };
}

/** Runs every probe, extracting each distinct (data, features) pair once. */
export async function runProbes(
  graph: TrainingGraph,
  probes: Probe[],
  seed: number,
  onResult: (result: ProbeResult) => void,
): Promise<ProbeResult[]> {
  const cache = new Map<string, Features>();
  const featuresOf = async (source: DataSource, ref: FeatureRef): Promise<Features> => {
    const key = JSON.stringify([source.dataset, source.split, source.files ?? null, source.generator ?? null, source.limit, source.labelFraction, ref.network, ref.stage]);
    let features = cache.get(key);
    if (!features) {
      features = await extractFeatures(graph, source, ref, seed);
      cache.set(key, features);
    }
    return features;
  };
  const results: ProbeResult[] = [];
  const names = probeNames(probes);
  for (const [index, probe] of probes.entries()) {
    const started = performance.now();
    const fit = await featuresOf(probe.fit, probe.features);
    const on = await featuresOf(probe.on, probe.features);
    const numClasses = probe.fit.numClasses;
    const top1 =
      probe.kind === 'linear'
        ? (await linearProbe(fit, on, { numClasses, l2: probe.l2, epochs: probe.epochs, seed })).top1
        : (await knnProbe(fit, on, { numClasses, k: probe.k, temperature: probe.temperature })).top1;
    const result: ProbeResult = {
      name: names[index],
      probe: probe.kind,
      on: probe.on.split,
      top1,
      fitSize: fit.n,
      evalSize: on.n,
      ms: performance.now() - started,
    };
    results.push(result);
    onResult(result);
  }
  return results;
}

/** Names for probe results: 'linear', 'knn', 'knn@1%' (labels: 1%), and '#2', '#3' on repeats. */
export function probeNames(probes: readonly Probe[]): string[] {
  const base = probes.map((p) => (p.fit.labelFraction < 1 ? `${p.kind}@${+(p.fit.labelFraction * 100).toPrecision(3)}%` : p.kind));
  return base.map((name, i) => {
    const earlier = base.slice(0, i).filter((b) => b === name).length;
    return earlier === 0 ? name : `${name}#${earlier + 1}`;
  });
}
