/**
 * Chevrotain's runtime, loaded from the single-file ESM bundle the package ships
 * (`lib/chevrotain.mjs`, the same code and version as its entry point).
 *
 * Why: the package entry (`lib/src/api.js`) is ~100 small modules and takes ~350 ms to load in
 * Node 20; the bundle takes ~30 ms. `ssl check`, `ssl fmt` and the language server load the
 * grammar on every start, so this is most of their start-up time. The package's `exports` map
 * does not expose the bundle, so it is found next to the resolved entry. Types still come from
 * `import type ... from 'chevrotain'`.
 */
import { createRequire } from 'node:module';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';

type Chevrotain = typeof import('chevrotain');

const entry = createRequire(import.meta.url).resolve('chevrotain'); // .../chevrotain/lib/src/api.js
const bundle = join(dirname(entry), '..', 'chevrotain.mjs');

export const chevrotain: Chevrotain = existsSync(bundle)
  ? ((await import(pathToFileURL(bundle).href)) as Chevrotain)
  : await import('chevrotain');
