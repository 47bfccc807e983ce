/**
 * IR goldens: every `examples/*.ssl` and `recipes/*.ssl` compiles without errors, its IR matches the JSON Schema and
 * `test/golden/<name>.ir.json`, and survives a JSON round trip. Regenerate with
 * `UPDATE_GOLDEN=1 npx vitest run test/golden`. The uri is the relative path, so goldens hold no
 * absolute paths.
 */
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { compile, validateIr } from '../../compiler/index.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const examples = ['examples', 'recipes'].flatMap((dir) =>
  readdirSync(`${root}${dir}`).filter((f) => f.endsWith('.ssl')).sort().map((f) => `${dir}/${f}`),
);
const update = process.env['UPDATE_GOLDEN'] === '1';

describe('IR goldens', () => {
  it('has examples', () => {
    expect(examples.length).toBeGreaterThan(0);
  });

  for (const file of examples) {
    it(file, () => {
      const uri = file;
      const r = compile(readFileSync(`${root}${uri}`, 'utf8'), uri);
      expect(r.diagnostics.filter((d) => d.severity !== 'info')).toEqual([]);
      expect(r.ir).toBeDefined();
      expect(validateIr(r.ir)).toEqual([]);
      const json = JSON.stringify(r.ir, null, 2) + '\n';
      expect(JSON.parse(json)).toEqual(r.ir);
      expect(json).not.toContain(root);
      const golden = `${root}test/golden/${file.replace(/^.*\//, '').replace(/\.ssl$/, '')}.ir.json`;
      if (update) writeFileSync(golden, json);
      expect(existsSync(golden), `${golden} is missing: run UPDATE_GOLDEN=1 npx vitest run test/golden`).toBe(true);
      expect(json).toBe(readFileSync(golden, 'utf8'));
    });
  }
});
