/**
 * Bundles the VS Code extension: the client (`src/extension.ts`) and the language server
 * (`server/main.ts`, which imports the project's grammar and compiler) into two self-contained
 * CommonJS files, `dist/extension.js` and `dist/server.js` (with `dist/package.json` saying so).
 *
 * Why bundle: the .vsix then ships no node_modules (vsce runs with dependencies off), the server
 * runs the very compiler source that `ssl check` runs, and start-up loads one file.
 *
 * Usage: `npm run build:vscode` (writes vscode/dist/), or `buildExtension({ outDir })`.
 */
import { readFileSync, writeFileSync, existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build, type BuildOptions as EsbuildOptions, type Plugin } from 'esbuild';

/** vscode/ */
export const extensionRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..');
/** The repository root, whose package.json version the extension carries. */
export const repoRoot = resolve(extensionRoot, '..');

export const clientEntry = join(extensionRoot, 'src', 'extension.ts');
export const serverEntry = join(extensionRoot, 'server', 'main.ts');

export interface BuildResult {
  readonly clientFile: string;
  readonly serverFile: string;
  readonly warnings: readonly string[];
}

/**
 * grammar/chevrotain.ts loads Chevrotain's single-file bundle with a top-level `await` next to
 * the resolved package, which neither a CommonJS bundle (no top-level await) nor an installed
 * extension (no node_modules) can do. Inside our bundle the start-up cost it avoids is gone
 * anyway, so the module is replaced by a plain import of the same package and version.
 */
const chevrotainInBundle: Plugin = {
  name: 'ssl-chevrotain-in-bundle',
  setup(b) {
    b.onResolve({ filter: /[\\/]chevrotain\.js$/ }, (args) => {
      const target = resolve(args.resolveDir, args.path);
      if (!/[\\/]grammar[\\/]chevrotain\.js$/.test(target)) return undefined;
      return { path: target, namespace: 'ssl-chevrotain' };
    });
    b.onLoad({ filter: /.*/, namespace: 'ssl-chevrotain' }, () => ({
      contents: "import * as chevrotain from 'chevrotain';\nexport { chevrotain };\n",
      resolveDir: repoRoot,
      loader: 'js',
    }));
  },
};

/** The root package.json version; the extension's manifest must carry the same one. */
export function rootVersion(): string {
  return (JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as { version: string }).version;
}

/**
 * Makes vscode/package.json carry the root version. Rewrites the file only when it differs, and
 * only the `version` line, so the manifest's hand formatting survives.
 */
export function syncManifestVersion(manifestPath = join(extensionRoot, 'package.json')): boolean {
  const text = readFileSync(manifestPath, 'utf8');
  const version = rootVersion();
  if ((JSON.parse(text) as { version?: string }).version === version) return false;
  const updated = text.replace(/^(\s*"version":\s*)"[^"]*"/m, `$1${JSON.stringify(version)}`);
  writeFileSync(manifestPath, updated);
  return true;
}

export interface BuildOptions {
  /** Where extension.js and server.js go; vscode/dist by default. */
  readonly outDir?: string;
  /** The language server's entry; vscode/server/main.ts by default. */
  readonly serverEntry?: string;
}

export async function buildExtension(options: BuildOptions = {}): Promise<BuildResult> {
  const outDir = options.outDir ?? join(extensionRoot, 'dist');
  const server = options.serverEntry ?? serverEntry;
  if (!existsSync(server)) {
    throw new Error(`vscode build: the language server entry ${server} does not exist`);
  }
  const common: EsbuildOptions = {
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node18',
    minify: true,
    sourcemap: false,
    legalComments: 'none',
    logLevel: 'silent',
    nodePaths: [join(repoRoot, 'node_modules')],
    // Modules in the compiler's import graph may use import.meta.url (e.g. to find package.json);
    // in a CommonJS bundle it would be empty, so it is defined as the bundle file's own URL.
    define: { 'import.meta.url': '__sslImportMetaUrl' },
    banner: { js: 'var __sslImportMetaUrl=require("url").pathToFileURL(__filename).href;' },
  };
  const results = await Promise.all([
    build({ ...common, entryPoints: [clientEntry], outfile: join(outDir, 'extension.js'), external: ['vscode'] }),
    build({ ...common, entryPoints: [server], outfile: join(outDir, 'server.js'), plugins: [chevrotainInBundle] }),
  ]);
  // vscode/ is an ES module package (its TypeScript sources run under tsx and vitest like the rest
  // of the repository), but VS Code 1.91 require()s the extension's main and forks the server as
  // CommonJS. This marker makes Node load dist/*.js as CommonJS whatever the manifest says.
  writeFileSync(join(outDir, 'package.json'), `${JSON.stringify({ type: 'commonjs' })}\n`);
  const warnings = results.flatMap((r) => r.warnings).map(
    (w) => `${w.location ? `${w.location.file}:${w.location.line}:${w.location.column}: ` : ''}${w.text}`,
  );
  return { clientFile: join(outDir, 'extension.js'), serverFile: join(outDir, 'server.js'), warnings };
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  if (syncManifestVersion()) console.log(`vscode/package.json version set to ${rootVersion()}`);
  const result = await buildExtension();
  for (const warning of result.warnings) console.warn(`warning: ${warning}`);
  console.log(`built ${result.clientFile}\nbuilt ${result.serverFile}`);
}
