/**
 * A small, fast, seedable pseudo-random number generator for everything the runtime draws on the
 * host: data order, label subsets, per-example augmentation parameters and the seeds handed to
 * TF.js random ops.
 *
 * Generator: sfc32 ("Small Fast Counting", Chris Doty-Humphrey, PractRand 0.94), 128 bits of
 * state, passes PractRand/BigCrush; seeded through splitmix32 (a 32-bit variant of Steele, Lea &
 * Flood 2014, "Fast splittable pseudorandom number generators") so that nearby seeds (0, 1, 2…)
 * give unrelated streams. Pure 32-bit integer arithmetic (`Math.imul`, `>>> 0`), so a seed gives
 * the same stream on every platform and every run.
 */

export interface Rng {
  /** Uniform in [0, 1), 32 bits of resolution. */
  next(): number;
  /** Standard normal N(0, 1) (Box–Muller; the second value of each pair is cached). */
  normal(): number;
  /** Uniform integer in [0, n), unbiased (rejection sampling); n a positive integer <= 2^32. */
  int(n: number): number;
  /** Uniform integer in [0, 2^32). */
  uint32(): number;
  /**
   * A new generator with its own stream, seeded from four draws of this one. The parent advances
   * by those draws, so forking is itself deterministic.
   */
  fork(): Rng;
  /** The whole generator state, plain JSON (for checkpoints): `restore(state())` continues the stream exactly. */
  state(): RngState;
  /** Puts the generator back to `state` (from `state()` of any sfc32 generator); bad input throws a RangeError. */
  restore(state: RngState): void;
}

/**
 * A generator's state as plain JSON: sfc32's four 32-bit words (as unsigned integers) and the
 * cached second Box-Muller value (a double; JSON round-trips doubles exactly), or null.
 */
export interface RngState {
  kind: 'sfc32';
  words: [number, number, number, number];
  spare: number | null;
}

const TWO_POW_32 = 4294967296;

/** splitmix32 step: returns [nextState, output]. */
function splitmix32(state: number): [number, number] {
  state = (state + 0x9e3779b9) | 0;
  let z = state;
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
  z ^= z >>> 16;
  return [state, z >>> 0];
}

class Sfc32 implements Rng {
  private a: number;
  private b: number;
  private c: number;
  private d: number;
  private spare: number | null = null;

  constructor(a: number, b: number, c: number, d: number, warmUp = true) {
    this.a = a | 0;
    this.b = b | 0;
    this.c = c | 0;
    this.d = d | 0;
    // Warm-up: let the counter mix into the rest of the state (the author recommends 12+ rounds).
    if (warmUp) for (let i = 0; i < 15; i++) this.uint32();
  }

  state(): RngState {
    return { kind: 'sfc32', words: [this.a >>> 0, this.b >>> 0, this.c >>> 0, this.d >>> 0], spare: this.spare };
  }

  restore(state: RngState): void {
    checkRngState(state);
    [this.a, this.b, this.c, this.d] = state.words.map((w) => w | 0) as [number, number, number, number];
    this.spare = state.spare;
  }

  uint32(): number {
    let { a, b, c, d } = this;
    const t0 = (a + b) | 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) | 0;
    c = (c << 21) | (c >>> 11);
    d = (d + 1) | 0;
    const t = (t0 + d) | 0;
    c = (c + t) | 0;
    this.a = a;
    this.b = b;
    this.c = c;
    this.d = d;
    return t >>> 0;
  }

  next(): number {
    return this.uint32() / TWO_POW_32;
  }

  int(n: number): number {
    if (!Number.isInteger(n) || n <= 0 || n > TWO_POW_32) {
      throw new RangeError(`Rng.int(n): n must be an integer in [1, 2^32], got ${n}`);
    }
    // Reject the top partial block so every residue is equally likely.
    const limit = TWO_POW_32 - (TWO_POW_32 % n);
    let x = this.uint32();
    while (x >= limit) x = this.uint32();
    return x % n;
  }

  normal(): number {
    if (this.spare !== null) {
      const s = this.spare;
      this.spare = null;
      return s;
    }
    const u1 = 1 - this.next(); // (0, 1]: log is finite
    const u2 = this.next();
    const r = Math.sqrt(-2 * Math.log(u1));
    const theta = 2 * Math.PI * u2;
    this.spare = r * Math.sin(theta);
    return r * Math.cos(theta);
  }

  fork(): Rng {
    return new Sfc32(this.uint32(), this.uint32(), this.uint32(), this.uint32() | 1);
  }
}

/**
 * A deterministic generator for `seed` (any finite number; integers up to 2^53 are distinct
 * seeds, the fractional part is ignored).
 */
export function createRng(seed: number): Rng {
  if (!Number.isFinite(seed)) throw new RangeError(`createRng(seed): seed must be finite, got ${seed}`);
  const s = Math.trunc(seed);
  const lo = s >>> 0;
  const hi = Math.floor(s / TWO_POW_32) >>> 0;
  // Three words from the low 32 bits and one from the high bits: splitmix32's output is a
  // bijection of its state, so distinct seeds give distinct initial states.
  let state = lo;
  const out: number[] = [];
  for (let i = 0; i < 3; i++) {
    let v: number;
    [state, v] = splitmix32(state);
    out.push(v);
  }
  out.push(splitmix32(hi ^ 0x5bd1e995)[1]);
  return new Sfc32(out[0], out[1], out[2], out[3]);
}

/** A generator that continues exactly where the one `state` was taken from stood. */
export function createRngFromState(state: RngState): Rng {
  checkRngState(state);
  const rng = new Sfc32(0, 0, 0, 0, false);
  rng.restore(state);
  return rng;
}

/** Throws a RangeError naming what is wrong unless `state` is a well-formed sfc32 state. */
function checkRngState(state: unknown): asserts state is RngState {
  const s = state as Partial<RngState> | null;
  const word = (w: unknown) => Number.isInteger(w) && (w as number) >= 0 && (w as number) < TWO_POW_32;
  if (s === null || typeof s !== 'object' || s.kind !== 'sfc32') throw new RangeError(`rng state: expected kind 'sfc32', got ${JSON.stringify(s?.kind)}`);
  if (!Array.isArray(s.words) || s.words.length !== 4 || !s.words.every(word)) {
    throw new RangeError(`rng state: words must be four unsigned 32-bit integers, got ${JSON.stringify(s.words)}`);
  }
  if (s.spare !== null && !(typeof s.spare === 'number' && Number.isFinite(s.spare))) {
    throw new RangeError(`rng state: spare must be a finite number or null, got ${JSON.stringify(s.spare)}`);
  }
}

/** Shuffles `array` in place, uniformly (Fisher-Yates / Durstenfeld), drawing from `rng`. */
export function shuffleInPlace(array: Int32Array, rng: Rng): Int32Array {
  for (let i = array.length - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    const t = array[i];
    array[i] = array[j];
    array[j] = t;
  }
  return array;
}

/**
 * One Bernoulli(p) draw. p <= 0 and p >= 1 draw nothing from `rng`, so "always" and "never"
 * leave the stream untouched (an op wrapped with p = 1 gives exactly the op's own output).
 */
export function bernoulli(rng: Rng, p: number): boolean {
  if (p >= 1) return true;
  if (p <= 0) return false;
  return rng.next() < p;
}

/** Uniform in [lo, hi); draws nothing when lo === hi. */
export function uniform(rng: Rng, lo: number, hi: number): number {
  return lo === hi ? lo : lo + (hi - lo) * rng.next();
}
