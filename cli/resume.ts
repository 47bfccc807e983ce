/**
 * `ssl resume RUN_DIR`: what a resumed run continues with. Reads the run folder's IR and latest
 * checkpoint, checks that they belong together, and applies `--set` overrides, which at resume may
 * change only what is read on the host each step (optimizer values, the schedule): changing the
 * architecture, views, losses or data would make the saved state meaningless.
 *
 * Training itself is the trainer's (runtime/trainer.ts `train` with `resume`); this module only
 * decides what it is given, and says plainly why when it cannot.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { compile, formatDiagnostic, validateIr, type FileLoader } from '../compiler/index.js';
import type { IR } from '../compiler/ir.js';
import { CheckpointError, firstDifference, readLatestCheckpoint, recipeIdentity, type Checkpoint } from '../runtime/checkpoint.js';

export interface ResumePlan {
  /** The IR to continue with: the checkpoint's, or the run's recipe recompiled with the overrides. */
  ir: IR;
  checkpoint: Checkpoint;
}

/** A reason a run cannot be resumed; `usage` when the folder itself is missing or unreadable. */
export class ResumeError extends Error {
  constructor(
    message: string,
    readonly usage = false,
  ) {
    super(message);
  }
}

/**
 * The plan for resuming `runDir`, or a ResumeError naming the file at fault. Diagnostics of a
 * recompile with `set` are written to `stderr` (then a ResumeError follows).
 */
export function planResume(runDir: string, set: readonly string[], loader: FileLoader, stderr: (s: string) => void): ResumePlan {
  const irPath = join(runDir, 'ir.json');
  if (!existsSync(irPath)) throw new ResumeError(`${runDir} is not a run folder: it has no ir.json`, true);
  const folderIr = parseIr(irPath, readFileSync(irPath, 'utf8'));

  let checkpoint: Checkpoint;
  try {
    checkpoint = readLatestCheckpoint(runDir);
  } catch (error) {
    if (error instanceof CheckpointError) throw new ResumeError(error.message);
    throw error;
  }
  const invalid = validateIr(checkpoint.ir);
  if (invalid.length > 0) throw new ResumeError(`${checkpoint.file}: its IR is not one this version of ssl can run (${invalid[0]!.message})`);
  const mismatch = firstDifference(recipeIdentity(checkpoint.ir), recipeIdentity(folderIr));
  if (mismatch) throw new ResumeError(`${checkpoint.file}: was written by another recipe than ${irPath} (${mismatch}); it cannot continue this run`);
  if (set.length === 0) return { ir: checkpoint.ir, checkpoint };

  const outside = set.find((o) => !/^\s*(optimizer|schedule)\s*[.=]/.test(o));
  if (outside !== undefined) {
    throw new ResumeError(`--set at resume may change only optimizer and schedule values (read afresh each step), not '${outside}'; start a new run for that`, true);
  }
  // The recipe as the run compiled it (resolved.ssl when it had bases or overrides), under the
  // uri it was compiled with (so relative data paths mean what they meant), with every earlier
  // resume's overrides and then these.
  const name = existsSync(join(runDir, 'resolved.ssl')) ? 'resolved.ssl' : 'recipe.ssl';
  const path = join(runDir, name);
  if (!existsSync(path)) throw new ResumeError(`${runDir} has no ${name} to apply --set to`, true);
  const text = readFileSync(path, 'utf8');
  const { ir, diagnostics, sources } = compile(text, folderIr.source.uri, { ...loader, overrides: [...checkpoint.state.resumeSet, ...set] });
  for (const d of diagnostics) stderr(formatDiagnostic(d, sources[d.span.uri] ?? text) + '\n');
  if (!ir || diagnostics.some((d) => d.severity === 'error')) throw new ResumeError(`${path} does not compile with --set ${set.join(' --set ')}`);
  if (ir.optimizer.kind !== checkpoint.ir.optimizer.kind) {
    throw new ResumeError(`--set changed the optimizer from ${checkpoint.ir.optimizer.kind} to ${ir.optimizer.kind}; its saved state (momentum, moments) only fits ${checkpoint.ir.optimizer.kind}`);
  }
  // Only the optimizer and schedule are taken from the recompile: everything else stays the
  // checkpoint's, byte for byte.
  return { ir: { ...checkpoint.ir, optimizer: ir.optimizer, schedule: ir.schedule }, checkpoint };
}

function parseIr(path: string, text: string): IR {
  let ir: unknown;
  try {
    ir = JSON.parse(text);
  } catch {
    throw new ResumeError(`${path}: not valid JSON`);
  }
  const invalid = validateIr(ir);
  if (invalid.length > 0) throw new ResumeError(`${path}: not an IR this version of ssl can run (${invalid[0]!.message})`);
  return ir as IR;
}
