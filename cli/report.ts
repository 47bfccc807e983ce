/**
 * `ssl report RUN_DIR... [--out report.html]`: one self-contained HTML file comparing runs —
 * loss curves (total and per term), lr, embedding std, effective rank, online probe accuracy,
 * final probe results and a table of recipe, backend, steps, time, final loss, probes and
 * parameters. Reads only the run folders (metrics.jsonl, environment.json); never TensorFlow.js.
 *
 * Exit codes: 0 written; 2 a run folder is missing or unreadable, or the output cannot be written
 * (the message names the path; no stack trace).
 */
import { writeFileSync } from 'node:fs';
import { readRun, RunReadError, type RunData } from './report/read-run.js';
import { renderReportHtml } from './report/html.js';
import { summarizeRun, uniqueLabels } from './report/summarize.js';

export interface ReportOutput {
  stdout: (s: string) => void;
  stderr: (s: string) => void;
}

export const DEFAULT_REPORT_FILE = 'report.html';

export async function reportCommand(dirs: string[], options: { out?: string }, io: ReportOutput): Promise<number> {
  const runs: RunData[] = [];
  for (const dir of dirs) {
    try {
      runs.push(readRun(dir));
    } catch (error) {
      if (!(error instanceof RunReadError)) throw error;
      io.stderr(`ssl report: ${error.message}\n`);
      return 2;
    }
  }
  const summaries = uniqueLabels(runs.map(summarizeRun));
  for (const s of summaries) for (const note of s.notes) io.stderr(`ssl report: note: ${note}\n`);
  const html = renderReportHtml(summaries, { generated: new Date().toISOString().replace('T', ' ').replace(/\.\d+Z$/, ' UTC') });
  const out = options.out ?? DEFAULT_REPORT_FILE;
  try {
    writeFileSync(out, html);
  } catch (error) {
    io.stderr(`ssl report: cannot write ${out}: ${(error as Error).message}\n`);
    return 2;
  }
  const steps = summaries.map((s) => `${s.label}: ${s.steps} steps`).join(', ');
  io.stdout(`wrote ${out} (${summaries.length} run${summaries.length === 1 ? '' : 's'}: ${steps}; ${Math.round(html.length / 1024)} KiB, opens offline)\n`);
  return 0;
}
