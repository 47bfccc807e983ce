/**
 * Packages the VS Code extension as `ssl-<version>.vsix`, offline.
 *
 * The extension folder is copied to a temporary staging folder (without dist/, node_modules/ or
 * old .vsix files), the bundles are built there, and @vscode/vsce's `createVSIX` zips it with
 * dependencies off: the bundles are self-contained, so vsce never runs npm and never touches the
 * network. Staging keeps a packaging run from overwriting vscode/dist that a developer's
 * "Run Extension" session may be using, and makes .vscodeignore the only filter that decides
 * what ships.
 *
 * Usage: `npm run package:vscode` (writes vscode/ssl-<version>.vsix), or
 * `packageExtension({ outFile })`.
 */
import { cpSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createVSIX } from '@vscode/vsce';
import { buildExtension, extensionRoot, rootVersion, type BuildOptions } from './build.mjs';

export interface PackageOptions {
  /** The .vsix to write; vscode/ssl-<version>.vsix by default. */
  readonly outFile?: string;
  /** The extension folder to stage; vscode/ by default. */
  readonly sourceDir?: string;
  /** Passed to the build; vscode/server/main.ts by default. */
  readonly serverEntry?: BuildOptions['serverEntry'];
}

export interface PackageResult {
  readonly vsixFile: string;
  readonly version: string;
  readonly bytes: number;
  readonly warnings: readonly string[];
}

/** Never copied into the staging folder: build outputs and dependencies are rebuilt or bundled. */
const notStaged = new Set(['dist', 'node_modules']);

export function defaultVsixPath(version = rootVersion()): string {
  return join(extensionRoot, `ssl-${version}.vsix`);
}

export async function packageExtension(options: PackageOptions = {}): Promise<PackageResult> {
  const version = rootVersion();
  const vsixFile = resolve(options.outFile ?? defaultVsixPath(version));
  const sourceDir = resolve(options.sourceDir ?? extensionRoot);
  const stage = mkdtempSync(join(tmpdir(), 'ssl-vscode-'));
  try {
    cpSync(sourceDir, stage, {
      recursive: true,
      filter: (source) => {
        const name = basename(source);
        return source === sourceDir || !(notStaged.has(name) || name.endsWith('.vsix'));
      },
    });
    // The staged manifest carries the root version even if vscode/package.json was not synced.
    const manifestPath = join(stage, 'package.json');
    const manifest = JSON.parse(readFileSync(manifestPath, 'utf8')) as { version: string };
    manifest.version = version;
    writeFileSync(manifestPath, `${JSON.stringify(manifest, null, 2)}\n`);

    const built = await buildExtension({ outDir: join(stage, 'dist'), serverEntry: options.serverEntry });
    await createVSIX({
      cwd: stage,
      packagePath: vsixFile,
      // Everything the extension runs is in the two bundles; with dependencies on, vsce would
      // run `npm list` in the staging folder.
      dependencies: false,
      // The project has no public repository URL yet; without this vsce asks interactively.
      allowMissingRepository: true,
    });
    return { vsixFile, version, bytes: statSync(vsixFile).size, warnings: built.warnings };
  } finally {
    rmSync(stage, { recursive: true, force: true });
  }
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const result = await packageExtension();
  for (const warning of result.warnings) console.warn(`warning: ${warning}`);
  console.log(`${result.vsixFile} (${(result.bytes / 1024).toFixed(0)} KiB)`);
}
