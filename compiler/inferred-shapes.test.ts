import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { compile } from './index.js';

const simclr = readFileSync(new URL('../recipes/simclr.ssl', import.meta.url), 'utf8');
const textAt = (text: string, span: { start: { offset: number }; end: { offset: number } }) => text.slice(span.start.offset, span.end.offset);

describe('compile(...).shapes (editor hovers)', () => {
  it('gives each view and network definition its output shape, and each application its shape', () => {
    const r = compile(simclr, 'simclr.ssl');
    const byName = (kind: string, name: string) => r.shapes.filter((s) => s.kind === kind && s.name === name).map((s) => s.shape);
    expect(byName('view', 'aug')).toEqual([[28, 28, 1]]);
    expect(byName('network', 'encoder')).toEqual([[128]]); // convnet(channels: [32, 64, 128]) pools to its last width
    expect(byName('network', 'projector')).toEqual([[128]]); // mlp([512, 128])
    const apply = r.shapes.find((s) => s.kind === 'node' && textAt(simclr, s.span) === 'encoder(x1)');
    expect(apply?.shape).toEqual([128]);
    expect(r.shapes.find((s) => s.kind === 'network' && s.name === 'encoder')!.span.start.line).toBe(21);
  });

  it('keeps the shapes validation inferred when another part of the recipe has an error', () => {
    const r = compile(simclr.replace('temperature: 0.5', 'temprature: 0.5'), 'simclr.ssl');
    expect(r.diagnostics.map((d) => d.code)).toContain('unknown-parameter');
    expect(r.ir).toBeUndefined();
    expect(r.shapes.find((s) => s.kind === 'network' && s.name === 'projector')?.shape).toEqual([128]);
  });

  it('is empty after a syntax error (validation did not run)', () => {
    expect(compile('network = (', 'x.ssl').shapes).toEqual([]);
  });
});
