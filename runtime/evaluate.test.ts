import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { compile } from '../compiler/index.js';
import { probeNames } from './evaluate.js';

describe('probeNames', () => {
  it('names probes by kind, label fraction and repeat, uniquely', () => {
    const { ir } = compile(readFileSync(new URL('../recipes/simclr.ssl', import.meta.url), 'utf8'), 'recipes/simclr.ssl');
    expect(probeNames(ir!.probes)).toEqual(['linear', 'knn', 'knn@1%']);
    const twice = [...ir!.probes, ir!.probes[1]!, ir!.probes[2]!];
    expect(probeNames(twice)).toEqual(['linear', 'knn', 'knn@1%', 'knn#2', 'knn@1%#2']);
  });
});
