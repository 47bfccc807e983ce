/**
 * End to end: packages the extension exactly as `npm run package:vscode` does (build + vsce,
 * offline) into a temporary folder, then checks what the .vsix holds and that the language server
 * inside it starts on its own and reports the same diagnostic codes as the compiler.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { builtinModules } from 'node:module';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { inflateRawSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createMessageConnection,
  StreamMessageReader,
  StreamMessageWriter,
  type MessageConnection,
} from 'vscode-jsonrpc/node';
import { compile } from '../compiler/index.js';
import { extensionRoot, repoRoot, rootVersion } from './scripts/build.mjs';
import { packageExtension, type PackageResult } from './scripts/package.mjs';

/** The entries of a zip file by name, read from its central directory (APPNOTE.TXT 4.3). */
function readZip(zip: Buffer): Map<string, Buffer> {
  const eocd = zip.lastIndexOf(Buffer.from([0x50, 0x4b, 0x05, 0x06]));
  if (eocd < 0) throw new Error('not a zip: no end-of-central-directory record');
  const count = zip.readUInt16LE(eocd + 10);
  let at = zip.readUInt32LE(eocd + 16);
  const entries = new Map<string, Buffer>();
  for (let i = 0; i < count; i++) {
    if (zip.readUInt32LE(at) !== 0x02014b50) throw new Error(`zip: bad central directory entry ${i}`);
    const method = zip.readUInt16LE(at + 10);
    const compressedSize = zip.readUInt32LE(at + 20);
    const nameLength = zip.readUInt16LE(at + 28);
    const extraLength = zip.readUInt16LE(at + 30);
    const commentLength = zip.readUInt16LE(at + 32);
    const localHeader = zip.readUInt32LE(at + 42);
    const name = zip.toString('utf8', at + 46, at + 46 + nameLength);
    // The local header's own name/extra lengths may differ from the central directory's.
    const dataStart = localHeader + 30 + zip.readUInt16LE(localHeader + 26) + zip.readUInt16LE(localHeader + 28);
    const data = zip.subarray(dataStart, dataStart + compressedSize);
    if (method !== 0 && method !== 8) throw new Error(`zip: ${name} uses unsupported method ${method}`);
    entries.set(name, method === 8 ? inflateRawSync(data) : Buffer.from(data));
    at += 46 + nameLength + extraLength + commentLength;
  }
  return entries;
}

interface Manifest {
  name: string;
  type: string;
  publisher: string;
  version: string;
  main: string;
  engines: { vscode: string };
  activationEvents: string[];
  contributes: {
    languages: { id: string; extensions: string[]; configuration: string }[];
    grammars: { language: string; scopeName: string; path: string }[];
    snippets: { language: string; path: string }[];
  };
}

interface PublishedDiagnostics {
  uri: string;
  diagnostics: { code?: string | number; range: { start: { line: number; character: number } } }[];
}

/** vsce's location for a manifest-relative path ('./dist/x.js' -> 'extension/dist/x.js'). */
const inVsix = (path: string): string => `extension/${path.replace(/^\.\//, '')}`;

let work: string;
let packaged: PackageResult;
let entries: Map<string, Buffer>;
let manifest: Manifest;
/** Where the .vsix is unpacked; its extension/ folder is the installed extension. */
let installed: string;

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'ssl-vsix-test-'));
  installed = join(work, 'installed');
  packaged = await packageExtension({ outFile: join(work, 'ssl.vsix') });
  entries = readZip(readFileSync(packaged.vsixFile));
  manifest = JSON.parse(entries.get('extension/package.json')!.toString('utf8')) as Manifest;
  // Unpacked outside the repository, as VS Code installs it: the bundles can only use what the
  // package holds.
  for (const [name, data] of entries) {
    if (!name.startsWith('extension/')) continue;
    mkdirSync(dirname(join(installed, name)), { recursive: true });
    writeFileSync(join(installed, name), data);
  }
});

afterAll(() => {
  rmSync(work, { recursive: true, force: true });
});

describe('the .vsix', () => {
  it('carries the root package version', () => {
    expect(packaged.version).toBe(rootVersion());
    expect(manifest.version).toBe(rootVersion());
    // The checked-in manifest is kept in sync by the build script; a stale one is a mistake.
    expect(JSON.parse(readFileSync(join(extensionRoot, 'package.json'), 'utf8')).version).toBe(rootVersion());
  });

  it('marks the bundles CommonJS inside an ES module manifest', () => {
    expect(manifest.type).toBe('module');
    expect(JSON.parse(entries.get('extension/dist/package.json')!.toString('utf8'))).toEqual({ type: 'commonjs' });
  });

  it('registers the ssl language, activated on it', () => {
    expect(manifest.activationEvents).toEqual(['onLanguage:ssl']);
    expect(manifest.contributes.languages.map((l) => [l.id, l.extensions])).toEqual([['ssl', ['.ssl']]]);
    expect(manifest.contributes.grammars.map((g) => [g.language, g.scopeName])).toEqual([['ssl', 'source.ssl']]);
    expect(manifest.engines.vscode).toBe('^1.91.0');
  });

  it('holds every file the manifest points at', () => {
    const referenced = [
      manifest.main,
      ...manifest.contributes.languages.map((l) => l.configuration),
      ...manifest.contributes.grammars.map((g) => g.path),
      ...manifest.contributes.snippets.map((s) => s.path),
    ].map(inVsix);
    expect(referenced).toEqual(
      expect.arrayContaining([
        'extension/dist/extension.js',
        'extension/language-configuration.json',
        'extension/syntaxes/ssl.tmLanguage.json',
        'extension/snippets/ssl.json',
      ]),
    );
    for (const path of [...referenced, 'extension/dist/server.js']) {
      expect(entries.has(path), path).toBe(true);
      expect(entries.get(path)!.length, path).toBeGreaterThan(0);
    }
    // The JSON contributions must parse, or VS Code silently drops them.
    for (const path of referenced.filter((p) => p.endsWith('.json'))) {
      expect(() => JSON.parse(entries.get(path)!.toString('utf8')), path).not.toThrow();
    }
  });

  it('holds nothing else: no sources, scripts, tests or node_modules', () => {
    const extensionFiles = [...entries.keys()].filter((name) => name.startsWith('extension/')).sort();
    expect(extensionFiles).toEqual(
      [
        'extension/LICENSE.txt',
        'extension/changelog.md',
        'extension/dist/extension.js',
        'extension/dist/package.json',
        'extension/dist/server.js',
        'extension/language-configuration.json',
        'extension/package.json',
        'extension/readme.md',
        'extension/snippets/ssl.json',
        'extension/syntaxes/ssl.tmLanguage.json',
      ].sort(),
    );
    expect([...entries.keys()].filter((name) => !name.startsWith('extension/')).sort()).toEqual([
      '[Content_Types].xml',
      'extension.vsixmanifest',
    ]);
  });

  it('ships self-contained bundles: they require only Node built-ins (and vscode, in the client)', () => {
    const required = (file: string): string[] => {
      const code = entries.get(file)!.toString('utf8');
      expect(code, file).not.toMatch(/sourceMappingURL/);
      return [...new Set([...code.matchAll(/\brequire\("([^"]+)"\)/g)].map((m) => m[1]!))];
    };
    const builtin = (name: string): boolean => builtinModules.includes(name.replace(/^node:/, ''));
    const client = required('extension/dist/extension.js');
    expect(client).toContain('vscode');
    expect(client.filter((name) => name !== 'vscode' && !builtin(name))).toEqual([]);
    expect(required('extension/dist/server.js').filter((name) => !builtin(name))).toEqual([]);
  });
});

describe('the bundled client', () => {
  it('loads against the VS Code API surface and exports activate and deactivate', () => {
    const clientFile = join(installed, 'extension', 'dist', 'extension.js');
    // No VS Code here: 'vscode' resolves to a stand-in with a class for every name the API
    // declares, enough for the language client's module-level `extends` and imports.
    const loader = `
      const Module = require('node:module');
      const dts = require('node:fs').readFileSync(process.argv[1], 'utf8');
      const api = {};
      for (const m of dts.matchAll(/^\\s*export (?:class|enum|namespace|const|function) (\\w+)/gm)) api[m[1]] = class {};
      const load = Module._load;
      Module._load = function (request) { return request === 'vscode' ? api : load.apply(this, arguments); };
      const extension = require(process.argv[2]);
      process.stdout.write(JSON.stringify(Object.fromEntries(Object.entries(extension).map(([k, v]) => [k, typeof v]))));
    `;
    const vscodeTypes = join(repoRoot, 'node_modules', '@types', 'vscode', 'index.d.ts');
    const run = spawnSync(process.execPath, ['-e', loader, vscodeTypes, clientFile], { cwd: work, encoding: 'utf8' });
    expect(run.stderr).toBe('');
    expect(JSON.parse(run.stdout)).toEqual({ activate: 'function', deactivate: 'function' });
  });
});

describe('the bundled language server', () => {
  let server: ChildProcess;
  let connection: MessageConnection;

  beforeAll(() => {
    const serverFile = join(installed, 'extension', 'dist', 'server.js');
    server = spawn(process.execPath, [serverFile, '--stdio'], { cwd: work, stdio: ['pipe', 'pipe', 'pipe'] });
    connection = createMessageConnection(new StreamMessageReader(server.stdout!), new StreamMessageWriter(server.stdin!));
    connection.listen();
  });

  afterAll(() => {
    connection.dispose();
    if (server.exitCode === null) server.kill();
  });

  it('answers initialize with its capabilities', async () => {
    const result = (await connection.sendRequest('initialize', {
      processId: process.pid,
      rootUri: null,
      capabilities: {},
      workspaceFolders: null,
    })) as { capabilities: Record<string, unknown> };
    expect(result.capabilities.textDocumentSync).toBeDefined();
    // The features the extension exists for; each is tested in depth in vscode/server/.
    for (const feature of ['completionProvider', 'hoverProvider', 'documentFormattingProvider']) {
      expect(result.capabilities[feature], feature).toBeTruthy();
    }
    connection.sendNotification('initialized', {});
  });

  it('publishes the compiler diagnostics for an opened recipe, at the same places', async () => {
    const uri = 'file:///tmp/ssl-vsix-test/quickstart.ssl';
    // A misspelled augmentation: the whole compiler (parser, builtins registry, resolver) has
    // to run inside the bundle to find it.
    const text = readFileSync(join(repoRoot, 'examples', 'quickstart.ssl'), 'utf8').replace(
      'random_resized_crop(',
      'random_resized_crp(',
    );
    const expected = compile(text, uri).diagnostics;
    expect(expected.map((d) => d.code)).toEqual(['unknown-name']);
    const published = new Promise<PublishedDiagnostics>((resolve) => {
      connection.onNotification('textDocument/publishDiagnostics', (params: PublishedDiagnostics) => {
        if (params.uri === uri) resolve(params);
      });
    });
    connection.sendNotification('textDocument/didOpen', { textDocument: { uri, languageId: 'ssl', version: 1, text } });
    const { diagnostics } = await published;
    expect(diagnostics.map((d) => d.code)).toEqual(expected.map((d) => d.code));
    // Compiler spans are 1-based; LSP positions are 0-based.
    expect(diagnostics.map((d) => d.range.start)).toEqual(
      expected.map((d) => ({ line: d.span.start.line - 1, character: d.span.start.column - 1 })),
    );
  });

  it('shuts down and exits cleanly', async () => {
    const exited = new Promise<number | null>((resolve) => server.once('exit', (code) => resolve(code)));
    await connection.sendRequest('shutdown');
    connection.sendNotification('exit');
    expect(await exited).toBe(0);
  });
});
