/**
 * `npm run bench:compile`: how long `compile()` takes on every recipe and example — the first
 * compile in a fresh process (cold: parser and schema set-up included) and the median of 200
 * warm compiles — and the same for `ssl check`-sized work on the largest recipe.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { compile } from '../../compiler/index.js';

const files = ['recipes', 'examples'].flatMap((dir) => readdirSync(dir).filter((f) => f.endsWith('.ssl')).map((f) => join(dir, f)));
const texts = files.map((f) => [f, readFileSync(f, 'utf8')] as const).sort((a, b) => b[1].length - a[1].length);

const coldStart = performance.now();
compile(texts[0]![1], texts[0]![0]);
const cold = performance.now() - coldStart;

const rows = texts.map(([file, text]) => {
  const times: number[] = [];
  for (let i = 0; i < 200; i++) {
    const t = performance.now();
    const r = compile(text, file);
    times.push(performance.now() - t);
    if (!r.ir) throw new Error(`${file} does not compile`);
  }
  times.sort((a, b) => a - b);
  return { file, bytes: text.length, lines: text.split('\n').length, median: times[100]!, p90: times[180]! };
});

process.stdout.write(`first compile in this process (${texts[0]![0]}, cold): ${cold.toFixed(1)} ms\n`);
process.stdout.write('recipe                          bytes  lines  median ms  p90 ms\n');
for (const r of rows) {
  process.stdout.write(`${r.file.padEnd(30)} ${String(r.bytes).padStart(6)} ${String(r.lines).padStart(6)} ${r.median.toFixed(2).padStart(10)} ${r.p90.toFixed(2).padStart(7)}\n`);
}
