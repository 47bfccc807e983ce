/**
 * Reporter selection. `tui` (ink) is the default only on an interactive terminal outside CI,
 * like Gatsby's `start-logger.ts`; `plain` suits CI logs and pipes; `json` prints one event per
 * line. The ink reporter is imported lazily so `plain`/`json` runs never load react or ink.
 */
import type { Reporter, RunEvent } from '../events.js';
import { createJsonReporter } from './json.js';
import { createPlainReporter } from './plain.js';

export type ReporterName = 'tui' | 'plain' | 'json';

export const REPORTER_NAMES: readonly ReporterName[] = ['tui', 'plain', 'json'];

export function isReporterName(name: string): name is ReporterName {
  return (REPORTER_NAMES as readonly string[]).includes(name);
}

/** `CI` set to anything but '', '0' or 'false' (any case) counts as CI. */
export function isCI(env: Record<string, string | undefined> = process.env): boolean {
  const v = env.CI;
  return v != null && !['', '0', 'false'].includes(v.trim().toLowerCase());
}

/** `tui` only on a TTY outside CI; `plain` otherwise. `json` is only ever asked for. */
export function defaultReporter(env: { isTTY: boolean; ci: boolean }): ReporterName {
  return env.isTTY && !env.ci ? 'tui' : 'plain';
}

export interface CreateReporterOptions {
  /** Stream for the plain/json reporters and the TUI; default process.stdout. */
  out?: NodeJS.WriteStream;
}

export async function createReporter(name: ReporterName, options: CreateReporterOptions = {}): Promise<Reporter> {
  switch (name) {
    case 'json':
      return createJsonReporter(options.out);
    case 'plain':
      return createPlainReporter(options.out);
    case 'tui': {
      const { createTuiReporter } = await import('./tui/index.js');
      return createTuiReporter({ stdout: options.out });
    }
  }
}

/**
 * One reporter that forwards to many (e.g. the TUI on screen plus json into the run folder).
 * Every reporter sees every event even if an earlier one throws; the first error is rethrown
 * afterwards. `close()` closes all of them, then rejects with the first failure.
 */
export function fanOut(reporters: readonly Reporter[]): Reporter {
  return {
    onEvent(event: RunEvent) {
      let failed = false;
      let error: unknown;
      for (const r of reporters) {
        try {
          r.onEvent(event);
        } catch (e) {
          if (!failed) error = e;
          failed = true;
        }
      }
      if (failed) throw error;
    },
    async close() {
      const results = await Promise.allSettled(reporters.map(async (r) => r.close()));
      const rejected = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
      if (rejected) throw rejected.reason;
    },
  };
}

export { createJsonReporter } from './json.js';
export { createPlainReporter, stepInterval } from './plain.js';
export { initialState, reduce, type RunViewState } from './state.js';
export { sparkline } from './sparkline.js';
