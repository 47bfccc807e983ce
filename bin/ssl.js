#!/usr/bin/env node
// Thin launcher: the CLI is compiled to dist/ by `npm run build` (run by `npm install` via `prepare`).
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const entry = new URL('../dist/cli/main.js', import.meta.url);
if (!existsSync(fileURLToPath(entry))) {
  process.stderr.write('ssl: the CLI is not built yet; run `npm install` (or `npm run build`) in the ssl folder first.\n');
  process.exit(2);
}
const { main } = await import(entry.href);
const code = await main(process.argv.slice(2));
// Exit explicitly: the multi-threaded wasm backend's worker threads would keep the process alive.
// Flush both streams first so piped output (the json reporter) is never cut short.
const flush = (stream) => new Promise((resolve) => stream.write('', resolve));
await Promise.all([flush(process.stdout), flush(process.stderr)]);
process.exit(code);
