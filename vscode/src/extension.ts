/**
 * The VS Code side of the ssl extension: a thin language client.
 *
 * Why so thin: every language feature (diagnostics, completion, hover, formatting) is answered by
 * the bundled language server (`dist/server.js`, built from `vscode/server/main.ts`), which runs
 * the project's own compiler. Keeping logic out of the client means the editor and `ssl check`
 * cannot disagree. Highlighting, brackets and snippets are static contributions in package.json.
 */
import * as path from 'node:path';
import { workspace, type ExtensionContext } from 'vscode';
import {
  LanguageClient,
  TransportKind,
  type LanguageClientOptions,
  type ServerOptions,
} from 'vscode-languageclient/node';

/** Matches the `ssl.trace.server` setting in package.json: the client reads `<id>.trace.server`. */
const clientId = 'ssl';
const clientName = 'SSL Language Server';

let client: LanguageClient | undefined;

export async function activate(context: ExtensionContext): Promise<void> {
  // The server is a Node module run in a child process over IPC; `debug` adds an inspector port
  // so "Attach to Node process" works when developing the server from this repository.
  const serverModule = context.asAbsolutePath(path.join('dist', 'server.js'));
  const serverOptions: ServerOptions = {
    run: { module: serverModule, transport: TransportKind.ipc },
    debug: { module: serverModule, transport: TransportKind.ipc, options: { execArgv: ['--nolazy', '--inspect=6009'] } },
  };
  const clientOptions: LanguageClientOptions = {
    documentSelector: [{ language: 'ssl' }],
    synchronize: {
      // A recipe's diagnostics depend on the files it `extends`, so the server hears about
      // every .ssl change in the workspace, not only open documents.
      fileEvents: workspace.createFileSystemWatcher('**/*.ssl'),
    },
  };
  client = new LanguageClient(clientId, clientName, serverOptions, clientOptions);
  await client.start();
}

export async function deactivate(): Promise<void> {
  const running = client;
  client = undefined;
  await running?.stop();
}
