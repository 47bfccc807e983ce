/** Facts about a finished run read from its folder (what the export README cites). */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * The step the run's `weights/` were saved at: the last `checkpoint` event of metrics.jsonl that
 * wrote them (its `weights` field names the folder; a `path` ending in `weights` is the same, as
 * runs before resumable checkpoints wrote it), else `probes.json`'s step; null when neither says.
 * Lines that are not JSON, e.g. a partial last line of a killed run, are skipped.
 */
export function savedStep(runDir: string): number | null {
  const metrics = join(runDir, 'metrics.jsonl');
  if (existsSync(metrics)) {
    let step: number | null = null;
    for (const line of readFileSync(metrics, 'utf8').split('\n')) {
      if (!line.includes('"checkpoint"')) continue;
      try {
        const event = JSON.parse(line) as { type?: string; step?: unknown; weights?: unknown; path?: unknown };
        const wroteWeights = typeof event.weights === 'string' || (typeof event.path === 'string' && /(^|[\\/])weights[\\/]?$/.test(event.path));
        if (event.type === 'checkpoint' && typeof event.step === 'number' && wroteWeights) step = event.step;
      } catch {
        // not a complete line
      }
    }
    if (step !== null) return step;
  }
  const probes = join(runDir, 'probes.json');
  if (existsSync(probes)) {
    try {
      const step = (JSON.parse(readFileSync(probes, 'utf8')) as { step?: unknown }).step;
      if (typeof step === 'number') return step;
    } catch {
      // unreadable: the step stays unknown
    }
  }
  return null;
}
