/**
 * The `ssl` command line. The only module that reads both the compiler and the runtime; the
 * runtime (and so TensorFlow.js) is imported lazily by `run`, so `check` and `compile` start fast.
 *
 * Exit codes: 0 ok, 1 recipe errors or a failed run, 2 bad usage (unknown command or option,
 * unreadable file), 130 interrupted.
 */
import { readFileSync } from 'node:fs';
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { compile, formatDiagnostic, resolvedRecipeText, type Diagnostic, type FileLoader } from '../compiler/index.js';
import type { IR } from '../compiler/ir.js';
import { diskLoader } from './disk-loader.js';
import { BACKEND_CHOICES, type BackendChoice } from '../runtime/backend/names.js';

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

export { diskLoader };

interface Compiled {
  ir?: IR;
  text: string;
  /** The text of every source involved (the recipe, its bases, the overrides), by uri. */
  sources: Record<string, string>;
  bases: string[];
  errors: number;
  warnings: number;
}

/**
 * Compiles (following `extends` on disk, applying `--set` overrides) and prints diagnostics to
 * stderr, each with the text of the file or override it points into; returns the IR only when
 * there were no errors.
 */
function compileFile(file: string, io: CliIo, overrides: readonly string[] = []): Compiled {
  const text = readRecipe(file);
  const { ir, diagnostics, sources, bases } = compile(text, file, { ...diskLoader, overrides });
  for (const d of diagnostics) io.stderr.write(formatDiagnostic(d, sources[d.span.uri] ?? text) + '\n');
  const count = (severity: Diagnostic['severity']) => diagnostics.filter((d) => d.severity === severity).length;
  const errors = count('error');
  return { ir: errors === 0 ? ir : undefined, text, sources, bases, errors, warnings: count('warning') };
}

const collect = (value: string, previous: string[] = []) => [...previous, value];

/** `--backend` for every command that computes; the names come from a module that loads no TF.js. */
const backendOption = (help = 'TF.js backend: auto takes the fastest that starts here (tensorflow or webgpu on a GPU, tensorflow, wasm, cpu; docs/backends.md)') =>
  new Option('--backend <name>', help).choices([...BACKEND_CHOICES]).default('auto');
/** `--backend NAME` for the command line recorded in environment.json; nothing for the default. */
const backendArgs = (backend: BackendChoice) => (backend === 'auto' ? [] : ['--backend', backend]);
const setHelp = 'override a value of the recipe, e.g. --set train.epochs=1 --set optimizer.lr=0.01 (repeatable)';

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
    .option('--set <path=value>', setHelp, collect, [])
    .action((files: string[], opts: { set: string[] }) => {
      let errors = 0;
      let warnings = 0;
      for (const file of files) {
        const result = compileFile(file, io, opts.set);
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
    .option('--set <path=value>', setHelp, collect, [])
    .action((file: string, opts: { set: string[] }) => {
      const { ir } = compileFile(file, io, opts.set);
      if (!ir) {
        code = EXIT.errors;
        return;
      }
      io.stdout.write(JSON.stringify(ir, null, 2) + '\n');
    });

  program
    .command('explain')
    .description('show the compiled graph, parameters per network, FLOPs and memory per step, and which views feed which loss terms')
    .argument('<file>', '.ssl recipe')
    .option('--json', 'print the explanation as JSON')
    .option('--set <path=value>', setHelp, collect, [])
    .action(async (file: string, opts: { json?: boolean; set: string[] }) => {
      const { explainCommand } = await import('./explain.js');
      const out = { stdout: (s: string) => void io.stdout.write(s), stderr: (s: string) => void io.stderr.write(s) };
      const width = (io.stdout as { columns?: number }).columns;
      code = await explainCommand(
        file,
        { json: Boolean(opts.json), color: Boolean(io.stdout.isTTY) && !io.env.NO_COLOR, ...(width ? { width } : {}), overrides: opts.set, loader: diskLoader },
        out,
      );
    });

  program
    .command('fmt')
    .description('format recipes in the canonical style (comments kept); prints to stdout unless --write')
    .argument('<files...>', '.ssl recipes')
    .option('--write', 'rewrite the files in place')
    .option('--check', 'exit 1 if any file is not formatted (print nothing else)')
    .action(async (files: string[], opts: { write?: boolean; check?: boolean }) => {
      const { fmtCommand } = await import('./fmt.js');
      const out = { stdout: (s: string) => void io.stdout.write(s), stderr: (s: string) => void io.stderr.write(s) };
      code = await fmtCommand(files, { write: Boolean(opts.write), check: Boolean(opts.check) }, out);
    });

  program
    .command('report')
    .description('write one self-contained HTML report comparing runs: curves, effective rank, online and final probes')
    .argument('<run-dirs...>', 'run folders written by `ssl run`')
    .option('--out <file>', 'the HTML file to write', 'report.html')
    .action(async (dirs: string[], opts: { out: string }) => {
      const { reportCommand } = await import('./report.js');
      const out = { stdout: (s: string) => void io.stdout.write(s), stderr: (s: string) => void io.stderr.write(s) };
      code = await reportCommand(dirs, opts, out);
    });

  program
    .command('export')
    .description("write a run's trained encoder as a TensorFlow.js model (model.json + weights.bin)")
    .argument('<run-dir>', 'run folder written by `ssl run`')
    .option('--out <dir>', 'output folder (default: RUN_DIR/export/<network>-<format>)')
    .option('--network <name>', "export this network (fed by the networks before it) instead of the probes' features")
    .addOption(new Option('--format <format>', 'graph: tf.loadGraphModel, every stage; layers: tf.loadLayersModel, no transformer/normalize').choices(['graph', 'layers']).default('graph'))
    .action(async (runDir: string, opts: { out?: string; network?: string; format: 'graph' | 'layers' }) => {
      const { exportCommand } = await import('./export.js');
      const out = { stdout: (s: string) => void io.stdout.write(s), stderr: (s: string) => void io.stderr.write(s) };
      code = await exportCommand(runDir, opts, out);
    });

  program
    .command('embed')
    .description("write embeddings of a dataset through a run's trained encoder (.npy with labels beside it, or .csv)")
    .argument('<run-dir>', 'run folder written by `ssl run`')
    .argument('<data>', "a data source of the run's recipe (test), or a dataset expression ('mnist(split: \"test\")')")
    .option('--out <file>', 'output file, .npy or .csv (default: RUN_DIR/embeddings/<data>.npy)')
    .addOption(new Option('--format <format>', 'file format (default: from --out, else npy)').choices(['npy', 'csv']))
    .option('--network <name>', "embed with this network (fed by the networks before it) instead of the probes' features")
    .option('--batch <n>', 'examples per forward pass, as many as the probes use by default', positiveInt('--batch'), 1000)
    .addOption(backendOption('TF.js backend (as for run)'))
    .action(async (runDir: string, data: string, opts: { out?: string; format?: 'npy' | 'csv'; network?: string; batch: number; backend: string }) => {
      if (opts.batch < 1) throw new UsageError('--batch must be at least 1');
      const { embedCommand } = await import('./embed.js');
      const out = { stdout: (s: string) => void io.stdout.write(s), stderr: (s: string) => void io.stderr.write(s) };
      code = await embedCommand(runDir, data, { ...opts, loader: diskLoader }, out);
    });

  program
    .command('run')
    .description('compile a recipe, train it, and run its probes')
    .argument('<file>', '.ssl recipe')
    .addOption(backendOption())
    .addOption(new Option('--reporter <name>', 'how progress is shown (default: tui on a terminal, plain otherwise)').choices(['tui', 'plain', 'json']))
    .option('--max-steps <n>', 'stop after N steps (0: probe the untrained encoder)', positiveInt('--max-steps'))
    .option('--out <dir>', 'run folder (default: runs/<recipe>-<time>)')
    .option('--set <path=value>', setHelp, collect, [])
    .action(async (file: string, opts: RunOptions) => {
      const compiled = compileFile(file, io, opts.set);
      if (!compiled.ir) {
        code = EXIT.errors;
        return;
      }
      code = await runRecipe(compiled.ir, compiled, file, opts, io);
    });

  program
    .command('resume')
    .description('continue a stopped run (Ctrl-C, a crash, kill -9, a NaN) from its latest checkpoint to the end, then run its probes')
    .argument('<run-dir>', 'run folder written by `ssl run`')
    .addOption(backendOption('TF.js backend (the one the run was on gives the same numbers as a run that never stopped)'))
    .addOption(new Option('--reporter <name>', 'how progress is shown (default: tui on a terminal, plain otherwise)').choices(['tui', 'plain', 'json']))
    .option('--max-steps <n>', "stop after step N of the run (counted from the run's start)", positiveInt('--max-steps'))
    .option('--set <path=value>', 'change an optimizer or schedule value from the checkpoint on, e.g. --set optimizer.lr=1e-4 (repeatable; recorded in the run folder)', collect, [])
    .action(async (runDir: string, opts: Omit<RunOptions, 'out'>) => {
      const { planResume, ResumeError } = await import('./resume.js');
      let plan;
      try {
        plan = planResume(runDir, opts.set, diskLoader, (s) => void io.stderr.write(s));
      } catch (error) {
        if (!(error instanceof ResumeError)) throw error;
        io.stderr.write(`ssl: cannot resume: ${error.message}\n`);
        code = error.usage ? EXIT.usage : EXIT.errors;
        return;
      }
      if (opts.maxSteps !== undefined && opts.maxSteps < plan.checkpoint.state.step) {
        io.stderr.write(`ssl: cannot resume: --max-steps ${opts.maxSteps} is before the checkpoint's step ${plan.checkpoint.state.step} (${plan.checkpoint.file})\n`);
        code = EXIT.usage;
        return;
      }
      const command = ['ssl', 'resume', runDir, ...backendArgs(opts.backend), ...(opts.maxSteps !== undefined ? ['--max-steps', String(opts.maxSteps)] : []), ...opts.set.flatMap((s) => ['--set', shellQuote(s)])];
      code = await trainWithReporter(
        plan.ir,
        { backend: opts.backend, maxSteps: opts.maxSteps, runDir, recipeText: '', resume: { checkpoint: plan.checkpoint, set: opts.set }, environment: { command: command.join(' ') } },
        opts.reporter,
        io,
      );
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

interface RunOptions {
  backend: BackendChoice;
  reporter?: 'tui' | 'plain' | 'json';
  maxSteps?: number;
  out?: string;
  set: string[];
}

/**
 * What the run folder keeps besides `recipe.ssl` (the recipe as written) when the recipe extends a
 * base or has `--set` overrides: `resolved.ssl` (the recipe as resolved: one self-contained
 * recipe, compiler/print.ts), `overrides.json` (the extends chain and the overrides) and a copy of
 * each base as written, `base-1.ssl` (the nearest) and up.
 */
export function reuseFiles(file: string, compiled: Pick<Compiled, 'text' | 'sources' | 'bases'>, overrides: readonly string[]): Record<string, string> {
  if (compiled.bases.length === 0 && overrides.length === 0) return {};
  const files: Record<string, string> = {};
  const loader: FileLoader = { readFile: (p) => compiled.sources[p] };
  const resolved = resolvedRecipeText(compiled.text, file, { ...loader, overrides });
  if (resolved !== undefined) files['resolved.ssl'] = resolved;
  files['overrides.json'] = JSON.stringify({ recipe: file, extends: compiled.bases, set: overrides }, null, 2) + '\n';
  compiled.bases.forEach((uri, i) => {
    files[`base-${i + 1}.ssl`] = compiled.sources[uri] ?? '';
  });
  return files;
}

async function runRecipe(ir: IR, compiled: Compiled, file: string, opts: RunOptions, io: CliIo): Promise<number> {
  const { defaultRunDir } = await import('../runtime/run-folder.js');
  return trainWithReporter(
    ir,
    {
      backend: opts.backend,
      maxSteps: opts.maxSteps,
      runDir: opts.out ?? defaultRunDir(ir.recipe),
      recipeText: compiled.text,
      extraFiles: reuseFiles(file, compiled, opts.set),
      environment: {
        command: ['ssl', 'run', file, ...backendArgs(opts.backend), ...(opts.maxSteps !== undefined ? ['--max-steps', String(opts.maxSteps)] : []), ...opts.set.flatMap((s) => ['--set', shellQuote(s)])].join(' '),
      },
    },
    opts.reporter,
    io,
  );
}

/**
 * Trains (a new run or a resume) under a reporter, with Ctrl-C handling: the first SIGINT lets the
 * current step finish, writes a checkpoint and ends the run `interrupted` (exit 130, with the
 * command that resumes it on stderr); a second one exits 130 at once, keeping the last checkpoint.
 */
async function trainWithReporter(
  ir: IR,
  options: Omit<import('../runtime/trainer.js').TrainOptions, 'onEvent' | 'signal'>,
  reporterName: RunOptions['reporter'],
  io: CliIo,
): Promise<number> {
  const [{ train }, reporters] = await Promise.all([import('../runtime/trainer.js'), import('../runtime/reporters/index.js')]);
  const name = reporterName ?? reporters.defaultReporter({ isTTY: Boolean(io.stdout.isTTY), ci: reporters.isCI(io.env) });
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
        message: 'stopping after this step to write a checkpoint (Ctrl-C again to quit now, keeping the last checkpoint)',
        time: Date.now(),
      });
      controller.abort();
    } else {
      process.exit(EXIT.interrupted);
    }
  };
  process.on('SIGINT', onSigint);
  try {
    const result = await train(ir, { ...options, onEvent: reporter.onEvent, signal: controller.signal });
    await reporter.close();
    if (result.status === 'failed') {
      io.stderr.write(`ssl: run failed: ${result.message ?? 'unknown error'}\n`);
      return EXIT.errors;
    }
    if (result.status === 'interrupted') {
      const how = result.runDir && result.steps > 0 ? `; resume with: ssl resume ${shellQuote(result.runDir)}` : '';
      io.stderr.write(`ssl: interrupted after step ${result.steps}${how}\n`);
      return EXIT.interrupted;
    }
    return EXIT.ok;
  } finally {
    process.off('SIGINT', onSigint);
  }
}

/** `s` quoted for a POSIX shell when it needs quoting (for the command line recorded in environment.json). */
function shellQuote(s: string): string {
  return /^[\w@%+=:,./-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
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
