import { readFileSync } from 'node:fs';
import { format } from './compiler/format.js';
for (const f of process.argv.slice(2)) {
  const text = readFileSync(f, 'utf8');
  const r = format(text, f);
  if (r.text === undefined) { console.log(f, r.diagnostics); continue; }
  const r2 = format(r.text, f);
  console.log(f, 'same:', r.text === text, 'idem:', r2.text === r.text);
  if (r.text !== text) process.stdout.write(r.text);
}
