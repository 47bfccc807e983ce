import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv } from 'ajv';
import { describe, expect, it } from 'vitest';
import { compile } from './index.js';
import { irSchema, validateIr } from './ir-schema.js';
import { generatedValidatorSource } from './ir-validator-source.js';

describe('the precompiled IR validator', () => {
  it('is up to date with ir-schema.ts (regenerate: npx tsx compiler/generate-ir-validator.ts)', () => {
    const checkedIn = readFileSync(new URL('./ir-validator.generated.ts', import.meta.url), 'utf8');
    expect(checkedIn === generatedValidatorSource()).toBe(true);
  });

  it('accepts and rejects exactly what ajv compiling the schema does', () => {
    const fresh = new Ajv({ allErrors: true, strict: true }).compile(irSchema);
    const files = ['recipes', 'examples'].flatMap((dir) => readdirSync(dir).filter((f) => f.endsWith('.ssl')).map((f) => join(dir, f)));
    let checked = 0;
    for (const file of files) {
      const { ir } = compile(readFileSync(file, 'utf8'), file);
      expect(ir).toBeDefined();
      // Valid, and a handful of corruptions of it.
      const corrupt = (f: (x: Record<string, unknown>) => void) => {
        const copy = JSON.parse(JSON.stringify(ir)) as Record<string, unknown>;
        f(copy);
        return copy;
      };
      const cases = [
        ir,
        corrupt((x) => (x['irVersion'] = 1)),
        corrupt((x) => delete x['teachers']),
        corrupt((x) => ((x['graph'] as { nodes: { kind: string }[] }).nodes[0]!.kind = 'nope')),
        corrupt((x) => ((x['train'] as { batch: number }).batch = -1)),
        corrupt((x) => (x['extra'] = true)),
      ];
      for (const c of cases) {
        expect(validateIr(c).length === 0).toBe(fresh(c));
        checked++;
      }
    }
    expect(checked).toBeGreaterThanOrEqual(60);
  });
});
