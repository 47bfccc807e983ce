/**
 * `ssl` from the sources, for tests that need the CLI in its own process (kill -9, a terminal):
 * bin/ssl.js with cli/main.ts in place of dist/, run as `node --import tsx test/e2e/resume-cli.ts`,
 * so no build is needed. It exits as bin/ssl.js does: streams flushed, then main's exit code.
 */
import { main } from '../../cli/main.js';

const code = await main(process.argv.slice(2));
const flush = (stream: NodeJS.WriteStream) => new Promise((resolve) => stream.write('', resolve));
await Promise.all([flush(process.stdout), flush(process.stderr)]);
process.exit(code);
