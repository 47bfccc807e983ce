/**
 * Time warping: resample each series at a smooth, random, increasing warp of its time axis.
 *
 * Um et al. 2017 (arXiv:1706.00527), section 3.1 "time-warping" ("perturb the temporal location by
 * smoothly distorting the time intervals between samples"); Iwana & Uchida 2021 (arXiv:2007.15951),
 * section 3.2.4. As in Um et al.'s code, the local speed of time is a cubic spline through
 * knots + 2 equally spaced values drawn from N(1, sigma^2), and the warp is its running integral,
 * rescaled to end where the series ends:
 *   x_j = j (T - 1) / (knots + 1), v_j ~ N(1, sigma^2), j = 0..knots+1
 *   s(t) = max(S(t), 0.01), S the natural cubic spline through (x_j, v_j)
 *   phi(0) = 0, phi(t) = sum over u < t of (s(u) + s(u + 1)) / 2, then phi *= (T - 1) / phi(T - 1)
 *   out[b, t, c] = x[b, phi(t), c]   (linear interpolation between steps)
 * Departures: one warp per example shared by all channels (Um et al. warp each sensor axis on its
 * own; a shared warp keeps the channels of one moment together); the speed is floored at 0.01 so the
 * warp is strictly increasing even when a large sigma makes the spline dip below 0; out = x(phi(t))
 * reads the input at warped times (Um et al. interpolate the other way round, x(phi^-1(t)); both
 * are smooth increasing warps that keep the ends).
 *
 * phi is computed on the host (B x T numbers), the resampling is a gather and a blend on the
 * backend (`resampleTime`). sigma = 0 is the identity and draws nothing.
 *
 * Shapes: x [B, T, C] -> [B, T, C].
 */
import type { AugOp } from '../../compiler/ir.js';
import { tf } from '../tf.js';
import type { Rng } from '../util/rng.js';
import { checkSequenceBatch, resampleTime } from './sequence.js';

export type TimeWarpParams = Pick<Extract<AugOp, { kind: 'time_warp' }>, 'sigma' | 'knots'>;

/** The floor of the speed of time, so the warp stays strictly increasing. */
const MIN_SPEED = 0.01;

export function validateTimeWarp(p: TimeWarpParams): void {
  if (!(p.sigma >= 0 && Number.isFinite(p.sigma))) throw new RangeError(`time_warp: sigma must be >= 0, got ${p.sigma}`);
  if (!(Number.isInteger(p.knots) && p.knots >= 1)) throw new RangeError(`time_warp: knots must be a positive integer, got ${p.knots}`);
}

/**
 * The natural cubic spline (second derivative 0 at both ends) through (j h, y_j), j = 0..n, evaluated
 * at t = 0, 1, ..., length - 1. Second derivatives M from the tridiagonal system
 * M_{j-1} + 4 M_j + M_{j+1} = 6 (y_{j+1} - 2 y_j + y_{j-1}) / h^2 (Thomas algorithm).
 */
export function naturalCubicSpline(y: readonly number[], h: number, length: number): Float64Array {
  const n = y.length - 1;
  const m = new Float64Array(n + 1);
  if (n >= 2) {
    const c = new Float64Array(n); // super-diagonal after elimination
    const d = new Float64Array(n); // right-hand side after elimination
    for (let j = 1; j < n; j++) {
      const rhs = (6 * (y[j + 1]! - 2 * y[j]! + y[j - 1]!)) / (h * h);
      const denom = 4 - (j > 1 ? c[j - 1] : 0);
      c[j] = 1 / denom;
      d[j] = (rhs - (j > 1 ? d[j - 1] : 0)) / denom;
    }
    for (let j = n - 1; j >= 1; j--) m[j] = d[j] - c[j] * (j < n - 1 ? m[j + 1] : 0);
  }
  const out = new Float64Array(length);
  for (let t = 0; t < length; t++) {
    const j = Math.min(Math.floor(t / h), n - 1);
    const a = (j + 1) * h - t; // distance to the right knot
    const b = t - j * h; // distance to the left knot
    out[t] = (m[j] * a ** 3 + m[j + 1] * b ** 3) / (6 * h) + (y[j]! / h - (m[j] * h) / 6) * a + (y[j + 1]! / h - (m[j + 1] * h) / 6) * b;
  }
  return out;
}

/** One example's warp phi(0..T-1) (see the file comment), written into `out` at `offset`. */
export function warpPositions(t: number, params: TimeWarpParams, rng: Rng, out: Float32Array, offset = 0): void {
  if (t === 1) {
    out[offset] = 0;
    return;
  }
  const speeds = Array.from({ length: params.knots + 2 }, () => 1 + params.sigma * rng.normal());
  const s = naturalCubicSpline(speeds, (t - 1) / (params.knots + 1), t);
  for (let i = 0; i < t; i++) s[i] = Math.max(s[i], MIN_SPEED);
  const phi = new Float64Array(t);
  for (let i = 1; i < t; i++) phi[i] = phi[i - 1] + (s[i - 1] + s[i]) / 2;
  const scale = (t - 1) / phi[t - 1];
  for (let i = 0; i < t; i++) out[offset + i] = phi[i] * scale;
  out[offset + t - 1] = t - 1; // exactly the end, whatever the rounding
}

export function timeWarp(x: tf.Tensor3D, params: TimeWarpParams, rng: Rng): tf.Tensor3D {
  validateTimeWarp(params);
  checkSequenceBatch('time_warp', x);
  if (params.sigma === 0) return tf.clone(x);
  const [b, t] = x.shape;
  const positions = new Float32Array(b * t);
  for (let i = 0; i < b; i++) warpPositions(t, params, rng, positions, i * t);
  return resampleTime(x, positions, t);
}
