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

/**
 * A value with 3 significant digits, for loss terms and the embedding std: `4.1234` → `4.12`,
 * `57.93` → `57.9`, `0.05231` → `0.0523`; from 1000 up, whole numbers (`12346`); below 1e-3 and
 * from 1e6 up, short scientific (`1.20e-5`). Non-finite values print as `nan` / `inf` / `-inf`.
 */
export function formatValue(v: number | null | undefined): string {
  if (v == null) return '-';
  if (Number.isNaN(v)) return 'nan';
  if (!Number.isFinite(v)) return v > 0 ? 'inf' : '-inf';
  if (v === 0) return '0';
  const a = Math.abs(v);
  if (a < 1e-3 || a >= 1e6) return v.toExponential(2).replace('e+', 'e');
  if (a >= 999.5) return String(Math.round(v));
  return v.toPrecision(3);
}

/** The embedding std: `formatValue` (3 significant digits). */
export const formatStd = formatValue;

/**
 * EMA momentum, with enough decimals to tell it from 1: at least 4 (`0.996` → `0.9960`), up to 6
 * (`0.99996` → `0.99996`; `0.9999996` → `1.0000`); exactly 1 prints as `1`.
 */
export function formatMomentum(m: number | null | undefined): string {
  if (m == null || !Number.isFinite(m)) return '-';
  if (m === 1) return '1';
  const gap = Math.abs(1 - m);
  const decimals = Math.min(6, Math.max(4, Math.ceil(-Math.log10(gap)) + 1));
  // Extra decimals only where they say something: 0.99996 → 0.99996, not 0.999960.
  return m.toFixed(decimals).replace(/(\.\d{4}\d*?)0+$/, '$1');
}

/**
 * Loss terms, sub-terms after their term with the part name only:
 * `{ nt_xent: 4.12, 'nt_xent#2': 4.1 }` → `nt_xent 4.12, nt_xent#2 4.10`;
 * `{ vicreg: 57.9, 'vicreg/invariance': 29.4, … }` → `vicreg 57.9 (invariance 29.4, variance 4.73, …)`.
 */
export function formatTerms(terms: Record<string, number>): string {
  return groupTerms(terms)
    .map((g) => {
      const head = g.value === undefined ? g.name : `${g.name} ${formatValue(g.value)}`;
      const parts = g.parts.map((p) => `${p.name} ${formatValue(p.value)}`).join(', ');
      return parts ? `${head} (${parts})` : head;
    })
    .join(', ');
}

/** A loss term and its `term/part` sub-terms. */
export interface TermGroup {
  name: string;
  /** The term's own value; undefined when only its parts are listed. */
  value?: number;
  parts: { name: string; value: number }[];
}

/** Groups `term/part` keys under their term (split at the first `/`), in the record's order. */
export function groupTerms(terms: Record<string, number>): TermGroup[] {
  const groups = new Map<string, TermGroup>();
  for (const [key, value] of Object.entries(terms)) {
    const slash = key.indexOf('/');
    const name = slash < 0 ? key : key.slice(0, slash);
    let g = groups.get(name);
    if (!g) groups.set(name, (g = { name, parts: [] }));
    if (slash < 0) g.value = value;
    else g.parts.push({ name: key.slice(slash + 1), value });
  }
  return [...groups.values()];
}

/** One teacher: `0.9962`; several: `target 0.9962, key 0.9990`. Empty string for none. */
export function formatMomenta(momentum: Record<string, number>): string {
  const entries = Object.entries(momentum);
  if (entries.length === 1) return formatMomentum(entries[0][1]);
  return entries.map(([name, m]) => `${name} ${formatMomentum(m)}`).join(', ');
}

/** Effective rank with one decimal (`57.25` → `57.3`); non-finite → `nan`. */
export function formatRank(rank: number | null | undefined): string {
  if (rank == null) return '-';
  if (!Number.isFinite(rank)) return 'nan';
  return rank.toFixed(1);
}

/** Online probes' running top-1: one → `84.1%`; several → `linear/online 84.1%, linear#2/online 80.0%`. */
export function formatOnline(top1: Record<string, number>): string {
  const entries = Object.entries(top1);
  const pct = (f: number) => (Number.isFinite(f) ? `${(f * 100).toFixed(1)}%` : '-');
  if (entries.length === 1) return pct(entries[0]![1]);
  return entries.map(([name, f]) => `${name} ${pct(f)}`).join(', ');
}
