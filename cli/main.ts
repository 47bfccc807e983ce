/**
 * The `ssl` command line. The only module that reads both the compiler and the runtime; the
 * runtime (and so TensorFlow.js) is imported lazily by `run`, so `check` and `compile` start fast.
 *
 * Exit codes: 0 ok, 1 recipe errors or a failed run, 2 bad usage (unknown command or option,
 * unreadable file), 130 interrupted.
 */
import { readFileSync } from 'node:fs';
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { compile, formatDiagnostic, type Diagnostic } from '../compiler/index.js';
import type { IR } from '../compiler/ir.js';

export interface CliIo {
  stdout: NodeJS.WritableStream & { isTTY?: boolean };
  stderr: NodeJS.WritableStream;
  env: NodeJS.ProcessEnv;
}

export const EXIT = { ok: 0, errors: 1, usage: 2, interrupted: 130 } as const;

class UsageError extends Error {}

function readRecipe(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (error as Error).message;
    throw new UsageError(`cannot read '${file}': ${reason}`);
  }
}

/** Compiles and prints diagnostics to stderr; returns the IR only when there were no errors. */
function compileFile(file: string, io: CliIo): { ir?: IR; text: string; errors: number; warnings: number } {
  const text = readRecipe(file);
  const { ir, diagnostics } = compile(text, file);
  for (const d of diagnostics) io.stderr.write(formatDiagnostic(d, text) + '\n');
  const count = (severity: Diagnostic['severity']) => diagnostics.filter((d) => d.severity === severity).length;
  const errors = count('error');
  return { ir: errors === 0 ? ir : undefined, text, errors, warnings: count('warning') };
}

const positiveInt = (name: string) => (value: string) => {
  const n = Number(value);
  if (!/^\d+$/.test(value) || !Number.isSafeInteger(n)) throw new InvalidArgumentError(`${name} must be a whole number >= 0, got '${value}'.`);
  return n;
};

export async function main(argv: string[], io: CliIo = { stdout: process.stdout, stderr: process.stderr, env: process.env }): Promise<number> {
  let code: number = EXIT.ok;
  const program = new Command('ssl')
    .description('A declarative language for self-supervised learning experiments.')
    .version(await packageVersion(), '-v, --version')
    .exitOverride()
    .showSuggestionAfterError(true)
    .configureOutput({ writeOut: (s) => io.stdout.write(s), writeErr: (s) => io.stderr.write(s) });

  program
    .command('check')
    .description('check recipes statically; exit 1 if any has an error')
    .argument('<files...>', '.ssl recipes')
    .action((files: string[]) => {
      let errors = 0;
      let warnings = 0;
      for (const file of files) {
        const result = compileFile(file, io);
        errors += result.errors;
        warnings += result.warnings;
      }
      const plural = (n: number, w: string) => `${n} ${w}${n === 1 ? '' : 's'}`;
      io.stderr.write(`${plural(files.length, 'file')} checked: ${plural(errors, 'error')}, ${plural(warnings, 'warning')}\n`);
      code = errors > 0 ? EXIT.errors : EXIT.ok;
    });

  program
    .command('compile')
    .description('compile a recipe and print the result')
    .argument('<file>', '.ssl recipe')
    .addOption(new Option('--emit <what>', 'what to print').choices(['ir']).default('ir'))
    .action((file: string) => {
      const { ir } = compileFile(file, io);
      if (!ir) {
        code = EXIT.errors;
        return;
      }
      io.stdout.write(JSON.stringify(ir, null, 2) + '\n');
    });

  program
    .command('run')
    .description('compile a recipe, train it, and run its probes')
    .argument('<file>', '.ssl recipe')
    .addOption(new Option('--backend <name>', 'TF.js backend').choices(['auto', 'wasm', 'cpu']).default('auto'))
    .addOption(new Option('--reporter <name>', 'how progress is shown (default: tui on a terminal, plain otherwise)').choices(['tui', 'plain', 'json']))
    .option('--max-steps <n>', 'stop after N steps (0: probe the untrained encoder)', positiveInt('--max-steps'))
    .option('--out <dir>', 'run folder (default: runs/<recipe>-<time>)')
    .action(async (file: string, opts: { backend: 'auto' | 'wasm' | 'cpu'; reporter?: 'tui' | 'plain' | 'json'; maxSteps?: number; out?: string }) => {
      const { ir, text } = compileFile(file, io);
      if (!ir) {
        code = EXIT.errors;
        return;
      }
      code = await runRecipe(ir, text, file, opts, io);
    });

  try {
    await program.parseAsync(argv, { from: 'user' });
    return code;
  } catch (error) {
    if (error instanceof CommanderError) {
      return error.exitCode === 0 ? EXIT.ok : EXIT.usage;
    }
    if (error instanceof UsageError) {
      io.stderr.write(`ssl: ${error.message}\n`);
      return EXIT.usage;
    }
    // Anything else is a bug in ssl: say so plainly instead of dumping a stack at the user.
    io.stderr.write(`ssl: internal error: ${(error as Error)?.message ?? String(error)}\n`);
    if (io.env.SSL_DEBUG) io.stderr.write(`${(error as Error)?.stack}\n`);
    return EXIT.errors;
  }
}

async function runRecipe(
  ir: IR,
  text: string,
  file: string,
  opts: { backend: 'auto' | 'wasm' | 'cpu'; reporter?: 'tui' | 'plain' | 'json'; maxSteps?: number; out?: string },
  io: CliIo,
): Promise<number> {
  const [{ train }, { defaultRunDir }, reporters] = await Promise.all([
    import('../runtime/trainer.js'),
    import('../runtime/run-folder.js'),
    import('../runtime/reporters/index.js'),
  ]);
  const name = opts.reporter ?? reporters.defaultReporter({ isTTY: Boolean(io.stdout.isTTY), ci: reporters.isCI(io.env) });
  const reporter = await reporters.createReporter(name, { out: io.stdout as NodeJS.WriteStream });
  const controller = new AbortController();
  let interrupts = 0;
  const onSigint = () => {
    interrupts++;
    if (interrupts === 1) {
      // Through the reporter, so the terminal UI shows it instead of drawing over it.
      reporter.onEvent({
        type: 'warning',
        code: 'interrupt',
        message: 'stopping after this step (Ctrl-C again to quit now); what was written is kept',
        time: Date.now(),
      });
      controller.abort();
    } else {
      process.exit(EXIT.interrupted);
    }
  };
  process.on('SIGINT', onSigint);
  try {
    const result = await train(ir, {
      backend: opts.backend,
      maxSteps: opts.maxSteps,
      runDir: opts.out ?? defaultRunDir(ir.recipe),
      recipeText: text,
      onEvent: reporter.onEvent,
      signal: controller.signal,
      environment: { command: ['ssl', 'run', file, ...(opts.maxSteps !== undefined ? ['--max-steps', String(opts.maxSteps)] : [])].join(' ') },
    });
    await reporter.close();
    if (result.status === 'failed') {
      io.stderr.write(`ssl: run failed: ${result.message ?? 'unknown error'}\n`);
      return EXIT.errors;
    }
    return result.status === 'interrupted' ? EXIT.interrupted : EXIT.ok;
  } finally {
    process.off('SIGINT', onSigint);
  }
}

/** Read from package.json: one level up from cli/ in the source tree, two from dist/cli/. */
async function packageVersion(): Promise<string> {
  for (const path of ['../package.json', '../../package.json']) {
    try {
      const pkg = JSON.parse(readFileSync(new URL(path, import.meta.url), 'utf8'));
      if (pkg.name === 'ssl') return String(pkg.version);
    } catch {
      // try the next location
    }
  }
  return '0.0.0';
}
