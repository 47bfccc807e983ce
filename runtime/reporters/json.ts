/**
 * The json reporter: one `RunEvent` per line, exactly as emitted (`JSON.stringify`), for scripts,
 * CI artifacts and golden `.events.jsonl` fixtures. Like Gatsby's json logger, it adds nothing.
 * Note JSON has no NaN/Infinity: a non-finite loss is written as `null`.
 */
import type { Reporter, RunEvent } from '../events.js';

export function createJsonReporter(out: NodeJS.WritableStream = process.stdout): Reporter {
  let backpressured = false;
  return {
    onEvent(event: RunEvent) {
      // write() returning false only means "buffered"; nothing is lost, close() waits for drain.
      if (!out.write(`${JSON.stringify(event)}\n`)) backpressured = true;
    },
    async close() {
      if (!backpressured) return;
      backpressured = false;
      await new Promise<void>((resolve) => {
        const done = () => {
          out.off('drain', done);
          out.off('error', done);
          out.off('close', done);
          resolve();
        };
        out.once('drain', done);
        out.once('error', done);
        out.once('close', done);
      });
    },
  };
}
