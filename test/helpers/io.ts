import { Writable } from 'node:stream';
import type { CliIo } from '../../cli/main.js';

/** A CliIo whose stdout/stderr are collected in memory (not a TTY, not CI unless told). */
export function captureIo(env: NodeJS.ProcessEnv = {}): CliIo & { out(): string; err(): string } {
  const sink = () => {
    const chunks: string[] = [];
    const stream = new Writable({
      write(chunk, _enc, done) {
        chunks.push(String(chunk));
        done();
      },
    });
    return { stream, text: () => chunks.join('') };
  };
  const stdout = sink();
  const stderr = sink();
  return { stdout: stdout.stream, stderr: stderr.stream, env, out: stdout.text, err: stderr.text };
}
