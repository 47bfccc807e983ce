/**
 * Two synthetic UCR time-series datasets, generated from their published definitions so they ship
 * with the code (no download) and any number of examples can be drawn.
 *
 * CBF, "Cylinder-Bell-Funnel" (Saito 1994, "Local feature extraction and its applications using a
 * library of bases", PhD thesis, Yale, section 6.1.1; UCR archive "CBF"), length 128, t = 1..128:
 *   cylinder  c(t) = (6 + eta) * chi_[a,b](t)                       + eps(t)
 *   bell      b(t) = (6 + eta) * chi_[a,b](t) * (t - a) / (b - a)   + eps(t)
 *   funnel    f(t) = (6 + eta) * chi_[a,b](t) * (b - t) / (b - a)   + eps(t)
 * with a an integer uniform in [16, 32], b - a an integer uniform in [32, 96] (so b <= 128),
 * eta ~ N(0, 1) once per series, eps(t) ~ N(0, 1) i.i.d., chi_[a,b] the indicator of a <= t <= b.
 * Classes 0, 1, 2 = cylinder, bell, funnel (the UCR labels 1, 2, 3).
 *
 * Synthetic Control (Alcock & Manolopoulos 1999, "Time-series similarity queries employing a
 * feature-based approach", 7th Hellenic Conference on Informatics; the patterns of Pham & Chan
 * 1998; UCI / UCR "SyntheticControl"), length 60, t = 1..60, m = 30, s = 2, r ~ U[-3, 3] i.i.d.:
 *   0 normal            y(t) = m + r s
 *   1 cyclic            y(t) = m + r s + a sin(2 pi t / T),   a, T ~ U[10, 15]
 *   2 increasing trend  y(t) = m + r s + g t,                 g ~ U[0.2, 0.5]
 *   3 decreasing trend  y(t) = m + r s - g t
 *   4 upward shift      y(t) = m + r s + k(t) x,              x ~ U[7.5, 20], k(t) = [t >= t3]
 *   5 downward shift    y(t) = m + r s - k(t) x,              t3 an integer uniform in [20, 40]
 * (t3 in [n/3, 2n/3] for n = 60). Classes 0..5 in this order (the UCR labels 1..6).
 *
 * The archive's copies are z-normalised per series, and so is the output here by default (mean 0,
 * standard deviation 1 over each series' own time steps): the 1-NN baselines the archive reports
 * (Euclidean 0.852 on CBF, 0.880 on SyntheticControl; DTW 0.997 / 0.993) are on such data, and
 * raw SyntheticControl values near 30-80 are a poor scale for a network's first layer. Pass
 * `{ normalize: false }` for the formulas' raw values.
 *
 * Classes are balanced round-robin: example i has label i mod K, so any prefix (`limit: N`) is
 * balanced to within one example. Every draw comes from `createRng(seed)` in example order, so a
 * seed gives the same data on every platform.
 *
 * Output x is [n, length, 1] row-major (time steps of one series are contiguous), float32.
 */
import { createRng, type Rng } from '../util/rng.js';

export interface SyntheticOptions {
  /** Z-normalise each series as the UCR archive does (default true). */
  normalize?: boolean;
}

export interface CbfData {
  /** [n, 128, 1] row-major. */
  x: Float32Array;
  labels: Uint8Array;
  length: 128;
  numClasses: 3;
}

export interface SyntheticControlData {
  /** [n, 60, 1] row-major. */
  x: Float32Array;
  labels: Uint8Array;
  length: 60;
  numClasses: 6;
}

export const CBF_CLASSES = ['cylinder', 'bell', 'funnel'] as const;
export const SYNTHETIC_CONTROL_CLASSES = ['normal', 'cyclic', 'increasing trend', 'decreasing trend', 'upward shift', 'downward shift'] as const;

function checkCount(what: string, n: number): void {
  if (!Number.isInteger(n) || n < 0) throw new RangeError(`${what}: n must be an integer >= 0, got ${n}`);
}

/** Integer uniform in [lo, hi], both ends included. */
function intBetween(rng: Rng, lo: number, hi: number): number {
  return lo + rng.int(hi - lo + 1);
}

function between(rng: Rng, lo: number, hi: number): number {
  return lo + (hi - lo) * rng.next();
}

/** CBF (Saito 1994): n series of length 128, labels i mod 3. See the file comment for the formulas. */
export function generateCbf(n: number, seed: number, options: SyntheticOptions = {}): CbfData {
  checkCount('generateCbf', n);
  const length = 128;
  const rng = createRng(seed);
  const x = new Float32Array(n * length);
  const labels = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    const label = i % 3;
    labels[i] = label;
    const a = intBetween(rng, 16, 32);
    const b = a + intBetween(rng, 32, 96);
    const height = 6 + rng.normal();
    const row = i * length;
    for (let t = 1; t <= length; t++) {
      let v = 0;
      if (t >= a && t <= b) {
        if (label === 0) v = height;
        else if (label === 1) v = (height * (t - a)) / (b - a);
        else v = (height * (b - t)) / (b - a);
      }
      x[row + t - 1] = v + rng.normal();
    }
  }
  if (options.normalize !== false) zNormalizeSeries(x, length);
  return { x, labels, length, numClasses: 3 };
}

/** Synthetic Control (Alcock & Manolopoulos 1999): n series of length 60, labels i mod 6. */
export function generateSyntheticControl(n: number, seed: number, options: SyntheticOptions = {}): SyntheticControlData {
  checkCount('generateSyntheticControl', n);
  const length = 60;
  const m = 30;
  const s = 2;
  const rng = createRng(seed);
  const x = new Float32Array(n * length);
  const labels = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    const label = i % 6;
    labels[i] = label;
    // Pattern parameters first, then the noise, so each class's stream layout is fixed.
    let pattern: (t: number) => number;
    switch (label) {
      case 0:
        pattern = () => 0;
        break;
      case 1: {
        const amplitude = between(rng, 10, 15);
        const period = between(rng, 10, 15);
        pattern = (t) => amplitude * Math.sin((2 * Math.PI * t) / period);
        break;
      }
      case 2:
      case 3: {
        const g = between(rng, 0.2, 0.5) * (label === 2 ? 1 : -1);
        pattern = (t) => g * t;
        break;
      }
      default: {
        const shift = between(rng, 7.5, 20) * (label === 4 ? 1 : -1);
        const t3 = intBetween(rng, length / 3, (2 * length) / 3);
        pattern = (t) => (t >= t3 ? shift : 0);
      }
    }
    const row = i * length;
    for (let t = 1; t <= length; t++) x[row + t - 1] = m + between(rng, -3, 3) * s + pattern(t);
  }
  if (options.normalize !== false) zNormalizeSeries(x, length);
  return { x, labels, length, numClasses: 6 };
}

/**
 * Z-normalises each series of `length` steps in place: (x - mean) / std over the series (the
 * population std; a constant series becomes all zeros). Returns `x`.
 */
export function zNormalizeSeries(x: Float32Array, length: number): Float32Array {
  if (!Number.isInteger(length) || length < 1 || x.length % length !== 0) {
    throw new RangeError(`zNormalizeSeries: ${x.length} values are not whole series of ${length} steps`);
  }
  for (let row = 0; row < x.length; row += length) {
    let sum = 0;
    for (let t = 0; t < length; t++) sum += x[row + t];
    const mean = sum / length;
    let sq = 0;
    for (let t = 0; t < length; t++) sq += (x[row + t] - mean) ** 2;
    const std = Math.sqrt(sq / length);
    const inv = std > 0 ? 1 / std : 0;
    for (let t = 0; t < length; t++) x[row + t] = (x[row + t] - mean) * inv;
  }
  return x;
}
