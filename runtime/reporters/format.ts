/** Small, dependency-free formatters shared by the plain and ink reporters. */

/** `42_000` → `0:42`, `3_723_000` → `1:02:03`; null/negative/non-finite → `--:--`. */
export function formatDuration(ms: number | null | undefined): string {
  if (ms == null || !Number.isFinite(ms) || ms < 0) return '--:--';
  const total = Math.round(ms / 1000);
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = total % 60;
  const ss = String(s).padStart(2, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${ss}` : `${m}:${ss}`;
}

/** Seconds with one decimal, for short spans: `4100` → `4.1 s`. */
export function formatSeconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}

/** Loss with 4 decimals; non-finite values print as `nan` / `inf` / `-inf`. */
export function formatLoss(loss: number | null | undefined): string {
  if (loss == null) return '-';
  if (Number.isNaN(loss)) return 'nan';
  if (!Number.isFinite(loss)) return loss > 0 ? 'inf' : '-inf';
  return loss.toFixed(4);
}

/** Learning rate in short scientific notation: `0.001` → `1.00e-3`. */
export function formatLr(lr: number | null | undefined): string {
  if (lr == null || !Number.isFinite(lr)) return '-';
  if (lr === 0) return '0';
  return lr.toExponential(2);
}

/** Throughput rounded to whole images per second. */
export function formatRate(perSec: number | null | undefined): string {
  if (perSec == null || !Number.isFinite(perSec)) return '-';
  return String(Math.round(perSec));
}

/** Probe accuracy: `top1` is a fraction in [0, 1] (`0.9371` → `93.71%`). */
export function formatPercent(fraction: number): string {
  if (!Number.isFinite(fraction)) return '-';
  return `${(fraction * 100).toFixed(2)}%`;
}

/** Parameter counts: `812` → `812`, `33_024` → `33.0k`, `1_234_567` → `1.23M`. */
export function formatCount(n: number): string {
  const a = Math.abs(n);
  if (a < 1_000) return String(n);
  if (a < 1_000_000) return `${(n / 1_000).toFixed(1)}k`;
  if (a < 1_000_000_000) return `${(n / 1_000_000).toFixed(2)}M`;
  return `${(n / 1_000_000_000).toFixed(2)}G`;
}

/** `{ encoder: 1234567, projector: 33024 }` → `encoder 1.23M, projector 33.0k`. */
export function formatParameters(parameters: Record<string, number>): string {
  const entries = Object.entries(parameters);
  if (entries.length === 0) return 'none';
  return entries.map(([name, n]) => `${name} ${formatCount(n)}`).join(', ');
}

/** `{ 'tfjs-core': '4.22.0', threads: 2, simd: true }` → `tfjs-core 4.22.0, threads 2, simd true`. */
export function formatEnvironment(environment: Record<string, string | number | boolean>): string {
  return Object.entries(environment)
    .map(([k, v]) => `${k} ${String(v)}`)
    .join(', ');
}

/** `uri:line:column` of a span start (1-based, as the compiler reports them). */
export function formatSpan(span: { uri: string; start: { line: number; column: number } }): string {
  return `${span.uri}:${span.start.line}:${span.start.column}`;
}
