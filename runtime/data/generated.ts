/**
 * The generated time-series datasets (`cbf`, `synthetic_control`): the generators of synthetic.ts,
 * run with the seed and count the compiler recorded (`DataSource.generator`), so a run replays the
 * exact series. Z-normalised per series, as the UCR archive's copies are. Examples are [T, 1].
 */
import type { DataSource } from '../../compiler/ir.js';
import type { Examples } from './examples.js';
import { CBF_CLASSES, generateCbf, generateSyntheticControl, SYNTHETIC_CONTROL_CLASSES } from './synthetic.js';

export function loadGenerated(dataset: 'cbf' | 'synthetic_control', split: string, generator: NonNullable<DataSource['generator']>): Examples {
  const { seed, count } = generator;
  const g = dataset === 'cbf' ? generateCbf(count, seed) : generateSyntheticControl(count, seed);
  return {
    name: `${dataset}/${split}`,
    values: g.x,
    divisor: 1,
    labels: Int32Array.from(g.labels),
    size: count,
    shape: [g.length, 1],
    numClasses: g.numClasses,
    classes: [...(dataset === 'cbf' ? CBF_CLASSES : SYNTHETIC_CONTROL_CLASSES)],
  };
}
