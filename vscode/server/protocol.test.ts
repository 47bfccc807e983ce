/**
 * The language server over the real protocol: spawned as a child process (as VS Code runs it) and
 * driven with vscode-jsonrpc. Checks that what the editor shows is what `ssl check` / `ssl fmt` say.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMessageConnection, StreamMessageReader, StreamMessageWriter, type MessageConnection } from 'vscode-jsonrpc/node';
import type { CodeAction, CompletionItem, Diagnostic, Hover, Location, MarkupContent, PublishDiagnosticsParams, TextEdit } from 'vscode-languageserver';
import { TextDocument } from 'vscode-languageserver-textdocument';
import { diskLoader } from '../../cli/main.js';
import { compile } from '../../compiler/index.js';
import { format } from '../../compiler/format.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const simclr = readFileSync(join(root, 'recipes/simclr.ssl'), 'utf8');
const dino = readFileSync(join(root, 'recipes/dino.ssl'), 'utf8');

interface Server {
  child: ChildProcessWithoutNullStreams;
  rpc: MessageConnection;
  /** A request that fails at once if the server process has died. */
  request<R>(method: string, params?: unknown): Promise<R>;
  published: PublishDiagnosticsParams[];
  /** The next publishDiagnostics for `uri` (at `version`, when given). */
  diagnostics(uri: string, version?: number): Promise<PublishDiagnosticsParams>;
  versions: Map<string, number>;
  open(path: string, text: string): Promise<PublishDiagnosticsParams>;
  change(path: string, text: string): Promise<PublishDiagnosticsParams>;
  stop(): Promise<number | null>;
}

function startServer(env: Record<string, string> = {}): Server {
  const child = spawn(process.execPath, ['--import', 'tsx', join(root, 'vscode/server/main.ts'), '--stdio'], { cwd: root, env: { ...process.env, ...env } });
  const rpc = createMessageConnection(new StreamMessageReader(child.stdout), new StreamMessageWriter(child.stdin));
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
    if (process.env.SSL_LSP_TEST_DEBUG) process.stderr.write(chunk);
  });
  // A server that dies fails the test at once (with what it printed), instead of hanging it.
  let died: (e: Error) => void = () => {};
  const death = new Promise<never>((_, reject) => {
    died = reject;
  });
  death.catch(() => {}); // only awaited through `request`
  child.once('exit', (code) => {
    const error = new Error(`server exited with ${code}: ${stderr}`);
    if (code !== 0) for (const w of waiters.splice(0)) w.reject(error);
    died(error);
  });
  const published: PublishDiagnosticsParams[] = [];
  const waiters: { uri: string; version?: number; resolve: (p: PublishDiagnosticsParams) => void; reject: (e: Error) => void }[] = [];
  rpc.onNotification('textDocument/publishDiagnostics', (p: PublishDiagnosticsParams) => {
    published.push(p);
    for (let i = waiters.length - 1; i >= 0; i--) {
      const w = waiters[i]!;
      if (w.uri === p.uri && (w.version === undefined || w.version === p.version)) {
        waiters.splice(i, 1);
        w.resolve(p);
      }
    }
  });
  rpc.listen();
  const versions = new Map<string, number>();
  const server: Server = {
    child,
    rpc,
    request: <R>(method: string, params?: unknown) => Promise.race([rpc.sendRequest(method, params) as Promise<R>, death]),
    published,
    versions,
    diagnostics: (uri, version) => new Promise((resolve, reject) => waiters.push({ uri, ...(version !== undefined ? { version } : {}), resolve, reject })),
    open: (path, text) => {
      const uri = pathToFileURL(path).href;
      versions.set(uri, 1);
      const next = server.diagnostics(uri, 1);
      void rpc.sendNotification('textDocument/didOpen', { textDocument: { uri, languageId: 'ssl', version: 1, text } });
      return next;
    },
    change: (path, text) => {
      const uri = pathToFileURL(path).href;
      const version = (versions.get(uri) ?? 1) + 1;
      versions.set(uri, version);
      const next = server.diagnostics(uri, version);
      void rpc.sendNotification('textDocument/didChange', { textDocument: { uri, version }, contentChanges: [{ text }] });
      return next;
    },
    stop: async () => {
      const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
      await rpc.sendRequest('shutdown');
      await rpc.sendNotification('exit');
      const code = await exited;
      rpc.dispose();
      return code;
    },
  };
  return server;
}

async function initialize(s: Server, dir: string) {
  const result = await s.request('initialize', { processId: process.pid, rootUri: pathToFileURL(dir).href, capabilities: {} });
  await s.rpc.sendNotification('initialized', {});
  return result as { capabilities: Record<string, unknown> };
}

/** (line, character) of the `n`-th occurrence of `needle` in `text`, plus `shift` characters. */
function positionOf(text: string, needle: string, shift = 0, n = 1): { line: number; character: number } {
  let at = -1;
  for (let i = 0; i < n; i++) at = text.indexOf(needle, at + 1);
  if (at < 0) throw new Error(`'${needle}' not in text`);
  return TextDocument.create('x', 'ssl', 0, text).positionAt(at + shift);
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};

describe('language server over stdio', () => {
  let dir: string;
  let server: Server;
  const uri = (name: string) => pathToFileURL(join(dir, name)).href;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'ssl-lsp-'));
    writeFileSync(join(dir, 'base.ssl'), simclr);
    server = startServer();
    const init = await initialize(server, dir);
    expect(init.capabilities).toMatchObject({ hoverProvider: true, definitionProvider: true, documentFormattingProvider: true, documentSymbolProvider: true });
  });

  afterAll(async () => {
    if (server && server.child.exitCode === null) server.child.kill();
    rmSync(dir, { recursive: true, force: true });
  });

  const broken = simclr.replace('random_resized_crop(28, scale: 0.08..1.0)\n', 'random_resized_crop(28, scale: 0.08..1.0)\n         | gausian_noise(std: 0.1)\n');

  it('publishes the same diagnostics as ssl check on open, then a quick fix clears them', async () => {
    const path = join(dir, 'broken.ssl');
    const published = await server.open(path, broken);
    const expected = compile(broken, path, diskLoader).diagnostics; // what `ssl check` prints
    expect(expected.map((d) => d.code)).toEqual(['unknown-name']);
    expect(published.diagnostics).toHaveLength(1);
    const d = published.diagnostics[0]!;
    const at = positionOf(broken, 'gausian_noise');
    expect(d).toMatchObject({ code: 'unknown-name', source: 'ssl', severity: 1, range: { start: at, end: { line: at.line, character: at.character + 'gausian_noise'.length } } });
    expect((d.message as string).split('\n')[0]).toBe(expected[0]!.message);
    expect(d.message as string).toContain("help: did you mean 'gaussian_noise'?");

    const actions = (await server.request('textDocument/codeAction', {
      textDocument: { uri: uri('broken.ssl') },
      range: d.range,
      context: { diagnostics: published.diagnostics },
    })) as CodeAction[];
    expect(actions).toHaveLength(1);
    expect(actions[0]).toMatchObject({ title: "Change to 'gaussian_noise'", kind: 'quickfix', isPreferred: true });
    const edits = actions[0]!.edit!.changes![uri('broken.ssl')]!;
    expect(edits).toEqual([{ range: d.range, newText: 'gaussian_noise' }]);
    const fixed = TextDocument.applyEdits(TextDocument.create(uri('broken.ssl'), 'ssl', 1, broken), edits);
    expect(fixed).toBe(broken.replace('gausian_noise', 'gaussian_noise'));
    const after = await server.change(path, fixed);
    expect(after.diagnostics).toEqual([]);
  });

  it('reports syntax errors with the parser code and span', async () => {
    const text = 'recipe x\nview v = random_flip(\n';
    const path = join(dir, 'syntax.ssl');
    const published = await server.open(path, text);
    const expected = compile(text, path, diskLoader).diagnostics;
    expect(published.diagnostics.map((d) => [d.code, d.range.start.line, d.range.start.character])).toEqual(expected.map((d) => [d.code, d.span.start.line - 1, d.span.start.column - 1]));
    expect(published.diagnostics.length).toBeGreaterThan(0);
  });

  it('inspects file datasets relative to the recipe, as ssl check does', async () => {
    const path = join(root, 'test/fixtures/data/recipes/formats.ssl');
    const text = readFileSync(path, 'utf8');
    const missing = text.replace('"../csv/table.csv"', '"../csv/no-such-table.csv"');
    for (const version of [text, missing]) {
      const published = version === text ? await server.open(path, version) : await server.change(path, version);
      const expected = compile(version, path, diskLoader).diagnostics;
      const lines = (ds: { code?: unknown; message: unknown; range: { start: { line: number; character: number } } }[]) => ds.map((d) => [d.code, String(d.message).split('\n')[0], d.range.start.line, d.range.start.character]);
      expect(lines(published.diagnostics)).toEqual(lines(expected.map((d) => ({ code: d.code, message: d.message, range: { start: { line: d.span.start.line - 1, character: d.span.start.column - 1 } } }))));
      if (version === missing) expect(published.diagnostics.map((d) => d.code)).toContain(expected.find((d) => d.severity === 'error')?.code);
    }
    await server.rpc.sendNotification('textDocument/didClose', { textDocument: { uri: pathToFileURL(path).href } });
  });

  it('completes augmentations after `view x = `, with signature and doc', async () => {
    const text = 'recipe c\nview x = ';
    await server.open(join(dir, 'complete.ssl'), text);
    const items = (await server.request('textDocument/completion', { textDocument: { uri: uri('complete.ssl') }, position: { line: 1, character: 9 } })) as CompletionItem[];
    const crop = items.find((i) => i.label === 'random_resized_crop');
    expect(crop?.detail).toBe('random_resized_crop(size: int, scale: range = 0.08..1, ratio: range = 0.75..1.3333333333333333)');
    expect((crop?.documentation as MarkupContent).value).toContain('Inception-style random crop (Szegedy et al. 2015)');
    expect(items.map((i) => i.label)).not.toContain('nt_xent'); // a loss is no augmentation
    expect(items.map((i) => i.label)).toContain('gaussian_blur');
  });

  it('completes the parameters not yet given inside a call', async () => {
    const text = 'recipe c\nview x = random_resized_crop(28, scale: 0.5..1.0, ';
    await server.open(join(dir, 'params.ssl'), text);
    const items = (await server.request('textDocument/completion', { textDocument: { uri: uri('params.ssl') }, position: { line: 1, character: text.split('\n')[1]!.length } })) as CompletionItem[];
    const params = items.filter((i) => i.kind === 10).map((i) => i.label);
    expect(params).toEqual(['ratio:']);
    expect(items.find((i) => i.label === 'ratio:')).toMatchObject({ insertText: 'ratio: ', detail: 'ratio: range = 0.75..1.3333333333333333', documentation: 'Aspect ratio range, log-uniform.' });
  });

  it('hovers a network name with its inferred output shape, and a builtin with its doc', async () => {
    const path = join(dir, 'simclr.ssl');
    await server.open(path, simclr);
    const onName = (await server.request('textDocument/hover', { textDocument: { uri: uri('simclr.ssl') }, position: positionOf(simclr, 'network projector', 9) })) as Hover;
    const value = (onName.contents as MarkupContent).value;
    expect(value).toContain('network projector = mlp([512, 128], norm: batch)');
    expect(value).toContain('output shape **[128]**');
    const onCall = (await server.request('textDocument/hover', { textDocument: { uri: uri('simclr.ssl') }, position: positionOf(simclr, 'lars(', 1) })) as Hover;
    expect((onCall.contents as MarkupContent).value).toContain('lars(lr: number');
  });

  it('goes to a definition in the base recipe across `extends`', async () => {
    const child = 'extends "base.ssl"\nrecipe child\nloss = nt_xent(projector(encoder(x1)), projector(encoder(x2)), temperature: 0.2)\n';
    const path = join(dir, 'child.ssl');
    const published = await server.open(path, child);
    expect(published.diagnostics).toEqual(compile(child, path, diskLoader).diagnostics); // both empty
    const loc = (await server.request('textDocument/definition', { textDocument: { uri: uri('child.ssl') }, position: positionOf(child, 'encoder(x1)', 2) })) as Location;
    const at = positionOf(simclr, 'network encoder', 8);
    expect(loc).toEqual({ uri: uri('base.ssl'), range: { start: at, end: { line: at.line, character: at.character + 'encoder'.length } } });
  });

  it('republishes a recipe when the base it extends changes in the editor', async () => {
    const childUri = uri('child.ssl');
    const republished = server.diagnostics(childUri);
    await server.open(join(dir, 'base.ssl'), simclr.replace('network encoder ', 'network encodr '));
    const d = (await republished).diagnostics;
    expect(d.map((x) => x.code)).toContain('unknown-name');
    // The base's own error is shown in the base; the child's (its loss uses `encoder`) in the child.
    const back = server.diagnostics(childUri);
    await server.change(join(dir, 'base.ssl'), simclr);
    expect((await back).diagnostics).toEqual([]);
  });

  it('formats like ssl fmt, and not at all when already formatted', async () => {
    const messy = simclr.replace('data test  = mnist(split: "test")', 'data   test=mnist( split:"test" )');
    await server.open(join(dir, 'messy.ssl'), messy);
    const edits = (await server.request('textDocument/formatting', { textDocument: { uri: uri('messy.ssl') }, options: { tabSize: 2, insertSpaces: true } })) as TextEdit[];
    expect(edits).toHaveLength(1);
    expect(edits[0]!.newText).toBe(format(messy).text);
    expect(TextDocument.applyEdits(TextDocument.create('x', 'ssl', 1, messy), edits)).toBe(format(simclr).text);
    const none = (await server.request('textDocument/formatting', { textDocument: { uri: uri('simclr.ssl') }, options: { tabSize: 2, insertSpaces: true } })) as TextEdit[];
    expect(none).toEqual(format(simclr).text === simclr ? [] : [expect.anything()]);
    // A recipe with syntax errors is left alone (ssl fmt refuses it too).
    const broken = (await server.request('textDocument/formatting', { textDocument: { uri: uri('syntax.ssl') }, options: { tabSize: 2, insertSpaces: true } })) as TextEdit[];
    expect(format('recipe x\nview v = random_flip(\n').text).toBeUndefined();
    expect(broken).toEqual([]);
  });

  it('outlines the recipe', async () => {
    const symbols = (await server.request('textDocument/documentSymbol', { textDocument: { uri: uri('simclr.ssl') } })) as { name: string; kind: number }[];
    expect(symbols.map((s) => s.name)).toEqual(['recipe simclr', 'train', 'test', 'aug', 'encoder', 'projector', 'x1', 'x2', 'loss', 'optimizer', 'schedule', 'train', 'probe', 'probe', 'probe']);
  });

  it('shuts down and exits cleanly', async () => {
    expect(await server.stop()).toBe(0);
  });
});

describe('time to diagnostics after an edit (recipes/dino.ssl; reported, not asserted)', () => {
  for (const [label, env] of [
    ['without the debounce', { SSL_LSP_DEBOUNCE_MS: '0' }],
    ['with the debounce', {}],
  ] as const) {
    it(label, async () => {
      const dir = mkdtempSync(join(tmpdir(), 'ssl-lsp-time-'));
      const server = startServer(env);
      try {
        await initialize(server, dir);
        const path = join(dir, 'dino.ssl');
        expect((await server.open(path, dino)).diagnostics).toEqual([]);
        const times: number[] = [];
        for (let i = 0; i < 20; i++) {
          const text = dino.replace('student_temperature: 0.1', `student_temperature: 0.1${i}`);
          const t0 = performance.now();
          const published = await server.change(path, text);
          times.push(performance.now() - t0);
          expect(published.diagnostics).toEqual([]);
        }
        console.log(`didChange -> publishDiagnostics on recipes/dino.ssl ${label}: median ${median(times).toFixed(1)} ms over ${times.length} edits (min ${Math.min(...times).toFixed(1)}, max ${Math.max(...times).toFixed(1)})`);
      } finally {
        expect(await server.stop()).toBe(0);
        rmSync(dir, { recursive: true, force: true });
      }
    });
  }
});
