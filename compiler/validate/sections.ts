/**
 * The recipe's statements other than definitions and probes: `train` (epochs, seed), `loss` (the
 * training graph, and the training data it picks, which fixes `batch` and `steps_per_epoch`),
 * `optimizer` and `schedule`.
 */
import type * as A from '../ast.js';
import { builtins, builtinsOfKind } from '../builtins.js';
import { Codes } from '../codes.js';
import { suggestionHint } from '../diagnostics.js';
import { bindArgs } from './args.js';
import { kindNoun, Part, type Ctx } from './part.js';
import { methodSanity } from './sanity.js';
import { describe, formatNumber, num, type Value } from './values.js';

export class Sections extends Part {
  /** `train`: epochs and seed. */
  train(stmt: A.TrainStatement): void {
    const spec = builtins.get('train')!;
    const bound = bindArgs('train', spec, stmt.args, stmt.span, (e, p) => this.session.expressions.evalArg(e, p, { role: 'train', graph: false }), (d) => this.report(d));
    const epochs = num(bound.values['epochs']);
    if (epochs !== undefined) {
      this.out.epochs = epochs;
      this.session.consts.epochs = epochs;
    }
    this.out.seed = num(bound.values['seed']) ?? 0;
    const every = bound.values['checkpoint_every'];
    if (every?.t === 'duration') {
      if (every.unit === 'steps' && !Number.isInteger(every.v)) {
        this.error(Codes.typeMismatch, `checkpoint_every must be a whole number of steps, got ${formatNumber(every.v)}`, bound.spans['checkpoint_every'] ?? stmt.span);
      } else {
        this.out.checkpointEvery = { v: every.v, unit: every.unit };
      }
    }
    this.out.keepCheckpoints = num(bound.values['keep_checkpoints']) ?? 2;
    this.out.trainOrigin = stmt.span;
  }

  /** `loss`: builds the training graph, which picks the training data. */
  loss(stmt: A.LossStatement): void {
    const v = this.session.expressions.evalExpr(stmt.value, { role: 'loss', graph: true });
    if (v.t === 'loss') {
      this.out.lossNode = this.session.graphFunctions.finishLoss(v, stmt.value.span);
    } else if (v.t !== 'error') {
      this.error(Codes.typeMismatch, `the loss must be a scalar loss such as nt_xent(...), got ${describe(v)}`, stmt.value.span, lossHint());
    }
    this.out.nodes = this.session.graph.nodes;
    this.pickTrainingData(stmt);
    if (this.out.lossNode !== undefined) {
      for (const d of methodSanity(this.out.nodes, this.out.lossNode, this.out.teachers)) this.report(d);
    }
  }

  private pickTrainingData(loss: A.LossStatement): void {
    const names = [...new Set(this.out.nodes.filter((n) => n.kind === 'batch').map((n) => (n as { data: string }).data))];
    if (names.length === 0) {
      if (this.out.lossNode !== undefined) {
        this.error(Codes.noTrainingData, 'the loss reads no data source', loss.value.span, 'draw views of a data source in the loss, e.g. `let x1 = aug(train)`');
      }
      return;
    }
    if (names.length > 1) {
      this.error(
        Codes.multipleTrainingData,
        `the loss reads ${names.length} data sources (${names.map((n) => `'${n}'`).join(', ')}); this version trains on exactly one`,
        loss.value.span,
      );
      return;
    }
    const name = names[0]!;
    const data = this.out.data.get(name);
    if (!data) return;
    this.out.trainingData = name;
    this.out.batch = data.batch;
    const steps = Math.floor(data.size / data.batch);
    if (steps < 1) {
      this.error(Codes.valueOutOfRange, `batch ${data.batch} is larger than the ${data.size} examples of '${name}'`, data.origin);
      return;
    }
    this.out.stepsPerEpoch = steps;
    this.session.consts.batch = data.batch;
    this.session.consts.steps_per_epoch = steps;
  }

  checkSchedule(): void {
    const s = this.out.schedule;
    if (!s || s.fn !== 'warmup_cosine') return;
    const w = s.args['warmup'];
    if (w?.t !== 'duration') return;
    if (w.unit === 'steps' && !Number.isInteger(w.v)) {
      this.error(Codes.typeMismatch, `warmup must be a whole number of steps, got ${formatNumber(w.v)}`, s.spans['warmup'] ?? s.span);
      return;
    }
    const spe = this.out.stepsPerEpoch;
    const epochs = this.out.epochs;
    if (spe === undefined || epochs === undefined) return;
    const steps = w.unit === 'epochs' ? Math.round(w.v * spe) : w.v;
    if (steps > epochs * spe) {
      this.error(
        Codes.valueOutOfRange,
        `warmup of ${steps} steps is longer than training (${epochs * spe} steps = ${epochs} epochs x ${spe} steps per epoch)`,
        s.spans['warmup'] ?? s.span,
      );
    }
  }

  // -------------------------------------------------------------------------------------------
  // Statements whose value is one builtin call: optimizer, schedule, probe

  statementCall(stmt: A.CallStatement, kind: 'optimizer' | 'schedule' | 'probe'): Extract<Value, { t: 'call' }> | undefined {
    const e = stmt.value;
    const options = builtinsOfKind(kind).map((b) => b.name);
    const example = { optimizer: 'adam(lr: 1e-3)', schedule: 'warmup_cosine(warmup: 10 epochs)', probe: 'linear(on: test)' }[kind];
    const name = e.kind === 'call' ? e.callee.name : e.kind === 'identifier' ? e.name : undefined;
    const spec = name !== undefined ? builtins.get(name) : undefined;
    if (name !== undefined && spec === undefined) {
      this.error(Codes.unknownName, `unknown ${kind} '${name}'`, e.kind === 'call' ? e.callee.span : e.span, suggestionHint(name, options, `${kind}s`));
      return undefined;
    }
    if (!spec || spec.kind !== kind) {
      this.error(Codes.typeMismatch, `${kind} expects a call such as ${example}, got ${spec ? `the ${kindNoun[spec.kind]} '${spec.name}'` : 'an expression'}`, e.span, `${kind}s: ${options.join(', ')}`);
      return undefined;
    }
    const args = e.kind === 'call' ? e.args : [];
    if (e.kind === 'identifier' && spec.params.some((p) => p.required)) {
      this.error(Codes.missingParameter, `${spec.name} needs arguments: write ${spec.name}(...)`, e.span);
      return undefined;
    }
    const ctx: Ctx = { role: kind, graph: false };
    const bound = bindArgs(spec.name, spec, args, e.span, (x, p) => this.session.expressions.evalArg(x, p, ctx), (d) => this.report(d));
    if (!bound.ok) return undefined;
    return { t: 'call', fn: spec.name, args: bound.values, spans: bound.spans, span: e.span };
  }
}

function lossHint(): string {
  return `losses: ${builtinsOfKind('loss').map((b) => b.name).join(', ')}`;
}
