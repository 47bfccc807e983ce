/** Lazily created, zero-initialised slot variables shared by the optimizers. */
import { tf } from '../tf.js';
import type { OptimizerSnapshot, ParamEntry } from './types.js';

export class Slots {
  private readonly slots = new Map<string, { param: string; kind: string; slot: tf.Variable }>();

  /** The slot `kind` of `v` (e.g. 'momentum'), created as zeros on first use. */
  get(v: tf.Variable, kind: string): tf.Variable {
    const key = `${v.name}\u0000${kind}`;
    let entry = this.slots.get(key);
    if (!entry) {
      entry = { param: v.name, kind, slot: tf.tidy(() => tf.variable(tf.zerosLike(v), false)) }; // unnamed: unique auto names
      this.slots.set(key, entry);
    }
    return entry.slot;
  }

  get size(): number {
    return this.slots.size;
  }

  /** Every slot as `${parameter}:${kind}` -> variable (for checkpoints; the variables stay owned here). */
  snapshot(): Record<string, tf.Variable> {
    return Object.fromEntries([...this.slots.values()].map((e) => [`${e.param}:${e.kind}`, e.slot]));
  }

  /**
   * Replaces every slot by those of `saved` (keys as `snapshot` writes them, values copied), for
   * the parameters in `params`; a key naming no parameter, or a value of the wrong shape, throws.
   */
  restore(saved: Readonly<Record<string, tf.Tensor>>, params: ParamEntry[], who: string): void {
    const byName = new Map(params.map((p) => [p.variable.name, p.variable]));
    const restored: [tf.Variable, string, tf.Tensor][] = [];
    for (const [key, value] of Object.entries(saved)) {
      const at = key.lastIndexOf(':');
      const param = byName.get(key.slice(0, Math.max(at, 0)));
      if (at < 0 || !param) throw new Error(`${who}: saved slot '${key}' belongs to no parameter of this optimizer`);
      if (value.shape.join(',') !== param.shape.join(',')) {
        throw new Error(`${who}: saved slot '${key}' has shape [${value.shape}], the parameter [${param.shape}]`);
      }
      restored.push([param, key.slice(at + 1), value]);
    }
    this.dispose();
    for (const [param, kind, value] of restored) tf.tidy(() => this.get(param, kind).assign(tf.cast(value, 'float32')));
  }

  dispose(): void {
    for (const e of this.slots.values()) e.slot.dispose();
    this.slots.clear();
  }
}

/**
 * The step counter of `snapshot` after checking it is a snapshot of a `who` optimizer whose
 * counters are whole numbers >= 0.
 */
export function restoredStep(snapshot: OptimizerSnapshot, who: string): number {
  if (snapshot.kind !== who) throw new Error(`${who}: cannot continue from the state of a '${snapshot.kind}' optimizer`);
  for (const [name, value] of Object.entries(snapshot.counters)) {
    if (!Number.isSafeInteger(value) || value < 0) throw new Error(`${who}: saved counter '${name}' must be a whole number >= 0, got ${value}`);
  }
  const step = snapshot.counters['step'];
  if (step === undefined) throw new Error(`${who}: the saved state has no step counter`);
  return step;
}

/** Per-parameter steps (Adam's bias-correction t) as counters `t/<parameter>`. */
export function saveParamSteps(steps: ReadonlyMap<string, number>): Record<string, number> {
  return Object.fromEntries([...steps].map(([name, t]) => [`t/${name}`, t]));
}

/** Reads the `t/<parameter>` counters back into `steps`; a counter naming no parameter throws. */
export function restoreParamSteps(snapshot: OptimizerSnapshot, params: ParamEntry[], steps: Map<string, number>, who: string): void {
  const names = new Set(params.map((p) => p.variable.name));
  const restored: [string, number][] = [];
  for (const [key, t] of Object.entries(snapshot.counters)) {
    if (key === 'step') continue;
    const name = key.startsWith('t/') ? key.slice(2) : null;
    if (name === null || !names.has(name)) throw new Error(`${who}: saved counter '${key}' belongs to no parameter of this optimizer`);
    restored.push([name, t]);
  }
  steps.clear();
  for (const [name, t] of restored) steps.set(name, t);
}

/** Checks `lr` and pairs each owned parameter with its gradient (skipping those without one). */
export function gradientsFor(params: ParamEntry[], grads: Record<string, tf.Tensor>, lr: number, who: string): [ParamEntry, tf.Tensor][] {
  if (!Number.isFinite(lr) || lr < 0) throw new Error(`${who}: learning rate must be a finite number >= 0, got ${lr}`);
  const out: [ParamEntry, tf.Tensor][] = [];
  for (const p of params) {
    const g = grads[p.variable.name];
    if (!g) continue;
    if (g.size !== p.variable.size || g.rank !== p.variable.rank) {
      throw new Error(`${who}: gradient for '${p.variable.name}' has shape [${g.shape}], the variable [${p.variable.shape}]`);
    }
    out.push([p, g]);
  }
  return out;
}

export function checkParams(params: ParamEntry[], who: string): void {
  const seen = new Set<string>();
  for (const p of params) {
    if (seen.has(p.variable.name)) throw new Error(`${who}: parameter '${p.variable.name}' is listed twice`);
    seen.add(p.variable.name);
  }
}

export function checkHyper(who: string, name: string, value: number, lo: number, hi = Infinity, hiOpen = false): void {
  const ok = Number.isFinite(value) && value >= lo && (hiOpen ? value < hi : value <= hi);
  if (!ok) throw new Error(`${who}: ${name} must be in [${lo}, ${hi}${hiOpen ? ')' : ']'}, got ${value}`);
}
