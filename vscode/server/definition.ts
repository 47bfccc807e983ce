/**
 * Go to definition and the definitions in scope: a name's `data`/`view`/`network`/`teacher`/`let`
 * statement in the recipe or, through `extends`, in a base recipe (nearest first, as the compiler
 * merges them: a child's definition overrides its base's). `extends "base.ssl"` goes to the base.
 */
import type { Location } from 'vscode-languageserver';
import { TextDocument } from 'vscode-languageserver-textdocument';
import { resolveBasePath } from '../../compiler/extends.js';
import * as T from '../../grammar/tokens.js';
import { analyze, definitions, isIdentifier, tokenAt, type Analysis, type DefinitionSite } from './analysis.js';
import { pathToUri } from './documents.js';

export interface ScopedSite extends DefinitionSite {
  /** The file (compiler uri) that defines it. */
  path: string;
  text: string;
}

/**
 * The definitions visible in a recipe: its own, then those of its bases (`bases`, nearest first,
 * with their texts in `sources`, both from `compile()`). The first of a name wins.
 */
export function scope(own: Analysis, path: string, bases: readonly string[], sources: Readonly<Record<string, string>>): ScopedSite[] {
  const out: ScopedSite[] = definitions(own).map((d) => ({ ...d, path, text: own.text }));
  for (const base of bases) {
    const text = sources[base];
    if (text === undefined) continue;
    for (const d of definitions(analyze(text))) out.push({ ...d, path: base, text });
  }
  const seen = new Set<string>();
  return out.filter((d) => !seen.has(d.name) && seen.add(d.name) !== undefined);
}

function location(path: string, text: string, start: number, end: number): Location {
  const doc = TextDocument.create(path, 'ssl', 0, text);
  return { uri: pathToUri(path), range: { start: doc.positionAt(start), end: doc.positionAt(end) } };
}

export function definitionAt(a: Analysis, offset: number, path: string, sites: readonly ScopedSite[]): Location | null {
  const tok = tokenAt(a, offset);
  if (!tok) return null;
  if (tok.tokenType === T.StringLiteral && a.tokens[a.tokens.indexOf(tok) - 1]?.tokenType === T.Extends) {
    let rel: string;
    try {
      rel = JSON.parse(tok.image) as string;
    } catch {
      return null;
    }
    return { uri: pathToUri(resolveBasePath(path, rel)), range: { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } } };
  }
  if (!isIdentifier(tok)) return null;
  const site = sites.find((d) => d.name === tok.image);
  return site ? location(site.path, site.text, site.nameStart, site.nameEnd) : null;
}
