/**
 * The `ssl` language server over stdio (`node dist/server.js --stdio`, or during development
 * `node --import tsx vscode/server/main.ts --stdio`). `SSL_LSP_DEBOUNCE_MS` overrides the pause
 * before recompiling (tests measure with and without it).
 */
import { createConnection, ProposedFeatures } from 'vscode-languageserver/node';
import { DEBOUNCE_MS, startServer } from './server.js';

const connection = createConnection(ProposedFeatures.all);
const fromEnv = Number(process.env.SSL_LSP_DEBOUNCE_MS);
startServer(connection, { debounceMs: Number.isFinite(fromEnv) && fromEnv >= 0 && process.env.SSL_LSP_DEBOUNCE_MS !== '' ? fromEnv : DEBOUNCE_MS });
connection.listen();
