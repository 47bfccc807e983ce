/**
 * `extends "base.ssl"`: a recipe that overrides another recipe's statements. Merged here, on the
 * AST, before resolution, so the merged recipe gets exactly the checks, spans and suggestions of a
 * recipe written in one file (each node keeps the span of the file it was written in).
 *
 * Finding the base
 * - `extends "p"` names a file relative to the directory of the extending file's uri (POSIX path
 *   rules on the uri string, `node:path`'s `posix.join`; a `scheme://authority` prefix is kept
 *   aside); an absolute `p` (or a `scheme://` uri) is used as is.
 * - The compiler reads no files itself: the caller passes `readFile` (the CLI reads the disk, the
 *   language server its open documents) and optionally `listFiles`, used only for the hint of a
 *   missing base (the `.ssl` files in that folder, with the closest name).
 * - A base is parsed with its own uri (its normalised path), so its syntax errors, and every later
 *   diagnostic about a node written in it, point into the base file.
 * - Bases may extend other bases (a chain, merged from the bottom up). A file reached twice is an
 *   `extends-cycle` error, reported at the `extends` statement of the file being compiled (with
 *   notes for each `extends` in the chain). A base that cannot be read is `base-not-found` at the
 *   path string of the `extends` that names it. A second `extends` in one file is
 *   `duplicate-section` (the first is used). After any of these, compilation stops: without the
 *   base, missing-section errors would only be noise.
 *
 * The merge rule (child = the extending file, base = the already merged base):
 * - start from the base's statements, in the base's order;
 * - a child `data` / `view` / `network` / `teacher` / `let` definition replaces the base's
 *   definition of the same name in place (where the base had it); a new name is appended;
 * - each section the child has (`recipe`, `loss`, `optimizer`, `schedule`, `train`) replaces the
 *   base's (all of the child's statements of that kind take the place of the base's, so a section
 *   the child writes twice is still a `duplicate-section`);
 * - `probe`s: if the child has any probe, they replace all of the base's probes; otherwise the
 *   base's probes are kept;
 * - `extends` statements are not part of the merged program.
 *
 * Decisions
 * - A child definition that replaces a base definition of another kind (base `network enc`, child
 *   `let enc`) is allowed, the child wins, but it is an `override-kind-change` warning: it usually
 *   means a name clash rather than an intended override.
 * - `unused-definition` warnings are not reported for definitions written in a base file: an
 *   override often leaves some of the base's definitions unused (the child redefined the loss that
 *   read `view aug`), which is the point of overriding, not a mistake in the child. `compile`
 *   filters them by the definition's uri (see `dropBaseUnused`); resolve still counts the
 *   references, so unused base data stays out of the IR as usual.
 */
import { posix } from 'node:path';
import type * as A from './ast.js';
import { Codes } from './codes.js';
import { cstToAst } from './cst-to-ast.js';
import { closest, hasErrors, SourceText, type Diagnostic, type RelatedInformation } from './diagnostics.js';
import { parse } from './parse.js';
import type { DataFiles, DataInspection, DataSplit } from './ir.js';

export interface FileLoader {
  /** The text of the file at `path`, or undefined when it cannot be read. May also throw. */
  readFile?: (path: string) => string | undefined;
  /** The file names (not paths) in folder `dir`, for the hint of a missing base; optional. */
  listFiles?: (dir: string) => readonly string[] | undefined;
  /**
   * Reads a file-based data source's files (headers where the format allows) and says how many
   * examples of which shape and classes they hold, or what is wrong (runtime/data/inspect.ts).
   * Without it, datasets read from files are a `data-unchecked` error.
   */
  inspectData?: (files: DataFiles, split: DataSplit) => DataInspection;
}

export interface MergeResult {
  /** The merged program (the child's `span`, so whole-file diagnostics point at the child). */
  program: A.Program;
  /** The uris of the bases, nearest first (empty without `extends`). */
  bases: string[];
  /** False when an `extends` could not be followed (then `program` must not be compiled further). */
  ok: boolean;
}

const SCHEME = /^([A-Za-z][A-Za-z0-9+.-]*:\/\/[^/]*)(.*)$/;

/** Where `extends "rel"` in the file `fromUri` points. */
export function resolveBasePath(fromUri: string, rel: string): string {
  if (SCHEME.test(rel)) return rel;
  const m = SCHEME.exec(fromUri);
  const prefix = m ? m[1]! : '';
  // A Windows path as typed on the command line (`recipes\x.ssl`) has no `/` at all.
  const path = m ? m[2]! : fromUri.includes('/') ? fromUri : fromUri.replace(/\\/g, '/');
  if (posix.isAbsolute(rel)) return prefix + posix.normalize(rel);
  return prefix + posix.join(posix.dirname(path || '/'), rel);
}

function normalizeKey(uri: string): string {
  const m = SCHEME.exec(uri);
  return m ? m[1]! + posix.normalize(m[2]! || '/') : posix.normalize(uri);
}

const sectionKinds = new Set(['recipe', 'loss', 'optimizer', 'schedule', 'train', 'probe']);

function isDefinition(s: A.Statement): s is A.Definition {
  return s.kind === 'data' || s.kind === 'view' || s.kind === 'network' || s.kind === 'teacher' || s.kind === 'let';
}

/** Merges child statements over base statements (see the rule above). */
export function mergeStatements(base: readonly A.Statement[], child: readonly A.Statement[], diagnostics: Diagnostic[]): A.Statement[] {
  const childByKind = new Map<string, A.Statement[]>();
  const childDefs = new Map<string, A.Definition>();
  for (const s of child) {
    if (s.kind === 'extends') continue;
    if (isDefinition(s)) {
      if (!childDefs.has(s.name.name) && s.name.name !== '?') childDefs.set(s.name.name, s);
    } else {
      const list = childByKind.get(s.kind) ?? [];
      list.push(s);
      childByKind.set(s.kind, list);
    }
  }
  const emitted = new Set<A.Statement>();
  const sectionDone = new Set<string>();
  const out: A.Statement[] = [];
  for (const s of base) {
    if (s.kind === 'extends') continue;
    if (sectionKinds.has(s.kind) && childByKind.has(s.kind)) {
      if (!sectionDone.has(s.kind)) {
        sectionDone.add(s.kind);
        for (const c of childByKind.get(s.kind)!) {
          out.push(c);
          emitted.add(c);
        }
      }
      continue;
    }
    if (isDefinition(s)) {
      const c = childDefs.get(s.name.name);
      if (c && !emitted.has(c)) {
        if (c.kind !== s.kind) {
          diagnostics.push({
            severity: 'warning',
            code: Codes.overrideKindChange,
            message: `${c.kind} '${c.name.name}' replaces the base recipe's ${s.kind} '${s.name.name}'`,
            span: c.name.span,
            hint: `an override usually keeps the kind of what it replaces; rename this ${c.kind} if it was not meant to replace the base's ${s.kind}`,
            related: [{ message: `the base's ${s.kind} '${s.name.name}'`, span: s.name.span }],
          });
        }
        out.push(c);
        emitted.add(c);
        continue;
      }
    }
    out.push(s);
  }
  for (const s of child) if (s.kind !== 'extends' && !emitted.has(s)) out.push(s);
  return out;
}

interface ChainLink {
  key: string;
  uri: string;
  /** The `extends` statement of this file (absent for the last file of the chain). */
  stmt?: A.ExtendsStatement;
}

interface Ctx extends FileLoader {
  diagnostics: Diagnostic[];
  sources: Record<string, string>;
  bases: string[];
  root: A.ExtendsStatement | undefined;
}

/**
 * Follows the `extends` of `program` (parsed from `src`) and merges. `sources` receives the text of
 * every base read (by uri). Never throws for a loader that throws.
 */
export function mergeExtends(program: A.Program, src: SourceText, loader: FileLoader, diagnostics: Diagnostic[], sources: Record<string, string>): MergeResult {
  const ctx: Ctx = { ...loader, diagnostics, sources, bases: [], root: undefined };
  const statements = load(program, src, [], ctx);
  return {
    program: statements ? { kind: 'program', statements, span: program.span } : program,
    bases: ctx.bases,
    ok: statements !== undefined,
  };
}

function load(program: A.Program, src: SourceText, chain: ChainLink[], ctx: Ctx): A.Statement[] | undefined {
  const exts = program.statements.filter((s): s is A.ExtendsStatement => s.kind === 'extends');
  const own = program.statements.filter((s) => s.kind !== 'extends');
  for (const extra of exts.slice(1)) {
    ctx.diagnostics.push({
      severity: 'error',
      code: Codes.duplicateSection,
      message: `'extends' may appear only once (first on line ${exts[0]!.span.start.line})`,
      span: extra.span,
      hint: 'a recipe extends one base; that base may itself extend another',
      related: [{ message: "first 'extends'", span: exts[0]!.span }],
    });
  }
  const ext = exts[0];
  if (!ext) return own;
  if (chain.length === 0) ctx.root = ext;
  const link: ChainLink = { key: normalizeKey(src.uri), uri: src.uri, stmt: ext };
  const path = ext.path.value;
  if (path.trim() === '') {
    notFound(ctx, ext, 'the base recipe path is empty', 'write the path of a .ssl file, relative to this one: `extends "base.ssl"`');
    return undefined;
  }
  if (!ctx.readFile) {
    notFound(ctx, ext, `cannot read base recipe '${path}'`, 'the compiler was given no file loader (readFile), so it cannot follow `extends`');
    return undefined;
  }
  const target = resolveBasePath(src.uri, path);
  const key = normalizeKey(target);
  const links = [...chain, link];
  const at = links.findIndex((l) => l.key === key);
  if (at >= 0) {
    const cycle = [...links.slice(at).map((l) => l.uri), target];
    const related: RelatedInformation[] = links
      .filter((l) => l.stmt && l.stmt !== ctx.root)
      .map((l) => ({ message: `'${l.uri}' extends '${l.stmt!.path.value}'`, span: l.stmt!.path.span }));
    ctx.diagnostics.push({
      severity: 'error',
      code: Codes.extendsCycle,
      message: `recipes extend each other in a cycle: ${cycle.map((u) => `'${u}'`).join(' -> ')}`,
      span: (ctx.root ?? ext).span,
      hint: 'a base recipe must not extend, directly or through other bases, a recipe that extends it',
      ...(related.length > 0 ? { related } : {}),
    });
    return undefined;
  }
  let text: string | undefined;
  let reason: string | undefined;
  try {
    text = ctx.readFile(target);
  } catch (err) {
    reason = err instanceof Error ? err.message : String(err);
  }
  if (typeof text !== 'string') {
    notFound(ctx, ext, `cannot read base recipe '${path}'${reason ? `: ${reason}` : ''}`, missingHint(ctx, src.uri, path, target));
    return undefined;
  }
  ctx.sources[target] = text;
  ctx.bases.push(target);
  const baseSrc = new SourceText(text, target);
  const parsed = parse(text, target);
  ctx.diagnostics.push(...parsed.diagnostics);
  if (!parsed.cst || hasErrors(parsed.diagnostics)) return undefined;
  const baseProgram = cstToAst(parsed.cst, baseSrc);
  const baseStatements = load(baseProgram, baseSrc, links, ctx);
  if (!baseStatements) return undefined;
  return mergeStatements(baseStatements, own, ctx.diagnostics);
}

function notFound(ctx: Ctx, ext: A.ExtendsStatement, message: string, hint: string): void {
  ctx.diagnostics.push({ severity: 'error', code: Codes.baseNotFound, message, span: ext.path.span, hint });
}

const MAX_LISTED = 20;

function missingHint(ctx: Ctx, fromUri: string, path: string, target: string): string {
  const lines = [`the path is relative to the folder of '${fromUri}': it names '${target}'`];
  const dir = posix.dirname(target);
  let names: readonly string[] | undefined;
  try {
    names = ctx.listFiles?.(dir);
  } catch {
    names = undefined;
  }
  if (names) {
    const ssl = names.filter((n) => n.endsWith('.ssl')).sort();
    if (ssl.length === 0) lines.push(`'${dir}' has no .ssl files`);
    else {
      const best = closest(posix.basename(target), ssl);
      if (best !== undefined) lines.unshift(`did you mean '${posix.join(posix.dirname(path), best)}'?`);
      const shown = ssl.slice(0, MAX_LISTED).map((n) => `'${n}'`).join(', ');
      lines.push(`.ssl files in '${dir}': ${shown}${ssl.length > MAX_LISTED ? `, ... (${ssl.length - MAX_LISTED} more)` : ''}`);
    }
  }
  return lines.join('\n');
}

/** Drops `unused-definition` warnings about definitions written in a base file (see the header). */
export function dropBaseUnused(diagnostics: Diagnostic[], rootUri: string): Diagnostic[] {
  return diagnostics.filter((d) => d.code !== Codes.unusedDefinition || d.span.uri === rootUri);
}
