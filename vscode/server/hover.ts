/**
 * Hovers: a builtin's signature, doc and defaults (compiler/builtins.ts); a parameter's type and
 * doc; for a defined name its kind and value, and for views, networks and their applications the
 * output shape validation inferred (`compile(...).shapes`), per example, without the batch axis.
 */
import type { IToken } from 'chevrotain';
import { MarkupKind, type Hover, type Position } from 'vscode-languageserver';
import { builtins, type BuiltinSpec } from '../../compiler/builtins.js';
import { formatShape } from '../../compiler/explain.js';
import type { CompileResult, InferredShape } from '../../compiler/index.js';
import * as T from '../../grammar/tokens.js';
import { isIdentifier, statementText, tokenAt, tokenEnd, type Analysis, type DefinitionSite } from './analysis.js';
import { builtinMarkdown, paramSignature } from './signature.js';

export const shapeText = (shape: readonly number[]): string => formatShape([...shape]);

/** The builtin whose call's parentheses hold token `index` (at that call's own depth), if any. */
export function enclosingBuiltin(a: Analysis, index: number): BuiltinSpec | undefined {
  let depth = 0;
  for (let i = index - 1; i >= 0; i--) {
    const t = a.tokens[i]!;
    if (t.tokenType === T.RParen || t.tokenType === T.RBracket) depth++;
    else if (t.tokenType === T.LBracket) depth--;
    else if (t.tokenType === T.LParen) {
      if (depth === 0) {
        const callee = a.tokens[i - 1];
        return callee && isIdentifier(callee) ? builtins.get(callee.image) : undefined;
      }
      depth--;
    }
    if (depth < 0) return undefined;
  }
  return undefined;
}

/** The outermost inferred shape whose span starts at `offset` in file `path`. */
function shapeStartingAt(shapes: readonly InferredShape[], path: string, offset: number): InferredShape | undefined {
  let found: InferredShape | undefined;
  for (const s of shapes) if (s.kind === 'node' && s.span.uri === path && s.span.start.offset === offset && (!found || s.span.end.offset >= found.span.end.offset)) found = s;
  return found;
}

export interface HoverInput {
  analysis: Analysis;
  offset: number;
  /** The compiled document's path (the uri its spans carry). */
  path: string;
  result?: CompileResult;
  /** Definitions in scope: the document's, then its bases' (nearest first). */
  scope: readonly DefinitionSite[];
  /** Analyses of the files named in `scope` (for their statement text), by path. */
  analysisOf: (path: string) => Analysis | undefined;
  pathOf: (site: DefinitionSite) => string;
  /** The document's offset -> LSP position. */
  positionAt: (offset: number) => Position;
}

export function hover(h: HoverInput): Hover | null {
  const a = h.analysis;
  const tok = tokenAt(a, h.offset);
  if (!tok || !isIdentifier(tok)) return null;
  const index = a.tokens.indexOf(tok);
  const next: IToken | undefined = a.tokens[index + 1];
  const range = { start: h.positionAt(tok.startOffset), end: h.positionAt(tokenEnd(tok)) };
  const md = (value: string) => ({ contents: { kind: MarkupKind.Markdown, value }, range });

  // A named argument: `temperature: 0.5`.
  if (next?.tokenType === T.Colon) {
    const statement = a.statements.find((s) => s.start <= tok.startOffset && tok.startOffset < s.end);
    const spec = enclosingBuiltin(a, index) ?? (statement?.keyword === 'train' ? builtins.get('train') : undefined);
    const p = spec?.params.find((q) => q.name === tok.image);
    if (p && spec) return md(['```ssl', paramSignature(p), '```', `parameter of \`${spec.name}\`${p.required ? ' (required)' : ''}: ${p.doc}`].join('\n'));
  }

  const shapes = h.result?.shapes ?? [];
  const site = h.scope.find((d) => d.name === tok.image);
  if (site) {
    const sitePath = h.pathOf(site);
    const lines = ['```ssl', statementText(h.analysis === h.analysisOf(sitePath) ? h.analysis : (h.analysisOf(sitePath) ?? h.analysis), site.statement), '```'];
    const application = next?.tokenType === T.LParen ? shapeStartingAt(shapes, h.path, tok.startOffset) : undefined;
    const own = shapes.find((s) => s.kind === site.kind && s.name === site.name);
    if (application) lines.push(`\`${a.text.slice(application.span.start.offset, application.span.end.offset).replace(/\s+/g, ' ')}\`: output shape **${shapeText(application.shape)}** per example`);
    else if (own) lines.push(`${site.kind} \`${site.name}\`: output shape **${shapeText(own.shape)}** per example`);
    else if (site.kind === 'let' || site.kind === 'data') {
      const value = site.statement.tokens[3];
      const drawn = value ? shapeStartingAt(shapes, sitePath, value.startOffset) : undefined;
      if (drawn) lines.push(`${site.kind} \`${site.name}\`: shape **${shapeText(drawn.shape)}** per example`);
    }
    lines.push(`*${site.kind}* defined in ${sitePath === h.path ? 'this recipe' : `\`${sitePath}\``}`);
    return md(lines.join('\n'));
  }
  const spec = builtins.get(tok.image);
  if (spec) return md(builtinMarkdown(spec));
  return null;
}
