import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { MarkupContent } from 'vscode-languageserver';
import { compile } from '../../compiler/index.js';
import { analyze } from './analysis.js';
import { scope } from './definition.js';
import { hover } from './hover.js';

const simclr = readFileSync(new URL('../../recipes/simclr.ssl', import.meta.url), 'utf8');

/** The hover text at the `n`-th occurrence of `needle` (plus `shift` characters) in simclr.ssl. */
function hoverAt(text: string, needle: string, shift = 0, n = 1): string | undefined {
  let at = -1;
  for (let i = 0; i < n; i++) at = text.indexOf(needle, at + 1);
  const analysis = analyze(text);
  const result = compile(text, 'simclr.ssl');
  const sites = scope(analysis, 'simclr.ssl', result.bases, result.sources);
  const h = hover({ analysis, offset: at + shift, path: 'simclr.ssl', result, scope: sites, analysisOf: () => analysis, pathOf: () => 'simclr.ssl', positionAt: (o) => ({ line: 0, character: o }) });
  return h ? (h.contents as MarkupContent).value : undefined;
}

describe('hover', () => {
  it('shows a network application its inferred shape, and a definition its kind and value', () => {
    expect(hoverAt(simclr, 'encoder(x1)', 1)).toContain('`encoder(x1)`: output shape **[128]** per example');
    expect(hoverAt(simclr, 'network encoder', 9)).toContain('network encoder = convnet(channels: [32, 64, 128], kernel: 3, stride: 2, norm: batch)');
    expect(hoverAt(simclr, 'view aug', 6)).toContain('view `aug`: output shape **[28, 28, 1]** per example');
    expect(hoverAt(simclr, 'let x1', 5)).toContain('let `x1`: shape **[28, 28, 1]** per example');
    expect(hoverAt(simclr, 'let x1', 5)).toContain('*let* defined in this recipe');
  });

  it('shows a builtin its signature and doc, and a named argument its parameter', () => {
    const lars = hoverAt(simclr, 'lars(', 1)!;
    expect(lars).toMatch(/^```ssl\nlars\(lr: number/);
    expect(hoverAt(simclr, 'temperature: 0.5', 2)).toContain('temperature: number = ');
    expect(hoverAt(simclr, 'temperature: 0.5', 2)).toContain('parameter of `nt_xent`');
    expect(hoverAt(simclr, 'epochs: 100', 1)).toContain('parameter of `train`');
  });

  it('shows nothing on numbers, punctuation or unknown names', () => {
    expect(hoverAt(simclr, '0.08..1.0', 1)).toBeUndefined();
    expect(hoverAt(simclr.replace('loss = nt_xent(', 'loss = nt_xnet('), 'nt_xnet', 1)).toBeUndefined();
  });
});
