/** Lazily created, zero-initialised slot variables shared by the optimizers. */
import { tf } from '../tf.js';
import type { ParamEntry } from './types.js';

export class Slots {
  private readonly slots = new Map<string, tf.Variable>();

  /** The slot `kind` of `v` (e.g. 'momentum'), created as zeros on first use. */
  get(v: tf.Variable, kind: string): tf.Variable {
    const key = `${v.name}\u0000${kind}`;
    let slot = this.slots.get(key);
    if (!slot) {
      slot = tf.tidy(() => tf.variable(tf.zerosLike(v), false)); // unnamed: unique auto names
      this.slots.set(key, slot);
    }
    return slot;
  }

  get size(): number {
    return this.slots.size;
  }

  dispose(): void {
    for (const s of this.slots.values()) s.dispose();
    this.slots.clear();
  }
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
