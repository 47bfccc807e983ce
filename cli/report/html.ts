/**
 * The report as one self-contained HTML file: the charting library (uPlot, inlined from its
 * minified dist file, read where node_modules has it), the runs' series as an inline JSON block,
 * and a small script that draws one chart per signal with every run overlaid. Nothing is fetched:
 * no <script src>, no <link>, no web fonts, so it opens offline and can be archived with a paper.
 *
 * Everything from a run that lands in the page — recipe names, paths, probe names, messages — is
 * HTML-escaped in the tables, and the JSON block escapes `<` (and U+2028/9) so no string can close
 * the script element.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { RunSummary } from './summarize.js';

const require = createRequire(import.meta.url);

/** uPlot's minified browser build and stylesheet, as shipped in its npm package. */
export function chartLibrary(): { js: string; css: string; version: string } {
  const js = readFileSync(require.resolve('uplot/dist/uPlot.iife.min.js'), 'utf8');
  const css = readFileSync(require.resolve('uplot/dist/uPlot.min.css'), 'utf8');
  const version = String((JSON.parse(readFileSync(require.resolve('uplot/package.json'), 'utf8')) as { version?: unknown }).version ?? '?');
  return { js, css, version };
}

/** Text for HTML element content and attribute values. */
export function escapeHtml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');
}

/** JSON that is safe inside <script type="application/json">. */
export function scriptJson(value: unknown): string {
  return JSON.stringify(value).replace(/</g, '\\u003c').replace(/\u2028/g, '\\u2028').replace(/\u2029/g, '\\u2029');
}

/** A library text inside <script> or <style>: its own closing tag must not end the element early. */
function inlineSafe(text: string, tag: 'script' | 'style'): string {
  return text.replace(new RegExp(`</${tag}`, 'gi'), `<\\/${tag}`);
}

export interface ReportOptions {
  /** Shown in the header (default: none, so the same runs give the same bytes). */
  generated?: string;
  title?: string;
}

const pct = (f: number | undefined) => (f === undefined || !Number.isFinite(f) ? '–' : `${(f * 100).toFixed(2)}%`);
const num = (v: number | null, digits = 4) => (v === null || !Number.isFinite(v) ? '–' : v.toFixed(digits));

function duration(ms: number | null): string {
  if (ms === null || !Number.isFinite(ms) || ms < 0) return '–';
  const s = Math.round(ms / 1000);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const ss = String(s % 60).padStart(2, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${ss}` : `${m}:${ss}`;
}

function count(n: number): string {
  if (n < 1e3) return String(n);
  if (n < 1e6) return `${(n / 1e3).toFixed(1)}k`;
  return `${(n / 1e6).toFixed(2)}M`;
}

/** The best final top-1 of probes of one kind ('linear', 'knn'; their label-fraction variants excluded). */
function probeOf(run: RunSummary, kind: 'linear' | 'knn'): number | undefined {
  return run.probes[kind];
}

function comparisonTable(runs: RunSummary[]): string {
  const rows = runs.map((r) => {
    const params = Object.values(r.parameters).reduce((a, b) => a + b, 0);
    const paramDetail = Object.entries(r.parameters)
      .map(([name, n]) => `${name} ${count(n)}`)
      .join(', ');
    return `<tr>
  <td><span class="swatch" data-run="${escapeHtml(r.label)}"></span>${escapeHtml(r.label)}</td>
  <td>${escapeHtml(r.recipe)}</td>
  <td title="${escapeHtml(r.backendReason ?? '')}">${escapeHtml(r.backend)}</td>
  <td class="${escapeHtml(r.status)}">${escapeHtml(r.status)}</td>
  <td class="n">${r.steps}${r.totalSteps !== null && r.totalSteps !== r.steps ? ` / ${r.totalSteps}` : ''}</td>
  <td class="n">${duration(r.ms)}</td>
  <td class="n">${num(r.finalLoss)}</td>
  <td class="n">${pct(probeOf(r, 'linear'))}</td>
  <td class="n">${pct(probeOf(r, 'knn'))}</td>
  <td class="n" title="${escapeHtml(paramDetail)}">${params > 0 ? count(params) : '–'}</td>
</tr>`;
  });
  return `<table class="compare">
<thead><tr><th>run</th><th>recipe</th><th>backend</th><th>status</th><th>steps</th><th>time</th><th>final loss</th><th>linear top-1</th><th>kNN top-1</th><th>parameters</th></tr></thead>
<tbody>
${rows.join('\n')}
</tbody>
</table>`;
}

function probesTable(runs: RunSummary[]): string {
  const names = [...new Set(runs.flatMap((r) => Object.keys(r.probes)))];
  if (names.length === 0) return '<p class="muted">No probe results (the runs ended before their probes, or have none).</p>';
  return `<table class="probes">
<thead><tr><th>run</th>${names.map((n) => `<th>${escapeHtml(n)}</th>`).join('')}</tr></thead>
<tbody>
${runs.map((r) => `<tr><td>${escapeHtml(r.label)}</td>${names.map((n) => `<td class="n">${pct(r.probes[n])}</td>`).join('')}</tr>`).join('\n')}
</tbody>
</table>`;
}

function runDetails(runs: RunSummary[]): string {
  return runs
    .map((r) => {
      const lines = [
        `<dt>folder</dt><dd><code>${escapeHtml(r.dir)}</code></dd>`,
        ...(r.backendReason ? [`<dt>backend</dt><dd>${escapeHtml(r.backendReason)}</dd>`] : []),
        ...(r.message ? [`<dt>message</dt><dd>${escapeHtml(r.message)}</dd>`] : []),
        ...r.notes.map((n) => `<dt>note</dt><dd class="note">${escapeHtml(n)}</dd>`),
      ];
      return `<dl><dt class="head">${escapeHtml(r.label)}</dt>${lines.join('')}</dl>`;
    })
    .join('\n');
}

/** Rounds to 6 significant digits: the page stays small and the curves are unchanged to the eye. */
function compact(values: (number | null)[]): (number | null)[] {
  return values.map((v) => (v === null ? null : Number(v.toPrecision(6))));
}

/** What the page script reads: per run, its label and series. */
export function reportData(runs: RunSummary[]) {
  return runs.map((r) => ({
    label: r.label,
    step: r.series.step,
    loss: compact(r.series.loss),
    lr: r.series.lr,
    throughput: compact(r.series.throughput),
    ...(r.series.std ? { std: compact(r.series.std) } : {}),
    terms: Object.fromEntries(Object.entries(r.series.terms).map(([k, v]) => [k, compact(v)])),
    momentum: r.series.momentum,
    rank: { step: r.series.rank.step, value: compact(r.series.rank.value) },
    onlineTrain: r.series.onlineTrain,
    onlineHeldOut: r.series.onlineHeldOut,
  }));
}

export function renderReportHtml(runs: RunSummary[], options: ReportOptions = {}): string {
  const lib = chartLibrary();
  const title = options.title ?? `ssl report: ${runs.map((r) => r.label).join(', ')}`;
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="ssl report (uPlot ${escapeHtml(lib.version)}, inlined)">
<title>${escapeHtml(title)}</title>
<style>
${inlineSafe(lib.css, 'style')}
${PAGE_CSS}
</style>
</head>
<body>
<header>
<h1>${escapeHtml(title)}</h1>
${options.generated ? `<p class="muted">generated ${escapeHtml(options.generated)}</p>` : ''}
</header>
<section>
<h2>Runs</h2>
${comparisonTable(runs)}
</section>
<section>
<h2>Curves</h2>
<p class="muted">One chart per signal, every run overlaid (x: training step). Effective rank (RankMe) and online-probe points are measured every few steps; lines join them.</p>
<div id="charts" class="grid"></div>
</section>
<section>
<h2>Final probes (frozen encoder)</h2>
${probesTable(runs)}
</section>
<section>
<h2>Details</h2>
${runDetails(runs)}
</section>
<script type="application/json" id="ssl-data">${scriptJson(reportData(runs))}</script>
<script>
${inlineSafe(lib.js, 'script')}
</script>
<script>
${inlineSafe(PAGE_SCRIPT, 'script')}
</script>
</body>
</html>
`;
}

const PAGE_CSS = `
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; margin: 24px; color: #1d232a; background: #fff; }
h1 { font-size: 20px; margin: 0 0 4px; word-break: break-all; }
h2 { font-size: 16px; margin: 28px 0 8px; border-bottom: 1px solid #dde3ea; padding-bottom: 4px; }
.muted { color: #68737f; margin: 4px 0 10px; }
table { border-collapse: collapse; font-variant-numeric: tabular-nums; }
th, td { padding: 4px 10px; border-bottom: 1px solid #eef1f4; text-align: left; }
th { font-weight: 600; background: #f6f8fa; }
td.n { text-align: right; }
td.failed { color: #c62828; } td.interrupted, td.incomplete { color: #b26a00; } td.completed { color: #2e7d32; }
.swatch { display: inline-block; width: 10px; height: 10px; border-radius: 2px; margin-right: 6px; vertical-align: baseline; }
.grid { display: grid; grid-template-columns: repeat(auto-fill, minmax(600px, 1fr)); gap: 18px 24px; }
.chart { min-width: 0; }
.chart .u-title { font-size: 14px; font-weight: 600; }
.chart .u-legend { font-size: 12px; }
dl { margin: 8px 0 14px; display: grid; grid-template-columns: max-content 1fr; gap: 2px 12px; }
dt.head { grid-column: 1 / -1; font-weight: 600; }
dt { color: #68737f; } dd { margin: 0; word-break: break-all; } dd.note { color: #b26a00; }
`;

/**
 * Runs in the browser (plain ES2017, no modules): reads #ssl-data, draws the charts with the
 * inlined uPlot, and colours the table swatches like the lines.
 */
const PAGE_SCRIPT = `
(function () {
  var runs = JSON.parse(document.getElementById('ssl-data').textContent);
  var palette = ['#1f77b4', '#d62728', '#2ca02c', '#ff7f0e', '#9467bd', '#8c564b', '#e377c2', '#17becf', '#7f7f7f', '#bcbd22'];
  var colour = {};
  runs.forEach(function (r, i) { colour[r.label] = palette[i % palette.length]; });
  document.querySelectorAll('.swatch').forEach(function (el) { el.style.background = colour[el.getAttribute('data-run')] || '#999'; });
  var dashes = [[], [6, 3], [2, 3], [10, 3, 2, 3], [1, 2]];
  var root = document.getElementById('charts');

  // lines: [{ label, run, xs, ys, dash, points }]
  function chart(title, yLabel, lines, opts) {
    lines = lines.filter(function (l) { return l.xs.length > 0 && l.ys.some(function (v) { return v !== null; }); });
    if (lines.length === 0) return;
    opts = opts || {};
    var el = document.createElement('div');
    el.className = 'chart';
    root.appendChild(el);
    var data = uPlot.join(lines.map(function (l) { return [l.xs, l.ys]; }));
    var width = Math.max(360, Math.floor(el.clientWidth || 600));
    new uPlot({
      title: title,
      width: width,
      height: 280,
      scales: { x: { time: false }, y: { auto: true } },
      axes: [
        { label: 'step', size: 40 },
        { label: yLabel, size: 70, values: opts.values || ticksFor },
      ],
      legend: { live: false },
      series: [{ label: 'step' }].concat(lines.map(function (l) {
        return {
          label: l.label,
          stroke: colour[l.run],
          width: 1.5,
          dash: l.dash || [],
          spanGaps: true,
          points: { show: !!l.points, size: 5, fill: colour[l.run] },
        };
      })),
    }, data, el);
  }

  // Tick labels with as many decimals as the tick spacing needs (uPlot's default rounds 0.0005 to
  // 0); tiny magnitudes (learning rates) in short scientific notation.
  function ticksFor(u, ticks) {
    if (ticks.length === 0) return [];
    var step = ticks.length > 1 ? Math.abs(ticks[1] - ticks[0]) : Math.abs(ticks[0]) || 1;
    var biggest = Math.max.apply(null, ticks.map(Math.abs));
    if (biggest > 0 && biggest < 1e-2) return ticks.map(function (v) { return v === 0 ? '0' : v.toExponential(1); });
    var decimals = Math.min(8, Math.max(0, -Math.floor(Math.log10(step) + 1e-9)));
    return ticks.map(function (v) { return v.toFixed(decimals); });
  }

  var many = runs.length > 1;
  var name = function (r, what) { return many ? r.label + (what ? ' · ' + what : '') : (what || r.label); };
  var perStep = function (key) { return runs.map(function (r) { return { label: name(r), run: r.label, xs: r.step, ys: r[key] || [] }; }); };
  var pctValues = function (u, ticks) { return ticks.map(function (v) { return (v * 100).toFixed(0) + '%'; }); };

  chart('Loss (total)', 'loss', perStep('loss'));
  var terms = [];
  runs.forEach(function (r) { Object.keys(r.terms).forEach(function (k, i) { terms.push({ label: name(r, k), run: r.label, xs: r.step, ys: r.terms[k], dash: dashes[i % dashes.length] }); }); });
  chart('Loss terms (unweighted)', 'loss', terms);
  chart('Learning rate', 'lr', perStep('lr'));
  chart('Embedding std (l2-normalised; collapse → 0)', 'std', perStep('std'));
  chart('Effective rank (RankMe; collapse → 1)', 'rank', runs.map(function (r) { return { label: name(r), run: r.label, xs: r.rank.step, ys: r.rank.value, points: true }; }));
  var online = [];
  runs.forEach(function (r) {
    Object.keys(r.onlineTrain).forEach(function (k) { online.push({ label: name(r, k + ' train (running)'), run: r.label, xs: r.onlineTrain[k].step, ys: r.onlineTrain[k].value, dash: [6, 3] }); });
    Object.keys(r.onlineHeldOut).forEach(function (k) { online.push({ label: name(r, k + ' held-out'), run: r.label, xs: r.onlineHeldOut[k].step, ys: r.onlineHeldOut[k].value, points: true }); });
  });
  chart('Online linear probe top-1', 'top-1', online, { values: pctValues });
  var momentum = [];
  runs.forEach(function (r) { Object.keys(r.momentum).forEach(function (k, i) { momentum.push({ label: name(r, k), run: r.label, xs: r.step, ys: r.momentum[k], dash: dashes[i % dashes.length] }); }); });
  chart('EMA momentum', 'momentum', momentum);
  chart('Throughput', 'examples / s', perStep('throughput'));
})();
`;
