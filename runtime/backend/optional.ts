/**
 * Loading packages that ssl does not depend on, or only optionally: `webgpu` and
 * `@tensorflow/tfjs-backend-webgpu` (optionalDependencies: npm skips them under
 * `--omit=optional` or when they fail to install) and `@tensorflow/tfjs-node(-gpu)` (never a
 * dependency: their install script downloads libtensorflow). Each is imported dynamically, only
 * when its backend is asked for or probed, so a machine without them never pays for them.
 *
 * Backends take a `ModuleLoader` so tests can stand in for a package that is absent here.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

export interface ModuleLoader {
  /** Whether `pkg` resolves from ssl's own folder (cheap: no code is run). */
  isInstalled(pkg: string): boolean;
  /** The package's version from its package.json, or undefined if it cannot be read. */
  version(pkg: string): string | undefined;
  /** Imports the package (runs its code). */
  load<T>(pkg: string): Promise<T>;
}

const require = createRequire(import.meta.url);

function resolve(pkg: string): string | undefined {
  try {
    return require.resolve(pkg);
  } catch {
    return undefined;
  }
}

/** Resolves and imports from this file's location, i.e. from ssl's node_modules (and its parents). */
export const nodeModules: ModuleLoader = {
  isInstalled: (pkg) => resolve(pkg) !== undefined,
  version(pkg) {
    // Walk up from the package's entry point to its package.json ('exports' may hide the file).
    let dir = resolve(pkg);
    if (!dir) return undefined;
    for (let i = 0; i < 6; i++) {
      dir = dirname(dir);
      try {
        const json = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { name?: string; version?: string };
        if (json.name === pkg) return json.version;
      } catch {
        // not here: one level up
      }
    }
    return undefined;
  },
  // The specifier is a variable so that TypeScript does not try to resolve an absent package.
  load: async <T>(pkg: string) => (await import(pkg)) as T,
};
