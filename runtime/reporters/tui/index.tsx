/**
 * The ink reporter: the default on an interactive terminal. Imported lazily by
 * `../index.ts` so the plain and json reporters never load react or ink.
 */
import { render } from 'ink';
import type { Reporter } from '../../events.js';
import { App } from './app.js';
import { createRunStore } from './store.js';

export interface TuiReporterOptions {
  /** Where to draw; default process.stdout. */
  stdout?: NodeJS.WriteStream;
  /** Minimum ms between repaints; default 100 (≤ 10 a second). */
  throttleMs?: number;
  /**
   * Route console.* output above the live panel (ink's patchConsole) so stray logs, e.g. from
   * TF.js, don't tear the frame; default true. Tests turn it off (vitest owns the console).
   */
  patchConsole?: boolean;
}

export function createTuiReporter(opts: TuiReporterOptions = {}): Reporter {
  const store = createRunStore({ intervalMs: opts.throttleMs });
  const instance = render(<App store={store} />, {
    stdout: opts.stdout ?? process.stdout,
    // Ctrl+C goes to the trainer's SIGINT handler, which ends the run with `interrupted`
    // and then closes this reporter; ink must not tear the view down on its own.
    exitOnCtrlC: false,
    patchConsole: opts.patchConsole ?? true,
    maxFps: 20,
  });
  let closing: Promise<void> | null = null;
  return {
    onEvent(event) {
      if (!closing) store.dispatch(event);
    },
    close() {
      closing ??= (async () => {
        store.flush();
        // Let React commit the last published state before ink writes its final frame.
        await new Promise((resolve) => setImmediate(resolve));
        instance.unmount();
        await instance.waitUntilExit();
        store.dispose();
      })();
      return closing;
    },
  };
}

export { App, useRunState } from './app.js';
export * from './components.js';
export { createRunStore, type RunStore, type RunStoreOptions } from './store.js';
